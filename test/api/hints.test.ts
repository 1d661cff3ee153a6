import assert from 'node:assert/strict';
import { answerError, DingTalkError, redactUrl, scrubError } from '../../src/api/errors';
import {
  failureFacts,
  hintFor,
  isFailureBody,
  isGatewayCredentialRefusal,
  isSessionGone,
  isTokenRefused,
  resendAfter,
  scopesFromMessage,
} from '../../src/dingtalk-says';
import { GatewayError } from '../../src/stream/gateway';
import { MsgInputError } from '../../src/msg/input-error';
import { PackageError } from '../../src/errors';
import { parseBody } from '../../src/api/answer';

describe('api/errors and hints', () => {
  it('names the permission DingTalk says is missing', () => {
    const hint = hintFor({
      status: 403,
      code: 'Forbidden.AccessDenied.AccessTokenPermissionDenied',
      message: '应用尚未开通所需的权限：[qyapi_robot_sendmsg]',
      endpoint: '/v1.0/robot/groupMessages/send',
    });
    assert.match(hint ?? '', /request the qyapi_robot_sendmsg permission/);
    assert.match(hint ?? '', /开发者后台 → 权限管理/);
  });

  it('falls back to the permission of the endpoint: card, streaming, robot', () => {
    const f = (endpoint: string) => hintFor({ status: 403, code: 'Forbidden.AccessDenied.AccessTokenPermissionDenied', endpoint }) ?? '';
    assert.match(f('/v1.0/card/instances'), /Card\.Instance\.Write/);
    assert.match(f('/v1.0/card/instances/deliver'), /Card\.Instance\.Write/);
    assert.match(f('/v1.0/card/streaming'), /Card\.Streaming\.Write/);
    assert.match(f('/v1.0/robot/oToMessages/batchSend'), /qyapi_robot_sendmsg/);
  });

  it('reads scopes from accessdenieddetail-style lists in messages', () => {
    assert.deepEqual(scopesFromMessage('missing [Card.Instance.Write, Card.Streaming.Write]'), ['Card.Instance.Write', 'Card.Streaming.Write']);
    assert.deepEqual(scopesFromMessage('no brackets'), []);
  });

  it('explains IP whitelist, bad credentials, invalid token, robot problems, rate limits and expired webhooks', () => {
    assert.match(hintFor({ status: 403, code: 'Forbidden.AccessDenied.IpNotInWhiteList', endpoint: '/v1.0/x' }) ?? '', /outbound IP.*IP whitelist/);
    assert.match(hintFor({ status: 401, code: 'authFailed', message: '鉴权失败', endpoint: '/v1.0/gateway/connections/open' }) ?? '', /ClientSecret/);
    assert.match(hintFor({ status: 400, code: 'invalidClientSecret', endpoint: '/v1.0/oauth2/accessToken' }) ?? '', /ClientID/);
    assert.match(hintFor({ status: 401, code: 'InvalidAuthentication', endpoint: '/v1.0/card/instances' }) ?? '', /access token was refused/);
    assert.match(hintFor({ status: 400, code: 'resource.unavailable', endpoint: '/v1.0/robot/groupMessages/send' }) ?? '', /added to the group/);
    assert.match(hintFor({ status: 400, code: 'invalidParameter.robotCode.auth', endpoint: '/v1.0/robot/groupMessages/send' }) ?? '', /robotCode/);
    assert.match(hintFor({ status: 429, endpoint: '/v1.0/card/streaming' }) ?? '', /rate limit/);
    assert.match(hintFor({ status: 403, code: 'Forbidden.AccessDenied.QpsLimitForApi', endpoint: '/v1.0/x' }) ?? '', /rate limit/);
    assert.match(
      hintFor({ status: 200, code: '300001', message: 'session is invalid or expired', endpoint: 'https://oapi.dingtalk.com/robot/sendBySession' }) ??
        '',
      /sessionWebhook expired.*robot API/,
    );
    assert.equal(hintFor({ status: 400, code: 'invalidParameter', endpoint: '/v1.0/x' }), undefined);
  });

  it("turns DingTalk's documented card and token codes into what to do", () => {
    // Their messages only repeat the code (DingTalk's card pages), so the code alone must carry the advice.
    const f = (code: string, endpoint: string, status = 400) => hintFor({ status, code, message: code, endpoint }) ?? '';
    assert.match(f('invalidClientIdOrSecret', '/v1.0/oauth2/accessToken'), /ClientID \(AppKey\) and ClientSecret/);
    assert.match(f('invalidClientIdOrSecret', '/v1.0/gateway/connections/open'), /ClientSecret/);
    assert.match(f('param.cardAlreadyExist', '/v1.0/card/instances/createAndDeliver'), /new outTrackId.*update operation/);
    assert.match(f('param.cardNotExist', '/v1.0/card/instances'), /create the card first/);
    assert.match(f('param.stream.outTrackId', '/v1.0/card/streaming'), /create the card first/);
    assert.match(f('param.stream.content', '/v1.0/card/streaming'), /3 KB.*new one/);
    assert.match(f('param.stream.contentEmpty', '/v1.0/card/streaming'), /empty content.*at least one character/);
  });

  it('composes a message with endpoint, status, code, requestId and hint', () => {
    const err = new DingTalkError({ status: 403, code: 'X', requestId: 'R1', endpoint: '/v1.0/a', message: 'nope', hint: 'do this' });
    assert.equal(err.message, 'DingTalk /v1.0/a (HTTP 403, code X, requestId R1): nope — do this');
    assert.ok(err instanceof Error);
    assert.equal(err.name, 'DingTalkError');
  });

  it('keeps the session key of a webhook URL out of what it shows', () => {
    assert.equal(redactUrl('https://oapi.dingtalk.com/robot/sendBySession?session=abcdef123'), 'https://oapi.dingtalk.com/robot/sendBySession');
    assert.equal(redactUrl('https://user:pw@host.example/x?y=1#z'), 'https://host.example/x');
    assert.equal(redactUrl('not a url'), '<invalid URL>');
  });

  it('scrubs secrets from every text of an error', () => {
    const err = new DingTalkError({ status: 400, endpoint: '/v1.0/a', message: 'token tok-12345 bad', detail: 'tok-12345', hint: 'secret s3cr3t!' });
    const clean = scrubError(err, ['tok-12345', 's3cr3t!']);
    assert.doesNotMatch(clean.message, /tok-12345|s3cr3t!/);
    assert.doesNotMatch(clean.detail ?? '', /tok-12345/);
    assert.equal(clean.status, 400);
    const untouched = new DingTalkError({ status: 1, endpoint: '/x', message: 'fine' });
    assert.equal(scrubError(untouched, ['zzzz']), untouched);
  });

  it('reads new-style, legacy and ban bodies', () => {
    const facts = failureFacts(
      {
        requestid: 'R',
        code: 'Forbidden.AccessDenied.AccessTokenPermissionDenied',
        message: 'x',
        accessdenieddetail: { requiredScopes: ['Card.Streaming.Write'] },
      },
      {},
    );
    assert.deepEqual(facts, {
      code: 'Forbidden.AccessDenied.AccessTokenPermissionDenied',
      message: 'x',
      requestId: 'R',
      requiredScopes: ['Card.Streaming.Write'],
    });
    assert.deepEqual(failureFacts({ errcode: 300001, errmsg: 'session gone' }, { 'x-acs-request-id': 'H' }), {
      code: '300001',
      message: 'session gone',
      requestId: 'H',
      requiredScopes: [],
    });
    assert.equal(isFailureBody({ errcode: 0, errmsg: 'ok' }), false);
    assert.equal(isFailureBody({ errcode: 90018 }), true);
    assert.equal(isFailureBody({ status: 1111, punish: 'deny' }), true);
    const ban = answerError({ status: 200, headers: {}, text: '' }, { ok: true, value: { status: 1111, punish: 'deny' } }, '/v1.0/x');
    assert.equal(ban.code, 'IpRateLimitBan');
    assert.match(ban.message, /5 minutes/);
  });

  it('describes a non-JSON body by its type and title', () => {
    const parsed = parseBody({
      status: 502,
      headers: { 'content-type': 'text/html; charset=utf-8' },
      text: '<html><title>502 Bad Gateway</title></html>',
    });
    assert.deepEqual(parsed, { ok: false, reason: 'text/html instead of JSON ("502 Bad Gateway")' });
    assert.deepEqual(parseBody({ status: 200, headers: {}, text: '  ' }), { ok: false, reason: 'an empty body' });
    const err = answerError({ status: 502, headers: {}, text: 'x' }, { ok: false, reason: 'r' }, '/v1.0/y');
    assert.equal(err.code, 'NonJsonResponse');
    assert.match(err.hint ?? '', /temporary/);
  });

  it("tells from DingTalk's answer whether a request may be sent again", () => {
    assert.equal(resendAfter(429, undefined), 'throttled');
    assert.equal(resendAfter(403, 'Forbidden.AccessDenied.QpsLimitForApi'), 'throttled');
    assert.equal(resendAfter(200, '90018'), 'throttled');
    assert.equal(resendAfter(503, undefined), 'unprocessed');
    assert.equal(resendAfter(503, 'operationTimeout'), 'maybeActed');
    assert.equal(resendAfter(502, undefined), 'maybeActed');
    assert.equal(resendAfter(500, 'unknown.send.result'), 'maybeActed');
    assert.equal(resendAfter(400, 'unknown.send.result'), 'unknownResult');
    assert.equal(resendAfter(400, 'invalidParameter'), 'never');
    assert.equal(resendAfter(401, 'InvalidAuthentication'), 'never');
    assert.ok(isTokenRefused(401, undefined) && isTokenRefused(400, 'InvalidAuthentication') && !isTokenRefused(403, '42001'));
    assert.ok(isSessionGone('300001') && isSessionGone('session.expired') && isSessionGone('SessionWebhookExpired') && !isSessionGone('90018'));
    assert.ok(
      isGatewayCredentialRefusal(403, undefined) && isGatewayCredentialRefusal(400, 'authFailed') && !isGatewayCredentialRefusal(500, undefined),
    );
  });

  it('gives the three error kinds one base with a code', () => {
    const kinds = [
      new DingTalkError({ status: 400, code: 'X', endpoint: '/v1.0/a', message: 'no' }),
      new GatewayError('refused', 401, true, 'authFailed'),
      new MsgInputError('tooLong', 'msg.payload', 'too long'),
    ];
    assert.deepEqual(
      kinds.map((e) => [e instanceof PackageError, e.name, e.code]),
      [
        [true, 'DingTalkError', 'X'],
        [true, 'GatewayError', 'authFailed'],
        [true, 'MsgInputError', 'tooLong'],
      ],
    );
  });
});
