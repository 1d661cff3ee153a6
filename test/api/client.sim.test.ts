import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import {
  CardStreamer,
  createAndDeliverCard,
  createCard,
  deliverCard,
  DingTalkError,
  downloadMessageFile,
  isSessionWebhookGone,
  markdownMessage,
  OpenApiClient,
  replyBySessionWebhook,
  sampleMarkdown,
  sampleText,
  sendToGroup,
  sendToUsers,
  streamCard,
  textMessage,
  updateCard,
  type OpenApiClientOptions,
} from '../../src/api';
import { DingTalkSimulator, SIMULATOR_APP } from '../../src/simulator';
import { RecordingClock, rejection } from './helpers';

const TOKEN_PATH = '/v1.0/oauth2/accessToken';
const GROUP_PATH = '/v1.0/robot/groupMessages/send';
const BATCH_PATH = '/v1.0/robot/oToMessages/batchSend';
const GROUP_CID = 'cidGroupOfTheSimulator==';

describe('api/OpenApiClient against the simulator', function () {
  let sim: DingTalkSimulator;
  let clock: RecordingClock;
  const clients: OpenApiClient[] = [];
  /** Every error any test saw: none may contain a secret or a token. */
  const seenErrors: DingTalkError[] = [];
  const seenTokens = new Set<string>();

  function client(opts: Partial<OpenApiClientOptions> = {}): OpenApiClient {
    const api = new OpenApiClient({
      clientId: SIMULATOR_APP.clientId,
      clientSecret: SIMULATOR_APP.clientSecret,
      apiBase: sim.apiBase,
      clock,
      timeoutMs: 5000,
      ...opts,
    });
    clients.push(api);
    return api;
  }

  async function fails(p: Promise<unknown>): Promise<DingTalkError> {
    const err = await rejection(p);
    seenErrors.push(err);
    return err;
  }

  const count = (path: string): number => sim.requests.filter((r) => r.path === path).length;

  const groupText = (api: OpenApiClient, text = 'hi') =>
    sendToGroup(api, { robotCode: SIMULATOR_APP.robotCode, openConversationId: GROUP_CID, ...sampleText(text) });

  beforeEach(async () => {
    sim = new DingTalkSimulator();
    await sim.start();
    clock = new RecordingClock();
  });

  afterEach(async () => {
    for (const api of clients.splice(0)) {
      const token = await api.getAccessToken().catch(() => undefined);
      if (token) seenTokens.add(token);
      await api.close();
    }
    await sim.stop();
  });

  after(() => {
    assert.ok(seenErrors.length > 5);
    for (const err of seenErrors) {
      const texts = [err.message, err.detail ?? '', err.hint ?? '', err.endpoint, String(err.stack)];
      for (const text of texts) {
        assert.ok(!text.includes(SIMULATOR_APP.clientSecret), `secret in: ${text}`);
        for (const token of seenTokens) assert.ok(!text.includes(token), `token in: ${text}`);
        assert.doesNotMatch(text, /session=/, `session key in: ${text}`);
      }
    }
  });

  describe('access token', () => {
    it('fetches one token for many requests, with concurrent callers sharing the fetch', async () => {
      const api = client();
      await Promise.all([groupText(api), groupText(api), groupText(api), groupText(api)]);
      await groupText(api);
      assert.equal(count(TOKEN_PATH), 1);
      assert.equal(count(GROUP_PATH), 5);
      const send = sim.requests.find((r) => r.path === GROUP_PATH)!;
      assert.equal(send.headers['x-acs-dingtalk-access-token'], await api.getAccessToken());
      assert.equal(send.headers['accept'], 'application/json');
      assert.match(send.headers['content-type'] ?? '', /application\/json/);
    });

    it('fetches a new token once when DingTalk refuses the old one (400 InvalidAuthentication)', async () => {
      const api = client();
      await groupText(api);
      const before = await api.getAccessToken();
      sim.expireTokens();
      await Promise.all([groupText(api), groupText(api)]);
      assert.equal(count(TOKEN_PATH), 2);
      assert.notEqual(await api.getAccessToken(), before);
    });

    it('refreshes shortly before the token expires, without a refused request', async () => {
      let offsetMs = 0;
      const shifted = { now: () => Date.now() + offsetMs, setTimeout: clock.setTimeout.bind(clock), clearTimeout: clock.clearTimeout.bind(clock) };
      sim = await restart({ tokenTtlSec: 2 });
      const api = client({ clock: shifted });
      await groupText(api);
      await groupText(api);
      assert.equal(count(TOKEN_PATH), 1, 'still fresh');
      // A 2 s token is refreshed after half its life (a 7200 s one 5 min before expiry); move our clock there.
      offsetMs = 1001;
      await groupText(api);
      assert.equal(count(TOKEN_PATH), 2);
      assert.equal(count(GROUP_PATH), 3, 'no request was refused and repeated');
    });

    it('reports bad credentials with the console hint and without the secret', async () => {
      const api = client({ clientSecret: 'wrong-secret-value' });
      const err = await fails(groupText(api));
      assert.equal(err.endpoint, TOKEN_PATH);
      assert.match(err.hint ?? '', /ClientSecret/);
      assert.doesNotMatch(err.message, /wrong-secret-value/);
      assert.equal(count(GROUP_PATH), 0);
    });
  });

  describe('retries', () => {
    it('waits what Retry-After says after a 429, then succeeds', async () => {
      const api = client();
      sim.failNext({ path: GROUP_PATH, status: 429, headers: { 'Retry-After': '2' } });
      const answer = await groupText(api);
      assert.ok(answer.processQueryKey);
      assert.equal(count(GROUP_PATH), 2);
      assert.ok(clock.delays.includes(2000), `delays: ${clock.delays.join(',')}`);
    });

    it('retries DingTalk 403 QPS throttling', async () => {
      const api = client();
      sim.failNext({ path: GROUP_PATH, status: 403, code: 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi', message: '调用频率超限' });
      await groupText(api);
      assert.equal(count(GROUP_PATH), 2);
      assert.ok(clock.delays[0]! >= 1000, 'backs off at least 1 s as DingTalk asks');
    });

    it('does not retry a missing permission and names the permission to request', async () => {
      const api = client();
      sim.failNext({
        path: GROUP_PATH,
        status: 403,
        code: 'Forbidden.AccessDenied.AccessTokenPermissionDenied',
        message: '应用尚未开通所需的权限：[qyapi_robot_sendmsg]',
      });
      const err = await fails(groupText(api));
      assert.equal(count(GROUP_PATH), 1);
      assert.equal(err.status, 403);
      assert.equal(err.endpoint, GROUP_PATH);
      assert.ok(err.requestId, 'requestId from the body');
      assert.match(err.message, /request the qyapi_robot_sendmsg permission in the DingTalk developer console/);
    });

    it('tells to whitelist the server IP, without retrying', async () => {
      const api = client();
      sim.failNext({ path: GROUP_PATH, status: 403, code: 'Forbidden.AccessDenied.IpNotInWhiteList', message: 'ip 1.2.3.4 not in whitelist' });
      const err = await fails(groupText(api));
      assert.equal(count(GROUP_PATH), 1);
      assert.match(err.hint ?? '', /outbound IP.*IP whitelist/);
    });

    it('names Card.Instance.Write for a 403 on cards', async () => {
      const api = client();
      sim.failNext({
        path: '/v1.0/card/instances',
        status: 403,
        code: 'Forbidden.AccessDenied.AccessTokenPermissionDenied',
        message: '没有调用该接口的权限',
      });
      const err = await fails(createCard(api, { cardTemplateId: 'tpl.schema' }));
      assert.match(err.hint ?? '', /Card\.Instance\.Write/);
    });

    it('gives up on a persistent 503 after maxRetries with a clear error', async () => {
      const api = client({ maxRetries: 2 });
      sim.failNext({ path: GROUP_PATH, status: 503, code: 'ServiceUnavailable', message: 'backend down', times: 5 });
      const err = await fails(groupText(api));
      assert.equal(count(GROUP_PATH), 3);
      assert.equal(err.status, 503);
      assert.match(err.message, /backend down \(gave up after 2 retries\)/);
      assert.equal(err.outcomeUnknown, false, 'a 503 means DingTalk did not act');
      assert.equal(clock.delays.length, 2);
    });

    it('paces a burst to 20 requests per second per API', async () => {
      const api = client();
      await Promise.all(Array.from({ length: 25 }, (_, i) => groupText(api, `n${i}`)));
      assert.equal(count(GROUP_PATH), 25);
      const paced = clock.delays.filter((d) => d > 0);
      assert.equal(paced.length, 5, `delays: ${clock.delays.join(',')}`);
      assert.ok(paced.every((d) => d <= 1000));
    });

    it('never retries a 400', async () => {
      const api = client();
      const err = await fails(
        sendToGroup(api, { robotCode: SIMULATOR_APP.robotCode, openConversationId: GROUP_CID, msgKey: 'sampleNope', msgParam: {} }),
      );
      assert.equal(count(GROUP_PATH), 1);
      assert.equal(err.code, 'invalidParameter.msgKey.invalid');
      assert.match(err.hint ?? '', /msgKey/);
    });

    it('never puts the access token in an error, even when the server echoes it', async () => {
      const api = client();
      const token = await api.getAccessToken();
      sim.failNext({ path: GROUP_PATH, status: 400, code: 'invalidParameter', message: `bad token ${token} here` });
      const err = await fails(groupText(api));
      assert.doesNotMatch(err.message, new RegExp(token));
      assert.match(err.message, /bad token \*\*\* here/);
    });

    it('fails cleanly after close()', async () => {
      const api = client();
      await api.close();
      const err = await fails(groupText(api));
      assert.equal(err.code, 'ClientClosed');
    });
  });

  describe('sends are not duplicated by our own retries', () => {
    const sentTo = (kind: string): number => sim.sent.filter((x) => x.kind === kind).length;

    it('a group send answered 502 after DingTalk delivered it is not resent, and the error says so', async () => {
      const api = client();
      sim.failNext({ path: GROUP_PATH, status: 502, code: 'BadGateway', message: 'Bad Gateway', afterHandling: true });
      const err = await fails(groupText(api, 'once only'));
      assert.equal(count(GROUP_PATH), 1, 'no second request');
      assert.equal(sentTo('group'), 1, 'delivered once');
      assert.equal(err.status, 502);
      assert.equal(err.outcomeUnknown, true);
      assert.match(err.message, /may or may not have carried out the request, so it was not resent/);
      assert.match(err.message, /check the chat before sending again/);
    });

    it('a batchSend answered 500 after DingTalk delivered it is not resent', async () => {
      const api = client();
      sim.failNext({ path: BATCH_PATH, status: 500, code: 'system.error', message: '未知的系统错误', afterHandling: true });
      const err = await fails(sendToUsers(api, { robotCode: SIMULATOR_APP.robotCode, userIds: ['u1', 'u2'], ...sampleText('x') }));
      assert.equal(count(BATCH_PATH), 1);
      assert.equal(sentTo('oto'), 1);
      assert.equal(err.outcomeUnknown, true);
      assert.match(err.message, /may or may not/);
    });

    it('a 504 on a later batch of users names the batch, says the first were sent and this one may be', async () => {
      const api = client();
      const userIds = Array.from({ length: 25 }, (_, i) => `user${i}`);
      // The first batch goes through; the second is delivered and then answered 504.
      const first = sim.waitForSent((x) => x.kind === 'oto').then(() => sim.failNext({ path: BATCH_PATH, status: 504, afterHandling: true }));
      const err = await fails(sendToUsers(api, { robotCode: SIMULATOR_APP.robotCode, userIds, ...sampleText('x') }));
      await first;
      assert.equal(count(BATCH_PATH), 2);
      assert.equal(sentTo('oto'), 2);
      assert.equal(err.outcomeUnknown, true);
      assert.match(err.message, /may or may not.*users 21–25 of 25; the first 20 were already sent/);
    });

    it('a session-webhook reply whose connection drops after DingTalk recorded it is not resent', async () => {
      const api = client();
      const data = sim.robotMessage({ text: 'x' }).data as { sessionWebhook: string };
      sim.failNext({ path: '/robot/sendBySession', status: 200, afterHandling: true, dropConnection: true });
      const err = await fails(replyBySessionWebhook(api, { sessionWebhook: data.sessionWebhook, message: textMessage('once') }));
      assert.equal(count('/robot/sendBySession'), 1);
      assert.equal(sentTo('webhook'), 1);
      assert.equal(err.outcomeUnknown, true);
      assert.match(err.message, /may or may not/);
    });

    it('a 429, a 503 and an ISV QPS limit are retried, and the message is delivered once', async () => {
      const api = client();
      sim.failNext({ path: GROUP_PATH, status: 429, code: 'system.busy' });
      sim.failNext({ path: GROUP_PATH, status: 503 });
      sim.failNext({ path: GROUP_PATH, status: 403, code: 'Forbidden.AccessDenied.QpsLimitForSuitekeyAndOrgAndApi' });
      const { processQueryKey } = await groupText(api, 'eventually');
      assert.ok(processQueryKey);
      assert.equal(count(GROUP_PATH), 4);
      assert.equal(sentTo('group'), 1);
    });

    it("a robot send throttled with HTTP 400 send.too.fast is retried after DingTalk's 1 s", async () => {
      const api = client();
      sim.failNext({ path: BATCH_PATH, status: 400, code: 'send.too.fast', message: '发送消息频率过快，请稍后再试' });
      await sendToUsers(api, { robotCode: SIMULATOR_APP.robotCode, userIds: ['u1'], ...sampleText('x') });
      assert.equal(count(BATCH_PATH), 2);
      assert.equal(sentTo('oto'), 1);
      assert.ok(clock.delays[0]! >= 1000, `delays: ${clock.delays.join(',')}`);
    });

    it('idempotent calls keep retrying a 502: the token, a card update by key', async () => {
      const api = client();
      sim.failNext({ path: TOKEN_PATH, status: 502 });
      await groupText(api);
      assert.equal(count(TOKEN_PATH), 2);
      const { outTrackId } = await createCard(api, { cardTemplateId: 'tpl.schema', cardData: { status: 'pending' } });
      sim.failNext({ method: 'PUT', path: '/v1.0/card/instances', status: 502, afterHandling: true });
      await updateCard(api, { outTrackId, cardData: { status: 'approved' } });
      assert.equal(sim.requests.filter((r) => r.method === 'PUT' && r.path === '/v1.0/card/instances').length, 2);
      assert.deepEqual(sim.card(outTrackId)?.cardParamMap, { status: 'approved' });
    });
  });

  describe('robot message size', () => {
    it("refuses a msgParam over DingTalk's 15,000 bytes before sending, and sends one of exactly 15,000", async () => {
      const api = client();
      // {"content":"…"} is 14 bytes around the text; a Chinese character is 3 bytes in UTF-8.
      const err = await fails(groupText(api, '长'.repeat(5000)));
      assert.equal(err.code, 'InvalidInput');
      assert.match(err.message, /msgParam is 15014 bytes, over DingTalk's limit of 15000 bytes for a robot message; nothing was sent/);
      const users = await fails(sendToUsers(api, { robotCode: SIMULATOR_APP.robotCode, userIds: ['u1'], ...sampleText('x'.repeat(14_987)) }));
      assert.match(users.message, /15001 bytes/);
      assert.equal(sim.requests.length, 0);
      await groupText(api, 'x'.repeat(14_986));
      assert.equal(sim.sent.length, 1);
    });
  });

  describe('proxy', () => {
    it('sends every request through the configured proxy (CONNECT tunnel)', async () => {
      const targets: string[] = [];
      const proxy = createServer();
      proxy.on('connect', (req, clientSocket, head) => {
        targets.push(req.url ?? '');
        const [host, port] = (req.url ?? '').split(':');
        const upstream = connect(Number(port), host, () => {
          clientSocket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          upstream.write(head);
          upstream.pipe(clientSocket);
          clientSocket.pipe(upstream);
        });
        upstream.on('error', () => clientSocket.destroy());
        clientSocket.on('error', () => upstream.destroy());
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      try {
        const api = client({ proxy: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` });
        await groupText(api);
        await api.close();
        assert.ok(targets.length >= 1);
        assert.ok(
          targets.every((t) => t === new URL(sim.apiBase).host),
          targets.join(','),
        );
      } finally {
        proxy.closeAllConnections();
        await new Promise<void>((resolve) => proxy.close(() => resolve()));
      }
    });
  });

  describe('robot sends', () => {
    it('batchSend: msgParam as a JSON string, the app robotCode, 20 users per call, answers merged', async () => {
      const api = client();
      const userIds = Array.from({ length: 43 }, (_, i) => (i === 5 ? 'invalidUser' : `user${i}`));
      const result = await sendToUsers(api, { robotCode: SIMULATOR_APP.robotCode, userIds, ...sampleMarkdown('T', '**x**') });
      const calls = sim.requests.filter((r) => r.path === BATCH_PATH);
      assert.deepEqual(
        calls.map((c) => (c.body as { userIds: string[] }).userIds.length),
        [20, 20, 3],
      );
      for (const call of calls) {
        const body = call.body as { robotCode: string; msgKey: string; msgParam: unknown };
        assert.equal(body.robotCode, SIMULATOR_APP.robotCode);
        assert.equal(body.msgKey, 'sampleMarkdown');
        assert.equal(typeof body.msgParam, 'string');
        assert.deepEqual(JSON.parse(body.msgParam as string), { title: 'T', text: '**x**' });
      }
      assert.equal(result.processQueryKeys.length, 3);
      assert.deepEqual(result.invalidStaffIdList, ['invalidUser']);
      const delivered = sim.sent.filter((s) => s.kind === 'oto').flatMap((s) => s.userIds ?? []);
      assert.equal(delivered.length, 42);
    });

    it('group send reaches the group', async () => {
      const api = client();
      const { processQueryKey } = await groupText(api, 'hello group');
      assert.ok(processQueryKey);
      const sent = sim.sent.find((s) => s.kind === 'group');
      assert.ok(sent);
      assert.equal(sent.openConversationId, GROUP_CID);
      assert.equal(JSON.parse((sent.body as { msgParam: string }).msgParam).content, 'hello group');
    });

    it('rejects bad input naming the field, without any request', async () => {
      const api = client();
      const err = await fails(sendToUsers(api, { robotCode: '', userIds: ['u'], ...sampleText('x') }));
      assert.equal(err.code, 'InvalidInput');
      assert.match(err.message, /robotCode/);
      assert.equal(sim.requests.length, 0);
    });
  });

  describe('session webhook', () => {
    it('replies through the webhook of a received message', async () => {
      const api = client();
      const push = sim.robotMessage({ text: 'ping', conversationType: '2' });
      const data = push.data as { sessionWebhook: string; sessionWebhookExpiredTime: number; conversationId: string };
      const result = await replyBySessionWebhook(api, {
        sessionWebhook: data.sessionWebhook,
        sessionWebhookExpiredTime: data.sessionWebhookExpiredTime,
        message: textMessage('pong', { atUserIds: ['u1'] }),
      });
      assert.equal(result.errcode, 0);
      const sent = sim.sent.find((s) => s.kind === 'webhook');
      assert.equal(sent?.conversationId, data.conversationId);
      assert.deepEqual(sent?.body, { msgtype: 'text', text: { content: 'pong @u1' }, at: { atUserIds: ['u1'] } });
      assert.equal(count(TOKEN_PATH), 0, 'webhook replies need no token');
    });

    it('refuses a host that is not DingTalk, sending nothing', async () => {
      const api = client();
      const err = await fails(api.postWebhook('https://attacker.example/collect?session=abc123', markdownMessage('t', 'x')));
      assert.equal(err.code, 'UrlRefused');
      assert.match(err.message, /attacker\.example/);
      assert.doesNotMatch(err.message, /abc123/);
      assert.equal(sim.requests.length, 0);
      const viaReply = await fails(replyBySessionWebhook(api, { sessionWebhook: 'http://169.254.169.254/latest', message: textMessage('x') }));
      assert.equal(viaReply.code, 'UrlRefused');
    });

    it('retries a webhook answered with the legacy throttling errcode 90018', async () => {
      const api = client();
      const data = sim.robotMessage({ text: 'x' }).data as { sessionWebhook: string };
      sim.failNext({ path: '/robot/sendBySession', status: 200, code: '90018', message: 'qps limit' });
      const result = await replyBySessionWebhook(api, { sessionWebhook: data.sessionWebhook, message: textMessage('ok') });
      assert.equal(result.errcode, 0);
      assert.equal(count('/robot/sendBySession'), 2);
      assert.equal(sim.sent.filter((s) => s.kind === 'webhook').length, 1);
    });

    it('explains an expired session webhook', async () => {
      const api = client();
      const data = sim.robotMessage({ text: 'x' }).data as { sessionWebhook: string };
      sim.expireSessions();
      const err = await fails(replyBySessionWebhook(api, { sessionWebhook: data.sessionWebhook, message: textMessage('late') }));
      assert.equal(err.code, '300001');
      assert.match(err.message, /session 不存在/);
      assert.match(
        err.message,
        /sessionWebhook expired \(valid ~90 min after the message, and DingTalk may end it sooner\); send through the robot API instead/,
      );
      const early = await fails(
        replyBySessionWebhook(api, { sessionWebhook: data.sessionWebhook, sessionWebhookExpiredTime: Date.now() - 1, message: textMessage('late') }),
      );
      assert.equal(early.code, 'SessionWebhookExpired');
    });
  });

  describe('session webhook ended early', () => {
    it('answers 300001 for a webhook DingTalk invalidated before its expiry time, and isSessionWebhookGone says so', async () => {
      const api = client();
      const data = sim.robotMessage({ text: 'x' }).data as { sessionWebhook: string; sessionWebhookExpiredTime: number };
      assert.equal(sim.invalidateSession(data.sessionWebhook), true);
      const err = await fails(
        replyBySessionWebhook(api, {
          sessionWebhook: data.sessionWebhook,
          sessionWebhookExpiredTime: data.sessionWebhookExpiredTime,
          message: textMessage('x'),
        }),
      );
      assert.equal(err.code, '300001');
      assert.equal(isSessionWebhookGone(err), true);
      assert.equal(err.outcomeUnknown, false);
      assert.equal(count('/robot/sendBySession'), 1, 'a refusal is not retried');
      assert.equal(sim.sent.length, 0);
    });
  });

  describe('files', () => {
    const file = { data: Buffer.from('0123456789'.repeat(100)), contentType: 'text/plain', fileName: 'digits.txt' };

    it('downloads the bytes of a received file', async () => {
      const api = client();
      const data = sim.robotMessage({ msgtype: 'file', file }).data as { content: { downloadCode: string } };
      const got = await downloadMessageFile(api, { downloadCode: data.content.downloadCode, robotCode: SIMULATOR_APP.robotCode, maxBytes: 10_000 });
      assert.equal(got.size, 1000);
      assert.equal(got.contentType, 'text/plain');
      assert.ok(got.data.equals(file.data));
      const fileGet = sim.requests.find((r) => r.path.startsWith('/sim/files/'));
      assert.equal(fileGet?.headers['x-acs-dingtalk-access-token'], undefined, 'the token is not sent to the file host');
    });

    it('explains an expired download link without retrying it', async () => {
      sim = await restart({ fileUrlTtlMs: -1 });
      const api = client();
      const data = sim.robotMessage({ msgtype: 'file', file }).data as { content: { downloadCode: string } };
      const err = await fails(
        downloadMessageFile(api, { downloadCode: data.content.downloadCode, robotCode: SIMULATOR_APP.robotCode, maxBytes: 10_000 }),
      );
      assert.equal(err.status, 403);
      assert.match(err.hint ?? '', /short-lived/);
      assert.match(err.endpoint, /^http:\/\/127\.0\.0\.1:\d+\/sim\/files\/[0-9a-f]+\.file$/);
      assert.equal(sim.requests.filter((r) => r.path.startsWith('/sim/files/')).length, 1);
    });

    it('stops a download larger than maxBytes', async () => {
      const api = client();
      const data = sim.robotMessage({ msgtype: 'file', file }).data as { content: { downloadCode: string } };
      const err = await fails(
        downloadMessageFile(api, { downloadCode: data.content.downloadCode, robotCode: SIMULATOR_APP.robotCode, maxBytes: 999 }),
      );
      assert.equal(err.code, 'FileTooLarge');
      assert.match(err.message, /larger than the limit of 999 bytes/);
    });
  });

  describe('cards', () => {
    it('creates cards with callbackType STREAM and string params, and delivers them to a group', async () => {
      const api = client();
      const { outTrackId } = await createCard(api, { cardTemplateId: 'tpl.schema', cardData: { title: 'Approve?', amount: 42 } });
      const card = sim.card(outTrackId);
      assert.equal(card?.callbackType, 'STREAM');
      assert.deepEqual(card?.cardParamMap, { title: 'Approve?', amount: '42' });
      const delivered = await deliverCard(api, { outTrackId, robotCode: SIMULATOR_APP.robotCode, conversationId: GROUP_CID });
      assert.equal(delivered.deliverResults[0]?.success, true);
      assert.deepEqual(
        sim.card(outTrackId)?.deliveries.map((d) => [d.spaceType, d.spaceId]),
        [['IM_GROUP', GROUP_CID]],
      );
      const body = sim.requests.find((r) => r.path === '/v1.0/card/instances/deliver')?.body as Record<string, unknown>;
      assert.equal(body['openSpaceId'], `dtv1.card//IM_GROUP.${GROUP_CID}`);
      assert.deepEqual(body['imGroupOpenDeliverModel'], { robotCode: SIMULATOR_APP.robotCode });
    });

    it('creates and delivers to a user in one call', async () => {
      const api = client();
      const res = await createAndDeliverCard(api, {
        cardTemplateId: 'tpl.schema',
        robotCode: SIMULATOR_APP.robotCode,
        userId: 'manager01',
        cardData: { a: 'x' },
      });
      assert.match(res.outTrackId, /^[0-9a-f]{32}$/);
      const card = sim.card(res.outTrackId);
      assert.equal(card?.callbackType, 'STREAM');
      assert.deepEqual(
        card?.deliveries.map((d) => [d.spaceType, d.spaceId]),
        [['IM_ROBOT', 'manager01']],
      );
    });

    it('updates by key, keeping the other fields', async () => {
      const api = client();
      const { outTrackId } = await createCard(api, { cardTemplateId: 'tpl.schema', cardData: { status: 'pending', who: 'ann' } });
      await updateCard(api, { outTrackId, cardData: { status: 'approved' } });
      assert.deepEqual(sim.card(outTrackId)?.cardParamMap, { status: 'approved', who: 'ann' });
      const body = sim.requests.find((r) => r.method === 'PUT' && r.path === '/v1.0/card/instances')?.body as Record<string, unknown>;
      assert.deepEqual(body['cardUpdateOptions'], { updateCardDataByKey: true, updatePrivateDataByKey: true });
    });

    it('reports a card that does not exist', async () => {
      const api = client();
      const err = await fails(deliverCard(api, { outTrackId: 'does-not-exist', robotCode: SIMULATOR_APP.robotCode, userId: 'u' }));
      assert.equal(err.status, 400);
      assert.equal(err.code, 'param.cardNotExist');
    });

    it('streams with a new guid per call', async () => {
      const api = client();
      const { outTrackId } = await createCard(api, { cardTemplateId: 'ai.schema' });
      await streamCard(api, { outTrackId, key: 'content', content: 'Hel' });
      await streamCard(api, { outTrackId, key: 'content', content: 'Hello', isFinalize: true });
      const bodies = sim.requests.filter((r) => r.path === '/v1.0/card/streaming').map((r) => r.body as { guid: string; isFull: boolean });
      assert.equal(bodies.length, 2);
      assert.notEqual(bodies[0]!.guid, bodies[1]!.guid);
      assert.equal(bodies[0]!.isFull, true);
      assert.equal(sim.card(outTrackId)?.streams['content']?.content, 'Hello');
    });

    it('CardStreamer: many appends become few requests, ending with the full text finalized', async () => {
      const api = client({ clock: undefined });
      const { outTrackId } = await createCard(api, { cardTemplateId: 'ai.schema' });
      const streamer = new CardStreamer(api, { outTrackId, key: 'content', intervalMs: 50 });
      let expected = '';
      for (let i = 0; i < 300; i++) {
        expected += `t${i} `;
        streamer.append(`t${i} `);
      }
      await streamer.finish();
      const stream = sim.card(outTrackId)?.streams['content'];
      assert.equal(stream?.content, expected);
      assert.equal(stream?.finalized, true);
      const calls = sim.requests.filter((r) => r.path === '/v1.0/card/streaming');
      assert.ok(calls.length <= 3, `${calls.length} requests for 300 appends`);
      assert.equal(streamer.requestCount, calls.length);
    });
  });

  async function restart(opts: ConstructorParameters<typeof DingTalkSimulator>[0]): Promise<DingTalkSimulator> {
    await sim.stop();
    const fresh = new DingTalkSimulator(opts);
    await fresh.start();
    return fresh;
  }
});

/** Things the simulator cannot produce: answers from something that is not DingTalk. */
describe('api/OpenApiClient against a non-DingTalk server', () => {
  let server: Server;
  let base: string;
  let reply: { status: number; type: string; body: string };
  let byPath: Record<string, string> = {};

  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      const canned = byPath[new URL(req.url ?? '/', base).pathname];
      if (canned !== undefined) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(canned);
        return;
      }
      res.writeHead(reply.status, { 'content-type': reply.type });
      res.end(reply.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('says clearly when an HTML page comes back instead of JSON', async () => {
    reply = { status: 403, type: 'text/html', body: '<html><head><title>Access blocked by proxy</title></head><body>no</body></html>' };
    const api = new OpenApiClient({ clientId: 'c', clientSecret: 'super-secret', apiBase: base, maxRetries: 0 });
    try {
      const err = await rejection(api.getAccessToken());
      assert.equal(err.code, 'NonJsonResponse');
      assert.match(err.message, /HTTP 403 with text\/html instead of JSON \("Access blocked by proxy"\)/);
      assert.match(err.hint ?? '', /proxy/);
      assert.doesNotMatch(err.message, /super-secret/);
    } finally {
      await api.close();
    }
  });

  it('says clearly when the body is empty', async () => {
    reply = { status: 200, type: 'application/json', body: '' };
    const api = new OpenApiClient({ clientId: 'c', clientSecret: 's', apiBase: base, maxRetries: 0 });
    try {
      const err = await rejection(api.getAccessToken());
      assert.match(err.message, /with an empty body/);
    } finally {
      await api.close();
    }
  });

  it('turns a delivery that every space refused into an error with the reasons', async () => {
    byPath = {
      '/v1.0/oauth2/accessToken': JSON.stringify({ accessToken: 'canned-token-1', expireIn: 7200 }),
      '/v1.0/card/instances/deliver': JSON.stringify({
        success: true,
        result: [{ spaceType: 'IM_GROUP', spaceId: 'cidX', success: false, errorMsg: 'robot not in group' }],
      }),
    };
    const api = new OpenApiClient({ clientId: 'c', clientSecret: 's', apiBase: base });
    try {
      const err = await rejection(deliverCard(api, { outTrackId: 't1', robotCode: 'r', conversationId: 'cidX' }));
      assert.equal(err.code, 'CardDeliverFailed');
      assert.match(err.message, /IM_GROUP cidX: robot not in group/);
      assert.match(err.hint ?? '', /added to the group/);
    } finally {
      byPath = {};
      await api.close();
    }
  });

  it('refuses an API base that is not an http(s) URL', () => {
    assert.throws(() => new OpenApiClient({ clientId: 'c', clientSecret: 's', apiBase: 'ftp://x' }), /not an http\(s\) URL/);
    assert.throws(() => new OpenApiClient({ clientId: 'c', clientSecret: 's', apiBase: 'nonsense' }), DingTalkError);
  });

  it('retries a refused connection and then reports the network error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const clock = new RecordingClock();
    const api = new OpenApiClient({ clientId: 'c', clientSecret: 's', apiBase: `http://127.0.0.1:${port}`, clock, maxRetries: 2 });
    try {
      const err = await rejection(api.getAccessToken());
      assert.equal(err.code, 'NetworkError');
      assert.match(err.message, /ECONNREFUSED/);
      assert.equal(clock.delays.length, 2, 'connection refused is safe to retry');
    } finally {
      await api.close();
    }
  });
});
