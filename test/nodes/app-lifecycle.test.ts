import assert from 'node:assert/strict';
import { claimClientId, describeApps, releaseClientId } from '../../src/app-config/duplicate-apps';
import {
  ALL_MODULES,
  FAST_TIMINGS,
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
} from './support';

const ROBOT_TOPIC = '/v1.0/im/bot/messages/get';

/** An action-like node that only uses the app's API, like dingtalk-send: it registers with no Stream needs. */
const actionModule = (RED: any): void => {
  RED.nodes.registerType('test-action', function (this: any, config: { app: string }) {
    RED.nodes.createNode(this, config);
    const app = RED.nodes.getNode(config.app);
    app.register(this, {});
    this.on('close', (done: () => void) => app.deregister(this, done));
  });
};

function eventIn(id: string, app = 'app1'): Record<string, unknown> {
  return { id, z: TAB.id, type: 'dingtalk-event-in', app, eventTypes: '', ackPolicy: 'emit', ackTimeout: 5, wires: [['out']] };
}

describe('dingtalk-stream-app (config node)', function () {
  const env = useNodeRedWithSimulator(FAST_TIMINGS);

  it('opens one connection for all its triggers, with the union of their subscriptions, and shows it on every node', async () => {
    await helper.load(
      ALL_MODULES,
      [TAB, appConfig(env.sim), robotIn('r1'), robotIn('r2'), eventIn('e1'), { id: 'out', z: TAB.id, type: 'helper' }],
      simCredentials(),
    );
    await env.sim.waitForConnection();
    for (const id of ['r1', 'r2', 'e1']) {
      const green = await untilStatus(helper.getNode(id)!, (s) => s.fill === 'green', `green on ${id}`);
      assert.equal(green.shape, 'dot');
    }
    assert.equal(env.sim.connections.length, 1);
    const subs = env.sim.connections[0]!.subscriptions.filter((s) => s.type !== 'SYSTEM')
      .map((s) => `${s.type} ${s.topic}`)
      .sort();
    assert.deepEqual(subs, [`CALLBACK ${ROBOT_TOPIC}`, 'EVENT *'].sort());
  });

  it('opens no connection for an app used only by action nodes, which show a neutral "ready"', async () => {
    await helper.load(
      [...ALL_MODULES, actionModule],
      [TAB, appConfig(env.sim), { id: 'act', z: TAB.id, type: 'test-action', app: 'app1', wires: [] }],
      simCredentials(),
    );
    const shown = shownStatuses(helper.getNode('act')!);
    assert.ok(
      shown.some((s) => s.fill === 'grey' && /status\.ready/.test(String(s.text))),
      JSON.stringify(shown),
    );
    const app = helper.getNode('app1') as unknown as { getApi(): { getAccessToken(): Promise<string> } };
    assert.equal(typeof (await app.getApi().getAccessToken()), 'string');
    assert.equal(env.sim.connections.length, 0);
  });

  it('a full redeploy closes the old connection before opening the new one: exactly one stays open', async () => {
    const flow = [TAB, appConfig(env.sim), robotIn('r1'), eventIn('e1'), { id: 'out', z: TAB.id, type: 'helper' }];
    await helper.load(ALL_MODULES, flow, simCredentials());
    await env.sim.waitForConnection();
    const openAtEachConnect: number[] = [];
    env.sim.on('connection', () => openAtEachConnect.push(env.sim.openConnections.length));
    for (let round = 1; round <= 2; round++) {
      await helper.setFlows(
        [TAB, appConfig(env.sim, 'app1', { name: `round ${round}` }), robotIn('r1'), eventIn('e1'), { id: 'out', z: TAB.id, type: 'helper' }],
        'full',
        simCredentials(),
      );
      await env.sim.waitFor(() => env.sim.connections.length === round + 1 && env.sim.openConnections.length === 1, 5000, `connection #${round + 1}`);
    }
    assert.deepEqual(openAtEachConnect, [1, 1]);
    assert.equal(env.sim.openConnections.length, 1);
    // The new connection works: a message goes through.
    const inbox = new Inbox(helper.getNode('out')!);
    env.sim.robotMessage({ text: 'after redeploy' });
    assert.equal((await inbox.nth(1))['payload'], 'after redeploy');
  });

  it('a modified-nodes deploy of a trigger keeps one connection and moves to the new subscriptions', async () => {
    await helper.load(ALL_MODULES, [TAB, appConfig(env.sim), robotIn('r1'), { id: 'out', z: TAB.id, type: 'helper' }], simCredentials());
    await env.sim.waitForConnection();
    await helper.setFlows(
      [TAB, appConfig(env.sim), robotIn('r1', 'app1', { name: 'changed' }), eventIn('e1'), { id: 'out', z: TAB.id, type: 'helper' }],
      'nodes',
      simCredentials(),
    );
    const withEvents = await env.sim.waitFor(
      () => env.sim.openConnections.length === 1 && env.sim.openConnections.find((c) => c.subscriptions.some((s) => s.type === 'EVENT')),
      5000,
      'a connection with the event subscription',
    );
    assert.ok(withEvents.subscriptions.some((s) => s.topic === ROBOT_TOPIC));
    assert.equal(env.sim.openConnections.length, 1);
  });

  it('closes the connection when its last trigger is removed', async () => {
    await helper.load(
      [...ALL_MODULES, actionModule],
      [
        TAB,
        appConfig(env.sim),
        robotIn('r1'),
        { id: 'act', z: TAB.id, type: 'test-action', app: 'app1', wires: [] },
        { id: 'out', z: TAB.id, type: 'helper' },
      ],
      simCredentials(),
    );
    await env.sim.waitForConnection();
    await helper.setFlows(
      [TAB, appConfig(env.sim), { id: 'act', z: TAB.id, type: 'test-action', app: 'app1', wires: [] }, { id: 'out', z: TAB.id, type: 'helper' }],
      'nodes',
      simCredentials(),
    );
    await env.sim.waitFor(() => env.sim.openConnections.length === 0 && env.sim.connections.length === 1, 5000, 'the connection to close');
  });

  it('closes in time even when the DingTalk gateway does not answer', async () => {
    env.sim.setFaults({ gateway: 'delay', gatewayDelayMs: 60_000 });
    await helper.load(ALL_MODULES, [TAB, appConfig(env.sim), robotIn('r1'), { id: 'out', z: TAB.id, type: 'helper' }], simCredentials());
    await env.sim.waitForRequest('/v1.0/gateway/connections/open');
    await helper.unload();
    assert.doesNotMatch(loggedText(), /timed out|Close timed out/i);
    env.sim.clearFaults();
  });

  it('resolves ${ENV_VAR} credentials the Node-RED way', async () => {
    process.env['DT_TEST_CLIENT_ID'] = 'dingsimulatorapp0001';
    process.env['DT_TEST_CLIENT_SECRET'] = 'simulator-secret-not-real';
    try {
      await helper.load(ALL_MODULES, [TAB, appConfig(env.sim), robotIn('r1'), { id: 'out', z: TAB.id, type: 'helper' }], {
        app1: { clientId: '${DT_TEST_CLIENT_ID}', clientSecret: '${DT_TEST_CLIENT_SECRET}' },
      });
      const conn = await env.sim.waitForConnection();
      assert.equal(conn.clientId, 'dingsimulatorapp0001');
    } finally {
      delete process.env['DT_TEST_CLIENT_ID'];
      delete process.env['DT_TEST_CLIENT_SECRET'];
    }
  });

  it('shows "auth failed" in red with the reason, and never the secret, when DingTalk refuses the credentials', async () => {
    const wrongSecret = 'wrong-SECRET-value-7f3a';
    await helper.load(ALL_MODULES, [TAB, appConfig(env.sim), robotIn('r1'), { id: 'out', z: TAB.id, type: 'helper' }], {
      app1: { clientId: 'dingsimulatorapp0001', clientSecret: wrongSecret },
    });
    const red = await untilStatus(helper.getNode('r1')!, (s) => s.fill === 'red', 'a red status');
    assert.match(String(red.text), /authFailed/);
    const visible = JSON.stringify(shownStatuses(helper.getNode('r1')!)) + loggedText();
    assert.ok(!visible.includes(wrongSecret), 'the secret is not shown');
    assert.equal(env.sim.openConnections.length, 0);
  });

  it('never shows the secret in statuses or logs when connected', async () => {
    await helper.load(
      ALL_MODULES,
      [TAB, appConfig(env.sim), robotIn('r1'), eventIn('e1'), { id: 'out', z: TAB.id, type: 'helper' }],
      simCredentials(),
    );
    await untilStatus(helper.getNode('r1')!, (s) => s.fill === 'green');
    const inbox = new Inbox(helper.getNode('out')!);
    env.sim.robotMessage({ text: 'hi' });
    await inbox.nth(1);
    const visible = JSON.stringify([shownStatuses(helper.getNode('r1')!), shownStatuses(helper.getNode('e1')!)]) + loggedText();
    assert.ok(!visible.includes('simulator-secret-not-real'));
  });

  it('shows a red "credentials missing" status on its nodes when the app has no clientId/secret, and does not crash', async () => {
    await helper.load(ALL_MODULES, [TAB, appConfig(env.sim), robotIn('r1'), { id: 'out', z: TAB.id, type: 'helper' }], {});
    const shown = shownStatuses(helper.getNode('r1')!);
    assert.ok(
      shown.some((s) => s.fill === 'red' && /noCredentials/.test(String(s.text))),
      JSON.stringify(shown),
    );
    assert.equal(env.sim.connections.length, 0);
  });

  it('shows a red "API base" status instead of retrying forever when the API base is not a URL', async () => {
    await helper.load(
      ALL_MODULES,
      [TAB, appConfig(env.sim, 'app1', { apiBase: 'api.dingtalk.com' }), robotIn('r1'), { id: 'out', z: TAB.id, type: 'helper' }],
      simCredentials(),
    );
    const shown = shownStatuses(helper.getNode('r1')!);
    assert.ok(
      shown.some((s) => s.fill === 'red' && /badApiBase/.test(String(s.text))),
      JSON.stringify(shown),
    );
    const app = helper.getNode('app1') as unknown as { getApi(): unknown };
    assert.throws(() => app.getApi(), /badApiBase/);
  });

  it('warns about two apps with the same clientId, which would split the pushes between them', async () => {
    await helper.load(
      ALL_MODULES,
      [
        TAB,
        appConfig(env.sim, 'app1'),
        appConfig(env.sim, 'app2'),
        robotIn('r1', 'app1'),
        robotIn('r2', 'app2'),
        { id: 'out', z: TAB.id, type: 'helper' },
      ],
      simCredentials('app1', 'app2'),
    );
    await env.sim.waitForConnection(2);
    const warnings = helper
      .log()
      .args.map((a) => a[0] as Record<string, unknown>)
      .filter((e) => e['level'] === 30 /* WARN */ && /duplicateClientId/.test(String(e['msg'])));
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!['type'], 'dingtalk-stream-app');
  });

  it('names the other apps and their trigger nodes in the duplicate warning', () => {
    const first = { id: 'a1', label: '"Prod bot" (a1)', users: () => ['"orders" (r1)'] };
    const second = { id: 'a2', label: '"Copy" (a2)', users: () => [] };
    assert.deepEqual(claimClientId('dingdup', first), []);
    const others = claimClientId('dingdup', second);
    assert.equal(describeApps(others), '"Prod bot" (a1) ["orders" (r1)]');
    releaseClientId('dingdup', 'a1');
    releaseClientId('dingdup', 'a2');
    assert.deepEqual(claimClientId('dingdup', first), []);
    releaseClientId('dingdup', 'a1');
  });
});
