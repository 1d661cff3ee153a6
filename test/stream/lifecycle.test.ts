import assert from 'node:assert/strict';
import { Harness, ackData, connectWithHeldEvents, waitForState } from './helpers';

describe('stream client: reconnects and rotation', () => {
  let h: Harness;
  beforeEach(async () => {
    h = new Harness();
  });
  afterEach(() => h.cleanup());

  it('reconnects after the sockets are killed, and gets what was pushed meanwhile', async () => {
    await h.start();
    const client = h.client();
    const got: string[] = [];
    client.onRobotMessage((push) => void got.push(push.data.text?.content ?? ''));
    client.start();
    await waitForState(client, 'connected');
    const reconnecting = waitForState(client, 'reconnecting');
    h.sim.killConnections();
    const change = await reconnecting;
    assert.match(change.error?.message ?? '', /closed/);
    // Pushed while no socket is open: the simulator queues them like DingTalk keeps them.
    const pushes = [h.sim.robotMessage({ text: 'while down 1' }), h.sim.robotMessage({ text: 'while down 2' })];
    await waitForState(client, 'connected');
    const acks = await Promise.all(pushes.map((p) => p.acked));
    assert.deepEqual(
      acks.map((a) => a.connectionId),
      [h.sim.connections[1]!.id, h.sim.connections[1]!.id],
    );
    await h.sim.waitFor(() => got.length === 2, 2_000, 'both delivered');
    assert.deepEqual(got.map((t) => t.trim()).sort(), ['while down 1', 'while down 2']);
    assert.equal(client.stats.reconnects, 1);
    assert.equal(h.sim.openConnections.length, 1);
  });

  it('on a server disconnect opens the next connection before the old one closes, and pushes continue', async () => {
    await h.start({ drainMs: 300 });
    const client = h.client();
    let calls = 0;
    client.onRobotMessage(() => void calls++);
    client.start();
    await waitForState(client, 'connected');
    const [old] = h.sim.disconnect();
    const next = await h.sim.waitForConnection(2);
    const during = h.sim.robotMessage({ text: 'during drain' });
    const ack = await during.acked;
    assert.equal(ack.connectionId, next.id);
    const oldInfo = h.sim.connections.find((c) => c.id === old)!;
    await h.sim.waitFor(() => !oldInfo.open, 3_000, 'old socket closed');
    assert.ok(next.openedAt <= oldInfo.closedAt!, 'make-before-break: new openedAt before old closedAt');
    assert.ok(next.open);
    assert.equal(client.state, 'connected');
    assert.ok(
      h.states.every((s) => s.state === 'connecting' || s.state === 'connected'),
      'no reconnecting state on rotation',
    );
    await h.sim.robotMessage({ text: 'after drain' }).acked;
    assert.equal(calls, 2);
  });

  it("rotates on a SYSTEM disconnect that carries no messageId (as in DingTalk's protocol example)", async () => {
    await h.start({ drainMs: 5_000 });
    const client = h.client();
    client.onRobotMessage(() => undefined);
    client.start();
    await waitForState(client, 'connected');
    const first = h.sim.connections[0]!;
    h.sim.pushRaw(
      {
        specVersion: '1.0',
        type: 'SYSTEM',
        headers: { topic: 'disconnect', contentType: 'application/json', time: String(Date.now()) },
        data: '{"reason":"persistent connection is timeout"}',
      },
      { connectionId: first.id },
    );
    // The next connection opens while the old socket is still open (the server has not closed it).
    await h.sim.waitFor(() => h.sim.connections.length === 2 && h.sim.connections[1]!.open, 3_000, 'a second connection');
    assert.equal(first.open, true, 'the old socket is still open: make-before-break, not a reconnect after the close');
  });

  it('acks a frame that arrived on the draining socket on that same socket', async () => {
    await h.start({ drainMs: 2_000 });
    const { client, started, release } = await connectWithHeldEvents(h, { timing: { drainTimeoutMs: 3_000 } });
    const push = h.sim.event('user_add_org', { userId: ['u1'] });
    await started;
    const first = h.sim.connections[0]!;
    h.sim.disconnect(first.id);
    await h.sim.waitForConnection(2);
    await waitForState(client, 'connected');
    release();
    const ack = await push.acked;
    assert.equal(ack.valid, true);
    assert.equal(ack.connectionId, first.id);
    assert.deepEqual(ackData(ack.ack), { status: 'SUCCESS', message: 'success' });
  });

  it('closes a draining socket itself after drainTimeoutMs if the server does not', async () => {
    await h.start({ drainMs: 60_000 });
    const client = h.client({ timing: { drainTimeoutMs: 100 } });
    client.onRobotMessage(() => {});
    client.start();
    await waitForState(client, 'connected');
    const [old] = h.sim.disconnect();
    const oldInfo = h.sim.connections.find((c) => c.id === old)!;
    await h.sim.waitForConnection(2);
    await h.sim.waitFor(() => !oldInfo.open, 3_000, 'old socket closed by the client');
    assert.equal(h.sim.openConnections.length, 1);
  });

  it('rotates to a new connection with the new topic list when a handler of a new kind subscribes', async () => {
    await h.start();
    const client = h.client();
    client.onRobotMessage(() => {});
    client.start();
    await waitForState(client, 'connected');
    const first = h.sim.connections[0]!;
    let events = 0;
    client.onEvent(() => void events++);
    const second = await h.sim.waitForConnection(2);
    assert.deepEqual(second.subscriptions, [
      { type: 'EVENT', topic: '*' },
      { type: 'CALLBACK', topic: '/v1.0/im/bot/messages/get' },
    ]);
    await h.sim.waitFor(() => !first.open, 3_000, 'old socket retired');
    assert.ok(second.openedAt <= first.closedAt!);
    await h.sim.event('user_add_org', { userId: ['x'] }).acked;
    assert.equal(events, 1);
    assert.equal(client.state, 'connected');
  });

  it('a handler added while the first connect is in flight ends up subscribed too', async () => {
    await h.start();
    h.sim.setFaults({ gateway: 'delay', gatewayDelayMs: 100 });
    const client = h.client();
    client.onRobotMessage(() => {});
    client.start();
    await h.sim.waitForRequest('/v1.0/gateway/connections/open');
    let events = 0;
    client.onEvent(() => void events++);
    const second = await h.sim.waitForConnection(2);
    assert.deepEqual(
      second.subscriptions.map((s) => s.type),
      ['EVENT', 'CALLBACK'],
    );
    h.sim.clearFaults();
    await h.sim.event('user_add_org', { userId: ['y'] }).acked;
    assert.equal(events, 1);
    await h.sim.waitFor(() => h.sim.openConnections.length === 1, 3_000, 'first connection retired');
  });

  it('goes idle and closes the socket when the last handler unsubscribes', async () => {
    await h.start();
    const client = h.client();
    const off = client.onRobotMessage(() => {});
    client.start();
    await waitForState(client, 'connected');
    const idle = waitForState(client, 'idle');
    off();
    off();
    await idle;
    await h.sim.waitFor(() => h.sim.openConnections.length === 0, 3_000, 'socket closed');
  });

  it('detects a half-open socket (no pong) and reconnects', async () => {
    await h.start();
    const client = h.client({ timing: { heartbeatIntervalMs: 50, pongTimeoutMs: 50 } });
    client.onRobotMessage(() => {});
    client.start();
    await waitForState(client, 'connected');
    h.sim.setFaults({ answerPings: false, sendPings: false });
    const change = await waitForState(client, 'reconnecting');
    assert.match(change.error?.message ?? '', /half-open/);
    h.sim.clearFaults();
    await waitForState(client, 'connected');
    await h.sim.waitFor(() => !h.sim.connections[0]!.open, 2_000, 'dead socket gone');
    await h.sim.robotMessage({ text: 'back' }).acked;
  });

  it('detects a silent socket with the idle watchdog and reconnects', async () => {
    await h.start();
    // Heartbeat slower than the idle timeout: only the watchdog can notice.
    const client = h.client({ timing: { heartbeatIntervalMs: 10_000, idleTimeoutMs: 100 } });
    client.onRobotMessage(() => {});
    client.start();
    await waitForState(client, 'connected');
    h.sim.setFaults({ answerPings: false, sendPings: false });
    const change = await waitForState(client, 'reconnecting');
    assert.match(change.error?.message ?? '', /Nothing received/);
    h.sim.clearFaults();
    await waitForState(client, 'connected');
  });

  it('retries a refused WebSocket handshake with a fresh ticket each time', async () => {
    await h.start();
    h.sim.setFaults({ refuseUpgrade: true });
    const client = h.client();
    client.onRobotMessage(() => {});
    client.start();
    const change = await waitForState(client, 'reconnecting');
    assert.match(change.error?.message ?? '', /refused the WebSocket handshake/);
    assert.equal(/ticket=(?!\*)/.test(change.error?.message ?? ''), false);
    await h.sim.waitFor(() => h.gatewayRequests() >= 2, 3_000, 'second ticket');
    h.sim.clearFaults();
    await waitForState(client, 'connected');
    const tickets = h.gatewayRequests();
    assert.ok(tickets >= 2);
    assert.equal(
      h.log.lines.some((l) => /ticket=(?!\*)/.test(l)),
      false,
    );
  });
});
