/**
 * Shared set-up for the node tests: the Node-RED test helper (typed here, it ships no types), a simulator on a free
 * port started for every test, flows around the app node and the action nodes, and waits that resolve on events
 * instead of sleeping.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DingTalkSimulator, SIMULATOR_APP, type SimulatorOptions } from '../../src/simulator';
import { nodeRedMain, runtimeHooks } from './runtime';

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
helper.init(nodeRedMain);

export const appModule: unknown = require('../../nodes/dingtalk-stream-app');
export const robotInModule: unknown = require('../../nodes/dingtalk-robot-in');
type NodeModule = (RED: object) => unknown;

/**
 * The node module with RED.hooks set to the runtime's hooks, as a real runtime's node API has it: the test helper's
 * RED leaves hooks out (node-red-node-test-helper 0.3.6). Kept when a helper provides them itself.
 */
export function withRuntimeHooks(module: NodeModule): NodeModule {
  return (RED) => module('hooks' in RED && RED.hooks ? RED : Object.create(RED, { hooks: { value: runtimeHooks<unknown>() } }));
}

/** dingtalk-event-in as it is given RED in a real runtime (with RED.hooks). */
export const eventInModule: unknown = withRuntimeHooks(require('../../nodes/dingtalk-event-in') as NodeModule);
export const cardInModule: unknown = require('../../nodes/dingtalk-card-in');
export const cardResponseModule: unknown = require('../../nodes/dingtalk-card-response');
/** Core nodes used in a test flow (catch, complete...) are loaded by the helper itself. */
export const ALL_MODULES = [appModule, robotInModule, eventInModule, cardInModule, cardResponseModule];
/** The action nodes (dingtalk-reply, -send, -card, -file, -api), for flows that use them beside ALL_MODULES. */
export const ACTION_MODULES: unknown[] = [
  require('../../nodes/dingtalk-reply'),
  require('../../nodes/dingtalk-send'),
  require('../../nodes/dingtalk-card'),
  require('../../nodes/dingtalk-file'),
  require('../../nodes/dingtalk-api'),
  require('../../nodes/dingtalk-approval'),
];

export interface NodeRedSimulatorOptions {
  /** Runtime settings applied before every test (a test may change them) and replaced by the helper's defaults after it. */
  settings?: Record<string, unknown>;
  simulator?: SimulatorOptions;
}

/** Short reconnect, deadline and re-push timings, so the trigger and config-node suites stay fast. */
export const FAST_TIMINGS: NodeRedSimulatorOptions = {
  settings: {
    dingtalkStreamAppTiming: { backoffBaseMs: 50, backoffMaxMs: 200, authFailedRetryMs: 200, drainTimeoutMs: 200 },
  },
  simulator: { laterRetryMs: 100 },
};

async function startSim(options: SimulatorOptions = {}): Promise<DingTalkSimulator> {
  const sim = new DingTalkSimulator(options);
  await sim.start();
  return sim;
}

export interface NodeRedWithSimulator {
  /** The simulator of the running test (a fresh one, on a free port, for every test). */
  readonly sim: DingTalkSimulator;
}

/**
 * Call inside a `describe`: starts the helper's HTTP server for the suite, and for every test a simulator (with
 * `options.settings` in place), unloading the flow and stopping the simulator afterwards so mocha exits by itself.
 * Hooks a suite registers after this call run after these.
 */
export function useNodeRedWithSimulator(options: NodeRedSimulatorOptions = {}): NodeRedWithSimulator {
  let current: DingTalkSimulator | undefined;
  before(async () => {
    await helper.startServer();
  });
  after(async () => {
    await helper.stopServer();
  });
  beforeEach(async () => {
    if (options.settings) helper.settings(options.settings);
    current = await startSim(options.simulator);
  });
  afterEach(async () => {
    await helper.unload();
    if (options.settings) helper.settings({});
    await current?.stop();
    current = undefined;
  });
  return {
    get sim(): DingTalkSimulator {
      if (!current) throw new Error('the simulator runs only inside a test (beforeEach to afterEach)');
      return current;
    },
  };
}

export const TAB = { id: 'tab1', type: 'tab', label: 'test' };

/**
 * An example flow (`examples/<file>`) as shipped, put on TAB, with its app pointed at the simulator and given the
 * simulator app's credentials (examples never carry credentials). Nothing else is changed.
 */
export function exampleFlow(file: string, sim: DingTalkSimulator): { flow: Record<string, unknown>[]; credentials: Record<string, unknown> } {
  const nodes = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'examples', file), 'utf8')) as Record<string, unknown>[];
  const credentials: Record<string, unknown> = {};
  const flow = nodes.map((node) => {
    if (node['type'] === 'dingtalk-stream-app') {
      credentials[String(node['id'])] = { clientId: SIMULATOR_APP.clientId, clientSecret: SIMULATOR_APP.clientSecret };
      return { ...node, apiBase: sim.apiBase };
    }
    return { ...node, z: TAB.id };
  });
  return { flow: [TAB, ...flow], credentials };
}

export function appConfig(sim: DingTalkSimulator, id = 'app1', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, type: 'dingtalk-stream-app', name: `sim ${id}`, apiBase: sim.apiBase, robotCode: '', proxy: '', ...extra };
}

/** A dingtalk-robot-in on TAB that takes every message and is wired to a helper node `out`. */
export function robotIn(id: string, app = 'app1', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    z: TAB.id,
    type: 'dingtalk-robot-in',
    name: '',
    app,
    chat: 'both',
    msgtypes: '',
    keyword: '',
    keywordMode: 'contains',
    wires: [['out']],
    ...extra,
  };
}

export function simCredentials(...ids: string[]): Record<string, { clientId: string; clientSecret: string }> {
  const out: Record<string, { clientId: string; clientSecret: string }> = {};
  for (const id of ids.length > 0 ? ids : ['app1']) out[id] = { clientId: SIMULATOR_APP.clientId, clientSecret: SIMULATOR_APP.clientSecret };
  return out;
}

export type Status = { fill?: string; shape?: string; text?: string };

/** Records every status a node shows from now on; `shownStatuses` also has those set before (in its constructor). */
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

export const FLOW_ID = 'f1';
export const APP_ID = 'app1';
export const NODE_ID = 'n1';

export interface ActionFlow {
  node: HelperNode;
  /** The loaded flow, to redeploy a changed copy with helper.setFlows(). */
  definition: Array<Record<string, unknown>>;
  credentials: Record<string, unknown>;
  outputs: Record<string, any>[];
  errors: Record<string, any>[];
  completions: Record<string, any>[];
  statuses: Status[];
  /** Sends a msg in and resolves with whichever comes first: its output (`out`) or the error a Catch node saw. */
  send(msg: Record<string, unknown>): Promise<{ out?: Record<string, any>; error?: Record<string, any> }>;
  /** Sends a msg in and resolves once done() was called for it (Complete node), without waiting for output. */
  sendAndComplete(msg: Record<string, unknown>): Promise<Record<string, any>>;
}

let seq = 0;

/**
 * Loads `[tab, app, node, out, catch -> errs, complete -> done]`. The app points at the simulator with the simulator
 * app's credentials (or none when `withApp` is false, to test the "no app" path).
 */
export async function loadAction(
  nodeModule: unknown,
  sim: DingTalkSimulator,
  config: Record<string, unknown>,
  opts: { withApp?: boolean } = {},
): Promise<ActionFlow> {
  const withApp = opts.withApp !== false;
  const flow: Array<Record<string, unknown>> = [
    { id: FLOW_ID, type: 'tab', label: 'test' },
    ...(withApp ? [appConfig(sim, APP_ID, { name: 'sim' })] : []),
    { id: NODE_ID, z: FLOW_ID, name: '', app: withApp ? APP_ID : '', ...config, wires: [['out']] },
    { id: 'out', z: FLOW_ID, type: 'helper' },
    { id: 'catcher', z: FLOW_ID, type: 'catch', scope: null, uncaught: false, wires: [['errs']] },
    { id: 'errs', z: FLOW_ID, type: 'helper' },
    { id: 'completer', z: FLOW_ID, type: 'complete', scope: [NODE_ID], uncaught: false, wires: [['dones']] },
    { id: 'dones', z: FLOW_ID, type: 'helper' },
  ];
  const credentials = withApp ? simCredentials(APP_ID) : {};
  await helper.load([appModule, nodeModule], flow, credentials);
  const node = helper.getNode(NODE_ID)!;
  const outputs: Record<string, any>[] = [];
  const errors: Record<string, any>[] = [];
  const completions: Record<string, any>[] = [];
  helper.getNode('out')!.on('input', (msg: Record<string, any>) => outputs.push(msg));
  helper.getNode('errs')!.on('input', (msg: Record<string, any>) => errors.push(msg));
  helper.getNode('dones')!.on('input', (msg: Record<string, any>) => completions.push(msg));
  const statuses = recordStatuses(node);

  // Each arrival re-checks the pending waits: no polling, no sleeping.
  const checks = new Set<() => void>();
  const changed = (): void => {
    for (const check of [...checks]) check();
  };
  for (const id of ['out', 'errs', 'dones']) helper.getNode(id)!.on('input', changed);
  const waitFor = <T>(pick: () => T | undefined, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const first = pick();
      if (first !== undefined) return resolve(first);
      const timer = setTimeout(() => {
        checks.delete(check);
        reject(new Error(`timed out waiting for ${what}`));
      }, 5000);
      const check = (): void => {
        const v = pick();
        if (v === undefined) return;
        clearTimeout(timer);
        checks.delete(check);
        resolve(v);
      };
      checks.add(check);
    });

  return {
    node,
    definition: flow,
    credentials,
    outputs,
    errors,
    completions,
    statuses,
    async send(msg) {
      const tag = `t${++seq}`;
      node.receive({ ...msg, _tag: tag });
      return waitFor(() => {
        const out = outputs.find((m) => m['_tag'] === tag);
        if (out) return { out };
        const error = errors.find((m) => m['_tag'] === tag);
        if (error) return { error };
        return undefined;
      }, `output or error of ${tag}`);
    },
    async sendAndComplete(msg) {
      const tag = `t${++seq}`;
      node.receive({ ...msg, _tag: tag });
      return waitFor(() => completions.find((m) => m['_tag'] === tag), `done() of ${tag}`);
    },
  };
}

/** Everything the user can see of a node's statuses and errors, as one text, to check for leaked secrets. */
export function visibleText(flow: ActionFlow): string {
  return JSON.stringify([flow.statuses, flow.errors.map((e) => e['error'])]);
}
