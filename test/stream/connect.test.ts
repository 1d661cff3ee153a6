import assert from 'node:assert/strict';
import { SIMULATOR_APP } from '../../src/simulator';
import { GATEWAY_PATH } from '../../src/stream/gateway';
import { USER_AGENT } from '../../src/version';
import { Harness, waitForState } from './helpers';

describe('stream client: opening a connection', () => {
  let h: Harness;
  beforeEach(async () => {
    h = new Harness();
    await h.start();
  });
  afterEach(() => h.cleanup());

  it('asks the gateway with JSON headers, the subscriptions its handlers need, the ua and a localIp', async () => {
    const client = h.client();
    client.onRobotMessage(() => {});
    client.onEvent(() => {});
    client.onCardCallback(() => undefined);
    client.onCallback('/v1.0/graph/api/invoke', () => null);
    client.start();
    await waitForState(client, 'connected');

    const req = await h.sim.waitForRequest(GATEWAY_PATH);
    assert.equal(req.method, 'POST');
    assert.match(req.headers['content-type'] ?? '', /application\/json/);
    assert.equal(req.headers['accept'], 'application/json');
    const body = req.body as Record<string, unknown>;
    assert.equal(body.clientId, SIMULATOR_APP.clientId);
    assert.equal(body.clientSecret, SIMULATOR_APP.clientSecret);
    assert.equal(body.ua, USER_AGENT);
    assert.deepEqual(body.subscriptions, [
      { type: 'EVENT', topic: '*' },
      { type: 'CALLBACK', topic: '/v1.0/im/bot/messages/get' },
      { type: 'CALLBACK', topic: '/v1.0/card/instances/callback' },
      { type: 'CALLBACK', topic: '/v1.0/graph/api/invoke' },
    ]);
    const conn = await h.sim.waitForConnection(1);
    assert.equal(conn.ua, USER_AGENT);
    assert.equal(conn.localIp, body.localIp);
    assert.equal(h.gatewayRequests(), 1, 'handlers registered in one tick share one connection');
    assert.equal(client.stats.connectedAt !== undefined, true);

    // The secret travels in the body only: not in a header, the query, the logs or any state/warning.
    const secret = SIMULATOR_APP.clientSecret;
    assert.equal(JSON.stringify(req.headers).includes(secret), false);
    assert.equal(JSON.stringify(req.query).includes(secret), false);
    assert.equal(
      h.log.lines.some((l) => l.includes(secret) || /ticket=(?!\*)/.test(l)),
      false,
    );
  });

  it('sends only the subscription of the kind that is registered', async () => {
    const client = h.client();
    client.onEvent(() => {});
    client.start();
    await waitForState(client, 'connected');
    const conn = await h.sim.waitForConnection(1);
    assert.deepEqual(conn.subscriptions, [{ type: 'EVENT', topic: '*' }]);
  });

  it('stays idle without handlers, and connects once one is registered', async () => {
    const client = h.client();
    client.start();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    assert.equal(client.state, 'idle');
    assert.equal(h.gatewayRequests(), 0);
    client.onRobotMessage(() => {});
    await waitForState(client, 'connected');
    assert.equal(h.gatewayRequests(), 1);
  });

  it('turns a 401 into auth-failed with a hint, and retries only after authFailedRetryMs (no storm)', async () => {
    const wrongSecret = 'wrong-secret-value-123';
    const client = h.client({ clientSecret: wrongSecret, timing: { backoffBaseMs: 1, backoffMaxMs: 2, authFailedRetryMs: 150 } });
    client.onRobotMessage(() => {});
    client.start();
    const first = await waitForState(client, 'auth-failed');
    assert.ok(first.error);
    assert.match(first.error.message, /401/);
    assert.match(first.error.message, /authFailed/);
    assert.match(first.error.message, /ClientSecret/);
    assert.match(first.error.message, /spaces/);
    assert.match(first.error.message, /Stream mode/);
    assert.match(first.error.message, /whitelist/);
    assert.equal(first.error.message.includes(wrongSecret), false);
    assert.ok(first.retryAt !== undefined && first.retryAt > Date.now() - 50);

    // Two more refusals: with a 1 ms backoff a storm would have sent dozens of requests by now.
    await waitForState(client, 'auth-failed', 5_000, true);
    await waitForState(client, 'auth-failed', 5_000, true);
    const gateway = h.sim.requests.filter((r) => r.path === GATEWAY_PATH);
    assert.equal(gateway.length, 3);
    assert.ok(gateway[2]!.at - gateway[0]!.at >= 2 * 150 - 20, 'retries are spaced by authFailedRetryMs');
    assert.equal(
      h.log.lines.some((l) => l.includes(wrongSecret)),
      false,
    );
    assert.equal(
      h.warnings.some((w) => w.message.includes(wrongSecret)),
      false,
    );
  });

  it('never quotes the secret when a proxy echoes the request into the refusal message', async () => {
    const echo = `request was {"clientSecret":"${SIMULATOR_APP.clientSecret}"} ${'x'.repeat(150)}`;
    h.sim.failNext({ path: GATEWAY_PATH, status: 401, code: 'authFailed', message: echo });
    const client = h.client();
    client.onRobotMessage(() => {});
    client.start();
    const change = await waitForState(client, 'auth-failed');
    const text = change.error?.message ?? '';
    assert.match(text, /authFailed/);
    // No 8-character piece of the secret survives, not even one cut in half by the length cap.
    for (let i = 0; i + 8 <= SIMULATOR_APP.clientSecret.length; i++) {
      assert.equal(text.includes(SIMULATOR_APP.clientSecret.slice(i, i + 8)), false, text);
    }
  });

  it('treats a gateway 5xx as transient: reconnecting with backoff, then connected once it recovers', async () => {
    h.sim.setFaults({ gateway: 'error' });
    const client = h.client();
    client.onRobotMessage(() => {});
    client.start();
    const change = await waitForState(client, 'reconnecting');
    assert.match(change.error?.message ?? '', /HTTP 500/);
    assert.ok(change.retryAt !== undefined);
    h.sim.clearFaults();
    await waitForState(client, 'connected');
  });

  it('treats a dropped gateway connection as transient too', async () => {
    h.sim.setFaults({ gateway: 'refuse' });
    const client = h.client();
    client.onEvent(() => {});
    client.start();
    const change = await waitForState(client, 'reconnecting');
    assert.match(change.error?.message ?? '', /Could not reach the DingTalk gateway/);
    h.sim.clearFaults();
    await waitForState(client, 'connected');
  });

  it('gives up a gateway call after gatewayTimeoutMs and retries', async () => {
    h.sim.setFaults({ gateway: 'delay', gatewayDelayMs: 400 });
    const client = h.client({ timing: { gatewayTimeoutMs: 100 } });
    client.onRobotMessage(() => {});
    client.start();
    const change = await waitForState(client, 'reconnecting');
    assert.match(change.error?.message ?? '', /did not answer within 100 ms/);
    h.sim.clearFaults();
    await waitForState(client, 'connected');
  });

  it('close() cancels an in-flight gateway call and never connects afterwards', async () => {
    h.sim.setFaults({ gateway: 'delay', gatewayDelayMs: 300 });
    const client = h.client();
    client.onRobotMessage(() => {});
    client.start();
    await h.sim.waitForRequest(GATEWAY_PATH);
    await client.close();
    assert.equal(client.state, 'closed');
    h.sim.clearFaults();
    // Anything the client still had scheduled would show up as a second request or a connection.
    const more = await h.sim.waitFor(() => h.sim.connections.length > 0 || h.gatewayRequests() > 1, 500, 'x').catch(() => false);
    assert.equal(more, false);
    client.start();
    client.onEvent(() => {});
    assert.equal(client.state, 'closed');
  });

  it('close() is idempotent, closes the socket and stops reconnecting', async () => {
    const client = h.client();
    client.onRobotMessage(() => {});
    client.start();
    await waitForState(client, 'connected');
    const conn = await h.sim.waitForConnection(1);
    const closing = client.close();
    assert.equal(client.close(), closing);
    await closing;
    assert.equal(client.state, 'closed');
    await h.sim.waitFor(() => !conn.open, 2_000, 'socket closed');
    const more = await h.sim.waitFor(() => h.sim.connections.length > 1 || h.gatewayRequests() > 1, 400, 'x').catch(() => false);
    assert.equal(more, false);
    assert.equal(h.states.at(-1)?.state, 'closed');
  });
});
