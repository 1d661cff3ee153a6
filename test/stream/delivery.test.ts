import assert from 'node:assert/strict';
import type { RecordedAck } from '../../src/simulator';
import type { Push } from '../../src/stream/types';
import type { CardCallback, CardCallbackResponse, RobotMessage } from '../../src/stream/frames';
import { Harness, ackData, deferred, waitForState, waitForWarning } from './helpers';

/**
 * Whether DingTalk keeps a frame's messageId when it re-pushes it is not documented (ADR 0002): robot messages (msgId)
 * and events (eventId) must be delivered once either way.
 */
const REPUSH_VARIANTS: Array<[boolean, string]> = [
  [true, 're-push keeps its messageId'],
  [false, 're-push with a new messageId'],
];

describe('stream client: delivering and acking pushes', () => {
  let h: Harness;
  afterEach(() => h.cleanup());

  async function setup(simOptions: Parameters<Harness['start']>[0] = {}): Promise<void> {
    h = new Harness();
    await h.start(simOptions);
  }

  function acksFor(pushId: string): RecordedAck[] {
    return h.sim.acks.filter((a) => a.pushId === pushId);
  }

  it('answers SYSTEM ping with the same messageId and the data verbatim', async () => {
    await setup({ pingIntervalMs: 50 });
    const client = h.client();
    client.onRobotMessage(() => {});
    client.start();
    await waitForState(client, 'connected');
    const ack = await h.sim.waitForAck((a) => a.kind === 'ping');
    assert.equal(ack.valid, true);
    const pushed = h.sim.connections[0]!;
    assert.ok(pushed.pingReplies >= 1);
    const frame = ack.ack as { code: number; data: string };
    assert.equal(frame.code, 200);
    assert.match(frame.data, /^\{"opaque":"[0-9a-f-]+"\}$/);
    assert.ok(client.stats.lastPingAt !== undefined);
  });

  it('delivers a robot message parsed, acked once at once with {"response":null}', async () => {
    await setup();
    const client = h.client();
    const got: Array<Push<RobotMessage>> = [];
    const delivered = deferred();
    client.onRobotMessage((push) => {
      got.push(push);
      delivered.resolve();
    });
    client.start();
    await waitForState(client, 'connected');
    const push = h.sim.robotMessage({ text: 'hello robot', conversationType: '2', senderNick: 'Alice' });
    const ack = await push.acked;
    await delivered.promise;
    assert.equal(ack.valid, true);
    assert.equal(ack.messageId, push.messageId);
    assert.deepEqual(ackData(ack.ack), { response: null });
    assert.equal(got.length, 1);
    const message = got[0]!;
    assert.equal(message.headers.messageId, push.messageId);
    assert.equal(message.data.msgtype, 'text');
    assert.equal(message.data.senderNick, 'Alice');
    assert.match(message.data.text?.content ?? '', /hello robot/);
    assert.equal(message.raw, push.frame.data);
    assert.equal(acksFor(push.pushId).length, 1);
  });

  it('acks a robot message pushed twice with the same msgId twice but delivers it once', async () => {
    await setup();
    const client = h.client();
    let calls = 0;
    client.onRobotMessage(() => void calls++);
    client.start();
    await waitForState(client, 'connected');
    const first = h.sim.robotMessage({ text: 'once', msgId: 'msgSAME001' });
    const second = h.sim.robotMessage({ text: 'once', msgId: 'msgSAME001' });
    const [a1, a2] = await Promise.all([first.acked, second.acked]);
    assert.equal(a1.messageId, first.messageId);
    assert.equal(a2.messageId, second.messageId);
    const marker = h.sim.robotMessage({ text: 'after' });
    await marker.acked;
    await h.sim.waitFor(() => calls === 2, 2_000, 'the marker message');
    assert.equal(calls, 2, 'the duplicate was not delivered, the next message was');
    assert.equal(client.stats.duplicatesDropped, 1);
  });

  for (const [keeps, variant] of REPUSH_VARIANTS) {
    it(`acks every re-push of an un-acked robot message (ack timeout) and delivers it once (${variant})`, async () => {
      await setup({ ackTimeoutMs: 50, maxRepush: 2, repushKeepsMessageId: keeps });
      const client = h.client();
      let calls = 0;
      client.onRobotMessage(() => void calls++);
      client.start();
      await waitForState(client, 'connected');
      // The simulator drops our acks on the floor, so it re-pushes as DingTalk does when an ack is late.
      h.sim.setFaults({ ignoreAcks: true });
      let deliveries = 0;
      h.sim.on('push', () => void deliveries++);
      const push = h.sim.robotMessage({ text: 'late ack' });
      await h.sim.waitFor(() => h.sim.acks.filter((a) => a.pushId === push.pushId).length === 3, 3_000, 'three acks');
      const acks = acksFor(push.pushId);
      assert.equal(deliveries, 3);
      assert.equal(new Set(acks.map((a) => a.messageId)).size, keeps ? 1 : 3, 'each delivery acked with its messageId');
      assert.equal(calls, 1);
      assert.equal(client.stats.duplicatesDropped, 2);
    });
  }

  it('replays SUCCESS for a re-push of an event already handled, without delivering it again', async () => {
    await setup({ ackTimeoutMs: 50, maxRepush: 1 });
    const client = h.client();
    let calls = 0;
    client.onEvent(() => void calls++);
    client.start();
    await waitForState(client, 'connected');
    h.sim.setFaults({ ignoreAcks: true });
    const push = h.sim.event('user_leave_org', { userId: ['u3'] });
    await h.sim.waitFor(() => h.sim.acks.filter((a) => a.pushId === push.pushId).length === 2, 3_000, 'two acks');
    for (const ack of acksFor(push.pushId)) assert.equal((ackData(ack.ack) as { status: string }).status, 'SUCCESS');
    assert.equal(calls, 1);
  });

  it('a throwing or rejecting robot handler becomes a warning, and the next message still flows', async () => {
    await setup();
    const client = h.client();
    let calls = 0;
    client.onRobotMessage(() => {
      calls += 1;
      throw new Error('flow exploded');
    });
    client.onRobotMessage(() => Promise.reject(new Error('async flow exploded')) as unknown as void);
    client.start();
    await waitForState(client, 'connected');
    const warned = waitForWarning(client, /flow exploded/);
    await h.sim.robotMessage({ text: 'one' }).acked;
    await warned;
    await h.sim.robotMessage({ text: 'two' }).acked;
    await h.sim.waitFor(() => calls === 2, 2_000, 'second delivery');
  });

  it('acks an event SUCCESS once every (async) handler is done, with all handlers called', async () => {
    await setup();
    const client = h.client();
    const seen: string[] = [];
    const gate = deferred();
    const syncDone = deferred();
    client.onEvent((push) => {
      seen.push(`sync:${push.headers.eventType}`);
      syncDone.resolve();
    });
    client.onEvent(async (push) => {
      await gate.promise;
      seen.push(`async:${String(push.data.processInstanceId)}`);
    });
    client.start();
    await waitForState(client, 'connected');
    const push = h.sim.event('bpms_instance_change', { processInstanceId: 'proc-1', type: 'finish' });
    await syncDone.promise;
    assert.equal(acksFor(push.pushId).length, 0, 'no ack while a handler is still working');
    gate.resolve();
    const ack = await push.acked;
    assert.equal(ack.messageId, push.messageId);
    assert.deepEqual(ackData(ack.ack), { status: 'SUCCESS', message: 'success' });
    assert.deepEqual(seen, ['sync:bpms_instance_change', 'async:proc-1']);
  });

  for (const [keeps, variant] of REPUSH_VARIANTS) {
    it(`acks LATER when a handler says so, and delivers the re-push again (${variant})`, async () => {
      await setup({ laterRetryMs: 50, repushKeepsMessageId: keeps });
      const client = h.client();
      let calls = 0;
      client.onEvent(() => (++calls === 1 ? 'LATER' : undefined));
      client.start();
      await waitForState(client, 'connected');
      const push = h.sim.event('user_add_org', { userId: ['u1'] });
      await h.sim.waitFor(() => acksFor(push.pushId).length === 2, 3_000, 'the re-push to be acked');
      const [first, second] = acksFor(push.pushId);
      assert.equal((ackData(first!.ack) as { status: string }).status, 'LATER');
      assert.equal((ackData(second!.ack) as { status: string }).status, 'SUCCESS');
      assert.equal(first!.messageId === second!.messageId, keeps);
      assert.equal(calls, 2);
    });
  }

  it('acks LATER (and warns) when an event handler throws', async () => {
    await setup({ laterRetryMs: 5_000 });
    const client = h.client();
    client.onEvent(() => {
      throw new Error('approval automation failed');
    });
    client.start();
    await waitForState(client, 'connected');
    const warned = waitForWarning(client, /approval automation failed/);
    const push = h.sim.event('bpms_task_change', { a: 1 });
    const ack = await push.acked;
    assert.equal((ackData(ack.ack) as { status: string }).status, 'LATER');
    await warned;
  });

  for (const [keeps, variant] of REPUSH_VARIANTS) {
    it(`a re-push of an event still in flight waits for the original result, acks both, delivers once (${variant})`, async () => {
      await setup({ ackTimeoutMs: 80, repushKeepsMessageId: keeps });
      const client = h.client();
      let calls = 0;
      const gate = deferred();
      client.onEvent(async () => {
        calls += 1;
        await gate.promise;
      });
      client.start();
      await waitForState(client, 'connected');
      let deliveries = 0;
      h.sim.on('push', (frame) => {
        if (frame.headers.eventId === 'evt-inflight-1') deliveries += 1;
      });
      const push = h.sim.event('user_add_org', { userId: ['u2'] }, { eventId: 'evt-inflight-1' });
      // The simulator re-pushes after 80 ms without an ack: a second delivery, same eventId.
      await h.sim.waitFor(() => deliveries >= 2, 3_000, 're-push');
      gate.resolve();
      await h.sim.waitFor(() => acksFor(push.pushId).length >= 2, 3_000, 'both deliveries acked');
      const acks = acksFor(push.pushId);
      assert.deepEqual(new Set(acks.map((a) => (ackData(a.ack) as { status: string }).status)), new Set(['SUCCESS']));
      assert.equal(new Set(acks.map((a) => a.messageId)).size, keeps ? 1 : acks.length, 'each delivery acked with its messageId');
      assert.equal(calls, 1);
      assert.ok(client.stats.duplicatesDropped >= 1);
    });
  }

  it('answers a card callback with the handler answer within the deadline', async () => {
    await setup();
    const client = h.client();
    const got: Array<Push<CardCallback>> = [];
    client.onCardCallback(async (push) => {
      got.push(push);
      await new Promise((r) => setImmediate(r));
      return { cardData: { cardParamMap: { status: 'approved' } }, cardUpdateOptions: { updateCardDataByKey: true } };
    });
    client.start();
    await waitForState(client, 'connected');
    const push = h.sim.cardCallback({ outTrackId: 'track-1', userId: 'user-9', actionIds: ['btn_ok'], params: { action: 'accept' } });
    const ack = await push.acked;
    assert.deepEqual(ackData(ack.ack), {
      response: { cardData: { cardParamMap: { status: 'approved' } }, cardUpdateOptions: { updateCardDataByKey: true } },
    });
    assert.equal(got[0]?.data.outTrackId, 'track-1');
    assert.equal(got[0]?.data.userId, 'user-9');
  });

  it('answers a card callback with {} after callbackDeadlineMs and drops the late answer with a warning', async () => {
    await setup();
    const client = h.client({ timing: { callbackDeadlineMs: 100 } });
    const gate = deferred();
    client.onCardCallback(async () => {
      await gate.promise;
      return { cardData: { cardParamMap: { status: 'too late' } } };
    });
    client.start();
    await waitForState(client, 'connected');
    const push = h.sim.cardCallback({ outTrackId: 'track-2' });
    const ack = await push.acked;
    assert.deepEqual(ackData(ack.ack), { response: {} });
    const warned = waitForWarning(client, /after the 100 ms deadline/);
    gate.resolve();
    await warned;
    assert.equal(acksFor(push.pushId).length, 1);
  });

  it('leaves the card unchanged (and warns) when the answer has non-string cardParamMap values', async () => {
    await setup();
    const client = h.client();
    client.onCardCallback(() => ({ cardData: { cardParamMap: { count: 3 as unknown as string } } }));
    client.start();
    await waitForState(client, 'connected');
    const warned = waitForWarning(client, /cardParamMap values/);
    const ack = await h.sim.cardCallback({ outTrackId: 'track-3' }).acked;
    assert.deepEqual(ackData(ack.ack), { response: {} });
    await warned;
  });

  it("refuses (and warns about) an answer with privateData keyed by userId, which DingTalk's answer does not take", async () => {
    await setup();
    const client = h.client();
    const answer = { privateData: { 'user-9': { cardParamMap: { choice: 'a' } } } };
    client.onCardCallback(() => answer as unknown as CardCallbackResponse);
    client.start();
    await waitForState(client, 'connected');
    const warned = waitForWarning(client, /userPrivateData for the user who clicked/);
    const ack = await h.sim.cardCallback({ outTrackId: 'track-3b', userId: 'user-9' }).acked;
    assert.deepEqual(ackData(ack.ack), { response: {} });
    await warned;
  });

  it('takes the first answer when several card subscribers are registered and one declines', async () => {
    await setup();
    const client = h.client();
    client.onCardCallback(() => undefined);
    client.onCardCallback(async () => ({ userPrivateData: { cardParamMap: { choice: 'b' } } }));
    client.start();
    await waitForState(client, 'connected');
    const ack = await h.sim.cardCallback({ outTrackId: 'track-4' }).acked;
    assert.deepEqual(ackData(ack.ack), { response: { userPrivateData: { cardParamMap: { choice: 'b' } } } });
  });

  it('answers other callback topics with the handler value', async () => {
    await setup();
    const client = h.client();
    client.onCallback('/v1.0/graph/api/invoke', (push) => ({
      statusLine: { code: 200, reasonPhrase: 'OK' },
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ echo: (push.data as { body: string }).body }),
    }));
    client.start();
    await waitForState(client, 'connected');
    const push = h.sim.callback('/v1.0/graph/api/invoke', { requestLine: { method: 'POST', uri: '/v1/x' }, headers: {}, body: 'hi' });
    const ack = await push.acked;
    const response = (ackData(ack.ack) as { response: { statusLine: { code: number }; body: string } }).response;
    assert.equal(response.statusLine.code, 200);
    assert.deepEqual(JSON.parse(response.body), { echo: 'hi' });
  });

  it('waits for a callback subscription with its own deadline past the card deadline', async () => {
    await setup();
    const client = h.client({ timing: { callbackDeadlineMs: 50 } });
    const slow = deferred();
    client.onCallback(
      '/v1.0/graph/api/invoke',
      () => slow.promise.then(() => ({ statusLine: { code: 200 }, headers: {}, body: 'late but in time' })),
      {
        deadlineMs: 300,
      },
    );
    client.start();
    await waitForState(client, 'connected');
    const answered = h.sim.callback('/v1.0/graph/api/invoke', { requestLine: { method: 'GET', uri: '/a' } }).acked;
    // Past the 50 ms callback deadline, inside the subscription's 300 ms.
    setTimeout(() => slow.resolve(), 150);
    assert.equal((ackData((await answered).ack) as { response: { body: string } }).response.body, 'late but in time');
  });

  it('survives malformed frames, acks 400/404 where it can, and the next frame flows', async () => {
    await setup();
    const client = h.client();
    const got: string[] = [];
    client.onRobotMessage((push) => void got.push(push.data.msgId));
    client.start();
    await waitForState(client, 'connected');
    const frame = (type: string, topic: string, messageId: string, data: string): object => ({
      specVersion: '1.0',
      type,
      headers: { topic, messageId, contentType: 'application/json' },
      data,
    });
    const warnings = h.warnings.length;
    h.sim.pushRaw('this is not json {');
    h.sim.pushRaw({ type: 'CALLBACK', headers: { messageId: 'bad-envelope-1' } });
    h.sim.pushRaw(frame('CALLBACK', '/v1.0/im/bot/messages/get', 'bad-data-1', '{not json'));
    h.sim.pushRaw(frame('CALLBACK', '/v1.0/im/bot/messages/get', 'bad-robot-1', '{"hello":1}'));
    h.sim.pushRaw(frame('CALLBACK', '/v1.0/unknown/topic', 'unknown-topic-1', '{}'));
    h.sim.pushRaw(frame('WEIRD', 'x', 'unknown-type-1', '{}'));
    h.sim.pushRaw(frame('SYSTEM', 'KEEPALIVE', 'keepalive-1', '{}'));
    h.sim.pushRaw({ type: 'SYSTEM', headers: { topic: 'REGISTERED' } });
    h.sim.pushRaw('[1,2,3]');
    const ok = h.sim.robotMessage({ text: 'still alive' });
    await ok.acked;
    await h.sim.waitFor(() => got.length === 1, 2_000, 'delivery after garbage');

    const codeOf = (id: string): number | undefined => (h.sim.acks.find((a) => a.messageId === id)?.ack as { code?: number })?.code;
    await h.sim.waitForAck('unknown-type-1');
    assert.equal(codeOf('bad-envelope-1'), 400);
    assert.equal(codeOf('bad-data-1'), 400);
    assert.equal(codeOf('bad-robot-1'), 400);
    assert.equal(codeOf('unknown-topic-1'), 404);
    assert.equal(codeOf('unknown-type-1'), 404);
    assert.equal(codeOf('keepalive-1'), undefined, 'unknown SYSTEM topics are ignored');
    assert.equal(client.state, 'connected');
    assert.equal(h.sim.connections.length, 1, 'no reconnect because of garbage');
    assert.ok(client.stats.malformedFrames >= 4);
    assert.ok(h.warnings.length > warnings);
    // Rate-limited: many frames, at most one warning per kind.
    const texts = h.warnings.map((w) => w.message);
    assert.equal(new Set(texts).size, texts.length);
  });

  it('rate-limits repeated warnings of one kind', async () => {
    await setup();
    const client = h.client();
    client.onRobotMessage(() => {});
    client.start();
    await waitForState(client, 'connected');
    for (let i = 0; i < 20; i++) h.sim.pushRaw('garbage');
    await h.sim.robotMessage({ text: 'marker' }).acked;
    assert.equal(client.stats.malformedFrames, 20);
    assert.equal(h.warnings.filter((w) => /not JSON/.test(w.message)).length, 1);
  });
});
