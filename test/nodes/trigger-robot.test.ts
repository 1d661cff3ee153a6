import assert from 'node:assert/strict';
import type { DingTalkSimulator } from '../../src/simulator';
import {
  ALL_MODULES,
  FAST_TIMINGS,
  Inbox,
  TAB,
  appConfig,
  helper,
  robotIn,
  shownStatuses,
  simCredentials,
  untilStatus,
  useNodeRedWithSimulator,
} from './support';

const ROBOT_TOPIC = '/v1.0/im/bot/messages/get';

async function loadRobotIn(sim: DingTalkSimulator, config: Record<string, unknown> = {}): Promise<Inbox> {
  const flow = [TAB, appConfig(sim), robotIn('robot', 'app1', config), { id: 'out', z: TAB.id, type: 'helper' }];
  await helper.load(ALL_MODULES, flow, simCredentials());
  const inbox = new Inbox(helper.getNode('out')!);
  await sim.waitForConnection();
  return inbox;
}

describe('dingtalk-robot-in', function () {
  const env = useNodeRedWithSimulator(FAST_TIMINGS);

  it('delivers a text message with payload = the trimmed text, topic = conversation id and the whole message in msg.dingtalk', async () => {
    const inbox = await loadRobotIn(env.sim);
    const push = env.sim.robotMessage({ text: '  hello robot  ', senderStaffId: 'staff01', senderNick: 'Zhang San' });
    const msg = await inbox.nth(1);
    const data = push.data as Record<string, any>;
    assert.equal(msg['payload'], 'hello robot');
    assert.equal(msg['topic'], data['conversationId']);
    const dt = msg['dingtalk'];
    assert.equal(dt.msgtype, 'text');
    assert.equal(dt.conversationId, data['conversationId']);
    assert.equal(dt.conversationType, '1');
    assert.equal(dt.senderStaffId, 'staff01');
    assert.equal(dt.senderNick, 'Zhang San');
    assert.equal(dt.sessionWebhook, data['sessionWebhook']);
    assert.equal(dt.sessionWebhookExpiredTime, data['sessionWebhookExpiredTime']);
    assert.equal(dt.robotCode, data['robotCode']);
    assert.equal(dt.msgId, data['msgId']);
    assert.equal(dt.messageId, push.messageId);
  });

  it('removes the leading space DingTalk leaves after the @mention in a group', async () => {
    const inbox = await loadRobotIn(env.sim);
    const push = env.sim.robotMessage({ text: 'status please', conversationType: '2' });
    const msg = await inbox.nth(1);
    assert.equal(msg['payload'], 'status please');
    assert.equal(msg['dingtalk'].conversationType, '2');
    assert.deepEqual(msg['dingtalk'].atUsers, (push.data as Record<string, any>)['atUsers']);
  });

  it('removes an @name left at the start of a group message text', async () => {
    const inbox = await loadRobotIn(env.sim);
    env.sim.robotMessage({ conversationType: '2', overrides: { text: { content: '@HelperBot  deploy now ' } } });
    const msg = await inbox.nth(1);
    assert.equal(msg['payload'], 'deploy now');
  });

  it('gives the content object as payload and the downloadCode in msg.dingtalk for a file message', async () => {
    const inbox = await loadRobotIn(env.sim);
    const push = env.sim.robotMessage({ msgtype: 'file' });
    const msg = await inbox.nth(1);
    const content = (push.data as Record<string, any>)['content'];
    assert.deepEqual(msg['payload'], content);
    assert.equal(msg['dingtalk'].downloadCode, content.downloadCode);
    assert.equal(typeof msg['dingtalk'].downloadCode, 'string');
  });

  it('subscribes to the robot topic only', async () => {
    await loadRobotIn(env.sim);
    const [conn] = env.sim.openConnections;
    assert.deepEqual(
      conn!.subscriptions.filter((s) => s.type !== 'SYSTEM').map((s) => `${s.type} ${s.topic}`),
      [`CALLBACK ${ROBOT_TOPIC}`],
    );
  });

  it('filters on single chats: a group message is skipped', async () => {
    const inbox = await loadRobotIn(env.sim, { chat: 'single' });
    env.sim.robotMessage({ text: 'in group', conversationType: '2' });
    env.sim.robotMessage({ text: 'in single', conversationType: '1' });
    const first = await inbox.nth(1);
    assert.equal(first['payload'], 'in single');
  });

  it('filters on group chats: a single-chat message is skipped', async () => {
    const inbox = await loadRobotIn(env.sim, { chat: 'group' });
    env.sim.robotMessage({ text: 'in single', conversationType: '1' });
    env.sim.robotMessage({ text: 'in group', conversationType: '2' });
    const first = await inbox.nth(1);
    assert.equal(first['payload'], 'in group');
  });

  it('filters on message types', async () => {
    const inbox = await loadRobotIn(env.sim, { msgtypes: 'picture,file' });
    env.sim.robotMessage({ text: 'just text' });
    env.sim.robotMessage({ msgtype: 'picture' });
    const first = await inbox.nth(1);
    assert.equal(first['dingtalk'].msgtype, 'picture');
  });

  it('filters on a keyword (case-insensitive contains)', async () => {
    const inbox = await loadRobotIn(env.sim, { keyword: 'Weather' });
    env.sim.robotMessage({ text: 'hello' });
    env.sim.robotMessage({ text: 'what is the weather today' });
    const first = await inbox.nth(1);
    assert.equal(first['payload'], 'what is the weather today');
  });

  it('filters on a regular expression', async () => {
    const inbox = await loadRobotIn(env.sim, { keyword: '^/deploy\\s+(\\w+)$', keywordMode: 'regex' });
    env.sim.robotMessage({ text: 'please /deploy prod' });
    env.sim.robotMessage({ text: '/deploy prod' });
    const first = await inbox.nth(1);
    assert.equal(first['payload'], '/deploy prod');
  });

  it('shows a red config error for an invalid regular expression, does not crash and opens no connection', async () => {
    const flow = [
      TAB,
      appConfig(env.sim),
      {
        id: 'robot',
        z: TAB.id,
        type: 'dingtalk-robot-in',
        app: 'app1',
        chat: 'both',
        msgtypes: '',
        keyword: '([unclosed',
        keywordMode: 'regex',
        wires: [[]],
      },
    ];
    await helper.load(ALL_MODULES, flow, simCredentials());
    const bad = shownStatuses(helper.getNode('robot')!).find((s) => s.fill === 'red');
    assert.ok(bad, 'a red status');
    assert.match(String(bad.text), /badRegex/);
    assert.equal(env.sim.connections.length, 0);
  });

  it('shows the connection state on the node: green dot when connected', async () => {
    await loadRobotIn(env.sim);
    const green = await untilStatus(helper.getNode('robot')!, (s) => s.fill === 'green', 'a green status');
    assert.equal(green.shape, 'dot');
    assert.match(String(green.text), /status\.connected/);
  });

  it('shows a red "no app" status without an app and does not crash', async () => {
    const flow = [
      TAB,
      { id: 'robot', z: TAB.id, type: 'dingtalk-robot-in', app: '', chat: 'both', msgtypes: '', keyword: '', keywordMode: 'contains', wires: [[]] },
    ];
    await helper.load(ALL_MODULES, flow);
    const shown = shownStatuses(helper.getNode('robot')!);
    assert.ok(
      shown.some((s) => s.fill === 'red' && /noApp/.test(String(s.text))),
      JSON.stringify(shown),
    );
  });
});
