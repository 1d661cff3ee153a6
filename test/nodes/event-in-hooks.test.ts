import assert from 'node:assert/strict';
import { TRACKER_HOOKS, hookLabel, type HooksApi } from '../../nodes/shared/flow-completion';
import {
  ALL_MODULES,
  FAST_TIMINGS,
  Inbox,
  TAB,
  appConfig,
  appModule,
  ackData,
  helper,
  loggedText,
  simCredentials,
  useNodeRedWithSimulator,
  workerModule,
} from './support';
import { runtimeHooks } from './runtime';

const MODULES = [...ALL_MODULES, workerModule];

/**
 * The "wait for the flow" ack policy adds message hooks that run for every message of the runtime. They must go
 * away with the node, and must leave every other message alone.
 */

// The hooks the runtime under test fires, the ones support.ts hands the node as RED.hooks.
const hooks = runtimeHooks<HooksApi & { has(hookId: string): boolean }>();

const LABEL = hookLabel('dingtalk-event-in-ev');

function ourHooks(): string[] {
  return TRACKER_HOOKS.map((name) => `${name}.${LABEL}`).filter((id) => hooks.has(id));
}

describe('dingtalk-event-in: message hooks of the wait-for-flow policy', function () {
  const env = useNodeRedWithSimulator(FAST_TIMINGS);

  function flowWith(ackPolicy: string): Record<string, unknown>[] {
    return [
      TAB,
      appConfig(env.sim),
      { id: 'ev', z: TAB.id, type: 'dingtalk-event-in', app: 'app1', eventTypes: '', ackPolicy, ackTimeout: 5, wires: [['out']] },
      { id: 'out', z: TAB.id, type: 'helper' },
      // Another flow's traffic, which the hooks see too.
      { id: 'a', z: TAB.id, type: 'test-worker', mode: 'ok', wires: [['b']] },
      { id: 'b', z: TAB.id, type: 'helper' },
    ];
  }

  it('adds its hooks only under that policy and removes every one of them on redeploy and on stop', async () => {
    await helper.load(MODULES, flowWith('emit'), simCredentials());
    assert.deepEqual(ourHooks(), []);

    await helper.setFlows(flowWith('flow'), 'nodes', simCredentials());
    assert.equal(ourHooks().length, TRACKER_HOOKS.length);

    // Redeployed with the same policy: the old node's hooks are gone before the new node adds its own
    // (adding a label twice would throw "already registered" and the node would not start).
    const renamed = flowWith('flow').map((n) => (n['id'] === 'ev' ? { ...n, name: 'renamed' } : n));
    await helper.setFlows(renamed, 'full', simCredentials());
    assert.equal(ourHooks().length, TRACKER_HOOKS.length);
    assert.ok(helper.getNode('ev'), 'the redeployed node started');

    await helper.setFlows(flowWith('emit'), 'nodes', simCredentials());
    assert.deepEqual(ourHooks(), []);

    await helper.setFlows(flowWith('flow'), 'nodes', simCredentials());
    await helper.unload();
    assert.deepEqual(ourHooks(), []);
  });

  it('leaves messages that are not its own alone while its hooks are in place', async () => {
    await helper.load(MODULES, flowWith('flow'), simCredentials());
    await env.sim.waitForConnection();
    const b = new Inbox(helper.getNode('b')!);
    helper.getNode('a')!.receive({ payload: 'not an event' });
    assert.equal((await b.next())['payload'], 'not an event');

    // Its own events still complete: the flow ends at the helper node, so the ack is SUCCESS.
    const push = env.sim.event('check_in', { userId: 'u1' });
    const ack = await push.acked;
    assert.match(JSON.stringify(ack.ack), /SUCCESS/);
  });

  it('without RED.hooks it warns and acks at once, instead of hooking into a @node-red/util it finds by itself', async () => {
    // The module as the test helper gives it RED: no hooks. A @node-red/util is resolvable from the package (the
    // devDependency's), but under another runtime (Node-RED 5 beside it, a global install) its hooks never fire.
    const bare = require('../../nodes/dingtalk-event-in') as unknown;
    const flow = flowWith('flow').map((n) => (n['id'] === 'ev' ? { ...n, wires: [['a']] } : n));
    // The worker fails every message: a node waiting for the flow would ack LATER.
    const worker = flow.find((n) => n['id'] === 'a')!;
    worker['mode'] = 'fail';
    await helper.load([appModule, bare, workerModule], flow, simCredentials());
    await env.sim.waitForConnection();
    assert.deepEqual(ourHooks(), []);
    assert.match(loggedText(), /dingtalk-event-in\.warn\.noHooks/);
    const push = env.sim.event('bpms_instance_change', { processInstanceId: 'p-nohooks' });
    assert.equal(ackData((await push.acked).ack)['status'], 'SUCCESS');
  });
});
