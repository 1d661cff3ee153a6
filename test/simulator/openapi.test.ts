import assert from 'node:assert/strict';
import { SIMULATOR_APP, type DingTalkSimulator } from '../../src/simulator';
import { CARD_TOPIC, ROBOT_TOPIC, TestStreamClient, postJson, startSim } from './helpers';

describe('simulator: OpenAPI', () => {
  let sim: DingTalkSimulator;
  let token: string;
  const clients: TestStreamClient[] = [];
  const call = (path: string, body: unknown, method = 'POST', accessToken = token) =>
    postJson(`${sim.apiBase}${path}`, body, { 'x-acs-dingtalk-access-token': accessToken }, method);
  const text = (content: string) => ({ robotCode: SIMULATOR_APP.robotCode, msgKey: 'sampleText', msgParam: JSON.stringify({ content }) });

  beforeEach(async () => {
    sim = await startSim({ pingIntervalMs: 60_000 });
    const res = await postJson(`${sim.apiBase}/v1.0/oauth2/accessToken`, { appKey: SIMULATOR_APP.clientId, appSecret: SIMULATOR_APP.clientSecret });
    assert.equal(res.status, 200);
    assert.equal(res.body.expireIn, 7200);
    token = res.body.accessToken;
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await sim.stop();
  });

  it('refuses wrong app credentials for a token as DingTalk documents it', async () => {
    const res = await postJson(`${sim.apiBase}/v1.0/oauth2/accessToken`, { appKey: SIMULATOR_APP.clientId, appSecret: 'nope' });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'invalidClientIdOrSecret');
    assert.equal(res.body.message, '无效的clientId或者clientSecret');
    assert.equal(typeof res.body.requestid, 'string');
    const unknownApp = await postJson(`${sim.apiBase}/v1.0/oauth2/accessToken`, { appKey: 'dingNoSuchApp', appSecret: SIMULATOR_APP.clientSecret });
    assert.equal(unknownApp.body.code, 'invalidClientIdOrSecret');
  });

  it('requires a valid, unexpired access token', async () => {
    const body = { ...text('hi'), userIds: ['u1'] };
    assert.equal((await call('/v1.0/robot/oToMessages/batchSend', body)).status, 200);
    const missing = await postJson(`${sim.apiBase}/v1.0/robot/oToMessages/batchSend`, body);
    // DingTalk's global error-code page: HTTP 400 InvalidAuthentication (docs/protocol.md §6.1-d).
    assert.equal(missing.status, 400);
    assert.equal(missing.body.code, 'InvalidAuthentication');
    sim.expireTokens();
    const expired = await call('/v1.0/robot/oToMessages/batchSend', body);
    assert.equal(expired.status, 400);
    assert.equal(expired.body.message, '不合法的access_token');
  });

  it('expires tokens after tokenTtlSec', async () => {
    await sim.stop();
    sim = await startSim({ tokenTtlSec: 0 });
    const res = await postJson(`${sim.apiBase}/v1.0/oauth2/accessToken`, { appKey: SIMULATOR_APP.clientId, appSecret: SIMULATOR_APP.clientSecret });
    const after = await call('/v1.0/robot/groupMessages/send', { ...text('x'), openConversationId: 'cid1' }, 'POST', res.body.accessToken);
    assert.equal(after.status, 400);
    assert.equal(after.body.code, 'InvalidAuthentication');
  });

  it('validates batchSend: msgParam must be a string, userIds 1..20, known msgKey, own robotCode', async () => {
    const objParam = await call('/v1.0/robot/oToMessages/batchSend', {
      robotCode: SIMULATOR_APP.robotCode,
      userIds: ['u1'],
      msgKey: 'sampleText',
      msgParam: { content: 'x' },
    });
    assert.equal(objParam.status, 400);
    assert.equal(objParam.body.code, 'invalidParameter.msgParam.invalid');
    const tooMany = await call('/v1.0/robot/oToMessages/batchSend', { ...text('x'), userIds: Array.from({ length: 21 }, (_, i) => `u${i}`) });
    assert.equal(tooMany.status, 400);
    const badKey = await call('/v1.0/robot/oToMessages/batchSend', { ...text('x'), msgKey: 'sampleNope', userIds: ['u1'] });
    assert.equal(badKey.body.code, 'invalidParameter.msgKey.invalid');
    const badRobot = await call('/v1.0/robot/oToMessages/batchSend', { ...text('x'), robotCode: 'other', userIds: ['u1'] });
    assert.equal(badRobot.body.code, 'invalidParameter.robotCode.auth');
    const missingField = await call('/v1.0/robot/oToMessages/batchSend', {
      robotCode: SIMULATOR_APP.robotCode,
      msgKey: 'sampleMarkdown',
      msgParam: '{"title":"t"}',
      userIds: ['u1'],
    });
    assert.match(missingField.body.message, /text/);
    const ok = await call('/v1.0/robot/oToMessages/batchSend', { ...text('hello'), userIds: ['u1', 'invalid-user'] });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body.invalidStaffIdList, ['invalid-user']);
    assert.deepEqual(ok.body.flowControlledStaffIdList, []);
    assert.equal(typeof ok.body.processQueryKey, 'string');
    const sent = await sim.waitForSent((s) => s.kind === 'oto');
    assert.deepEqual(sent.userIds, ['u1']);
  });

  it('sends to groups', async () => {
    const res = await call('/v1.0/robot/groupMessages/send', { ...text('hi all'), openConversationId: 'cidGroup==' });
    assert.equal(res.status, 200);
    assert.equal(typeof res.body.processQueryKey, 'string');
    assert.equal((await sim.waitForSent((s) => s.kind === 'group')).openConversationId, 'cidGroup==');
  });

  it("refuses a robot send whose msgParam is over 15,000 bytes with DingTalk's msgParam.tooLong, recording nothing", async () => {
    // {"content":"…"} adds 14 bytes to the text.
    const atLimit = await call('/v1.0/robot/groupMessages/send', { ...text('x'.repeat(14_986)), openConversationId: 'cidGroup==' });
    assert.equal(atLimit.status, 200);
    for (const [path, extra] of [
      ['/v1.0/robot/groupMessages/send', { openConversationId: 'cidGroup==' }],
      ['/v1.0/robot/oToMessages/batchSend', { userIds: ['u1'] }],
    ] as const) {
      const over = await call(path, { ...text('x'.repeat(14_987)), ...extra });
      assert.equal(over.status, 400, path);
      assert.equal(over.body.code, 'invalidParameter.msgParam.tooLong');
      assert.equal(over.body.message, '消息内容太长');
    }
    assert.equal(sim.sent.length, 1);
  });

  it('answers 300001 "session 不存在" for a session webhook invalidated before its expiry time, others still work', async () => {
    const first = sim.robotMessage({ text: 'a' }).data as { sessionWebhook: string; sessionWebhookExpiredTime: number };
    const second = sim.robotMessage({ text: 'b' }).data as { sessionWebhook: string };
    assert.ok(first.sessionWebhookExpiredTime > Date.now() + 80 * 60_000, 'far from its expiry time');
    const control = await postJson(`${sim.apiBase}/sim/invalidate-session`, { sessionWebhook: first.sessionWebhook });
    assert.deepEqual(control.body, { invalidated: true });
    const gone = await postJson(first.sessionWebhook, { msgtype: 'text', text: { content: 'x' } });
    assert.equal(gone.status, 200);
    assert.deepEqual(gone.body, { errcode: 300001, errmsg: 'session 不存在' });
    const alive = await postJson(second.sessionWebhook, { msgtype: 'text', text: { content: 'y' } });
    assert.deepEqual(alive.body, { errcode: 0, errmsg: 'ok' });
    assert.deepEqual(
      sim.sent.map((x) => x.kind),
      ['webhook'],
    );
    assert.equal(sim.invalidateSession('unknown-session'), false);
  });

  it('fails after handling on demand: the send is recorded, then the answer is a 502 or a dropped connection', async () => {
    sim.failNext({ path: '/v1.0/robot/groupMessages/send', status: 502, code: 'BadGateway', afterHandling: true });
    const failed = await call('/v1.0/robot/groupMessages/send', { ...text('delivered'), openConversationId: 'cidGroup==' });
    assert.equal(failed.status, 502);
    assert.equal(failed.body.code, 'BadGateway');
    assert.equal(sim.sent.length, 1, 'DingTalk acted before the failure');
    sim.failNext({ path: '/v1.0/robot/groupMessages/send', status: 200, afterHandling: true, dropConnection: true });
    await assert.rejects(call('/v1.0/robot/groupMessages/send', { ...text('again'), openConversationId: 'cidGroup==' }));
    assert.equal(sim.sent.length, 2);
    sim.failNext({ path: '/v1.0/robot/groupMessages/send', status: 502 });
    assert.equal((await call('/v1.0/robot/groupMessages/send', { ...text('refused'), openConversationId: 'cidGroup==' })).status, 502);
    assert.equal(sim.sent.length, 2, 'a plain failNext fails before handling');
  });

  it('replies through the session webhook of a received message', async () => {
    const robot = await TestStreamClient.open(sim, [{ type: 'CALLBACK', topic: ROBOT_TOPIC }]);
    clients.push(robot);
    sim.robotMessage({ text: 'hi' });
    const data = JSON.parse((await robot.next((f) => f.type === 'CALLBACK')).data);
    assert.ok(data.sessionWebhookExpiredTime > Date.now() + 80 * 60_000);
    const reply = await postJson(data.sessionWebhook, { msgtype: 'markdown', markdown: { title: 't', text: '**bold**' } });
    assert.deepEqual(reply.body, { errcode: 0, errmsg: 'ok' });
    const sent = await sim.waitForSent((s) => s.kind === 'webhook');
    assert.equal(sent.conversationId, data.conversationId);
    const invalidBody = await postJson(data.sessionWebhook, { msgtype: 'image', image: {} });
    assert.notEqual(invalidBody.body.errcode, 0);
    sim.expireSessions();
    const expired = await postJson(data.sessionWebhook, { msgtype: 'text', text: { content: 'late' } });
    assert.equal(expired.body.errcode, 300001);
    const unknown = await postJson(`${sim.apiBase}/robot/sendBySession?session=nope`, { msgtype: 'text', text: { content: 'x' } });
    assert.equal(unknown.body.errcode, 300001);
  });

  it('serves the bytes of a received file through messageFiles/download', async () => {
    const robot = await TestStreamClient.open(sim, [{ type: 'CALLBACK', topic: ROBOT_TOPIC }]);
    clients.push(robot);
    sim.robotMessage({ msgtype: 'picture' });
    const data = JSON.parse((await robot.next((f) => f.type === 'CALLBACK')).data);
    const res = await call('/v1.0/robot/messageFiles/download', { downloadCode: data.content.downloadCode, robotCode: data.robotCode });
    assert.equal(res.status, 200);
    assert.ok(res.body.downloadUrl.startsWith(`${sim.apiBase}/sim/files/`));
    const file = await fetch(res.body.downloadUrl);
    assert.equal(file.headers.get('content-type'), 'image/png');
    const bytes = Buffer.from(await file.arrayBuffer());
    assert.deepEqual([...bytes.subarray(1, 4)], [...Buffer.from('PNG')]);
    const wrong = await call('/v1.0/robot/messageFiles/download', { downloadCode: 'nope', robotCode: data.robotCode });
    assert.equal(wrong.status, 400);
  });

  it('serves custom file bytes with their content type and name', async () => {
    const robot = await TestStreamClient.open(sim, [{ type: 'CALLBACK', topic: ROBOT_TOPIC }]);
    clients.push(robot);
    const bytes = Buffer.from('a,b\n1,2\n');
    sim.robotMessage({ msgtype: 'file', file: { data: bytes, contentType: 'text/csv', fileName: 'data.csv' } });
    const data = JSON.parse((await robot.next((f) => f.type === 'CALLBACK')).data);
    assert.equal(data.content.fileName, 'data.csv');
    const res = await call('/v1.0/robot/messageFiles/download', { downloadCode: data.content.downloadCode, robotCode: data.robotCode });
    const file = await fetch(res.body.downloadUrl);
    assert.equal(file.headers.get('content-type'), 'text/csv');
    assert.deepEqual(Buffer.from(await file.arrayBuffer()), bytes);
  });

  it('keeps card state: create, merge by key, replace, streaming', async () => {
    const created = await call('/v1.0/card/instances', {
      cardTemplateId: 'tpl.schema',
      outTrackId: 'card-1',
      cardData: { cardParamMap: { a: '1', b: '2' } },
      callbackType: 'STREAM',
      imGroupOpenSpaceModel: { supportForward: true },
    });
    assert.deepEqual(created.body, { success: true, result: 'card-1' });
    const delivered = await call('/v1.0/card/instances/deliver', {
      outTrackId: 'card-1',
      openSpaceId: 'dtv1.card//IM_GROUP.cidX==',
      imGroupOpenDeliverModel: { robotCode: SIMULATOR_APP.robotCode },
    });
    assert.equal(delivered.status, 200);
    await call(
      '/v1.0/card/instances',
      { outTrackId: 'card-1', cardData: { cardParamMap: { b: '3' } }, cardUpdateOptions: { updateCardDataByKey: true } },
      'PUT',
    );
    assert.deepEqual(sim.card('card-1')!.cardParamMap, { a: '1', b: '3' });
    await call('/v1.0/card/instances', { outTrackId: 'card-1', cardData: { cardParamMap: { c: '4' } } }, 'PUT');
    assert.deepEqual(sim.card('card-1')!.cardParamMap, { c: '4' });
    for (const [content, isFinalize] of [
      ['Hel', false],
      ['lo', true],
    ] as const) {
      const res = await call(
        '/v1.0/card/streaming',
        { outTrackId: 'card-1', guid: content, key: 'content', content, isFull: false, isFinalize },
        'PUT',
      );
      assert.deepEqual(res.body, { success: true, result: true });
    }
    assert.equal(sim.card('card-1')!.streams.content!.content, 'Hello');
    assert.equal(sim.card('card-1')!.finalized, true);
    assert.equal(sim.card('card-1')!.deliveries[0]!.spaceId, 'cidX==');
  });

  it('refuses a card deliver without the space model', async () => {
    const res = await call('/v1.0/card/instances/createAndDeliver', {
      cardTemplateId: 'tpl.schema',
      outTrackId: 'card-2',
      cardData: { cardParamMap: {} },
      openSpaceId: 'dtv1.card//IM_ROBOT.user1',
    });
    assert.equal(res.status, 400);
    assert.match(res.body.message, /spaces of card is empty/);
    assert.equal(sim.card('card-2'), undefined);
  });

  it('applies a card-callback answer and refuses callbacks for non-STREAM cards', async () => {
    const cards = await TestStreamClient.open(sim, [{ type: 'CALLBACK', topic: CARD_TOPIC }]);
    clients.push(cards);
    await call('/v1.0/card/instances', { cardTemplateId: 't', outTrackId: 'http-card', cardData: { cardParamMap: {} }, callbackType: 'HTTP' });
    assert.throws(() => sim.cardCallback({ outTrackId: 'http-card' }), /callbackType "STREAM"/);
    await call('/v1.0/card/instances', {
      cardTemplateId: 't',
      outTrackId: 'c3',
      cardData: { cardParamMap: { status: 'new', other: 'keep' } },
      callbackType: 'STREAM',
    });
    const handle = sim.cardCallback({ outTrackId: 'c3', userId: 'u7', params: { action: 'accept' } });
    const frame = await cards.next((f) => f.type === 'CALLBACK');
    cards.ack(frame, {
      response: {
        cardData: { cardParamMap: { status: 'accepted' } },
        userPrivateData: { cardParamMap: { mine: 'yes' } },
        cardUpdateOptions: { updateCardDataByKey: true, updatePrivateDataByKey: true },
      },
    });
    await handle.acked;
    assert.deepEqual(sim.card('c3')!.cardParamMap, { status: 'accepted', other: 'keep' });
    assert.deepEqual(sim.card('c3')!.privateData.u7, { mine: 'yes' });
  });

  it('applies only the documented answer fields: privateData keyed by userId is ignored and noted', async () => {
    const cards = await TestStreamClient.open(sim, [{ type: 'CALLBACK', topic: CARD_TOPIC }]);
    clients.push(cards);
    await call('/v1.0/card/instances', {
      cardTemplateId: 't',
      outTrackId: 'c4',
      cardData: { cardParamMap: { status: 'new' } },
      callbackType: 'STREAM',
    });
    const handle = sim.cardCallback({ outTrackId: 'c4', userId: 'u7' });
    cards.ack(await cards.next((f) => f.type === 'CALLBACK'), {
      response: {
        cardData: { cardParamMap: { status: 'seen' } },
        privateData: { u7: { cardParamMap: { mine: 'yes' } }, u8: { cardParamMap: { theirs: 'no' } } },
        cardUpdateOptions: { updateCardDataByKey: true, updatePrivateDataByKey: true },
      },
    });
    await handle.acked;
    const card = sim.card('c4')!;
    assert.deepEqual(card.cardParamMap, { status: 'seen' });
    assert.deepEqual(card.privateData, {});
    assert.equal(card.notes.length, 1);
    assert.match(card.notes[0]!, /privateData[\s\S]*userPrivateData/);
  });

  it('fails any endpoint on demand with DingTalk error bodies', async () => {
    sim.failNext({
      path: '/v1.0/card/instances',
      status: 403,
      code: 'Forbidden.AccessDenied.AccessTokenPermissionDenied',
      message: '没有调用该接口的权限，接口权限申请参考：Card.Instance.Write',
    });
    const denied = await call('/v1.0/card/instances', { cardTemplateId: 't', outTrackId: 'x', cardData: { cardParamMap: {} } });
    assert.equal(denied.status, 403);
    assert.match(denied.body.message, /Card\.Instance\.Write/);
    assert.equal(typeof denied.body.requestid, 'string');
    sim.failNext({ path: '/v1.0/card/streaming', status: 403, code: 'Forbidden.AccessDenied.AccessTokenPermissionDenied' });
    const streaming = await call('/v1.0/card/streaming', {}, 'PUT');
    assert.match(streaming.body.message, /Card\.Streaming\.Write/);
    sim.failNext({ method: 'POST', path: '/v1.0/robot/*', status: 403, code: 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi', times: 2 });
    for (let i = 0; i < 2; i++) {
      const limited = await call('/v1.0/robot/groupMessages/send', { ...text('x'), openConversationId: 'cid1' });
      assert.equal(limited.body.code, 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi');
    }
    assert.equal((await call('/v1.0/robot/groupMessages/send', { ...text('x'), openConversationId: 'cid1' })).status, 200);
    sim.failNext({ path: '/robot/sendBySession', status: 500, times: 2 });
    const hook = await postJson(`${sim.apiBase}/robot/sendBySession?session=x`, {});
    assert.equal(hook.status, 500);
    assert.equal(typeof hook.body.errcode, 'number');
  });
});
