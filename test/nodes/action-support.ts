/**
 * Shared set-up for the action-node tests: the Node-RED test helper (typed here, it ships no types), a simulator
 * on a free port, and a flow around one action node that collects its outputs, the errors a Catch node sees, the
 * `done()` completions a Complete node sees, and every status the node shows.
 */
import { DingTalkSimulator, SIMULATOR_APP } from '../../src/simulator';

export interface HelperNode {
  id: string;
  on(event: string, listener: (...args: any[]) => void): void;
  receive(msg: Record<string, unknown>): void;
  status(status: unknown): void;
}

interface NodeTestHelper {
  init(runtimePath: string, settings?: Record<string, unknown>): void;
  load(nodes: unknown[] | unknown, flow: unknown[], credentials?: Record<string, unknown>): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): HelperNode | undefined;
  setFlows(flow: unknown[], type: 'full' | 'flows' | 'nodes', credentials?: Record<string, unknown>): Promise<void>;
  startServer(): Promise<void>;
  stopServer(): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const helper: NodeTestHelper = require('node-red-node-test-helper');
helper.init(require.resolve('node-red'));

export const appNodeModule: unknown = require('../../nodes/dingtalk-stream-app');

export const FLOW_ID = 'f1';
export const APP_ID = 'app1';
export const NODE_ID = 'n1';

export async function startSim(): Promise<DingTalkSimulator> {
  const sim = new DingTalkSimulator();
  await sim.start();
  return sim;
}

export interface ActionFlow {
  node: HelperNode;
  /** The loaded flow, to redeploy a changed copy with helper.setFlows(). */
  definition: Array<Record<string, unknown>>;
  credentials: Record<string, unknown>;
  outputs: Record<string, any>[];
  errors: Record<string, any>[];
  completions: Record<string, any>[];
  statuses: Array<{ fill?: string; shape?: string; text?: string }>;
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
    ...(withApp ? [{ id: APP_ID, type: 'dingtalk-stream-app', name: 'sim', apiBase: sim.apiBase, robotCode: '', proxy: '' }] : []),
    { id: NODE_ID, z: FLOW_ID, name: '', app: withApp ? APP_ID : '', ...config, wires: [['out']] },
    { id: 'out', z: FLOW_ID, type: 'helper' },
    { id: 'catcher', z: FLOW_ID, type: 'catch', scope: null, uncaught: false, wires: [['errs']] },
    { id: 'errs', z: FLOW_ID, type: 'helper' },
    { id: 'completer', z: FLOW_ID, type: 'complete', scope: [NODE_ID], uncaught: false, wires: [['dones']] },
    { id: 'dones', z: FLOW_ID, type: 'helper' },
  ];
  const credentials = withApp ? { [APP_ID]: { clientId: SIMULATOR_APP.clientId, clientSecret: SIMULATOR_APP.clientSecret } } : {};
  await helper.load([appNodeModule, nodeModule], flow, credentials);
  const node = helper.getNode(NODE_ID)!;
  const outputs: Record<string, any>[] = [];
  const errors: Record<string, any>[] = [];
  const completions: Record<string, any>[] = [];
  const statuses: ActionFlow['statuses'] = [];
  helper.getNode('out')!.on('input', (msg: Record<string, any>) => outputs.push(msg));
  helper.getNode('errs')!.on('input', (msg: Record<string, any>) => errors.push(msg));
  helper.getNode('dones')!.on('input', (msg: Record<string, any>) => completions.push(msg));
  node.on('call:status', (call: { args: unknown[] }) => {
    const s = call.args[0];
    if (s && typeof s === 'object') statuses.push(s as ActionFlow['statuses'][number]);
  });

  // Each arrival re-checks the pending waits: no polling, no sleeping.
  const checks = new Set<() => void>();
  const changed = (): void => {
    for (const check of [...checks]) check();
  };
  for (const [id, list] of [['out', outputs], ['errs', errors], ['dones', completions]] as const) {
    helper.getNode(id)!.on('input', () => changed());
    void list;
  }
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
