/**
 * The runtime shared by the four action nodes (dingtalk-reply, -send, -card, -file): join the app, run one message
 * through a typed call with a status dot, and hand every failure to done(err) in words the user can act on.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow, NodeStatus } from 'node-red';
import { DingTalkError, scrubSecrets } from '../../src/api/errors';
import { MsgInputError } from '../../src/msg/input-error';
import { joinApp, leaveApp, type DingTalkAppNode } from './app-node';
import { appSecrets } from '../../src/app-config/credentials';
import { describeThrown, guardInput, type Done, type Send } from './guard';
import { translator, type TranslateWithFallback } from './i18n';
import { busyStatus, configErrorStatus, doneStatus, failedStatus, firstLine } from './status';

export interface ActionNodeDef extends NodeDef {
  app: string;
}

/** Room on an action node's red dot. */
const MAX_STATUS = 48;

/** What an action reports back besides putting DingTalk's answer on the msg. */
export interface ActionResult {
  /** Overrides the green "sent" dot, e.g. yellow when some users were invalid. */
  status?: NodeStatus;
  /** Do not send the msg on (e.g. a streaming chunk that is only buffered). */
  noOutput?: boolean;
}

/**
 * `send` is for an action that turns one msg into several (dingtalk-file: one per file of a message); it then
 * returns `noOutput`. done() still comes once, after the action.
 */
export type Action = (msg: NodeMessageInFlow, app: DingTalkAppNode, send: (out: NodeMessageInFlow) => void) => Promise<ActionResult | void>;

/**
 * One action node's runtime: joins the app once (red ring when there is none; registered with no Stream needs, so
 * the app keeps its API client for it and leaves its status dot alone), and runs each input message through
 * `action`: blue while in flight, green when sent, red with a short reason on failure.
 * done() is called exactly once on every path; errors go only through done(err), which reaches Catch nodes; nothing
 * escapes the handler (guard.ts).
 */
export class ActionRunner {
  readonly app: DingTalkAppNode | null;
  readonly t: TranslateWithFallback;
  private closed = false;

  constructor(
    private readonly RED: NodeAPI,
    private readonly node: Node,
    config: ActionNodeDef,
    type: string,
  ) {
    this.t = translator(RED, type);
    this.app = joinApp(RED, node, config.app, {}, () => this.t('status.noApp', 'no app configured'));
  }

  /** Registers the input handler. */
  listen(action: Action): void {
    this.node.on(
      'input',
      guardInput(this.RED, this.node, (msg, send, done) => this.run(msg, send, done, action), this.t),
    );
  }

  status(status: NodeStatus): void {
    if (!this.closed) this.node.status(status);
  }

  /** Call first in the close handler: no status updates after it. */
  close(): void {
    this.closed = true;
  }

  /** Call last in the close handler, once the node no longer needs the app's API client. */
  leave(done: () => void): void {
    this.closed = true;
    leaveApp(this.app, this.node, done);
  }

  private async run(msg: NodeMessageInFlow, send: Send, done: Done, action: Action): Promise<void> {
    const app = this.app;
    if (!app) {
      this.status(configErrorStatus(this.t('status.noApp', 'no app configured')));
      done(new Error(this.t('errors.noApp', 'No DingTalk app is configured: open this node and select (or add) a dingtalk-stream-app.')));
      return;
    }
    this.status(busyStatus(this.t('status.sending', 'sending')));
    try {
      const result = (await action(msg, app, (out) => send(out))) ?? {};
      this.status(result.status ?? doneStatus(this.t('status.sent', 'sent')));
      if (!result.noOutput) send(msg);
      done();
    } catch (err) {
      const error = this.userError(err, app);
      this.status(failedStatus(this.statusReason(error)));
      done(error);
    }
  }

  /** Any failure as an Error the user can act on, translated where we know it, never with a secret in it. */
  userError(err: unknown, app: DingTalkAppNode | null = this.app): Error {
    try {
      return this.explain(err, app);
    } catch (thrown) {
      // The failure itself is hostile (a message getter that throws...): report what can be read of it.
      return new Error(scrubSecrets(`${describeThrown(err)} (${describeThrown(thrown)})`, appSecrets(app)));
    }
  }

  private explain(err: unknown, app: DingTalkAppNode | null): Error {
    const secrets = appSecrets(app);
    if (err instanceof MsgInputError) {
      const text = scrubSecrets(this.t(`errors.${err.code}`, err.message, { ...err.params, property: err.property }), secrets);
      return text === err.message ? err : new MsgInputError(err.code, err.property, text, err.params);
    }
    if (err instanceof Error) {
      const clean = scrubSecrets(err.message, secrets);
      if (clean === err.message) return err;
      const copy = new Error(clean);
      copy.name = err.name;
      return copy;
    }
    return new Error(scrubSecrets(describeThrown(err), secrets));
  }

  /** The short reason on the red dot: the msg property at fault, DingTalk's code, or the first words of the message. */
  statusReason(error: Error): string {
    let reason: string;
    if (error instanceof MsgInputError) reason = this.t('status.badInput', 'invalid __property__', { property: error.property });
    else if (error instanceof DingTalkError) reason = error.code ?? (error.status > 0 ? `HTTP ${error.status}` : error.message);
    else reason = error.message;
    const clean = scrubSecrets(reason, appSecrets(this.app));
    return firstLine(this.t('status.failed', 'failed: __reason__', { reason: firstLine(clean, MAX_STATUS) }), MAX_STATUS);
  }
}
