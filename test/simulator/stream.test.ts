import assert from 'node:assert/strict';
import { SIMULATOR_APP, type DingTalkSimulator } from '../../src/simulator';
import { CARD_TOPIC, ROBOT_TOPIC, TestStreamClient, openTicket, startSim } from './helpers';
import { createAndDeliverCard } from '../../src/api/card';
import { OpenApiClient } from '../../src/api/http';
import { DINGTALK, OURS } from '../../src/contract';
import { DEFAULT_TIMING, StreamClient } from '../../src/stream/client';

describe('simulator: stream pushes and acks', () => {
  let sim: DingTalkSimulator;
  const clients: TestStreamClient[] = [];
  const open = async (subs: Array<{ type: string; topic: string }>): Promise<TestStreamClient> => {
    const client = await TestStreamClient.open(sim, subs);
    clients.push(client);
    return client;
  };
  beforeEach(async () => {
    sim = await startSim({ ackTimeoutMs: 150, maxRepush: 2, laterRetryMs: 50, pingIntervalMs: 60_000, drainMs: 100 });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await sim.stop();
  });

  it('pushes a robot message only to the connection subscribed to its topic, with string headers', async () => {
    const events = await open([{ type: 'EVENT', topic: '*' }]);
    const robot = await open([{ type: 'CALLBACK', topic: ROBOT_TOPIC }]);
    await sim.waitForConnection(2);
    const handle = sim.robotMessage({ text: 'hi', conversationType: '2', isAdmin: false });
    const frame = await robot.next((f) => f.type === 'CALLBACK');
    assert.equal(frame.headers.topic, ROBOT_TOPIC);
    assert.equal(frame.headers.messageId, handle.messageId);
    assert.equal(frame.headers.connectionId, sim.connections[1]!.id);
    for (const value of Object.values(frame.headers)) assert.equal(typeof value, 'string');
    assert.equal(typeof frame.data, 'string');
    const data = JSON.parse(frame.data);
    assert.equal(data.text.content, ' hi');
    assert.equal(data.msgId, JSON.parse(handle.frame.data).msgId);
    assert.equal(data.conversationType, '2');
    assert.equal(data.isAdmin, false, 'extra options override top-level fields');
    assert.equal(data.isInAtList, true);
    assert.match(data.senderId, /^\$:LWCP_v1:\$/);
    assert.match(data.conversationId, /^cid/);
    assert.match(data.sessionWebhook, new RegExp(`^${sim.apiBase}/robot/sendBySession\\?session=`));
    assert.ok(!events.frames.some((f) => f.type === 'CALLBACK'));
  });

  it('pushes events with event headers only to an EVENT * subscriber', async () => {
    const robot = await open([{ type: 'CALLBACK', topic: ROBOT_TOPIC }]);
    const events = await open([{ type: 'EVENT', topic: '*' }]);
    const handle = sim.event('user_add_org', { userId: ['015'] }, { eventId: 'evt-1' });
    const frame = await events.next((f) => f.type === 'EVENT');
    assert.equal(frame.headers.topic, '*');
    assert.equal(frame.headers.eventType, 'user_add_org');
    assert.equal(frame.headers.eventId, 'evt-1');
    for (const key of ['eventBornTime', 'eventCorpId', 'eventUnifiedAppId', 'appId', 'time']) assert.ok(frame.headers[key], key);
    events.ack(frame, { status: 'SUCCESS', message: 'ok' });
    const ack = await handle.acked;
    assert.equal(ack.messageId, handle.messageId);
    assert.ok(!robot.frames.some((f) => f.type === 'EVENT'));
  });

  it('keeps a push until a fitting connection opens', async () => {
    const handle = sim.robotMessage({ text: 'queued' });
    assert.equal(sim.queuedPushes, 1);
    const robot = await open([{ type: 'CALLBACK', topic: ROBOT_TOPIC }]);
    const frame = await robot.next((f) => f.type === 'CALLBACK');
    assert.equal(frame.headers.messageId, handle.messageId);
    assert.equal(sim.queuedPushes, 0);
  });

  it('records acks, valid and invalid with the reason', async () => {
    const robot = await open([{ type: 'CALLBACK', topic: ROBOT_TOPIC }]);
    const handle = sim.robotMessage({ text: 'ack me' });
    const frame = await robot.next((f) => f.type === 'CALLBACK');
    robot.ws.send(JSON.stringify({ code: 200, headers: { messageId: frame.headers.messageId }, message: 'OK', data: { response: null } }));
    const bad = await sim.waitForAck((a) => !a.valid);
    assert.match(bad.reason ?? '', /data/);
    robot.ws.send('not json');
    assert.equal((await sim.waitForAck((a) => a.reason === 'not JSON')).connectionId, sim.connections[0]!.id);
    robot.ack(frame);
    const ack = await handle.acked;
    assert.equal(ack.valid, true);
    assert.equal(ack.kind, 'push');
    assert.equal(ack.pushId, handle.pushId);
  });

  it('re-pushes an un-acked message as the same frame: same messageId and msgId', async () => {
    const robot = await open([{ type: 'CALLBACK', topic: ROBOT_TOPIC }]);
    const handle = sim.robotMessage({ text: 'slow' });
    const first = await robot.next((f) => f.type === 'CALLBACK');
    const second = await robot.next((f) => f.type === 'CALLBACK');
    assert.equal(second.headers.messageId, first.headers.messageId);
    assert.equal(JSON.parse(second.data).msgId, JSON.parse(first.data).msgId);
    robot.ack(second);
    const ack = await handle.acked;
    assert.equal(ack.messageId, second.headers.messageId);
  });

  it('gives up after maxRepush deliveries', async () => {
    const robot = await open([{ type: 'CALLBACK', topic: ROBOT_TOPIC }]);
    sim.robotMessage({ text: 'never acked' });
    for (let i = 0; i < 3; i++) await robot.next((f) => f.type === 'CALLBACK');
    await assert.rejects(robot.next((f) => f.type === 'CALLBACK', 600));
  });

  it('re-pushes an EVENT acked with LATER, same eventId', async () => {
    const events = await open([{ type: 'EVENT', topic: '*' }]);
    sim.event('bpms_instance_change', { type: 'start' });
    const first = await events.next((f) => f.type === 'EVENT');
    events.ack(first, { status: 'LATER', message: 'busy' });
    const again = await events.next((f) => f.type === 'EVENT');
    assert.equal(again.headers.eventId, first.headers.eventId);
    assert.equal(again.headers.messageId, first.headers.messageId);
  });

  it('applies a card-callback answer to the card state', async () => {
    const cards = await open([{ type: 'CALLBACK', topic: CARD_TOPIC }]);
    const handle = sim.cardCallback({ outTrackId: 'unknown-card', params: { action: 'accept' } });
    const frame = await cards.next((f) => f.type === 'CALLBACK');
    const data = JSON.parse(frame.data);
    assert.deepEqual(JSON.parse(data.value).cardPrivateData.params, { action: 'accept' });
    cards.ack(frame, { response: {} });
    await handle.acked;
  });

  it('sends SYSTEM disconnect, stops pushing there, closes after drainMs', async () => {
    const a = await open([{ type: 'CALLBACK', topic: ROBOT_TOPIC }]);
    const [id] = sim.disconnect();
    assert.equal(id, sim.connections[0]!.id);
    const notice = await a.next((f) => f.type === 'SYSTEM' && f.headers.topic === 'disconnect');
    assert.equal(JSON.parse(notice.data).reason, 'persistent connection is timeout');
    sim.robotMessage({ text: 'after disconnect' });
    await a.closed();
    assert.ok(!a.frames.some((f) => f.type === 'CALLBACK'));
    await sim.waitFor(() => sim.connections[0]!.open === false, 2000, 'close');
    assert.equal(sim.queuedPushes, 1);
    const b = await open([{ type: 'CALLBACK', topic: ROBOT_TOPIC }]);
    await b.next((f) => f.type === 'CALLBACK');
  });

  it('pushes raw (malformed) frames', async () => {
    const a = await open([{ type: 'CALLBACK', topic: ROBOT_TOPIC }]);
    const received = new Promise<string>((resolve) => a.ws.once('message', (raw) => resolve(raw.toString())));
    assert.equal(sim.pushRaw('{broken'), sim.connections[0]!.id);
    assert.equal(await received, '{broken');
  });
});

describe('simulator: routing between connections and apps', () => {
  let sim: DingTalkSimulator;
  const clients: TestStreamClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await sim.stop();
  });

  it('delivers each push to exactly one connection of its own app, chosen by the random source', async () => {
    const other = { clientId: 'dingotherapp', clientSecret: 'other-secret', robotCode: 'dingotherapp' };
    const picks = [0.1, 0.9, 0.1, 0.9];
    sim = await startSim({ apps: [SIMULATOR_APP, other], pingIntervalMs: 60_000, random: () => picks.shift() ?? 0 });
    const subs = [{ type: 'CALLBACK', topic: ROBOT_TOPIC }];
    const a = await TestStreamClient.open(sim, subs);
    const b = await TestStreamClient.open(sim, subs);
    const { endpoint, ticket } = await openTicket(sim, subs, other);
    const c = await TestStreamClient.connect(`${endpoint}?ticket=${ticket}`);
    clients.push(a, b, c);
    const handles = [1, 2, 3, 4].map((n) => sim.robotMessage({ text: `m${n}` }));
    await a.next((f) => f.headers.messageId === handles[2]!.messageId);
    await b.next((f) => f.headers.messageId === handles[3]!.messageId);
    assert.deepEqual(
      a.frames.map((f) => JSON.parse(f.data).text.content),
      ['m1', 'm3'],
    );
    assert.deepEqual(
      b.frames.map((f) => JSON.parse(f.data).text.content),
      ['m2', 'm4'],
    );
    const forOther = sim.robotMessage({ text: 'other app', clientId: other.clientId });
    const frame = await c.next((f) => f.type === 'CALLBACK');
    assert.equal(frame.headers.messageId, forOther.messageId);
    assert.equal(JSON.parse(frame.data).robotCode, 'dingotherapp');
    assert.equal(c.frames.length, 1);
  });
});

describe('simulator: keepalive', () => {
  let sim: DingTalkSimulator;
  const clients: TestStreamClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await sim.stop();
  });

  it('sends SYSTEM pings and records the replies', async () => {
    sim = await startSim({ pingIntervalMs: 20 });
    const a = await TestStreamClient.open(sim, [{ type: 'EVENT', topic: '*' }]);
    clients.push(a);
    const ping = await a.next((f) => f.type === 'SYSTEM' && f.headers.topic === 'ping');
    assert.match(JSON.parse(ping.data).opaque, /^[0-9a-f-]{36}$/);
    a.ws.send(JSON.stringify({ code: 200, headers: ping.headers, message: 'OK', data: ping.data }));
    const reply = await sim.waitForAck((ack) => ack.kind === 'ping');
    assert.equal(reply.valid, true);
    assert.equal(sim.connections[0]!.pingReplies, 1);
  });

  it('answers WebSocket pings unless answerPings is off', async () => {
    sim = await startSim({ pingIntervalMs: 60_000 });
    const a = await TestStreamClient.open(sim, [{ type: 'EVENT', topic: '*' }]);
    clients.push(a);
    const pong = new Promise<string>((resolve) => a.ws.once('pong', (data) => resolve(data.toString())));
    a.ws.ping('one');
    assert.equal(await pong, 'one');
    sim.setFaults({ answerPings: false });
    let ponged = false;
    a.ws.once('pong', () => (ponged = true));
    a.ws.ping('two');
    // A round-trip through an app frame proves the ping was processed before checking that no pong came.
    a.ws.send('marker');
    await sim.waitForAck((ack) => ack.ack === 'marker');
    // A pong, had it been sent, would be on the wire before this frame.
    const back = new Promise((resolve) => a.ws.once('message', resolve));
    sim.pushRaw('marker-back');
    await back;
    assert.equal(ponged, false);
  });
});

describe("simulator: DingTalk's 2-second card callback rule (src/contract.ts)", function () {
  this.timeout(10_000);
  let sim: DingTalkSimulator;
  let client: TestStreamClient | undefined;
  beforeEach(async () => {
    sim = await startSim({ pingIntervalMs: 60_000 });
  });
  afterEach(async () => {
    client?.close();
    await sim.stop();
  });

  async function createCard(outTrackId: string): Promise<void> {
    const api = new OpenApiClient({ clientId: SIMULATOR_APP.clientId, clientSecret: SIMULATOR_APP.clientSecret, apiBase: sim.apiBase });
    try {
      await createAndDeliverCard(api, {
        cardTemplateId: 'tpl',
        outTrackId,
        cardData: { status: 'open' },
        callbackType: 'STREAM',
        robotCode: SIMULATOR_APP.robotCode,
        userId: 'u1',
      });
    } finally {
      await api.close();
    }
  }

  it('applies an answer acked in time, and counts a click acked after 2 s as failed, leaving the card unchanged', async () => {
    await createCard('card-fast');
    await createCard('card-late');
    client = await TestStreamClient.open(sim, [{ type: 'CALLBACK', topic: CARD_TOPIC }]);
    const answer = { response: { cardData: { cardParamMap: { status: 'done' } } } };

    const fast = sim.cardCallback({ outTrackId: 'card-fast', userId: 'u1' });
    client.ack(await client.next((f) => f.type === 'CALLBACK' && f.headers.messageId === fast.messageId), answer);
    const fastAck = await fast.acked;
    assert.equal(fastAck.timedOut, undefined);
    assert.equal(sim.card('card-fast')!.cardParamMap['status'], 'done');

    const late = sim.cardCallback({ outTrackId: 'card-late', userId: 'u1' });
    const frame = await client.next((f) => f.type === 'CALLBACK' && f.headers.messageId === late.messageId);
    await new Promise((r) => setTimeout(r, DINGTALK.cardCallbackTimeoutMs + 100));
    client.ack(frame, answer);
    const lateAck = await late.acked;
    assert.equal(lateAck.timedOut, true);
    assert.match(lateAck.reason ?? '', /click failed/);
    assert.equal(sim.card('card-late')!.cardParamMap['status'], 'open');
  });

  it('the client acks every click before DingTalk gives up, whatever it is configured to wait', () => {
    assert.ok(OURS.cardCallbackAckMs < DINGTALK.cardCallbackTimeoutMs);
    assert.equal(DEFAULT_TIMING.callbackDeadlineMs, OURS.cardCallbackAckMs);
    const client = new StreamClient({ clientId: 'x', clientSecret: 'y', apiBase: sim.apiBase, timing: { callbackDeadlineMs: 10_000 } });
    assert.equal((client as unknown as { timing: { callbackDeadlineMs: number } }).timing.callbackDeadlineMs, OURS.cardCallbackAckMs);
  });
});
