import assert from 'node:assert/strict';
import { buildAiAnswer, errorAnswer, isAiResponder } from '../../src/msg/ai-answer';
import { matchPath, parsePathPattern, type PathPattern } from '../../src/msg/ai-path';
import { parseAiRequest } from '../../src/msg/ai-request';
import { readDingTalkFixture } from '../support/dingtalk-fixtures';

function pattern(source: string): PathPattern {
  const parsed = parsePathPattern(source);
  assert.ok(parsed.ok, `pattern ${source}`);
  return parsed.pattern;
}

describe('AI action path patterns (like http in)', () => {
  const cases: Array<[string, string, Record<string, string> | undefined]> = [
    ['/v1/actions/leave/:userId', '/v1/actions/leave/u1', { userId: 'u1' }],
    ['/v1/actions/leave/:userId', '/v1/actions/leave/u1/', { userId: 'u1' }],
    ['/v1/actions/leave/:userId', '/V1/Actions/Leave/U1', { userId: 'U1' }],
    ['/v1/actions/leave/:userId', '/v1/actions/leave/%E5%BC%A0%E4%B8%89', { userId: '张三' }],
    ['/v1/actions/leave/:userId', '/v1/actions/leave/%E0%A4%A', { userId: '%E0%A4%A' }],
    ['/v1/actions/leave/:userId', '/v1/actions/leave', undefined],
    ['/v1/actions/leave/:userId', '/v1/actions/leave/u1/more', undefined],
    ['/v1/actions/leave/:userId', '/v1/actions/leave/', undefined],
    ['/v1/:kind/:id', '/v1/leave/42', { kind: 'leave', id: '42' }],
    ['/v1/actions/weather.get', '/v1/actions/weatherXget', undefined],
    ['/v1/actions/weather.get', '/v1/actions/weather.get', {}],
    ['', '/anything/at/all', {}],
    ['/', '/', {}],
    ['/', '/x', undefined],
  ];
  for (const [source, path, expected] of cases) {
    it(`${source || '(empty)'} vs ${path}`, () => assert.deepEqual(matchPath(pattern(source), path), expected));
  }

  it('a parameter named __proto__ is only data', () => {
    const params = matchPath(pattern('/x/:__proto__'), '/x/polluted');
    assert.deepEqual(Object.keys(params!), ['__proto__']);
    assert.equal(Object.getPrototypeOf(params), Object.prototype);
  });

  it('refuses patterns it cannot honour, saying why', () => {
    for (const [source, reason] of [
      ['v1/leave', /start with "\/"/],
      ['/v1/leave?x=1', /query parameters/],
      ['/v1/:id/:id', /twice/],
      ['/v1/a:b', /not a parameter/],
    ] as const) {
      const parsed = parsePathPattern(source);
      assert.equal(parsed.ok, false, source);
      if (!parsed.ok) assert.match(parsed.reason, reason);
    }
  });
});

describe('AI action requests as DingTalk sends them', () => {
  it('reads the documented example (test/fixtures): GET with an encoded query and a "{}" body', () => {
    const parsed = parseAiRequest(readDingTalkFixture('ai-action-request.developerpedia.json'));
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.request, {
      method: 'GET',
      uri: '/v1/actions/example/weather/get?date=2021-10-1&location=%E6%9D%AD%E5%B7%9E',
      path: '/v1/actions/example/weather/get',
      query: { date: '2021-10-1', location: '杭州' },
      headers: { 'content-type': 'application/json' },
      body: {},
    });
  });

  it('parses a JSON body, lower-cases header names, keeps repeated query names as an array', () => {
    const parsed = parseAiRequest({
      requestLine: { method: 'post', uri: '/a?x=1&x=2' },
      headers: { 'X-Plugin-Id': 'p1', n: 3, bad: { no: 1 } },
      body: '{"userId":"u1"}',
    });
    assert.ok(parsed.ok);
    assert.equal(parsed.request.method, 'POST');
    assert.deepEqual(parsed.request.query, { x: ['1', '2'] });
    assert.deepEqual(parsed.request.headers, { 'x-plugin-id': 'p1', n: '3' });
    assert.deepEqual(parsed.request.body, { userId: 'u1' });
  });

  it('keeps a body as text when the request says it is not JSON; no body is undefined', () => {
    const text = parseAiRequest({ requestLine: { method: 'POST', uri: '/a' }, headers: { 'Content-Type': 'text/plain' }, body: 'hello' });
    assert.ok(text.ok);
    assert.equal(text.request.body, 'hello');
    const none = parseAiRequest({ requestLine: { method: 'GET', uri: '/a' } });
    assert.ok(none.ok);
    assert.equal(none.request.body, undefined);
    assert.deepEqual(none.request.headers, {});
  });

  it('refuses malformed calls with a reason naming the field', () => {
    for (const [data, reason] of [
      [{ headers: {}, body: '{}' }, /requestLine: missing/],
      ['just text', /requestLine: missing/],
      [null, /requestLine: missing/],
      [{ requestLine: { method: 'GET' } }, /requestLine\.uri/],
      [{ requestLine: { method: 'G E T', uri: '/a' } }, /requestLine\.method/],
      [{ requestLine: { method: 'GET', uri: 'no-slash' } }, /requestLine\.uri/],
      [{ requestLine: { method: 'POST', uri: '/a' }, body: '{"days": 2' }, /body: is not valid JSON/],
      [{ requestLine: { method: 'POST', uri: '/a' }, body: 42 }, /body: expected JSON text/],
    ] as const) {
      const parsed = parseAiRequest(data);
      assert.equal(parsed.ok, false, JSON.stringify(data));
      if (!parsed.ok) assert.match(parsed.reason, reason);
    }
  });
});

describe('AI action answers as DingTalk expects them', () => {
  it('an object goes as JSON with status 200 OK', () => {
    const built = buildAiAnswer({ payload: { days: 8, name: '张三' } });
    assert.ok(built.ok);
    assert.deepEqual(built.answer, {
      statusLine: { code: 200, reasonPhrase: 'OK' },
      headers: { 'content-type': 'application/json' },
      body: '{"days":8,"name":"张三"}',
    });
  });

  it('a string goes as text; msg.headers win, names lower-cased; numbers become text', () => {
    const built = buildAiAnswer({ payload: 'hi', statusCode: '404', headers: { 'Content-Type': 'text/markdown', 'X-Count': 2 } });
    assert.ok(built.ok);
    assert.deepEqual(built.answer, {
      statusLine: { code: 404, reasonPhrase: 'Not Found' },
      headers: { 'content-type': 'text/markdown', 'x-count': '2' },
      body: 'hi',
    });
  });

  it('no payload is an empty body without a content type', () => {
    const built = buildAiAnswer({ statusCode: 204 });
    assert.ok(built.ok);
    assert.deepEqual(built.answer, { statusLine: { code: 204, reasonPhrase: 'No Content' }, headers: {}, body: '' });
  });

  it('refuses what cannot be sent, naming the msg property', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    for (const [msg, reason] of [
      [{ payload: {}, statusCode: 700 }, /msg\.statusCode/],
      [{ payload: {}, statusCode: 'ok' }, /msg\.statusCode/],
      [{ payload: {}, headers: 'x' }, /msg\.headers: expected an object/],
      [{ payload: {}, headers: { 'bad name': 'x' } }, /not a valid header name/],
      [{ payload: {}, headers: { a: 'x\r\ny: z' } }, /line break/],
      [{ payload: {}, headers: { a: { b: 1 } } }, /msg\.headers\.a/],
      [{ payload: cyclic }, /msg\.payload/],
      [{ payload: { n: Number.NaN } }, /msg\.payload\.n/],
    ] as const) {
      const built = buildAiAnswer(msg);
      assert.equal(built.ok, false, JSON.stringify(Object.keys(msg)));
      if (!built.ok) assert.match(built.reason, reason);
    }
  });

  it("the package's own answers carry a JSON error the assistant can read", () => {
    const answer = errorAnswer('flowDidNotAnswer', 'The flow did not answer.');
    assert.equal(answer.statusLine.code, 504);
    assert.equal(answer.statusLine.reasonPhrase, 'Gateway Timeout');
    assert.deepEqual(JSON.parse(answer.body), { error: { code: 'flowDidNotAnswer', message: 'The flow did not answer.' } });
    assert.equal(errorAnswer('noRoute', '').statusLine.code, 404);
    assert.equal(errorAnswer('badRequest', '').statusLine.code, 400);
    assert.equal(errorAnswer('shuttingDown', '').statusLine.code, 503);
  });

  it('recognises a responder only with respond() and a messageId', () => {
    assert.equal(isAiResponder({ messageId: 'm', method: 'GET', path: '/', respond: () => true }), true);
    assert.equal(isAiResponder({ messageId: 'm' }), false);
    assert.equal(isAiResponder(undefined), false);
  });
});
