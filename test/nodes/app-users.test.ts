import assert from 'node:assert/strict';
import {
  ALL_MODULES,
  Inbox,
  TAB,
  appConfig,
  helper,
  loggedText,
  robotIn,
  shownStatuses,
  simCredentials,
  untilStatus,
  useNodeRedWithSimulator,
  type HelperNode,
  type Status,
} from './support';

/**
 * How the config node treats the nodes registered with it: which of them see the connection state, and that it
 * keeps its clients open on close until its users have finished with them.
 */

const sendModule: unknown = require('../../nodes/dingtalk-send');
const cardModule: unknown = require('../../nodes/dingtalk-card');

/** A node that subscribes to robot messages and, on close, neither unsubscribes nor deregisters (a buggy node). */
const rogueModule = (RED: any): void => {
  RED.nodes.registerType('test-rogue-user', function (this: any, config: { app: string }) {
    RED.nodes.createNode(this, config);
    const app = RED.nodes.getNode(config.app);
    app.register(this, { robot: true });
    app.getStream().onRobotMessage(() => undefined);
    this.on('close', (_removed: boolean, done: () => void) => done());
  });
};

/** Resolves with the first status the node shows that it had not shown before the call. */
function nextStatus(node: HelperNode, pick: (s: Status) => boolean, what: string): Promise<Status> {
  const seen = new Set(shownStatuses(node));
  return untilStatus(node, (s) => !seen.has(s) && pick(s), what);
}

describe('dingtalk-stream-app and the nodes that use it', function () {
  const env = useNodeRedWithSimulator({
    settings: { dingtalkStreamAppTiming: { backoffBaseMs: 50, backoffMaxMs: 200, usersCloseWaitMs: 3000 } },
    simulator: { laterRetryMs: 100 },
  });

  it("pushes connection states only to stream users: a reconnect leaves a send node's result dot alone", async () => {
    const flow = [
      TAB,
      appConfig(env.sim),
      robotIn('r1'),
      { id: 's1', z: TAB.id, type: 'dingtalk-send', name: '', app: 'app1', wires: [['out']] },
      { id: 'out', z: TAB.id, type: 'helper' },
    ];
    await helper.load([...ALL_MODULES, sendModule], flow, simCredentials());
    const robot = helper.getNode('r1')!;
    const send = helper.getNode('s1')!;
    const out = new Inbox(helper.getNode('out')!);
    await untilStatus(robot, (s) => s.fill === 'green', 'robot-in connected');

    send.receive({ payload: 'hello', userIds: 'alice' });
    await out.next((m) => m['payload'] === 'hello');
    const result = shownStatuses(send).at(-1)!;
    assert.equal(result.fill, 'green', JSON.stringify(result));
    const shownBefore = shownStatuses(send).length;

    env.sim.killConnections();
    await nextStatus(robot, (s) => s.fill === 'yellow', 'robot-in reconnecting');
    await nextStatus(robot, (s) => s.fill === 'green', 'robot-in connected again');
    assert.deepEqual(shownStatuses(send).slice(shownBefore), [], 'the send node got no connection state');
    assert.equal(shownStatuses(send).at(-1), result);
    // It never showed the connection state, not even when the app first connected.
    assert.ok(!shownStatuses(send).some((s) => /status\.(connected|connecting|idle)/.test(String(s.text))), JSON.stringify(shownStatuses(send)));
  });

  it('finalizes an open AI-card stream on a full redeploy: the app keeps its API client until the card node is done', async () => {
    const card = {
      id: 'c1',
      z: TAB.id,
      type: 'dingtalk-card',
      name: '',
      app: 'app1',
      operation: '',
      cardTemplateId: 'ai.schema',
      target: 'user',
      userId: 'u1',
      wires: [['out']],
    };
    const flow = [TAB, appConfig(env.sim), card, { id: 'out', z: TAB.id, type: 'helper' }];
    const credentials = simCredentials();
    await helper.load([...ALL_MODULES, cardModule], flow, credentials);
    const node = helper.getNode('c1')!;
    const out = new Inbox(helper.getNode('out')!);
    node.receive({ operation: 'createAndDeliver', payload: {} });
    const outTrackId = (await out.next())['outTrackId'] as string;
    node.receive({ operation: 'stream', outTrackId, payload: 'half an answer' });
    await untilStatus(node, (s) => s.fill === 'blue' && s.shape === 'ring', 'streaming');

    // A full deploy stops every node and the config node at the same time (Flow.stop).
    await helper.setFlows(
      flow.map((n) => (n.id === 'c1' ? { ...n, name: 'renamed' } : n)),
      'full',
      credentials,
    );
    const finished = await env.sim.waitFor(() => (env.sim.card(outTrackId)?.streams['content']?.finalized ? env.sim.card(outTrackId) : undefined));
    assert.equal(finished.streams['content']!.content, 'half an answer');
    assert.equal(finished.streams['content']!.failed, false);
  });

  it('still closes, within its bound, when a node that registered never deregisters', async () => {
    helper.settings({ dingtalkStreamAppTiming: { backoffBaseMs: 50, backoffMaxMs: 200, usersCloseWaitMs: 100 } });
    const flow = [TAB, appConfig(env.sim), { id: 'rogue', z: TAB.id, type: 'test-rogue-user', app: 'app1' }];
    await helper.load([...ALL_MODULES, rogueModule], flow, simCredentials());
    const connection = await env.sim.waitForConnection();
    await helper.unload();
    // The app gave up waiting for the rogue node and closed its connection itself, well before Node-RED's 15 s.
    await env.sim.waitFor(() => (env.sim.connections.every((c) => !c.open) ? true : undefined));
    assert.equal(env.sim.connections.find((c) => c.id === connection.id)?.open, false);
    assert.doesNotMatch(loggedText(), /[Cc]lose timed out/);
  });
});
