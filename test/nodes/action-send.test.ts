import assert from 'node:assert/strict';
import { SIMULATOR_APP } from '../../src/simulator';
import { helper, loadAction, useNodeRedWithSimulator, visibleText } from './support';

const sendNode: unknown = require('../../nodes/dingtalk-send');
const BATCH = '/v1.0/robot/oToMessages/batchSend';
const GROUP = '/v1.0/robot/groupMessages/send';

describe('dingtalk-send node', function () {
  const env = useNodeRedWithSimulator();

  const bodiesTo = (path: string): unknown[] => env.sim.requests.filter((r) => r.path === path).map((r) => r.body);

  it('sends a string payload as text to the users in msg.userIds (comma string) and returns DingTalk\'s answer', async () => {
    const flow = await loadAction(sendNode, env.sim, { type: 'dingtalk-send' });
    const { out, error } = await flow.send({ payload: 'Build finished', userIds: 'alice, bob' });
    assert.equal(error, undefined);
    assert.deepEqual(bodiesTo(BATCH), [
      { robotCode: SIMULATOR_APP.robotCode, userIds: ['alice', 'bob'], msgKey: 'sampleText', msgParam: JSON.stringify({ content: 'Build finished' }) },
    ]);
    const response = out!['dingtalkResponse'] as Record<string, unknown>;
    assert.equal(typeof response['processQueryKey'], 'string');
    assert.deepEqual(response['invalidStaffIdList'], []);
    assert.equal(out!['payload'], 'Build finished');
    assert.equal(flow.statuses.at(-1)?.fill, 'green');
  });

  it('uses the node\'s user ids over msg.userIds and reports invalid and throttled users with a yellow dot', async () => {
    const flow = await loadAction(sendNode, env.sim, { type: 'dingtalk-send', target: 'users', userIds: 'alice,invalidUser,flowControlledBob' });
    const { out } = await flow.send({ payload: 'hi', userIds: ['ignored'] });
    const response = out!['dingtalkResponse'] as Record<string, string[]>;
    assert.deepEqual(response['invalidStaffIdList'], ['invalidUser']);
    assert.deepEqual(response['flowControlledStaffIdList'], ['flowControlledBob']);
    assert.deepEqual((bodiesTo(BATCH)[0] as { userIds: string[] }).userIds, ['alice', 'invalidUser', 'flowControlledBob']);
    assert.equal(flow.statuses.at(-1)?.fill, 'yellow');
    assert.match(flow.statuses.at(-1)?.text ?? '', /1 invalid, 1 throttled/);
  });

  it('sends to the group in msg.openConversationId when no target is set in the node', async () => {
    const flow = await loadAction(sendNode, env.sim, { type: 'dingtalk-send', msgType: 'markdown', title: 'Alert' });
    const { out } = await flow.send({ payload: '## Disk full', openConversationId: 'cidGroup1' });
    assert.deepEqual(bodiesTo(GROUP), [
      { robotCode: SIMULATOR_APP.robotCode, openConversationId: 'cidGroup1', msgKey: 'sampleMarkdown', msgParam: JSON.stringify({ title: 'Alert', text: '## Disk full' }) },
    ]);
    assert.equal(typeof (out!['dingtalkResponse'] as Record<string, unknown>)['processQueryKey'], 'string');
  });

  it('maps image, link and multi-button action cards to their msgKeys', async () => {
    const flow = await loadAction(sendNode, env.sim, { type: 'dingtalk-send', target: 'group', openConversationId: 'cidG', msgType: 'image' });
    await flow.send({ payload: 'https://example.com/a.png' });
    assert.deepEqual(bodiesTo(GROUP).map((b) => (b as { msgKey: string }).msgKey), ['sampleImageMsg']);
    await helper.unload();

    const cards = await loadAction(sendNode, env.sim, { type: 'dingtalk-send', target: 'group', openConversationId: 'cidG', msgType: 'actionCard' });
    await cards.send({ payload: { title: 'T', text: 'x', btns: [{ title: 'A', actionURL: 'https://a' }, { title: 'B', actionURL: 'https://b' }, { title: 'C', actionURL: 'https://c' }] } });
    const body = bodiesTo(GROUP)[1] as { msgKey: string; msgParam: string };
    assert.equal(body.msgKey, 'sampleActionCard3');
    assert.deepEqual(JSON.parse(body.msgParam), { title: 'T', text: 'x', actionTitle1: 'A', actionURL1: 'https://a', actionTitle2: 'B', actionURL2: 'https://b', actionTitle3: 'C', actionURL3: 'https://c' });
  });

  it('sends any msg.msgKey + msg.msgParam as given', async () => {
    const flow = await loadAction(sendNode, env.sim, { type: 'dingtalk-send', target: 'users', userIds: 'u1' });
    await flow.send({ msgKey: 'sampleLink', msgParam: { title: 'T', text: 'x', messageUrl: 'https://m', picUrl: '' }, payload: 'unused' });
    assert.deepEqual(bodiesTo(BATCH), [
      { robotCode: SIMULATOR_APP.robotCode, userIds: ['u1'], msgKey: 'sampleLink', msgParam: JSON.stringify({ title: 'T', text: 'x', messageUrl: 'https://m', picUrl: '' }) },
    ]);
  });

  it('fails clearly without a recipient, and the next message still flows', async () => {
    const flow = await loadAction(sendNode, env.sim, { type: 'dingtalk-send' });
    const { error } = await flow.send({ payload: 'to nobody' });
    assert.match(error!['error'].message, /msg\.userIds/);
    assert.match(error!['error'].message, /msg\.openConversationId/);
    const { out } = await flow.send({ payload: 'to alice', userIds: ['alice'] });
    assert.ok(out);
  });

  it('fails clearly with an empty user list in the node target', async () => {
    const flow = await loadAction(sendNode, env.sim, { type: 'dingtalk-send', target: 'users', userIds: '' });
    const { error } = await flow.send({ payload: 'x', userIds: ' , ' });
    assert.match(error!['error'].message, /user ids/i);
    assert.equal(bodiesTo(BATCH).length, 0);
  });

  it('refuses a non-string payload for text, naming msg.payload', async () => {
    const flow = await loadAction(sendNode, env.sim, { type: 'dingtalk-send', msgType: 'text' });
    const { error } = await flow.send({ payload: { a: 1 }, userIds: ['alice'] });
    assert.match(error!['error'].message, /msg\.payload/);
    assert.equal(bodiesTo(BATCH).length, 0);
    assert.match(flow.statuses.at(-1)?.text ?? '', /msg\.payload/);
  });

  it('surfaces a 4xx from DingTalk with its hint, and never shows the app secret', async () => {
    const flow = await loadAction(sendNode, env.sim, { type: 'dingtalk-send', target: 'group', openConversationId: 'cidG' });
    env.sim.failNext({ path: GROUP, status: 400, code: 'resource.unavailable', message: 'robot not in group' });
    const { error } = await flow.send({ payload: 'hello' });
    assert.match(error!['error'].message, /resource\.unavailable/);
    assert.match(error!['error'].message, /added to the group/);
    assert.equal(flow.statuses.at(-1)?.fill, 'red');
    assert.match(flow.statuses.at(-1)?.text ?? '', /resource\.unavailable/);
    assert.ok(!visibleText(flow).includes(SIMULATOR_APP.clientSecret));
  });
});
