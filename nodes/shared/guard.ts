import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red';
import { describeThrown } from '../../src/util/thrown';

export { describeThrown };

/**
 * Nothing a flow or DingTalk sends may escape a node's handlers: an exception that leaves an async input handler is
 * an unhandled rejection, and Node-RED ends the whole process on one. This module is the one place that makes the
 * node glue safe against that:
 * - `describeThrown` (src/util/thrown.ts) turns anything thrown into text without throwing itself;
 * - `guardInput` wraps an input handler so that sync throws, rejections and a throwing `send` become one `done(err)`,
 *   and a `done(err)` that Node-RED itself cannot deliver is reported with a copyable msg, or logged;
 * - `guardCallback` does the same for timers and event callbacks, which have no `done`.
 */

export type Send = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;
export type Done = (err?: Error) => void;
export type InputHandler = (msg: NodeMessageInFlow, send: Send, done: Done) => void | Promise<void>;

/** Anything thrown as an Error whose message can be read safely: an Error is kept as it is. */
export function asError(value: unknown): Error {
  try {
    if (value instanceof Error && typeof value.message === 'string') return value;
  } catch {
    // A Proxy posing as an Error: fall through to a plain copy of its text.
  }
  return new Error(describeThrown(value));
}

/** The guard's own texts, in the node's language where a translation exists. */
export type GuardText = (key: 'notPassedOn', fallback: string, subs: Record<string, string>) => string;

const englishOnly: GuardText = (_key, fallback, subs) => {
  let out = fallback;
  for (const [k, v] of Object.entries(subs)) out = out.split(`__${k}__`).join(v);
  return out;
};

/**
 * The msg a Catch node can get when Node-RED cannot copy the real one (a structure nested thousands of levels deep
 * overflows the stack of its deep copy): every top-level property that copies, the others replaced by a note.
 * `req`/`res` are kept by reference as Node-RED itself does, so a Catch -> http response path still answers.
 */
function copyableMsg(RED: NodeAPI, msg: NodeMessageInFlow, kept: { req: unknown; res: unknown }): NodeMessage {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(msg)) {
    if (key === 'req' || key === 'res') continue;
    const value = (msg as Record<string, unknown>)[key];
    try {
      RED.util.cloneMessage({ value } as unknown as NodeMessage);
      out[key] = value;
    } catch {
      out[key] = `[not copyable: ${key} is too deeply nested or otherwise cannot be copied]`;
    }
  }
  if (kept.req !== undefined) out['req'] = kept.req;
  if (kept.res !== undefined) out['res'] = kept.res;
  return out as NodeMessage;
}

/**
 * Calls `done(err)`; if Node-RED throws while handing the msg to Catch nodes (it deep-copies it first), reports the
 * same error with a msg that copies, and if even that fails, logs it. Never throws.
 */
function completeSafely(RED: NodeAPI, node: Node, msg: NodeMessageInFlow, done: Done, err: Error | undefined): void {
  // Node-RED's cloneMessage takes req/res off the msg before copying and does not put them back when the copy throws.
  const record = msg as Record<string, unknown>;
  const kept = { req: record['req'], res: record['res'] };
  try {
    done(err);
    return;
  } catch (thrown) {
    if (kept.req !== undefined) record['req'] = kept.req;
    if (kept.res !== undefined) record['res'] = kept.res;
    const reason = describeThrown(thrown);
    if (err === undefined) {
      // Completion itself failed (a Complete node could not get a copy): nothing to report to Catch.
      logSafely(node, `could not complete the message: ${reason}`);
      return;
    }
    try {
      node.error(err, copyableMsg(RED, msg, kept));
    } catch (again) {
      logSafely(node, `${describeThrown(err)} (could not be passed to a Catch node: ${reason}; ${describeThrown(again)})`);
    }
  }
}

function logSafely(node: Node, text: string): void {
  try {
    // Without a msg, node.error only logs (and shows in the debug sidebar): no copy, no Catch.
    node.error(text);
  } catch {
    // The log itself failed; there is nowhere left to report to.
  }
}

/**
 * An input listener in which every path ends in exactly one done(): a sync throw or a rejection is done(err), a send
 * Node-RED cannot route (it copies the msg for a second wire) is done(err) with the reason, and a done(err) Node-RED
 * cannot deliver is reported or logged by `completeSafely`.
 */
export function guardInput(
  RED: NodeAPI,
  node: Node,
  handler: InputHandler,
  text: GuardText = englishOnly,
): (msg: NodeMessageInFlow, send: Send, done: Done) => void {
  return (msg, send, done) => {
    let finished = false;
    const finish: Done = (err) => {
      if (finished) return;
      finished = true;
      completeSafely(RED, node, msg, done, err);
    };
    const guardedSend: Send = (out) => {
      try {
        send(out);
      } catch (thrown) {
        throw new Error(
          text(
            'notPassedOn',
            'Could not pass the message on: Node-RED failed to copy it (__reason__). Keep msg to plain JSON data, not nested thousands of levels deep.',
            { reason: describeThrown(thrown) },
          ),
        );
      }
    };
    const fail = (thrown: unknown): void => finish(asError(thrown));
    try {
      const result = handler(msg, guardedSend, finish);
      if (result !== undefined) result.then(undefined, fail);
    } catch (thrown) {
      fail(thrown);
    }
  };
}

/** A timer or event callback that logs, never throws: there is no done() to report to and no caller to catch. */
export function guardCallback<A extends unknown[]>(node: Node, what: string, fn: (...args: A) => void | Promise<void>): (...args: A) => void {
  return (...args) => {
    try {
      const result = fn(...args);
      if (result !== undefined) result.then(undefined, (thrown: unknown) => logSafely(node, `${what} failed: ${describeThrown(thrown)}`));
    } catch (thrown) {
      logSafely(node, `${what} failed: ${describeThrown(thrown)}`);
    }
  };
}
