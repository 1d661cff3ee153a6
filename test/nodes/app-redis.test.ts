import assert from 'node:assert/strict';
import { freePort, hasRedisServer, TestRedis } from '../support/redis-server';
import {
  ALL_MODULES,
  FAST_TIMINGS,
  Inbox,
  TAB,
  appConfig,
  helper,
  loggedText,
  robotIn,
  shownStatuses,
  simCredentials,
  untilStatus,
  useNodeRedWithSimulator,
} from './support';

/**
 * The app's optional Redis (shared dedupe across instances, ADR 0016) in a real Node-RED runtime: a password kept in
 * the credentials, a URL that cannot be used, and Redis going away and coming back.
 */

const PASSWORD = 'r3dis-s3cret-4455';
const OUT = { id: 'out', z: TAB.id, type: 'helper' };

function visible(ids: string[]): string {
  return loggedText() + JSON.stringify(ids.map((id) => shownStatuses(helper.getNode(id)!)));
}

describe('dingtalk-stream-app: Redis for several instances', function () {
  const env = useNodeRedWithSimulator({
    ...FAST_TIMINGS,
    settings: {
      dingtalkStreamAppTiming: { ...(FAST_TIMINGS.settings!['dingtalkStreamAppTiming'] as object), claimWaitMs: 1_000, instanceHeartbeatMs: 100 },
    },
  });
  let redis: TestRedis | undefined;
  before(function () {
    if (!hasRedisServer()) this.skip();
  });
  afterEach(async () => {
    await redis?.stop();
    redis = undefined;
  });

  it('claims each message in Redis with the password from the credentials, never showing it', async () => {
    redis = await TestRedis.start(['--requirepass', PASSWORD]);
    const credentials = { app1: { ...simCredentials().app1, redisPassword: PASSWORD } };
    await helper.load(ALL_MODULES, [TAB, appConfig(env.sim, 'app1', { redisUrl: redis.url }), robotIn('r1'), OUT], credentials);
    await untilStatus(helper.getNode('r1')!, (s) => s.fill === 'green', 'green on r1');
    const inbox = new Inbox(helper.getNode('out')!);
    const push = env.sim.robotMessage({ text: 'claimed' });
    assert.equal((await inbox.nth(1))['payload'], 'claimed');
    const key = `dingtalk-stream:${env.sim.apps[0]!.clientId}:robot:${(push.data as { msgId: string }).msgId}`;
    const { createClient } = await import('@redis/client');
    const probe = createClient({ url: redis.url, password: PASSWORD });
    await probe.connect();
    try {
      assert.ok((await probe.exists(key)) === 1, `key ${key} in Redis`);
    } finally {
      probe.destroy();
    }
    assert.ok(!visible(['r1']).includes(PASSWORD));
  });

  it('a Redis URL that cannot be used is a red status with the reason, its password scrubbed', async () => {
    await helper.load(
      ALL_MODULES,
      [TAB, appConfig(env.sim, 'app1', { redisUrl: `http://user:${PASSWORD}@host:6379` }), robotIn('r1'), OUT],
      simCredentials(),
    );
    const status = await untilStatus(helper.getNode('r1')!, (s) => s.fill === 'red', 'red on r1');
    // The test runtime shows message keys, not texts.
    assert.equal(status.text, 'dingtalk-stream-app.status.badRedis');
    assert.match(loggedText(), /dingtalk-stream-app\.errors\.badRedis/);
    assert.ok(!visible(['r1']).includes(PASSWORD));
  });

  it('Redis unreachable: messages still flow, a yellow dot and one log line; green again when Redis is back', async () => {
    const port = await freePort();
    await helper.load(
      ALL_MODULES,
      [TAB, appConfig(env.sim, 'app1', { redisUrl: `redis://127.0.0.1:${port}` }), robotIn('r1'), OUT],
      simCredentials(),
    );
    const r1 = helper.getNode('r1')!;
    await untilStatus(r1, (s) => s.fill === 'green' || s.fill === 'yellow', 'connected on r1');
    const inbox = new Inbox(helper.getNode('out')!);
    env.sim.robotMessage({ text: 'one' });
    env.sim.robotMessage({ text: 'two' });
    assert.equal((await inbox.nth(1))['payload'], 'one');
    assert.equal((await inbox.nth(2))['payload'], 'two');
    await untilStatus(r1, (s) => s.fill === 'yellow' && s.text === 'dingtalk-stream-app.status.claimsDown', 'yellow Redis status');
    assert.equal((loggedText().match(/Shared dedupe store unavailable/g) ?? []).length, 1);
    redis = await TestRedis.start(['--port', String(port)]);
    // The next push finds Redis answering again.
    const last = (): string | undefined => shownStatuses(r1).at(-1)?.fill;
    for (let i = 0; i < 80 && last() !== 'green'; i++) {
      env.sim.robotMessage({ text: `again ${i}` });
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(last(), 'green');
    assert.match(loggedText(), /Shared dedupe store answers again/);
  });

  it('shows how many instances run the app, and warns when another subscribes differently', async () => {
    redis = await TestRedis.start();
    await helper.load(ALL_MODULES, [TAB, appConfig(env.sim, 'app1', { redisUrl: redis.url }), robotIn('r1'), OUT], simCredentials());
    const r1 = helper.getNode('r1')!;
    await untilStatus(r1, (s) => s.fill === 'green', 'green on r1');
    const { createClient } = await import('@redis/client');
    const probe = createClient({ url: redis.url });
    await probe.connect();
    try {
      // Another instance, as its heartbeat says: same subscriptions first, then one with card callbacks too.
      const key = `dingtalk-stream:${env.sim.apps[0]!.clientId}:instance:other`;
      const other = (subscriptions: string[]): string => JSON.stringify({ id: 'other', host: 'box2', pid: 42, subscriptions, at: Date.now() });
      await probe.set(key, other(['CALLBACK /v1.0/im/bot/messages/get']), { expiration: { type: 'PX', value: 60_000 } });
      await untilStatus(r1, (s) => s.text === 'dingtalk-stream-app.status.connectedInstances' && s.fill === 'green', 'two instances');
      await probe.set(key, other(['CALLBACK /v1.0/im/bot/messages/get', 'CALLBACK /v1.0/card/instances/callback']), {
        expiration: { type: 'PX', value: 60_000 },
      });
      await untilStatus(r1, (s) => s.text === 'dingtalk-stream-app.status.instancesDiffer' && s.fill === 'yellow', 'the difference');
      assert.match(loggedText(), /dingtalk-stream-app\.warn\.instancesDiffer/);
      await probe.del(key);
      const last = (): string | undefined => shownStatuses(r1).at(-1)?.text;
      for (let i = 0; i < 50 && last() !== 'dingtalk-stream-app.status.connected'; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(last(), 'dingtalk-stream-app.status.connected', 'back to one instance');
    } finally {
      probe.destroy();
    }
  });
});
