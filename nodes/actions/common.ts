/**
 * Glue shared by the four action nodes (dingtalk-reply, -send, -card, -file): find the app, run one message
 * through a typed call with a status dot, and hand every failure to done(err) in words the user can act on.
 * Kept here rather than in nodes/shared/ because the trigger side owns that folder; it could move there later.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow, NodeStatus } from 'node-red';
import { findApp, type DingTalkAppNode } from '../shared/app-node';
import { DingTalkError } from '../../src/api/errors';
import { MsgInputError } from '../../src/nodes-input/input-error';

export interface ActionNodeDef extends NodeDef {
  app: string;
}

export type Substitutions = Record<string, string>;

/**
 * Translates `<type>.<key>`, falling back to the English text when the catalog has no entry
 * (RED._ answers with the key itself then; the test helper's RED._ always does).
 */
export type Translate = (key: string, fallback: string, subs?: Substitutions) => string;

export function translator(RED: NodeAPI, type: string): Translate {
  return (key, fallback, subs) => {
    const full = `${type}.${key}`;
    let text: string;
    try {
      text = subs ? RED._(full, subs) : RED._(full);
    } catch {
      text = full;
    }
    if (typeof text !== 'string' || text === '' || text === full || text.endsWith(full)) {
      let out = fallback;
      for (const [k, v] of Object.entries(subs ?? {})) out = out.split(`__${k}__`).join(v);
      return out;
    }
    return text;
  };
}

const MAX_STATUS = 48;
function short(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > MAX_STATUS ? `${line.slice(0, MAX_STATUS - 1)}…` : line;
}

/** Strings the app holds that must never reach a status or an error (its credentials, whatever they are called). */
function secretsOf(app: DingTalkAppNode | null): string[] {
  const creds = (app as { credentials?: unknown } | null)?.credentials;
  if (!creds || typeof creds !== 'object') return [];
  return Object.values(creds as Record<string, unknown>).filter((v): v is string => typeof v === 'string' && v.length >= 4);
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('***');
  return out;
}

/** What an action reports back besides putting DingTalk's answer on the msg. */
export interface ActionResult {
  /** Overrides the green "sent" dot, e.g. yellow when some users were invalid. */
  status?: NodeStatus;
  /** Do not send the msg on (e.g. a streaming chunk that is only buffered). */
  noOutput?: boolean;
}

export type Action = (msg: NodeMessageInFlow, app: DingTalkAppNode) => Promise<ActionResult | void>;

/**
 * One action node's runtime: looks the app up once, shows a red ring when there is none, and runs each input
 * message through `action`: blue while in flight, green when sent, red with a short reason on failure.
 * done() is called exactly once on every path; errors go only through done(err), which reaches Catch nodes.
 */
export class ActionRunner {
  readonly app: DingTalkAppNode | null;
  readonly t: Translate;
  private closed = false;

  constructor(
    RED: NodeAPI,
    private readonly node: Node,
    config: ActionNodeDef,
    type: string,
  ) {
    this.t = translator(RED, type);
    this.app = findApp(RED, config.app);
    if (!this.app) node.status({ fill: 'red', shape: 'ring', text: this.t('status.noApp', 'no app configured') });
  }

  /** Registers the input handler. */
  listen(action: Action): void {
    this.node.on('input', (msg, send, done) => {
      void this.run(msg, send, done, action);
    });
  }

  status(status: NodeStatus): void {
    if (!this.closed) this.node.status(status);
  }

  /** Call from the close handler: no status updates after it. */
  close(): void {
    this.closed = true;
  }

  private async run(
    msg: NodeMessageInFlow,
    send: (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void,
    done: (err?: Error) => void,
    action: Action,
  ): Promise<void> {
    const app = this.app;
    if (!app) {
      this.status({ fill: 'red', shape: 'ring', text: this.t('status.noApp', 'no app configured') });
      done(new Error(this.t('errors.noApp', 'No DingTalk app is configured: open this node and select (or add) a dingtalk-stream-app.')));
      return;
    }
    this.status({ fill: 'blue', shape: 'dot', text: this.t('status.sending', 'sending') });
    try {
      const result = (await action(msg, app)) ?? {};
      this.status(result.status ?? { fill: 'green', shape: 'dot', text: this.t('status.sent', 'sent') });
      if (!result.noOutput) send(msg);
      done();
    } catch (err) {
      const error = this.userError(err, app);
      this.status({ fill: 'red', shape: 'dot', text: this.statusReason(error) });
      done(error);
    }
  }

  /** Any failure as an Error the user can act on, translated where we know it, never with a secret in it. */
  userError(err: unknown, app: DingTalkAppNode | null = this.app): Error {
    const secrets = secretsOf(app);
    if (err instanceof MsgInputError) {
      const text = scrub(this.t(`errors.${err.code}`, err.message, { ...err.params, property: err.property }), secrets);
      return text === err.message ? err : new MsgInputError(err.code, err.property, text, err.params);
    }
    if (err instanceof Error) {
      const clean = scrub(err.message, secrets);
      if (clean === err.message) return err;
      const copy = new Error(clean);
      copy.name = err.name;
      return copy;
    }
    return new Error(scrub(String(err), secrets));
  }

  /** The short reason on the red dot: the msg property at fault, DingTalk's code, or the first words of the message. */
  statusReason(error: Error): string {
    let reason: string;
    if (error instanceof MsgInputError) reason = this.t('status.badInput', 'invalid __property__', { property: error.property });
    else if (error instanceof DingTalkError) reason = error.code ?? (error.status > 0 ? `HTTP ${error.status}` : error.message);
    else reason = error.message;
    return short(this.t('status.failed', 'failed: __reason__', { reason: short(scrub(reason, secretsOf(this.app))) }));
  }
}
