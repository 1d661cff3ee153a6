import assert from 'node:assert/strict';
import type { DingTalkSimulator } from '../../src/simulator';
import { postJson, ROBOT_TOPIC, startSim, TestStreamClient } from './helpers';

const SUBS = [{ type: 'CALLBACK', topic: ROBOT_TOPIC }];

describe('simulator: several connections of one app (distribution)', () => {
  let sim: DingTalkSimulator;
  const clients: TestStreamClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await sim.stop();
  });

  async function open(n: number): Promise<TestStreamClient[]> {
    const opened: TestStreamClient[] = [];
    for (let i = 0; i < n; i++) opened.push(await TestStreamClient.open(sim, SUBS));
    clients.push(...opened);
    return opened;
  }

  it('is random by default, as DingTalk, and records which connection got each delivery', async () => {
    const picks = [0.9, 0.1, 0.6, 0.2];
    sim = await startSim({ pingIntervalMs: 60_000, random: () => picks.shift() ?? 0 });
    assert.equal(sim.distribution, 'random');
    const [a, b] = await open(2);
    const handles = [1, 2, 3, 4].map((n) => sim.robotMessage({ text: `m${n}` }));
    await Promise.all(handles.map((h) => sim.waitFor(() => sim.deliveries.find((d) => d.pushId === h.pushId))));
    const byPush = handles.map((h) => sim.deliveries.find((d) => d.pushId === h.pushId)!.connectionId);
    const [first, second] = sim.openConnections.map((c) => c.id);
    assert.deepEqual(byPush, [second, first, second, first]);
    assert.ok(sim.deliveries.every((d) => d.attempt === 1 && d.topic === ROBOT_TOPIC && d.type === 'CALLBACK'));
    for (const h of [handles[1]!, handles[3]!]) await a!.next((f) => f.headers.messageId === h.messageId);
    for (const h of [handles[0]!, handles[2]!]) await b!.next((f) => f.headers.messageId === h.messageId);
  });

  it('round-robin takes the open subscribed connections in turn; newest always the last opened', async () => {
    sim = await startSim({ pingIntervalMs: 60_000, distribution: 'round-robin' });
    const [a, b, c] = await open(3);
    for (let n = 1; n <= 6; n++) sim.robotMessage({ text: `rr${n}` });
    for (const client of [a, b, c]) {
      await client.next((f) => f.type === 'CALLBACK');
      await client.next((f) => f.type === 'CALLBACK');
    }
    const texts = (client: TestStreamClient): string[] =>
      client.frames.filter((f) => f.type === 'CALLBACK').map((f) => JSON.parse(f.data).text.content);
    assert.deepEqual(
      [texts(a!), texts(b!), texts(c!)],
      [
        ['rr1', 'rr4'],
        ['rr2', 'rr5'],
        ['rr3', 'rr6'],
      ],
    );

    sim.setDistribution('newest');
    const d = (await open(1))[0]!;
    for (let n = 1; n <= 3; n++) sim.robotMessage({ text: `new${n}` });
    for (let n = 1; n <= 3; n++) await d.next((f) => f.type === 'CALLBACK');
    assert.deepEqual(texts(d), ['new1', 'new2', 'new3']);
    assert.equal(texts(a!).length + texts(b!).length + texts(c!).length, 6);
  });

  it('routes each re-push again, so an un-acked push may land on another connection', async () => {
    sim = await startSim({ pingIntervalMs: 60_000, ackTimeoutMs: 60, distribution: 'round-robin' });
    const [a, b] = await open(2);
    const push = sim.robotMessage({ text: 'lost ack' });
    await a!.next((f) => f.headers.messageId === push.messageId);
    const again = await b!.next((f) => f.headers.messageId === push.messageId);
    b!.ack(again);
    const ack = await push.acked;
    const deliveries = sim.deliveries.filter((d) => d.pushId === push.pushId);
    assert.deepEqual(
      deliveries.map((d) => [d.attempt, d.connectionId]),
      [
        [1, sim.connections[0]!.id],
        [2, sim.connections[1]!.id],
      ],
    );
    assert.equal(ack.connectionId, sim.connections[1]!.id);
    assert.equal(JSON.parse(again.data).text.content, 'lost ack');
  });

  it('skips draining connections and those of another subscription', async () => {
    sim = await startSim({ pingIntervalMs: 60_000, drainMs: 5000, distribution: 'round-robin' });
    const [a, b] = await open(2);
    const events = await TestStreamClient.open(sim, [{ type: 'EVENT', topic: '*' }]);
    clients.push(events);
    sim.disconnect(sim.connections[0]!.id);
    for (let n = 1; n <= 3; n++) sim.robotMessage({ text: `d${n}` });
    for (let n = 1; n <= 3; n++) await b!.next((f) => f.type === 'CALLBACK');
    assert.equal(a!.frames.filter((f) => f.type === 'CALLBACK').length, 0);
    assert.equal(events.frames.filter((f) => f.type === 'CALLBACK').length, 0);
  });

  it('the control API reads and sets the policy and refuses an unknown one', async () => {
    sim = await startSim({ pingIntervalMs: 60_000 });
    const set = await postJson(`${sim.apiBase}/sim/distribution`, { policy: 'newest' });
    assert.equal(set.status, 200);
    assert.equal(sim.distribution, 'newest');
    const state = (await (await fetch(`${sim.apiBase}/sim/state`)).json()) as { distribution: string };
    assert.equal(state.distribution, 'newest');
    const bad = await postJson(`${sim.apiBase}/sim/distribution`, { policy: 'sticky' });
    assert.equal(bad.status, 400);
    assert.equal(sim.distribution, 'newest');
  });
});
