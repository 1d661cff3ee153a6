import assert from 'node:assert/strict';
import net from 'node:net';
import { ClaimJournal } from '../../src/stream/claim-journal';
import { type AnswerLookup, ClaimGate, type ClaimStore } from '../../src/stream/claims';
import { RedisClaimStore } from '../../src/stream/redis-claims';
import type { StreamClient } from '../../src/stream/client';
import type { CardCallbackHandler, ClaimHealth } from '../../src/stream/types';
import { systemClock } from '../../src/util/runtime';
import { freePort, hasRedisServer, TestRedis } from '../support/redis-server';
import { ackData, deferred, Harness, waitForState } from './helpers';

const PREFIX = 'dingtalk:test-app:';

async function until(check: () => boolean, what: string, timeoutMs = 8_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A TCP relay to Redis that can be cut: one instance loses Redis while the others (and Redis itself) keep going. */
class CuttableRelay {
  private readonly sockets = new Set<net.Socket>();
  private cut = false;
  private constructor(private readonly server: net.Server) {}

  static async start(target: number): Promise<CuttableRelay> {
    const server = net.createServer();
    const relay = new CuttableRelay(server);
    server.on('connection', (inbound) => {
      if (relay.cut) return void inbound.destroy();
      const outbound = net.connect(target, '127.0.0.1');
      for (const s of [inbound, outbound]) {
        relay.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          relay.sockets.delete(s);
          inbound.destroy();
          outbound.destroy();
        });
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return relay;
  }

  get url(): string {
    return `redis://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  down(): void {
    this.cut = true;
    for (const s of this.sockets) s.destroy();
  }

  up(): void {
    this.cut = false;
  }

  async close(): Promise<void> {
    this.down();
    await new Promise((r) => this.server.close(r));
  }
}

describe('shared claims: ClaimGate (bounded wait, one health signal per change)', () => {
  it('gives up after waitMs, reports unhealthy once, and healthy again when the store answers', async () => {
    let answer: 'hang' | 'fail' | 'ok' = 'hang';
    const store: ClaimStore = {
      claim: () =>
        answer === 'hang' ? new Promise(() => {}) : answer === 'fail' ? Promise.reject(new Error('ECONNREFUSED')) : Promise.resolve('ours'),
      complete: () => Promise.resolve(),
      release: () => Promise.resolve(),
      answer: () => Promise.resolve({ state: 'absent' }),
    };
    const health: Array<[boolean, string | undefined]> = [];
    const gate = new ClaimGate({ store, clock: systemClock, waitMs: 30, onHealth: (ok, problem) => health.push([ok, problem]) });
    assert.equal(await gate.claim('a', 1000), 'unavailable');
    answer = 'fail';
    assert.equal(await gate.claim('b', 1000), 'unavailable');
    assert.deepEqual(health, [[false, 'no answer within 30 ms']]);
    answer = 'ok';
    assert.equal(await gate.claim('c', 1000), 'ours');
    assert.deepEqual(health, [
      [false, 'no answer within 30 ms'],
      [true, undefined],
    ]);
    assert.equal(gate.isHealthy, true);
  });
});

describe('shared claims: ClaimJournal (what is written back after an outage)', () => {
  it('keeps the latest decisions up to its bound, with the time they have left, and drops expired ones', () => {
    let now = 1_000;
    const journal = new ClaimJournal(3, () => now);
    journal.held('robot:1', 500);
    journal.held('event:2', 100);
    journal.done('event:2', 1_000); // completing moves it to the newest
    journal.held('robot:3', 500);
    journal.held('robot:4', 500); // over the bound: robot:1, the oldest, goes
    assert.deepEqual(
      journal.live().map((e) => [e.key, e.state, e.remainingMs]),
      [
        ['event:2', 'done', 1_000],
        ['robot:3', 'held', 500],
        ['robot:4', 'held', 500],
      ],
    );
    journal.released('robot:3');
    journal.released('robot:never-claimed');
    now += 600;
    assert.deepEqual(
      journal.live().map((e) => [e.key, e.state, e.remainingMs]),
      [['event:2', 'done', 400]],
    );
    assert.equal(journal.size, 1);
    journal.forget('event:2', 'held');
    assert.equal(journal.size, 1, 'forget only drops the state it was asked to');
  });
});

describe('shared claims: RedisClaimStore against a real redis-server', function () {
  let redis: TestRedis;
  const stores: RedisClaimStore[] = [];
  before(async function () {
    if (!hasRedisServer()) {
      console.log('      (skipped: no redis-server; .ci/run installs it)');
      this.skip();
    }
    redis = await TestRedis.start();
  });
  after(async () => {
    await redis?.stop();
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  async function store(prefix = PREFIX): Promise<RedisClaimStore> {
    const s = new RedisClaimStore({ url: redis.url, keyPrefix: prefix });
    stores.push(s);
    await until(() => s.ready, 'Redis connection');
    return s;
  }

  it('claims once across instances; done after complete; released for a re-run; keys carry the app prefix', async () => {
    const a = await store();
    const b = await store();
    assert.equal(await a.claim('event:e1', 5_000), 'ours');
    assert.equal(await b.claim('event:e1', 5_000), 'busy');
    assert.equal(await a.claim('event:e1', 5_000), 'busy', 'a second local delivery while the first runs is not run again');
    await b.release('event:e1');
    assert.equal(await b.claim('event:e1', 5_000), 'busy', 'only the holder can release');
    await a.complete('event:e1', 5_000);
    assert.equal(await b.claim('event:e1', 5_000), 'done');

    assert.equal(await a.claim('event:e2', 5_000), 'ours');
    await a.release('event:e2');
    assert.equal(await b.claim('event:e2', 5_000), 'ours', 'a released claim (LATER) can be taken by the re-push');

    const other = await store('dingtalk:other-app:');
    assert.equal(await other.claim('event:e1', 5_000), 'ours', 'another app does not share keys');
  });

  it('a callback completed with its answer shares it; without one, or too late to matter, it is only done', async () => {
    const a = await store();
    const b = await store();
    const data = '{"response":{"cardData":{"cardParamMap":{"status":"approved"}}}}';
    assert.equal(await a.claim('callback:c1', 5_000), 'ours');
    assert.deepEqual(await b.answer('callback:c1'), { state: 'busy' });
    await a.complete('callback:c1', 5_000, data);
    assert.equal(await b.claim('callback:c1', 5_000), 'done');
    assert.deepEqual(await b.answer('callback:c1'), { state: 'answered', data });
    await b.complete('callback:c1', 5_000, '{"response":{}}');
    assert.deepEqual(await b.answer('callback:c1'), { state: 'answered', data }, 'another instance cannot overwrite it');
    assert.equal(await a.claim('callback:c2', 5_000), 'ours');
    await a.complete('callback:c2', 5_000);
    assert.deepEqual(await b.answer('callback:c2'), { state: 'done' });
    assert.deepEqual(await b.answer('callback:never'), { state: 'absent' });
  });

  it('a hold expires after its TTL, so a dead instance does not block the re-push', async () => {
    const a = await store();
    const b = await store();
    assert.equal(await a.claim('event:dead', 150), 'ours');
    assert.equal(await b.claim('event:dead', 150), 'busy');
    await new Promise((r) => setTimeout(r, 250));
    assert.equal(await b.claim('event:dead', 150), 'ours');
  });

  it('claims decided while Redis was unreachable are written back when it returns; a key written meanwhile stays', async () => {
    const relay = await CuttableRelay.start(Number(new URL(redis.url).port));
    try {
      const a = new RedisClaimStore({ url: relay.url, keyPrefix: PREFIX, reconnectMaxMs: 100 });
      stores.push(a);
      await until(() => a.ready, 'Redis connection');
      const b = await store();
      relay.down();
      await until(() => !a.ready, 'the connection to drop');
      // What the router does with each: runs it on local dedupe, then completes or releases an event.
      await assert.rejects(a.claim('robot:w-r1', 5_000));
      await assert.rejects(a.claim('event:w-e1', 5_000));
      await assert.rejects(a.complete('event:w-e1', 5_000));
      await assert.rejects(a.claim('event:w-e2', 5_000));
      await assert.rejects(a.release('event:w-e2'));
      await assert.rejects(a.claim('robot:w-both', 5_000));
      assert.equal(await b.claim('robot:w-both', 5_000), 'ours', 'the other instance took it during the outage');
      relay.up();
      await until(() => a.ready, 'reconnect');
      // The first claim after a reconnect waits for the write-back, so a's own decisions are in Redis after it.
      assert.equal(await a.claim('robot:w-probe', 5_000), 'ours');
      assert.equal(await b.claim('robot:w-r1', 5_000), 'busy', 'a robot message a ran during the outage is not run again');
      assert.equal(await b.claim('event:w-e1', 5_000), 'done', 'an event a completed during the outage is done');
      assert.equal(await b.claim('event:w-e2', 5_000), 'ours', 'an event a answered LATER stays free for its re-push');
      assert.equal(await a.claim('robot:w-both', 5_000), 'busy');
      await b.release('robot:w-both');
      assert.equal(await a.claim('robot:w-both', 5_000), 'ours', "b's key was kept (only b could release it), not overwritten by a's");
    } finally {
      await relay.close();
    }
  });

  it('claims Redis forgot in a restart without persistence are written back', async () => {
    const a = await store();
    const b = await store();
    assert.equal(await a.claim('robot:before', 60_000), 'ours');
    assert.equal(await a.claim('event:before', 60_000), 'ours');
    await a.complete('event:before', 60_000);
    await redis.stop();
    await redis.start();
    await until(() => a.ready && b.ready, 'reconnect');
    assert.equal(await a.claim('robot:probe2', 5_000), 'ours');
    assert.equal(await b.claim('robot:before', 5_000), 'busy');
    assert.equal(await b.claim('event:before', 5_000), 'done');
  });

  it('fails fast while Redis is unreachable and reconnects by itself', async () => {
    const port = await freePort();
    const s = new RedisClaimStore({ url: `redis://127.0.0.1:${port}`, keyPrefix: PREFIX, reconnectMaxMs: 100 });
    stores.push(s);
    const started = Date.now();
    await assert.rejects(s.claim('robot:m1', 1000));
    assert.ok(Date.now() - started < 5_000, 'does not queue the command until Redis comes back');
    const late = await TestRedis.start(['--port', String(port)]);
    try {
      await until(() => s.ready, 'reconnect');
      assert.equal(await s.claim('robot:m2', 1000), 'ours');
    } finally {
      await late.stop();
    }
  });
});

describe('shared claims: two Stream clients on one app share a Redis', function () {
  let redis: TestRedis;
  let h: Harness;
  const stores: RedisClaimStore[] = [];
  before(async function () {
    if (!hasRedisServer()) this.skip();
    redis = await TestRedis.start();
  });
  after(async () => {
    await redis?.stop();
  });
  afterEach(async () => {
    await h?.cleanup();
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  /** Both instances must share the prefix; the per-test suffix keeps tests apart. */
  function pair(timing: Record<string, number> = {}): [StreamClient, StreamClient, ClaimHealth[]] {
    const prefix = `${PREFIX}${Math.random().toString(36).slice(2)}:`;
    const health: ClaimHealth[] = [];
    const make = (): StreamClient => {
      const claims = new RedisClaimStore({ url: redis.url, keyPrefix: prefix, reconnectMaxMs: 100 });
      stores.push(claims);
      // Not 200 ms: on a starved CI machine a claim may take longer, and the fallback is not what these tests count.
      const client = h.client({ claims, timing: { claimWaitMs: 1_000, ...timing } });
      client.on('claims', (c) => health.push(c));
      return client;
    };
    return [make(), make(), health];
  }

  it('every robot message and event runs once while each is re-pushed to random connections', async () => {
    h = new Harness();
    await h.start({ ackTimeoutMs: 80, maxRepush: 3, pingIntervalMs: 60_000 });
    const [a, b] = pair();
    const runs = new Map<string, number>();
    const count = (key: string): void => void runs.set(key, (runs.get(key) ?? 0) + 1);
    for (const c of [a, b]) {
      c.onRobotMessage((p) => count(`robot:${p.data.msgId}`));
      c.onEvent((p) => count(`event:${p.headers.eventId}`));
      c.start();
    }
    await Promise.all([waitForState(a, 'connected'), waitForState(b, 'connected')]);
    // Acks are seen but not taken: every push is re-pushed maxRepush times, each time to a random connection.
    h.sim.setFaults({ ignoreAcks: true });
    const robot = Array.from({ length: 20 }, (_, i) => h.sim.robotMessage({ text: `m${i}` }));
    const events = Array.from({ length: 20 }, (_, i) => h.sim.event('user_add_org', { n: i }));
    const deliveriesPerPush = 4;
    await until(() => h.sim.deliveries.length === (robot.length + events.length) * deliveriesPerPush, 'every re-push');
    await until(() => h.sim.acks.filter((x) => x.kind === 'push').length >= h.sim.deliveries.length, 'every ack');
    const onBoth = [...robot, ...events].filter(
      (p) => new Set(h.sim.deliveries.filter((d) => d.pushId === p.pushId).map((d) => d.connectionId)).size === 2,
    );
    assert.ok(onBoth.length > 10, `re-pushes landed on both instances (${onBoth.length} pushes)`);
    const expected = [...robot.map((p) => `robot:${(p.data as { msgId: string }).msgId}`), ...events.map((p) => `event:${p.frame.headers.eventId}`)];
    assert.deepEqual([...runs.keys()].sort(), expected.sort());
    assert.deepEqual([...new Set(runs.values())], [1], 'no push ran twice');
    // Duplicates of a handled event are acked SUCCESS, so DingTalk stops.
    for (const ack of h.sim.acks.filter((x) => x.kind === 'push' && events.some((e) => e.pushId === x.pushId))) {
      assert.deepEqual(ackData(ack.ack), { status: 'SUCCESS', message: 'success' });
    }
  });

  /** Two instances answering clicks the same way; `answer` gives what each flow returns. */
  async function clickPair(answer: (who: string) => ReturnType<CardCallbackHandler>, timing: Record<string, number> = {}): Promise<string[]> {
    h = new Harness();
    // Round-robin: the re-push goes to the connection that did not get the first delivery.
    await h.start({ ackTimeoutMs: 100, maxRepush: 1, pingIntervalMs: 60_000, distribution: 'round-robin' });
    const [a, b] = pair(timing);
    const ran: string[] = [];
    for (const [who, c] of [['a', a] as const, ['b', b] as const]) {
      c.onCardCallback(() => {
        ran.push(who);
        return answer(who);
      });
      c.start();
      await waitForState(c, 'connected');
    }
    return ran;
  }

  /** Drops the first ack of `push` (as if lost on the way), so DingTalk re-pushes it to the other instance. */
  async function loseFirstAck(push: { pushId: string }): Promise<void> {
    await until(() => h.sim.acks.some((x) => x.pushId === push.pushId), 'the first (lost) ack');
    h.sim.clearFaults();
  }

  it('a card click re-pushed to the other instance after a lost ack is acked there with the first answer; the flow ran once', async () => {
    const ran = await clickPair((who) => ({ cardData: { cardParamMap: { status: `approved by ${who}` } } }));
    h.sim.setFaults({ ignoreAcks: true });
    const push = h.sim.cardCallback({ outTrackId: 'track-multi', userId: 'user-1', actionIds: ['btn_ok'], params: {} });
    await loseFirstAck(push);
    const ack = await push.acked;
    assert.deepEqual(ran, ['a']);
    const acks = h.sim.acks.filter((x) => x.pushId === push.pushId);
    assert.equal(new Set(acks.map((x) => x.connectionId)).size, 2, 'each instance acked its delivery');
    const first = { response: { cardData: { cardParamMap: { status: 'approved by a' } } } };
    assert.deepEqual(
      acks.map((x) => ackData(x.ack)),
      [first, first],
    );
    assert.deepEqual(ackData(ack.ack), first, "DingTalk took the re-push's ack: the card update was not lost");
    assert.equal(ack.timedOut, undefined);
  });

  it('a re-push that lands while the first instance is still answering waits for that answer, within the deadline', async () => {
    const first = deferred();
    const ran = await clickPair(async (who) => {
      await first.promise;
      return { cardData: { cardParamMap: { status: `approved by ${who}` } } };
    });
    h.sim.setFaults({ ignoreAcks: true });
    const push = h.sim.cardCallback({ outTrackId: 'track-busy', userId: 'user-1', actionIds: ['btn_ok'], params: {} });
    // The re-push (after ackTimeoutMs) reaches b while a's flow has not answered yet.
    await until(() => h.sim.deliveries.filter((d) => d.pushId === push.pushId).length === 2, 'the re-push');
    h.sim.clearFaults();
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(h.sim.acks.filter((x) => x.pushId === push.pushId).length, 0, 'b waits: it has no answer to give yet');
    first.resolve();
    const ack = await push.acked;
    assert.deepEqual(ran, ['a']);
    const answer = { response: { cardData: { cardParamMap: { status: 'approved by a' } } } };
    assert.deepEqual(ackData(ack.ack), answer);
    assert.deepEqual(
      h.sim.acks.filter((x) => x.pushId === push.pushId).map((x) => ackData(x.ack)),
      [answer, answer],
    );
    assert.equal(ack.timedOut, undefined);
  });

  it('a click whose first instance never answers is acked "no change" on both, within the deadline', async () => {
    const ran = await clickPair(() => new Promise(() => {}), { callbackDeadlineMs: 400 });
    h.sim.setFaults({ ignoreAcks: true });
    const push = h.sim.cardCallback({ outTrackId: 'track-stuck', userId: 'user-1', actionIds: ['btn_ok'], params: {} });
    await until(() => h.sim.deliveries.filter((d) => d.pushId === push.pushId).length === 2, 'the re-push');
    h.sim.clearFaults();
    const ack = await push.acked;
    assert.deepEqual(ran, ['a']);
    assert.deepEqual(ackData(ack.ack), { response: {} });
    assert.equal(ack.timedOut, undefined, 'answered before DingTalk gives up on the click');
  });

  it('an answer over 64 KiB is not shared: the re-push on the other instance is acked "no change", with a warning', async () => {
    const big = 'x'.repeat(70 * 1024);
    const ran = await clickPair(() => ({ cardData: { cardParamMap: { big } } }));
    h.sim.setFaults({ ignoreAcks: true });
    const push = h.sim.cardCallback({ outTrackId: 'track-big', userId: 'user-1', actionIds: ['btn_ok'], params: {} });
    await loseFirstAck(push);
    const ack = await push.acked;
    assert.deepEqual(ran, ['a']);
    const acks = h.sim.acks.filter((x) => x.pushId === push.pushId).map((x) => ackData(x.ack));
    assert.deepEqual(acks, [{ response: { cardData: { cardParamMap: { big } } } }, { response: {} }]);
    assert.deepEqual(ackData(ack.ack), { response: {} });
    assert.ok(
      h.log.lines.some((l) => /over the 64 KiB shared with the other instances/.test(l)),
      'the user is told why the other instance cannot give the same answer',
    );
  });

  it('a card click waiting on a silent store is still answered within the callback deadline', async () => {
    h = new Harness();
    await h.start({ pingIntervalMs: 60_000 });
    const silent: ClaimStore = {
      claim: () => new Promise(() => {}),
      complete: async () => {},
      release: async () => {},
      answer: () => new Promise(() => {}),
    };
    const client = h.client({ claims: silent, timing: { claimWaitMs: 1_500, callbackDeadlineMs: 300 } });
    client.onCardCallback(() => ({ cardData: { cardParamMap: { status: 'x' } } }));
    client.start();
    await waitForState(client, 'connected');
    const started = Date.now();
    const push = h.sim.cardCallback({ outTrackId: 'track-silent', userId: 'user-1', actionIds: ['btn_ok'], params: {} });
    const ack = await push.acked;
    assert.ok(Date.now() - started < 2_000, 'before DingTalk gives up on the click');
    assert.deepEqual(ackData(ack.ack), { response: {} });
  });

  it('a click another instance still holds: the look for its answer stops when the client closes', async () => {
    h = new Harness();
    await h.start({ pingIntervalMs: 60_000 });
    // Each look waits until the test answers it, so one is on its way to the store when the client closes.
    const looks: Array<(found: AnswerLookup) => void> = [];
    const held: ClaimStore = {
      claim: async () => 'busy',
      complete: async () => {},
      release: async () => {},
      answer: () => new Promise((resolve) => looks.push(resolve)),
    };
    const client = h.client({ claims: held, timing: { callbackDeadlineMs: 1_500 } });
    client.onCardCallback(() => ({ cardData: { cardParamMap: { status: 'x' } } }));
    client.start();
    await waitForState(client, 'connected');
    h.sim.cardCallback({ outTrackId: 'track-held', userId: 'user-1', actionIds: ['btn_ok'], params: {} });
    await until(() => looks.length === 1, 'the first look');
    looks[0]!({ state: 'busy' });
    await until(() => looks.length === 2, 'a second look, the first finding the click still busy');
    await client.close();
    looks[1]!({ state: 'busy' });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(looks.length, 2, 'no look after close');
  });

  it('an event answered LATER releases its claim: the re-push runs on the other instance', async () => {
    h = new Harness();
    await h.start({ laterRetryMs: 50, pingIntervalMs: 60_000, distribution: 'round-robin' });
    const [a, b] = pair();
    const ran: string[] = [];
    a.onEvent(() => {
      ran.push('a');
      return 'LATER';
    });
    b.onEvent(() => {
      ran.push('b');
    });
    a.start();
    await waitForState(a, 'connected');
    b.start();
    await waitForState(b, 'connected');
    const push = h.sim.event('user_add_org', { n: 1 });
    await until(() => h.sim.acks.some((x) => x.pushId === push.pushId && (ackData(x.ack) as { status?: string }).status === 'SUCCESS'), 'SUCCESS');
    assert.deepEqual(ran, ['a', 'b']);
  });

  it('an instance stuck mid-flow holds the event only for the lease; then the re-push runs elsewhere', async () => {
    h = new Harness();
    await h.start({ ackTimeoutMs: 150, laterRetryMs: 50, maxRepush: 20, pingIntervalMs: 60_000, distribution: 'round-robin' });
    const [a, b] = pair({ claimLeaseMs: 400 });
    const ran: Array<[string, number]> = [];
    a.onEvent(() => {
      ran.push(['a', Date.now()]);
      return new Promise(() => {}); // dies mid-flow: never answers
    });
    b.onEvent(() => {
      ran.push(['b', Date.now()]);
    });
    a.start();
    await waitForState(a, 'connected');
    b.start();
    await waitForState(b, 'connected');
    const push = h.sim.event('user_add_org', { n: 1 });
    await until(() => ran.some(([who]) => who === 'b'), 'the other instance to run it');
    assert.deepEqual(
      ran.map(([who]) => who),
      ['a', 'b'],
    );
    assert.ok(ran[1]![1] - ran[0]![1] >= 300, 'not before the lease ran out');
    await until(() => h.sim.acks.some((x) => x.pushId === push.pushId && (ackData(x.ack) as { status?: string }).status === 'SUCCESS'), 'SUCCESS');
  });

  it('a push run while Redis was down is not run again when re-pushed to the other instance after Redis is back', async () => {
    h = new Harness();
    await h.start({ pingIntervalMs: 60_000, distribution: 'round-robin' });
    const [a, b] = pair();
    const runs = new Map<string, number>();
    const count = (key: string): void => void runs.set(key, (runs.get(key) ?? 0) + 1);
    for (const c of [a, b]) {
      c.onRobotMessage((p) => count(`robot:${p.data.msgId}`));
      c.onEvent((p) => count(`event:${p.headers.eventId}`));
      c.start();
    }
    await Promise.all([waitForState(a, 'connected'), waitForState(b, 'connected')]);
    await redis.stop();
    const robot = h.sim.robotMessage({ text: 'during the outage' });
    const event = h.sim.event('user_add_org', { n: 'outage' });
    await Promise.all([robot.acked, event.acked]);
    await until(() => runs.size === 2, 'both to run once');
    await redis.start();
    await until(() => stores.every((s) => s.ready), 'reconnect');
    // A first claim waits for the store's write-back; the router's claims do the same.
    await Promise.all(stores.map((s, i) => s.claim(`robot:probe-${i}`, 1_000)));
    const dropped = (): number => a.stats.duplicatesDropped + b.stats.duplicatesDropped;
    // The re-push DingTalk would send after a lost ack, on the connection that did not get the first delivery.
    for (const push of [robot, event]) {
      const first = h.sim.deliveries.find((d) => d.pushId === push.pushId)!.connectionId;
      const other = h.sim.openConnections.find((c) => c.id !== first)!.id;
      assert.equal(h.sim.pushRaw(push.frame, { connectionId: other }), other);
    }
    await until(() => dropped() === 2 || [...runs.values()].some((n) => n > 1), 'the re-pushes to be handled');
    assert.deepEqual(Object.fromEntries(runs), {
      [`robot:${(robot.data as { msgId: string }).msgId}`]: 1,
      [`event:${event.frame.headers.eventId}`]: 1,
    });
    await until(() => h.sim.acks.filter((x) => x.messageId === event.messageId).length === 2, 'the re-pushed event acked');
    assert.deepEqual(
      h.sim.acks.filter((x) => x.messageId === event.messageId).map((x) => ackData(x.ack)),
      [
        { status: 'SUCCESS', message: 'success' },
        { status: 'SUCCESS', message: 'success' },
      ],
    );
  });

  it('Redis stopped mid-traffic: nothing is lost, one warning, and it recovers by itself when Redis is back', async () => {
    h = new Harness();
    await h.start({ pingIntervalMs: 60_000 });
    const [a, b, health] = pair();
    const got: string[] = [];
    for (const c of [a, b]) {
      c.onRobotMessage((p) => void got.push(p.data.msgId));
      c.start();
    }
    await Promise.all([waitForState(a, 'connected'), waitForState(b, 'connected')]);
    const sent: string[] = [];
    const send = (n: number): void => {
      for (let i = 0; i < n; i++) sent.push((h.sim.robotMessage({ text: `t${sent.length}` }).data as { msgId: string }).msgId);
    };
    send(10);
    await until(() => got.length === 10, 'first batch');
    await redis.stop();
    send(10);
    await until(() => got.length === 20, 'batch while Redis is down');
    assert.deepEqual(
      health.map((x) => x.healthy),
      [false, false],
      'each instance says it once',
    );
    assert.equal(h.log.lines.filter((l) => l.startsWith('warn: Shared dedupe store unavailable')).length, 2);
    await redis.start();
    await until(() => stores.every((s) => s.ready), 'reconnect');
    send(10);
    await until(() => got.length === 30, 'batch after Redis is back');
    await until(() => health.filter((x) => x.healthy).length === 2, 'healthy again');
    assert.deepEqual(got.sort(), [...sent].sort());
  });
});
