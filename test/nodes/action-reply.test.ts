import assert from 'node:assert/strict';
import type { DingTalkSimulator } from '../../src/simulator';
import { SIMULATOR_APP } from '../../src/simulator';
import { loadAction, useNodeRedWithSimulator, visibleText } from './support';

const replyNode: unknown = require('../../nodes/dingtalk-reply');

describe('dingtalk-reply node', function () {
  const env = useNodeRedWithSimulator();

  /** What dingtalk-robot-in would put in msg.dingtalk: a real message with a live session webhook of the simulator. */
  function incoming(opts: Parameters<DingTalkSimulator['robotMessage']>[0] = {}): Record<string, any> {
    return env.sim.robotMessage({ text: 'hello robot', ...opts }).data as Record<string, any>;
  }

  it('replies with msg.payload as text through the session webhook and passes the msg on unchanged', async () => {
    const flow = await loadAction(replyNode, env.sim, { type: 'dingtalk-reply', msgType: 'text' });
    const dingtalk = incoming({ conversationType: '2' });
    const { out, error } = await flow.send({ payload: 'hi there', topic: 'keep', dingtalk });
    assert.equal(error, undefined);
    assert.equal(out!['payload'], 'hi there');
    assert.equal(out!['topic'], 'keep');
    assert.deepEqual(out!['dingtalkResponse'], { errcode: 0, errmsg: 'ok' });
    const sent = await env.sim.waitForSent((s) => s.kind === 'webhook');
    assert.equal(sent.conversationId, dingtalk['conversationId']);
    assert.deepEqual(sent.body, { msgtype: 'text', text: { content: 'hi there' } });
    assert.equal(flow.statuses.at(-1)?.fill, 'green');
  });

  it('@mentions the sender in the at list and in the text', async () => {
    const flow = await loadAction(replyNode, env.sim, { type: 'dingtalk-reply', msgType: 'text', atSender: true });
    const dingtalk = incoming({ senderStaffId: 'staff42', conversationType: '2' });
    const { out } = await flow.send({ payload: 'done', dingtalk });
    assert.ok(out);
    const sent = await env.sim.waitForSent((s) => s.kind === 'webhook');
    const body = sent.body as { text: { content: string }; at: { atUserIds: string[] } };
    assert.deepEqual(body.at.atUserIds, ['staff42']);
    assert.match(body.text.content, /^done @staff42$/);
  });

  it('sends markdown with the title from msg.title', async () => {
    const flow = await loadAction(replyNode, env.sim, { type: 'dingtalk-reply', msgType: 'markdown' });
    const { out } = await flow.send({ payload: '### Report\n- ok', title: 'Daily report', dingtalk: incoming() });
    assert.ok(out);
    const sent = await env.sim.waitForSent((s) => s.kind === 'webhook');
    assert.deepEqual(sent.body, { msgtype: 'markdown', markdown: { title: 'Daily report', text: '### Report\n- ok' } });
  });

  it('sends an action card built from msg.payload', async () => {
    const flow = await loadAction(replyNode, env.sim, { type: 'dingtalk-reply', msgType: 'actionCard' });
    const card = {
      title: 'Approve?',
      text: 'Leave request',
      btnOrientation: '1',
      btns: [
        { title: 'Yes', actionURL: 'https://example.com/y' },
        { title: 'No', actionURL: 'https://example.com/n' },
      ],
    };
    const { out } = await flow.send({ payload: card, dingtalk: incoming() });
    assert.deepEqual(out!['payload'], card);
    const sent = await env.sim.waitForSent((s) => s.kind === 'webhook');
    assert.deepEqual(sent.body, { msgtype: 'actionCard', actionCard: card });
  });

  it('sends a complete message object from msg.payload as it is', async () => {
    const flow = await loadAction(replyNode, env.sim, { type: 'dingtalk-reply', msgType: 'raw' });
    const link = { msgtype: 'link', link: { title: 'Docs', text: 'Read this', messageUrl: 'https://example.com/docs' } };
    const { out } = await flow.send({ payload: link, dingtalk: incoming() });
    assert.deepEqual(out!['payload'], link);
    assert.deepEqual((await env.sim.waitForSent((s) => s.kind === 'webhook')).body, link);
  });

  it('fails clearly without msg.dingtalk, through done(err) to a Catch node, and the next message still flows', async () => {
    const flow = await loadAction(replyNode, env.sim, { type: 'dingtalk-reply' });
    const first = await flow.send({ payload: 'orphan' });
    assert.equal(first.out, undefined);
    assert.match(first.error!['error'].message, /msg\.dingtalk is missing/);
    assert.match(first.error!['error'].message, /dingtalk-robot-in/);
    assert.equal(first.error!['payload'], 'orphan');
    assert.equal(flow.statuses.at(-1)?.fill, 'red');
    assert.match(flow.statuses.at(-1)?.text ?? '', /msg\.dingtalk/);
    const completed = await flow.sendAndComplete({ payload: 'fine', dingtalk: incoming() });
    assert.equal(completed['payload'], 'fine');
    assert.equal(flow.outputs.length, 1);
    assert.equal(flow.errors.length, 1);
  });

  it('names msg.payload when a text reply gets an object', async () => {
    const flow = await loadAction(replyNode, env.sim, { type: 'dingtalk-reply', msgType: 'text' });
    const { error } = await flow.send({ payload: { text: 'not a string' }, dingtalk: incoming() });
    assert.match(error!['error'].message, /msg\.payload/);
    assert.match(error!['error'].message, /string/);
    assert.equal(env.sim.sent.length, 0);
  });

  it('refuses an expired session webhook, saying what to do, without calling DingTalk', async () => {
    const flow = await loadAction(replyNode, env.sim, { type: 'dingtalk-reply' });
    const dingtalk = { ...incoming(), sessionWebhookExpiredTime: Date.now() - 1000 };
    const before = env.sim.requests.length;
    const { error } = await flow.send({ payload: 'late', dingtalk });
    assert.match(error!['error'].message, /expired/);
    assert.match(error!['error'].message, /robot API/);
    assert.equal(env.sim.requests.length, before);
  });

  it('falls back to the 1:1 robot API for an expired single-chat webhook when enabled', async () => {
    const flow = await loadAction(replyNode, env.sim, { type: 'dingtalk-reply', fallbackToApi: true });
    const dingtalk = { ...incoming({ conversationType: '1', senderStaffId: 'staff7' }), sessionWebhookExpiredTime: Date.now() - 1000 };
    const { out, error } = await flow.send({ payload: 'late but here', dingtalk });
    assert.equal(error, undefined);
    const req = await env.sim.waitForRequest('/v1.0/robot/oToMessages/batchSend');
    assert.deepEqual(req.body, {
      robotCode: SIMULATOR_APP.robotCode,
      userIds: ['staff7'],
      msgKey: 'sampleText',
      msgParam: JSON.stringify({ content: 'late but here' }),
    });
    assert.ok((out!['dingtalkResponse'] as { processQueryKeys: string[] }).processQueryKeys.length === 1);
    assert.equal(out!['payload'], 'late but here');
  });

  it('falls back to the group robot API for an expired group webhook when enabled', async () => {
    const flow = await loadAction(replyNode, env.sim, { type: 'dingtalk-reply', fallbackToApi: true, msgType: 'markdown' });
    const dingtalk: Record<string, any> = { ...incoming({ conversationType: '2' }), sessionWebhookExpiredTime: Date.now() - 1000 };
    const { out } = await flow.send({ payload: '**late**', title: 'T', dingtalk });
    assert.ok(out);
    const sent = await env.sim.waitForSent((s) => s.kind === 'group');
    assert.equal(sent.openConversationId, dingtalk['conversationId']);
    assert.deepEqual(sent.body, {
      robotCode: SIMULATOR_APP.robotCode,
      openConversationId: dingtalk['conversationId'],
      msgKey: 'sampleMarkdown',
      msgParam: JSON.stringify({ title: 'T', text: '**late**' }),
    });
  });

  it('falls back to the 1:1 robot API when DingTalk ended the webhook before its expiry time (300001)', async () => {
    const flow = await loadAction(replyNode, env.sim, { type: 'dingtalk-reply', fallbackToApi: true });
    const dingtalk = incoming({ conversationType: '1', senderStaffId: 'staff8' });
    assert.ok(dingtalk['sessionWebhookExpiredTime'] > Date.now() + 60 * 60_000, 'still valid by its expiry time');
    env.sim.invalidateSession(dingtalk['sessionWebhook']);
    const { out, error } = await flow.send({ payload: 'after all', dingtalk });
    assert.equal(error, undefined);
    assert.equal(env.sim.requests.filter((r) => r.path === '/robot/sendBySession').length, 1, 'the webhook was tried first');
    const sent = await env.sim.waitForSent((s) => s.kind === 'oto');
    assert.deepEqual(sent.userIds, ['staff8']);
    assert.equal(JSON.parse((sent.body as { msgParam: string }).msgParam).content, 'after all');
    assert.deepEqual(
      env.sim.sent.map((s) => s.kind),
      ['oto'],
      'delivered once, by the API',
    );
    assert.equal((out!['dingtalkResponse'] as { processQueryKeys: string[] }).processQueryKeys.length, 1);
    assert.equal(flow.statuses.at(-1)?.text, 'sent via robot API');
  });

  it('falls back to the group robot API when DingTalk ended a group webhook early', async () => {
    const flow = await loadAction(replyNode, env.sim, { type: 'dingtalk-reply', fallbackToApi: true, msgType: 'markdown' });
    const dingtalk = incoming({ conversationType: '2' });
    env.sim.invalidateSession(dingtalk['sessionWebhook']);
    const { out, error } = await flow.send({ payload: '**still here**', title: 'T', dingtalk });
    assert.equal(error, undefined);
    assert.ok(out);
    const sent = await env.sim.waitForSent((s) => s.kind === 'group');
    assert.equal(sent.openConversationId, dingtalk['conversationId']);
    assert.equal((sent.body as { msgKey: string }).msgKey, 'sampleMarkdown');
    assert.deepEqual(
      env.sim.sent.map((s) => s.kind),
      ['group'],
    );
  });

  it('without the fallback, a webhook DingTalk ended early fails clearly and nothing is sent', async () => {
    const flow = await loadAction(replyNode, env.sim, { type: 'dingtalk-reply' });
    const dingtalk = incoming({ conversationType: '1' });
    env.sim.invalidateSession(dingtalk['sessionWebhook']);
    const { out, error } = await flow.send({ payload: 'lost?', dingtalk });
    assert.equal(out, undefined);
    const message = String(error!['error'].message);
    assert.match(message, /no longer accepts replies through the session webhook of this message \(300001 "session 不存在"\)/);
    assert.match(
      message,
      /although its expiry time has not passed\. Nothing was sent\. Enable "when the webhook has expired, send through the robot API instead"/,
    );
    assert.equal(env.sim.sent.length, 0);
    assert.equal(env.sim.requests.filter((r) => r.path.startsWith('/v1.0/robot/')).length, 0);
    assert.match(flow.statuses.at(-1)?.text ?? '', /msg\.dingtalk\.sessionWebhook/);
  });

  it('refuses a fallback reply over 15,000 bytes of msgParam before calling the robot API', async () => {
    const flow = await loadAction(replyNode, env.sim, { type: 'dingtalk-reply', fallbackToApi: true });
    const dingtalk = { ...incoming({ conversationType: '1' }), sessionWebhookExpiredTime: Date.now() - 1000 };
    const { error } = await flow.send({ payload: '长'.repeat(5000), dingtalk });
    assert.match(
      String(error!['error'].message),
      /msg\.payload is too large: as a robot message \(msgParam\) it is 15,014 bytes, the limit is 15,000/,
    );
    assert.equal(env.sim.requests.filter((r) => r.path.startsWith('/v1.0/robot/')).length, 0);
  });

  it('surfaces DingTalk refusals with their hint, and never shows the app secret', async () => {
    const flow = await loadAction(replyNode, env.sim, { type: 'dingtalk-reply', fallbackToApi: true });
    env.sim.failNext({
      path: '/v1.0/robot/oToMessages/batchSend',
      status: 403,
      code: 'Forbidden.AccessDenied.AccessTokenPermissionDenied',
      message: 'no permission [qyapi_robot_sendmsg]',
    });
    const dingtalk = { ...incoming({ conversationType: '1' }), sessionWebhookExpiredTime: Date.now() - 1000 };
    const { error } = await flow.send({ payload: 'x', dingtalk });
    assert.match(error!['error'].message, /qyapi_robot_sendmsg/);
    assert.match(error!['error'].message, /developer console/);
    assert.match(flow.statuses.at(-1)?.text ?? '', /Forbidden/);
    assert.ok(!visibleText(flow).includes(SIMULATOR_APP.clientSecret));
  });

  it('shows "no app" and fails each message when no app is configured', async () => {
    const flow = await loadAction(replyNode, env.sim, { type: 'dingtalk-reply' }, { withApp: false });
    const { error } = await flow.send({ payload: 'x', dingtalk: incoming() });
    assert.match(error!['error'].message, /dingtalk-stream-app/);
    assert.deepEqual(flow.statuses.at(-1), { fill: 'red', shape: 'ring', text: 'no app configured' });
  });
});
