import assert from 'node:assert/strict';
import { SIMULATOR_APP, type DingTalkSimulator } from '../../src/simulator';
import { ROBOT_TOPIC, TestStreamClient, postJson, startSim } from './helpers';

describe('simulator: HTTP control API', () => {
  let sim: DingTalkSimulator;
  const clients: TestStreamClient[] = [];
  beforeEach(async () => {
    sim = await startSim({ pingIntervalMs: 60_000, drainMs: 50 });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await sim.stop();
  });

  it('pushes messages and events, and reports state without secrets', async () => {
    const robot = await TestStreamClient.open(sim, [
      { type: 'CALLBACK', topic: ROBOT_TOPIC },
      { type: 'EVENT', topic: '*' },
    ]);
    clients.push(robot);
    const pushed = await postJson(`${sim.apiBase}/sim/robot-message`, { text: 'from curl', msgtype: 'text' });
    assert.equal(pushed.status, 200);
    const frame = await robot.next((f) => f.type === 'CALLBACK');
    assert.equal(frame.headers.messageId, pushed.body.messageId);
    robot.ack(frame);
    await sim.waitForAck(pushed.body.messageId);
    const event = await postJson(`${sim.apiBase}/sim/event`, { eventType: 'user_add_org', data: { userId: ['1'] } });
    assert.equal((await robot.next((f) => f.type === 'EVENT')).headers.messageId, event.body.messageId);

    const token = await postJson(`${sim.apiBase}/v1.0/oauth2/accessToken`, { appKey: SIMULATOR_APP.clientId, appSecret: SIMULATOR_APP.clientSecret });
    await postJson(
      `${sim.apiBase}/v1.0/robot/groupMessages/send`,
      { robotCode: SIMULATOR_APP.robotCode, openConversationId: 'cidA', msgKey: 'sampleText', msgParam: '{"content":"x"}' },
      { 'x-acs-dingtalk-access-token': token.body.accessToken },
    );

    const res = await fetch(`${sim.apiBase}/sim/state`);
    const text = await res.text();
    const state = JSON.parse(text);
    assert.equal(state.connections.length, 1);
    assert.ok(state.requests.some((r: { path: string }) => r.path === '/v1.0/gateway/connections/open'));
    assert.ok(!state.requests.some((r: { path: string }) => r.path.startsWith('/sim/')));
    assert.ok(state.acks.length >= 1);
    assert.equal(state.sent.length, 1);
    assert.ok(!text.includes(SIMULATOR_APP.clientSecret), 'no clientSecret in /sim/state');
    assert.ok(!text.includes(token.body.accessToken), 'no access token in /sim/state');
  });

  it('injects faults, disconnects and kills over HTTP', async () => {
    const robot = await TestStreamClient.open(sim, [{ type: 'CALLBACK', topic: ROBOT_TOPIC }]);
    clients.push(robot);
    assert.equal((await postJson(`${sim.apiBase}/sim/faults`, { gateway: 'error' })).body.faults.gateway, 'error');
    assert.equal(sim.faultSettings.gateway, 'error');
    await postJson(`${sim.apiBase}/sim/faults`, { clear: true });
    assert.equal(sim.faultSettings.gateway, 'ok');
    await postJson(`${sim.apiBase}/sim/fail-next`, { path: '/v1.0/oauth2/accessToken', status: 503 });
    assert.equal((await postJson(`${sim.apiBase}/v1.0/oauth2/accessToken`, {})).status, 503);
    const bad = await postJson(`${sim.apiBase}/sim/fail-next`, { path: '/x' });
    assert.equal(bad.status, 400);

    const disconnected = await postJson(`${sim.apiBase}/sim/disconnect`, {});
    assert.deepEqual(disconnected.body.disconnected, [sim.connections[0]!.id]);
    await robot.next((f) => f.headers.topic === 'disconnect');
    await robot.closed();

    const second = await TestStreamClient.open(sim, [{ type: 'CALLBACK', topic: ROBOT_TOPIC }]);
    clients.push(second);
    assert.equal((await postJson(`${sim.apiBase}/sim/kill`, {})).body.killed, 1);
    await second.closed();
  });

  it('serves the playground page at / without recording it as DingTalk traffic', async () => {
    const res = await fetch(`${sim.apiBase}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await res.text(), /DingTalk simulator/);
    assert.equal(sim.requests.length, 0);
  });

  it('refuses a card callback for a card without callbackType STREAM with a clear error', async () => {
    const token = await postJson(`${sim.apiBase}/v1.0/oauth2/accessToken`, { appKey: SIMULATOR_APP.clientId, appSecret: SIMULATOR_APP.clientSecret });
    await postJson(
      `${sim.apiBase}/v1.0/card/instances`,
      { cardTemplateId: 't', outTrackId: 'c1', cardData: { cardParamMap: {} } },
      { 'x-acs-dingtalk-access-token': token.body.accessToken },
    );
    const res = await postJson(`${sim.apiBase}/sim/card-callback`, { outTrackId: 'c1' });
    assert.equal(res.status, 409);
    assert.match(res.body.message, /STREAM/);
  });
});
