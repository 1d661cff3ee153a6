/**
 * Learns when a message a trigger node sent has been fully handled by the flow, using Node-RED's message hooks
 * (docs/adr/0006-event-ack-waits-for-the-flow.md):
 * - every delivery of the message to a node that reports completion counts one (preDeliver),
 * - every done() of a node for it counts one off (onComplete); done(err) means the flow failed,
 * - reaching a Catch node means the flow failed (covers node.error(err, msg) from nodes that do not use done(err)),
 * - when the count is back to zero the flow has finished; a timeout bounds the wait.
 * Messages are recognised by `_msgid`, which Node-RED keeps on clones.
 */

export type FlowOutcome = 'finished' | 'failed' | 'timeout';

/** The slice of Node-RED's hooks API (RED.hooks) used here. */
export interface HooksApi {
  add(hookId: string, callback: (event: HookEvent) => void): void;
  remove(hookId: string): void;
}

export interface HookEvent {
  msg?: { _msgid?: unknown };
  error?: unknown;
  destination?: { node?: { type?: string; _expectedDoneCount?: unknown } };
}

/**
 * Only nodes whose input handler takes `done` ever complete a message (Node-RED counts those handlers in
 * `_expectedDoneCount`); waiting for any other node would always end in the timeout. Such a node counts as finished
 * on delivery; what it sends on is counted when it is sent.
 */
function signalsCompletion(event: HookEvent): boolean {
  const expected = event.destination?.node?._expectedDoneCount;
  return typeof expected === 'number' ? expected > 0 : true;
}

interface Tracked {
  pending: number;
  settle: (outcome: FlowOutcome) => void;
}

/** The hooks a tracker adds, each under the tracker's own label. */
export const TRACKER_HOOKS = ['preDeliver', 'onComplete', 'onReceive'] as const;

/** A hook label from any text: Node-RED splits hook ids on '.', so only these characters are kept. */
export function hookLabel(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, '_');
}

/**
 * The hooks run for every message of the whole runtime while the tracker exists, so each handler first looks the
 * message id up in `tracked` and returns at once (no allocation) for any message that is not one of ours.
 * `dispose()` removes them; the node's close handler must call it.
 */
export class FlowCompletionTracker {
  private readonly tracked = new Map<string, Tracked>();
  readonly label: string;
  private disposed = false;

  constructor(
    private readonly hooks: HooksApi,
    label: string,
  ) {
    this.label = hookLabel(label);
    hooks.add(`preDeliver.${this.label}`, (event) => this.onDeliver(event));
    hooks.add(`onComplete.${this.label}`, (event) => this.onComplete(event));
    hooks.add(`onReceive.${this.label}`, (event) => this.onReceive(event));
  }

  /** Start tracking before sending; call `sent` right after sending. */
  track(msgid: string, timeoutMs: number): Promise<FlowOutcome> {
    return new Promise<FlowOutcome>((resolve) => {
      const timer = setTimeout(() => entry.settle('timeout'), timeoutMs);
      const entry: Tracked = {
        pending: 0,
        settle: (outcome) => {
          if (this.tracked.get(msgid) !== entry) return;
          this.tracked.delete(msgid);
          clearTimeout(timer);
          resolve(outcome);
        },
      };
      this.tracked.set(msgid, entry);
    });
  }

  /** A message with no wires (or only disabled ones) is finished as soon as it is sent. */
  sent(msgid: string): void {
    this.checkIdle(msgid);
  }

  /** Settles every pending message (node closing) as a timeout, so its event is re-pushed rather than lost. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const entry of [...this.tracked.values()]) entry.settle('timeout');
    this.hooks.remove(`*.${this.label}`);
  }

  /** The id of a message we track, else undefined: a size check and one Map lookup, nothing allocated. */
  private trackedId(event: HookEvent): string | undefined {
    if (this.tracked.size === 0) return undefined;
    const id = event.msg?._msgid;
    return typeof id === 'string' && this.tracked.has(id) ? id : undefined;
  }

  private entryOf(event: HookEvent): Tracked | undefined {
    const id = this.trackedId(event);
    return id === undefined ? undefined : this.tracked.get(id);
  }

  // Handlers return nothing: a hook that returns false would stop the message.
  private onDeliver(event: HookEvent): void {
    const entry = this.entryOf(event);
    if (entry && signalsCompletion(event)) entry.pending += 1;
  }

  private onComplete(event: HookEvent): void {
    const id = this.trackedId(event);
    const entry = id === undefined ? undefined : this.tracked.get(id);
    if (id === undefined || !entry) return;
    if (event.error) {
      entry.settle('failed');
      return;
    }
    entry.pending -= 1;
    this.checkIdle(id);
  }

  private onReceive(event: HookEvent): void {
    const entry = this.entryOf(event);
    if (entry && event.destination?.node?.type === 'catch') entry.settle('failed');
  }

  /**
   * Zero is checked again on the next turn: a node may call done() just before it sends, and Node-RED routes a send
   * (preDeliver) synchronously, so anything still on its way has been counted by then.
   */
  private checkIdle(msgid: string): void {
    const entry = this.tracked.get(msgid);
    if (!entry || entry.pending > 0) return;
    setImmediate(() => {
      if (this.tracked.get(msgid) === entry && entry.pending <= 0) entry.settle('finished');
    });
  }
}
