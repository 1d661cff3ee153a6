import assert from 'node:assert/strict';
import { SIMULATOR_APP } from '../../src/simulator';
import { helper, loadAction, useNodeRedWithSimulator, visibleText } from './support';

const sendNode: unknown = require('../../nodes/dingtalk-send');
const BATCH = '/v1.0/robot/oToMessages/batchSend';
const GROUP = '/v1.0/robot/groupMessages/send';

describe('dingtalk-send node', function () {
  const env = useNodeRedWithSimulator();

  const bodiesTo = (path: string): unknown[] => env.sim.requests.filter((r) => r.path === path).map((r) => r.body);

  it("sends a string payload as text to the users in msg.userIds (comma string) and returns DingTalk's answer", async () => {
    const flow = await loadAction(sendNode, env.sim, { type: 'dingtalk-send' });
    const { out, error } = await flow.send({ payload: 'Build finished', userIds: 'alice, bob' });
    assert.equal(error, undefined);
    assert.deepEqual(bodiesTo(BATCH), [
      {
        robotCode: SIMULATOR_APP.robotCode,
        userIds: ['alice', 'bob'],
        msgKey: 'sampleText',
        msgParam: JSON.stringify({ content: 'Build finished' }),
      },
    ]);
    const response = out!['dingtalkResponse'] as Record<string, unknown>;
    assert.equal(typeof response['processQueryKey'], 'string');
    assert.deepEqual(response['invalidStaffIdList'], []);
    assert.equal(out!['payload'], 'Build finished');
    assert.equal(flow.statuses.at(-1)?.fill, 'green');
  });

  it("uses the node's user ids over msg.userIds and reports invalid and throttled users with a yellow dot", async () => {
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
      {
        robotCode: SIMULATOR_APP.robotCode,
        openConversationId: 'cidGroup1',
        msgKey: 'sampleMarkdown',
        msgParam: JSON.stringify({ title: 'Alert', text: '## Disk full' }),
      },
    ]);
    assert.equal(typeof (out!['dingtalkResponse'] as Record<string, unknown>)['processQueryKey'], 'string');
  });

  it('maps image, link and multi-button action cards to their msgKeys', async () => {
    const flow = await loadAction(sendNode, env.sim, { type: 'dingtalk-send', target: 'group', openConversationId: 'cidG', msgType: 'image' });
    await flow.send({ payload: 'https://example.com/a.png' });
    assert.deepEqual(
      bodiesTo(GROUP).map((b) => (b as { msgKey: string }).msgKey),
      ['sampleImageMsg'],
    );
    await helper.unload();

    const cards = await loadAction(sendNode, env.sim, { type: 'dingtalk-send', target: 'group', openConversationId: 'cidG', msgType: 'actionCard' });
    await cards.send({
      payload: {
        title: 'T',
        text: 'x',
        btns: [
          { title: 'A', actionURL: 'https://a' },
          { title: 'B', actionURL: 'https://b' },
          { title: 'C', actionURL: 'https://c' },
        ],
      },
    });
    const body = bodiesTo(GROUP)[1] as { msgKey: string; msgParam: string };
    assert.equal(body.msgKey, 'sampleActionCard3');
    assert.deepEqual(JSON.parse(body.msgParam), {
      title: 'T',
      text: 'x',
      actionTitle1: 'A',
      actionURL1: 'https://a',
      actionTitle2: 'B',
      actionURL2: 'https://b',
      actionTitle3: 'C',
      actionURL3: 'https://c',
    });
  });

  it('sends any msg.msgKey + msg.msgParam as given', async () => {
    const flow = await loadAction(sendNode, env.sim, { type: 'dingtalk-send', target: 'users', userIds: 'u1' });
    await flow.send({ msgKey: 'sampleLink', msgParam: { title: 'T', text: 'x', messageUrl: 'https://m', picUrl: '' }, payload: 'unused' });
    assert.deepEqual(bodiesTo(BATCH), [
      {
        robotCode: SIMULATOR_APP.robotCode,
        userIds: ['u1'],
        msgKey: 'sampleLink',
        msgParam: JSON.stringify({ title: 'T', text: 'x', messageUrl: 'https://m', picUrl: '' }),
      },
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

  it("refuses a message over DingTalk's 15,000 bytes of msgParam before sending, naming msg.payload, size and limit", async () => {
    const flow = await loadAction(sendNode, env.sim, { type: 'dingtalk-send', target: 'group', openConversationId: 'cidG' });
    // 5,000 Chinese characters: well under the 20,000-character text limit, but 15,014 bytes as msgParam.
    const { out, error } = await flow.send({ payload: '长'.repeat(5000) });
    assert.equal(out, undefined);
    const message = String(error!['error'].message);
    assert.match(message, /msg\.payload is too large: as a robot message \(msgParam\) it is 15,014 bytes, the limit is 15,000 \(DingTalk's/);
    assert.match(message, /Nothing was sent\. Shorten the text/);
    assert.equal(bodiesTo(GROUP).length, 0);
    const custom = await flow.send({ msgKey: 'sampleMarkdown', msgParam: { title: 't', text: 'x'.repeat(15_000) } });
    assert.match(String(custom.error!['error'].message), /^(MsgInputError: )?msg\.msgParam is too large/);
    const fits = await flow.send({ payload: '长'.repeat(4995) });
    assert.equal(fits.error, undefined);
    assert.equal(bodiesTo(GROUP).length, 1);
  });

  it('does not resend a message after a 502 that came once DingTalk had delivered it, and says it may have been delivered', async () => {
    const flow = await loadAction(sendNode, env.sim, { type: 'dingtalk-send', target: 'group', openConversationId: 'cidG' });
    env.sim.failNext({ path: GROUP, status: 502, code: 'BadGateway', message: 'Bad Gateway', afterHandling: true });
    const { out, error } = await flow.send({ payload: 'only once' });
    assert.equal(out, undefined);
    assert.match(String(error!['error'].message), /may or may not have carried out the request, so it was not resent/);
    assert.match(String(error!['error'].message), /check the chat before sending again/);
    assert.equal(bodiesTo(GROUP).length, 1);
    assert.equal(env.sim.sent.filter((s) => s.kind === 'group').length, 1);
  });
});
