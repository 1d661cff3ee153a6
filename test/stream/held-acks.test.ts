import assert from 'node:assert/strict';
import { FrameRouter, type AckTarget } from '../../src/stream/router';
import type { StreamStats } from '../../src/stream/types';
import { systemClock } from '../../src/util/runtime';
import { Harness, ackData, connectWithHeldEvents, deferred } from './helpers';

interface FakeSocket extends AckTarget {
  name: string;
  sent: Array<{ messageId: string; data: string }>;
}

function socket(name: string): FakeSocket {
  const sent: FakeSocket['sent'] = [];
  return {
    name,
    sent,
    send(text: string): boolean {
      const ack = JSON.parse(text) as { headers: { messageId: string }; data: string };
      sent.push({ messageId: ack.headers.messageId, data: ack.data });
      return true;
    },
  };
}

function eventFrame(messageId: string, eventId: string): string {
  return JSON.stringify({
    specVersion: '1.0',
    type: 'EVENT',
    headers: { topic: '*', messageId, eventType: 'user_add_org', eventId, contentType: 'application/json' },
    data: JSON.stringify({ userId: ['u1'] }),
  });
}

describe('stream: FrameRouter counts the acks it holds back, per socket', () => {
  it('counts held acks per socket (duplicates waiting for the original too) and reports each socket once settled', async () => {
    const stats: StreamStats = {
      framesIn: 0,
      acksOut: 0,
      duplicatesDropped: 0,
      malformedFrames: 0,
      reconnects: 0,
      lastPingAt: undefined,
      connectedAt: undefined,
    };
    const settled: string[] = [];
    const router = new FrameRouter<FakeSocket>(
      { clock: systemClock, callbackDeadlineMs: 1_000, dedupeTtlMs: 60_000, dedupeMaxEntries: 100 },
      { stats, warn: () => undefined, onServerDisconnect: () => undefined, onAcksSettled: (s) => void settled.push(s.name) },
    );
    const gate = deferred();
    router.onEvent(() => gate.promise);
    const a = socket('a');
    const b = socket('b');
    router.handle(a, eventFrame('m1', 'e1'));
    router.handle(a, eventFrame('m2', 'e2'));
    // A re-push of e1 on the next socket while the first delivery is still running: it waits for the same answer.
    router.handle(b, eventFrame('m3', 'e1'));
    assert.equal(router.pendingAcks(a), 2);
    assert.equal(router.pendingAcks(b), 1);
    assert.deepEqual([a.sent, b.sent, settled], [[], [], []]);
    gate.resolve();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(a.sent.map((s) => s.messageId).sort(), ['m1', 'm2']);
    assert.deepEqual(
      b.sent.map((s) => s.messageId),
      ['m3'],
    );
    assert.deepEqual(JSON.parse(b.sent[0]!.data), { status: 'SUCCESS', message: 'success' });
    assert.equal(router.pendingAcks(a), 0);
    assert.equal(router.pendingAcks(b), 0);
    assert.deepEqual(settled.sort(), ['a', 'b']);
    router.dispose();
  });
});

describe('stream client: a replaced socket stays open for the acks it holds', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(() => h.cleanup());

  it('on a subscription change, keeps the old socket until its held event ack is out, then closes it', async () => {
    await h.start();
    // A drain timeout far beyond the test: only the settled ack may close the old socket.
    const { client, started, release } = await connectWithHeldEvents(h, { timing: { drainTimeoutMs: 60_000 } });
    const first = h.sim.connections[0]!;
    const push = h.sim.event('user_add_org', { userId: ['u1'] });
    await started;
    client.onRobotMessage(() => undefined);
    const second = await h.sim.waitForConnection(2);
    await h.sim.robotMessage({ text: 'on the new socket' }).acked;
    assert.equal(first.open, true, 'the replaced socket still holds an ack');
    release();
    const ack = await push.acked;
    assert.equal(ack.connectionId, first.id);
    assert.deepEqual(ackData(ack.ack), { status: 'SUCCESS', message: 'success' });
    await h.sim.waitFor(() => !first.open, 3_000, 'replaced socket closed once its ack was out');
    assert.equal(second.open, true);
  });
});
