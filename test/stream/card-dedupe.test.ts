import assert from 'node:assert/strict';
import type { RecordedAck } from '../../src/simulator';
import { Harness, ackData, deferred, waitForState } from './helpers';

const ANSWER = { cardData: { cardParamMap: { status: 'approved' } } };

describe('stream client: re-pushed card callbacks are deduped by messageId (ADR 0002)', () => {
  let h: Harness;
  afterEach(() => h.cleanup());

  function acksFor(pushId: string): RecordedAck[] {
    return h.sim.acks.filter((a) => a.pushId === pushId);
  }

  it('delivers a click re-pushed after a lost ack once, and acks the re-push with the same answer', async () => {
    h = new Harness();
    await h.start({ ackTimeoutMs: 100, maxRepush: 2 });
    const client = h.client();
    let calls = 0;
    client.onCardCallback(() => {
      calls += 1;
      return ANSWER;
    });
    client.start();
    await waitForState(client, 'connected');
    // The first ack is lost on the way; DingTalk re-pushes the same frame, messageId included.
    h.sim.setFaults({ ignoreAcks: true });
    let deliveries = 0;
    h.sim.on('push', () => void deliveries++);
    const push = h.sim.cardCallback({ outTrackId: 'track-approve', userId: 'user-1', actionIds: ['btn_ok'], params: { action: 'accept' } });
    await h.sim.waitFor(() => acksFor(push.pushId).length === 1, 3_000, 'the first (lost) ack');
    h.sim.clearFaults();
    const ack = await push.acked;
    assert.equal(deliveries, 2);
    assert.equal(ack.messageId, push.messageId, 'the re-push keeps its messageId');
    assert.deepEqual(ackData(ack.ack), { response: ANSWER });
    assert.deepEqual(
      acksFor(push.pushId).map((a) => ackData(a.ack)),
      [{ response: ANSWER }, { response: ANSWER }],
    );
    assert.equal(calls, 1);
    assert.equal(client.stats.duplicatesDropped, 1);
  });

  it('a re-push that arrives while the first answer is still being worked out waits for it, and both ack it', async () => {
    h = new Harness();
    await h.start({ ackTimeoutMs: 60, maxRepush: 1 });
    const client = h.client({ timing: { callbackDeadlineMs: 2_000 } });
    const release = deferred();
    let calls = 0;
    client.onCardCallback(async () => {
      calls += 1;
      await release.promise;
      return ANSWER;
    });
    client.start();
    await waitForState(client, 'connected');
    let deliveries = 0;
    h.sim.on('push', () => void deliveries++);
    const push = h.sim.cardCallback({ outTrackId: 'track-slow', userId: 'user-2', actionIds: ['btn_ok'], params: {} });
    await h.sim.waitFor(() => deliveries === 2, 3_000, 'the re-push after the ack timeout');
    release.resolve();
    await h.sim.waitFor(() => acksFor(push.pushId).length === 2, 3_000, 'both deliveries acked');
    const acks = acksFor(push.pushId);
    assert.deepEqual(
      acks.map((a) => a.messageId),
      [push.messageId, push.messageId],
    );
    assert.deepEqual(
      acks.map((a) => ackData(a.ack)),
      [{ response: ANSWER }, { response: ANSWER }],
    );
    assert.equal(calls, 1);
  });

  it('delivers a second real click with the same data (refresh, next page, +1): it is a new callback', async () => {
    h = new Harness();
    await h.start();
    const client = h.client();
    let calls = 0;
    client.onCardCallback(() => ({ cardData: { cardParamMap: { count: String(++calls) } } }));
    client.start();
    await waitForState(client, 'connected');
    const click = { outTrackId: 'track-counter', userId: 'user-1', actionIds: ['btn_plus'], params: { step: '1' } };
    const first = await h.sim.cardCallback(click).acked;
    const second = await h.sim.cardCallback(click).acked;
    assert.equal(calls, 2);
    assert.deepEqual(ackData(first.ack), { response: { cardData: { cardParamMap: { count: '1' } } } });
    assert.deepEqual(ackData(second.ack), { response: { cardData: { cardParamMap: { count: '2' } } } });
    assert.equal(client.stats.duplicatesDropped, 0);
  });

  it('still delivers a different click: another button, other params or another user', async () => {
    h = new Harness();
    await h.start();
    const client = h.client();
    const seen: string[] = [];
    client.onCardCallback((push) => {
      seen.push(`${push.data.userId}:${push.data.content ?? push.data.value ?? ''}`);
      return ANSWER;
    });
    client.start();
    await waitForState(client, 'connected');
    const clicks = [
      { outTrackId: 'track-3', userId: 'user-1', actionIds: ['btn_ok'], params: { n: '1' } },
      { outTrackId: 'track-3', userId: 'user-1', actionIds: ['btn_cancel'], params: { n: '1' } },
      { outTrackId: 'track-3', userId: 'user-1', actionIds: ['btn_ok'], params: { n: '2' } },
      { outTrackId: 'track-3', userId: 'user-2', actionIds: ['btn_ok'], params: { n: '1' } },
      { outTrackId: 'track-4', userId: 'user-1', actionIds: ['btn_ok'], params: { n: '1' } },
    ];
    for (const click of clicks) await h.sim.cardCallback(click).acked;
    assert.equal(seen.length, clicks.length);
    assert.equal(client.stats.duplicatesDropped, 0);
  });
});
