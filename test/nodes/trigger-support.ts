/**
 * Shared set-up for the config-node and trigger-node tests: the Node-RED test helper (typed here, it ships no
 * types), a simulator on a free port, flows around the app node, and waits that resolve on events instead of sleeping.
 */
import { DingTalkSimulator, SIMULATOR_APP, type SimulatorOptions } from '../../src/simulator';

export interface HelperNode {
  id: string;
  type: string;
  on(event: string, listener: (...args: any[]) => void): void;
  receive(msg: Record<string, unknown>): void;
  status(status: unknown): void;
}

interface LogSpy {
  args: unknown[][];
}

interface NodeTestHelper {
  init(runtimePath: string, settings?: Record<string, unknown>): void;
  settings(settings: Record<string, unknown>): Record<string, unknown>;
  load(nodes: unknown[] | unknown, flow: unknown[], credentials?: Record<string, unknown>): Promise<void>;
  setFlows(flow: unknown[], type: 'full' | 'flows' | 'nodes', credentials?: Record<string, unknown>): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): HelperNode | undefined;
  log(): LogSpy;
  request(): any;
  startServer(): Promise<void>;
  stopServer(): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const helper: NodeTestHelper = require('node-red-node-test-helper');
helper.init(require.resolve('node-red'));

export const appModule: unknown = require('../../nodes/dingtalk-stream-app');
export const robotInModule: unknown = require('../../nodes/dingtalk-robot-in');
export const eventInModule: unknown = require('../../nodes/dingtalk-event-in');
export const cardInModule: unknown = require('../../nodes/dingtalk-card-in');
export const cardResponseModule: unknown = require('../../nodes/dingtalk-card-response');
/** Core nodes used in a test flow (catch, complete...) are loaded by the helper itself. */
export const ALL_MODULES = [appModule, robotInModule, eventInModule, cardInModule, cardResponseModule];

/** Short timings so reconnects and deadlines do not slow the suite; restored in `restoreSettings`. */
export function useFastSettings(): void {
  helper.settings({
    dingtalkStreamAppTiming: { backoffBaseMs: 50, backoffMaxMs: 200, authFailedRetryMs: 200, callbackDeadlineMs: 1500, drainTimeoutMs: 200 },
  });
}

export function restoreSettings(): void {
  helper.settings({});
}

export async function startSim(options: SimulatorOptions = {}): Promise<DingTalkSimulator> {
  const sim = new DingTalkSimulator({ laterRetryMs: 100, ...options });
  await sim.start();
  return sim;
}

export const TAB = { id: 'tab1', type: 'tab', label: 'test' };

export function appConfig(sim: DingTalkSimulator, id = 'app1', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, type: 'dingtalk-stream-app', name: `sim ${id}`, apiBase: sim.apiBase, robotCode: '', proxy: '', ...extra };
}

export function simCredentials(...ids: string[]): Record<string, { clientId: string; clientSecret: string }> {
  const out: Record<string, { clientId: string; clientSecret: string }> = {};
  for (const id of ids.length > 0 ? ids : ['app1']) out[id] = { clientId: SIMULATOR_APP.clientId, clientSecret: SIMULATOR_APP.clientSecret };
  return out;
}

export type Status = { fill?: string; shape?: string; text?: string };

/** Records every status a node shows. Attach right after load; the status set during construction is replayed by `lastStatus`. */
export function recordStatuses(node: HelperNode): Status[] {
  const statuses: Status[] = [];
  node.on('call:status', (call: { args: unknown[] }) => {
    const s = call.args[0];
    if (s && typeof s === 'object') statuses.push(s as Status);
  });
  return statuses;
}

/** Collects the messages a helper node receives and lets a test await the next one matching a predicate. */
export class Inbox {
  readonly messages: Record<string, any>[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(node: HelperNode) {
    node.on('input', (msg: Record<string, any>) => {
      this.messages.push(msg);
      for (const waiter of [...this.waiters]) waiter();
    });
  }

  next(predicate: (msg: Record<string, any>) => boolean = () => true, timeoutMs = 5000): Promise<Record<string, any>> {
    return this.until(() => this.messages.find(predicate), timeoutMs, 'a matching message');
  }

  /** Resolves with the `n`-th message overall (1-based). */
  nth(n: number, timeoutMs = 5000): Promise<Record<string, any>> {
    return this.until(() => this.messages[n - 1], timeoutMs, `message #${n}`);
  }

  until<T>(pick: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const first = pick();
      if (first !== undefined) return resolve(first);
      const check = (): void => {
        const value = pick();
        if (value === undefined) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }
}

/** Parses the `data` of an ack frame recorded by the simulator. */
export function ackData(ack: unknown): Record<string, any> {
  const data = (ack as { data?: unknown }).data;
  return typeof data === 'string' ? (JSON.parse(data) as Record<string, any>) : {};
}

/** Every text the runtime logged during the test, for leak checks. */
export function loggedText(): string {
  return JSON.stringify(helper.log().args);
}

interface SpiedStatus {
  getCalls?: () => Array<{ thisValue: unknown; args: unknown[] }>;
}

/**
 * Every status the node has shown since the flow was loaded, including those set in its constructor (read from the
 * test helper's spy on Node.prototype.status, which records calls made before a test could attach a listener).
 */
export function shownStatuses(node: HelperNode): Status[] {
  const spy = (node as unknown as { status: SpiedStatus }).status;
  return (spy.getCalls?.() ?? []).filter((call) => call.thisValue === node).map((call) => call.args[0] as Status);
}

/** Waits until the node has shown a status matching `pick`; re-checked on each status the node shows. */
export function untilStatus(node: HelperNode, pick: (s: Status) => boolean, what = 'a status', timeoutMs = 5000): Promise<Status> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const check = (): void => {
      if (settled) return;
      const hit = shownStatuses(node).find(pick);
      if (!hit) return;
      settled = true;
      clearTimeout(timer);
      resolve(hit);
    };
    const timer = setTimeout(() => {
      settled = true;
      reject(new Error(`timed out waiting for ${what}; saw ${JSON.stringify(shownStatuses(node))}`));
    }, timeoutMs);
    node.on('call:status', check);
    check();
  });
}

/**
 * A stand-in for the rest of a flow, for the ack-policy tests: `mode` ok -> done(); fail -> done(err);
 * fail-first -> done(err) for the first message and done() after; never -> never calls done; error-catch ->
 * node.error(err, msg) and done() (an old-style node that reports to Catch without done(err)).
 */
export const workerModule = (RED: any): void => {
  RED.nodes.registerType('test-worker', function (this: any, config: { mode: string }) {
    RED.nodes.createNode(this, config);
    let failures = 0;
    this.on('input', (msg: Record<string, unknown>, send: (m: unknown) => void, done: (err?: Error) => void) => {
      switch (config.mode) {
        case 'fail':
          return done(new Error('approval automation failed'));
        case 'fail-first':
          if (failures++ === 0) return done(new Error('approval automation failed once'));
          send(msg);
          return done();
        case 'never':
          return;
        case 'error-catch':
          this.error(new Error('reported, not thrown'), msg);
          return done();
        default:
          send(msg);
          return done();
      }
    });
  });
};
