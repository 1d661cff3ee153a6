import assert from 'node:assert/strict';
import { SIMULATOR_APP } from '../../src/simulator';
import { loadAction, useNodeRedWithSimulator, visibleText } from './support';

const apiNode: unknown = require('../../nodes/dingtalk-api');
const EVENTS = '/v1.0/calendar/users/unionUser001/calendars/primary/events';
const USER_GET = '/topapi/v2/user/get';
const TODO = '/v1.0/todo/users/unionUser001/tasks';

describe('dingtalk-api node', function () {
  const env = useNodeRedWithSimulator();
  const to = (path: string) => env.sim.requests.filter((r) => r.path === path);

  it('calls a new API with the token in the x-acs-dingtalk-access-token header, filling {placeholders} from msg.params', async () => {
    const flow = await loadAction(apiNode, env.sim, {
      type: 'dingtalk-api',
      method: 'GET',
      path: '/v1.0/calendar/users/{unionId}/calendars/primary/events',
    });
    const { out, error } = await flow.send({
      payload: 1733100000000,
      params: { unionId: 'unionUser001' },
      query: { maxResults: 10, showDeleted: false },
    });
    assert.equal(error, undefined, error?.['error']?.message);
    assert.equal(out!['payload'].events[0].summary, 'Weekly sync');
    const [req] = to(EVENTS);
    assert.ok(req, 'the simulator saw the call');
    assert.match(req.headers['x-acs-dingtalk-access-token'] ?? '', /.{8,}/);
    assert.equal(req.query['access_token'], undefined, 'no token in the query of a new API call');
    assert.deepEqual(req.query, { maxResults: '10', showDeleted: 'false' });
    assert.equal(req.body, undefined, 'a GET sends no body, whatever msg.payload holds');
    assert.equal(flow.statuses.at(-1)?.fill, 'green');
  });

  it('calls a legacy topapi endpoint with access_token in the query and msg.payload as the body', async () => {
    const flow = await loadAction(apiNode, env.sim, { type: 'dingtalk-api', method: 'POST', path: USER_GET });
    const { out, error } = await flow.send({ payload: { userid: 'manager001', language: 'zh_CN' } });
    assert.equal(error, undefined, error?.['error']?.message);
    assert.equal(out!['payload'].errcode, 0);
    assert.equal(out!['payload'].result.name, '王经理');
    const [req] = to(USER_GET);
    assert.match(req!.query['access_token'] ?? '', /.{8,}/);
    assert.equal(req!.headers['x-acs-dingtalk-access-token'], undefined, 'no token header on a legacy call');
    assert.deepEqual(req!.body, { userid: 'manager001', language: 'zh_CN' });
  });

  it('renews a token a legacy call refuses with errcode 40014 under HTTP 200, and calls again once', async () => {
    const flow = await loadAction(apiNode, env.sim, { type: 'dingtalk-api', method: 'POST', path: USER_GET });
    assert.equal((await flow.send({ payload: { userid: 'user001' } })).error, undefined);
    env.sim.expireTokens();
    const { out, error } = await flow.send({ payload: { userid: 'user001' } });
    assert.equal(error, undefined, error?.['error']?.message);
    assert.equal(out!['payload'].result.name, '张三');
    const calls = to(USER_GET);
    assert.equal(calls.length, 3);
    assert.notEqual(calls[1]!.query['access_token'], calls[2]!.query['access_token'], 'the last call used a new token');
  });

  it('takes method and path from msg, and fails on a legacy errcode under HTTP 200 with DingTalk code', async () => {
    const flow = await loadAction(apiNode, env.sim, { type: 'dingtalk-api' });
    const { error } = await flow.send({ method: 'post', path: USER_GET, payload: { userid: 'nobody' } });
    assert.match(error!['error'].message, /60121/);
    assert.match(flow.statuses.at(-1)?.text ?? '', /60121/);
    assert.equal(flow.statuses.at(-1)?.fill, 'red');
  });

  it('names the permission to request when DingTalk refuses a new API call for a missing permission', async () => {
    const flow = await loadAction(apiNode, env.sim, { type: 'dingtalk-api', method: 'POST', path: '/v1.0/todo/users/{unionId}/tasks' });
    env.sim.failNext({ path: TODO, status: 403, code: 'Forbidden.AccessDenied.AccessTokenPermissionDenied', message: '没有调用该接口的权限' });
    const { error } = await flow.send({ params: { unionId: 'unionUser001' }, payload: { subject: 'Check the claim' } });
    assert.match(error!['error'].message, /Todo\.Todo\.Write/);
    assert.match(error!['error'].message, /developer console/);
    assert.ok(!visibleText(flow).includes(SIMULATOR_APP.clientSecret));
  });

  it('names the permission of a legacy call refused with errcode 60011', async () => {
    const flow = await loadAction(apiNode, env.sim, { type: 'dingtalk-api', method: 'POST', path: USER_GET });
    env.sim.failNext({ path: USER_GET, status: 200, code: '60011', message: '没有调用该接口的权限' });
    const { error } = await flow.send({ payload: { userid: 'manager001' } });
    assert.match(error!['error'].message, /qyapi_get_member/);
    assert.equal(to(USER_GET).length, 1, 'a refusal is not retried');
  });

  it('refuses a path with a scheme or a host, sending nothing', async () => {
    const flow = await loadAction(apiNode, env.sim, { type: 'dingtalk-api', method: 'GET' });
    for (const path of [
      'https://evil.example/v1.0/x',
      '//evil.example/v1.0/x',
      'http:/evil.example',
      '/v1.0/x?access_token=steal',
      '/v1.0/../../x',
      '\\\\evil.example\\x',
      'v1.0/x',
    ]) {
      const before = env.sim.requests.length;
      const { error } = await flow.send({ path });
      assert.ok(error, `${path} was accepted`);
      assert.match(error['error'].message, /msg\.path/, path);
      assert.equal(env.sim.requests.length, before, `${path}: nothing was sent (not even a token request)`);
    }
    const { error } = await flow.send({ path: '/v1.0/calendar/users/{unionId}/calendars/primary/events', params: { unionId: '../../evil' } });
    assert.equal(error, undefined, 'a placeholder value is encoded, not a path');
    assert.ok(env.sim.requests.some((r) => r.path === '/v1.0/calendar/users/..%2F..%2Fevil/calendars/primary/events'));
  });

  it("uses the node's Query and Body settings when msg has none", async () => {
    const flow = await loadAction(apiNode, env.sim, {
      type: 'dingtalk-api',
      method: 'POST',
      path: TODO,
      query: '{"operatorId": "unionUser001"}',
      body: '{"subject": "from the node"}',
    });
    const { out, error } = await flow.send({ payload: 1733100000000 });
    assert.equal(error, undefined, error?.['error']?.message);
    assert.equal(out!['payload'].subject, 'from the node');
    assert.deepEqual(to(TODO)[0]!.query['operatorId'], 'unionUser001');
  });

  it('names a Body setting that is not JSON, sending nothing', async () => {
    const broken = await loadAction(apiNode, env.sim, { type: 'dingtalk-api', method: 'POST', path: TODO, body: '{subject' });
    const failed = await broken.send({ payload: 'text' });
    assert.match(failed.error!['error'].message, /body setting is not valid JSON/);
    assert.equal(to(TODO).length, 0);
  });

  it('refuses an access_token of its own in msg.query', async () => {
    const flow = await loadAction(apiNode, env.sim, { type: 'dingtalk-api', method: 'GET', path: EVENTS });
    const { error } = await flow.send({ query: { access_token: 'x' } });
    assert.match(error!['error'].message, /msg\.query\.access_token/);
    assert.equal(to(EVENTS).length, 0);
  });

  it('does not resend a POST answered 502, and says DingTalk may have acted', async () => {
    const flow = await loadAction(apiNode, env.sim, { type: 'dingtalk-api', method: 'POST', path: TODO });
    env.sim.failNext({ path: TODO, status: 502, code: 'BadGateway', message: 'bad gateway' });
    const { error } = await flow.send({ payload: { subject: 'x' } });
    assert.match(error!['error'].message, /may or may not have carried out the request/);
    assert.match(error!['error'].message, /check in DingTalk whether the call took effect/);
    assert.equal(to(TODO).length, 1);
  });

  it('retries a GET answered 502', async () => {
    const flow = await loadAction(apiNode, env.sim, { type: 'dingtalk-api', method: 'GET', path: EVENTS });
    env.sim.failNext({ path: EVENTS, status: 502, code: 'BadGateway', message: 'bad gateway' });
    const { out, error } = await flow.send({});
    assert.equal(error, undefined, error?.['error']?.message);
    assert.ok(Array.isArray(out!['payload'].events));
    assert.equal(to(EVENTS).length, 2);
  });

  it('retries a throttled POST: DingTalk did not act on it', async () => {
    const flow = await loadAction(apiNode, env.sim, { type: 'dingtalk-api', method: 'POST', path: TODO });
    env.sim.failNext({ path: TODO, status: 403, code: 'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi', message: 'qps' });
    const { error } = await flow.send({ payload: { subject: 'x' } });
    assert.equal(error, undefined, error?.['error']?.message);
    assert.equal(to(TODO).length, 2);
  });
});
