import assert from 'node:assert/strict';
import type { DingTalkSimulator } from '../../src/simulator';
import { SIMULATOR_APP } from '../../src/simulator';
import { ROBOT_TOPIC, TestStreamClient, openTicket, postJson, startSim, tryUpgrade } from './helpers';

describe('simulator: gateway', () => {
  let sim: DingTalkSimulator;
  const clients: TestStreamClient[] = [];
  beforeEach(async () => {
    sim = await startSim();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await sim.stop();
  });

  it('hands out a ws endpoint and ticket for valid credentials', async () => {
    const res = await postJson(`${sim.apiBase}/v1.0/gateway/connections/open`, {
      clientId: SIMULATOR_APP.clientId,
      clientSecret: SIMULATOR_APP.clientSecret,
      subscriptions: [{ type: 'CALLBACK', topic: ROBOT_TOPIC }],
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.endpoint, `${sim.apiBase.replace('http:', 'ws:')}/connect`);
    assert.match(res.body.ticket, /^[0-9a-f-]{36}$/);
  });

  it('answers 401 authFailed with a requestid for a wrong secret', async () => {
    const res = await postJson(`${sim.apiBase}/v1.0/gateway/connections/open`, {
      clientId: SIMULATOR_APP.clientId,
      clientSecret: 'wrong',
      subscriptions: [{ type: 'EVENT', topic: '*' }],
    });
    assert.equal(res.status, 401);
    assert.equal(res.body.code, 'authFailed');
    assert.equal(res.body.message, '鉴权失败');
    assert.equal(typeof res.body.requestid, 'string');
  });

  it('requires subscriptions', async () => {
    const res = await postJson(`${sim.apiBase}/v1.0/gateway/connections/open`, {
      clientId: SIMULATOR_APP.clientId,
      clientSecret: SIMULATOR_APP.clientSecret,
    });
    assert.equal(res.status, 400);
    assert.match(res.body.message, /subscriptions/);
  });

  it('answers XML when Accept: application/json is missing', async () => {
    const res = await fetch(`${sim.apiBase}/v1.0/gateway/connections/open`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        clientId: SIMULATOR_APP.clientId,
        clientSecret: SIMULATOR_APP.clientSecret,
        subscriptions: [{ type: 'EVENT', topic: '*' }],
      }),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /xml/);
    assert.match(await res.text(), /^<\?xml/);
  });

  it('accepts a ticket once only', async () => {
    const { endpoint, ticket } = await openTicket(sim, [{ type: 'EVENT', topic: '*' }]);
    clients.push(await TestStreamClient.connect(`${endpoint}?ticket=${ticket}`));
    assert.equal(await tryUpgrade(`${endpoint}?ticket=${ticket}`), 401);
    assert.equal(await tryUpgrade(`${endpoint}?ticket=not-a-ticket`), 401);
    assert.equal(sim.connections.length, 1);
    assert.deepEqual(sim.connections[0]!.subscriptions, [{ type: 'EVENT', topic: '*' }]);
    assert.equal(sim.connections[0]!.ua, 'simulator-test/1.0');
  });

  it('refuses an expired ticket', async () => {
    await sim.stop();
    sim = await startSim({ ticketTtlMs: -1 });
    const { endpoint, ticket } = await openTicket(sim, [{ type: 'EVENT', topic: '*' }]);
    assert.equal(await tryUpgrade(`${endpoint}?ticket=${ticket}`), 401);
  });

  it('fails the gateway on demand (failNext, error mode)', async () => {
    sim.failNext({ path: '/v1.0/gateway/connections/open', status: 429, code: 'Throttling', headers: { 'Retry-After': '1' } });
    const body = { clientId: SIMULATOR_APP.clientId, clientSecret: SIMULATOR_APP.clientSecret, subscriptions: [{ type: 'EVENT', topic: '*' }] };
    const first = await postJson(`${sim.apiBase}/v1.0/gateway/connections/open`, body);
    assert.equal(first.status, 429);
    assert.equal(first.headers.get('retry-after'), '1');
    assert.equal(first.body.code, 'Throttling');
    sim.setFaults({ gateway: 'error' });
    assert.equal((await postJson(`${sim.apiBase}/v1.0/gateway/connections/open`, body)).status, 500);
    sim.setFaults({ gateway: 'refuse' });
    await assert.rejects(postJson(`${sim.apiBase}/v1.0/gateway/connections/open`, body));
    sim.setFaults({ gateway: 'ok' });
    assert.equal((await postJson(`${sim.apiBase}/v1.0/gateway/connections/open`, body)).status, 200);
    assert.equal(sim.requests.filter((r) => r.path === '/v1.0/gateway/connections/open').length, 4);
  });
});
