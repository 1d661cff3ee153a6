import assert from 'node:assert/strict';
import {
  backoffDelay,
  decideRetry,
  DEFAULT_RETRY,
  isOutcomeUnknown,
  isRetryableNetworkError,
  parseRetryAfter,
  type RetryContext,
} from '../../src/api/retry';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const ctx = (over: Partial<RetryContext> = {}): RetryContext => ({
  retryIndex: 0,
  waitedMs: 0,
  idempotent: false,
  now: NOW,
  random: () => 0.5,
  ...over,
});

describe('api/retry policy', () => {
  it('backs off exponentially with jitter, capped per step', () => {
    const opts = { baseDelayMs: 100, maxDelayMs: 1000 };
    assert.equal(
      backoffDelay(0, opts, () => 0),
      50,
    );
    assert.equal(
      backoffDelay(0, opts, () => 0.999999),
      100,
    );
    assert.equal(
      backoffDelay(1, opts, () => 0),
      100,
    );
    assert.equal(
      backoffDelay(2, opts, () => 0),
      200,
    );
    assert.equal(
      backoffDelay(10, opts, () => 0.999999),
      1000,
    );
  });

  it('retries 429 and 5xx gateway errors of an idempotent call', () => {
    for (const status of [429, 500, 502, 503, 504]) {
      const d = decideRetry({ kind: 'response', status }, ctx({ idempotent: true }), DEFAULT_RETRY);
      assert.equal(d.retry, true, `status ${status}`);
    }
  });

  it('resends a send only when DingTalk surely did not act: 429 and 503, not 500/502/504 or 503 operationTimeout', () => {
    assert.equal(decideRetry({ kind: 'response', status: 429 }, ctx(), DEFAULT_RETRY).retry, true);
    assert.equal(decideRetry({ kind: 'response', status: 503 }, ctx(), DEFAULT_RETRY).retry, true);
    for (const [status, code] of [
      [500, undefined],
      [502, undefined],
      [504, undefined],
      [503, 'operationTimeout'],
      [500, 'system.error'],
    ] as const) {
      const d = decideRetry({ kind: 'response', status, code }, ctx(), DEFAULT_RETRY);
      assert.deepEqual(d, { retry: false, reason: 'not safe to resend' }, `${status} ${code}`);
      assert.equal(isOutcomeUnknown({ kind: 'response', status, code }), true, `${status} ${code}`);
    }
    assert.equal(decideRetry({ kind: 'response', status: 503, code: 'operationTimeout' }, ctx({ idempotent: true }), DEFAULT_RETRY).retry, true);
  });

  it('knows which failures leave it open whether DingTalk acted', () => {
    const unknown = (o: Parameters<typeof isOutcomeUnknown>[0]): boolean => isOutcomeUnknown(o);
    assert.equal(unknown({ kind: 'network', errorCode: 'UND_ERR_HEADERS_TIMEOUT' }), true);
    assert.equal(unknown({ kind: 'network', errorCode: 'ECONNRESET' }), true);
    assert.equal(unknown({ kind: 'network', errorCode: 'ECONNREFUSED' }), false, 'never sent');
    assert.equal(unknown({ kind: 'response', status: 400, code: 'unknown.send.result' }), true, "DingTalk's own 未知的发送结果");
    assert.equal(unknown({ kind: 'response', status: 200, code: 'UnexpectedResponse' }), true, 'a 2xx we could not read');
    assert.equal(unknown({ kind: 'response', status: 200, code: '300001' }), false, 'a legacy refusal');
    assert.equal(unknown({ kind: 'response', status: 400, code: 'invalidParameter.msgParam.tooLong' }), false);
    assert.equal(unknown({ kind: 'response', status: 403, code: 'Forbidden.AccessDenied.QpsLimitForApi' }), false);
    assert.equal(unknown({ kind: 'response', status: 503 }), false);
  });

  it('retries every documented throttling answer, even of a send, waiting at least the throttle delay', () => {
    for (const code of [
      'Forbidden.AccessDenied.QpsLimitForAppkeyAndApi',
      'Forbidden.AccessDenied.QpsLimitForApi',
      'Forbidden.AccessDenied.QpmLimitForAppkeyAndApi',
      'Forbidden.AccessDenied.QpsLimitForSuitekeyAndOrgAndApi',
      'Forbidden.AccessDenied.QpmLimitForSuitekeyAndOrgAndApi',
    ]) {
      const d = decideRetry({ kind: 'response', status: 403, code }, ctx({ random: () => 0 }), DEFAULT_RETRY);
      assert.deepEqual(d, { retry: true, delayMs: DEFAULT_RETRY.throttleDelayMs }, code);
    }
    assert.equal(decideRetry({ kind: 'response', status: 200, code: '90018' }, ctx(), DEFAULT_RETRY).retry, true);
    assert.equal(decideRetry({ kind: 'response', status: 200, code: '90002' }, ctx(), DEFAULT_RETRY).retry, true);
    for (const code of ['send.too.fast', 'send.byToken.tooFast', 'too.many.group', 'too.many.people']) {
      const d = decideRetry({ kind: 'response', status: 400, code }, ctx({ random: () => 0 }), DEFAULT_RETRY);
      assert.deepEqual(d, { retry: true, delayMs: DEFAULT_RETRY.throttleDelayMs }, code);
    }
  });

  it('never retries other 4xx, including permission 403 and 400', () => {
    for (const [status, code] of [
      [400, 'invalidParameter'],
      [401, 'InvalidAuthentication'],
      [403, 'Forbidden.AccessDenied.AccessTokenPermissionDenied'],
      [403, 'Forbidden.AccessDenied.IpNotInWhiteList'],
      [404, 'unknownPath'],
    ] as const) {
      assert.equal(decideRetry({ kind: 'response', status, code }, ctx(), DEFAULT_RETRY).retry, false, `${status} ${code}`);
    }
  });

  it('honours Retry-After in seconds and as an HTTP date, even above the per-step cap', () => {
    const secs = decideRetry({ kind: 'response', status: 429, retryAfter: '12' }, ctx(), DEFAULT_RETRY);
    assert.deepEqual(secs, { retry: true, delayMs: 12_000 });
    const date = new Date(NOW + 3_000).toUTCString();
    const byDate = decideRetry({ kind: 'response', status: 503, retryAfter: date }, ctx(), DEFAULT_RETRY);
    assert.deepEqual(byDate, { retry: true, delayMs: 3_000 });
    assert.equal(parseRetryAfter('garbage', NOW), undefined);
    assert.equal(parseRetryAfter(new Date(NOW - 5000).toUTCString(), NOW), 0);
  });

  it('gives up when the wait would exceed the total budget, or after maxRetries', () => {
    const tooLong = decideRetry({ kind: 'response', status: 429, retryAfter: '60' }, ctx(), DEFAULT_RETRY);
    assert.equal(tooLong.retry, false);
    const spent = decideRetry({ kind: 'response', status: 503 }, ctx({ waitedMs: 19_900 }), DEFAULT_RETRY);
    assert.equal(spent.retry, false);
    const many = decideRetry({ kind: 'response', status: 503 }, ctx({ retryIndex: 3 }), DEFAULT_RETRY);
    assert.equal(many.retry, false);
    assert.equal(decideRetry({ kind: 'response', status: 503 }, ctx({ retryIndex: 0 }), { ...DEFAULT_RETRY, maxRetries: 0 }).retry, false);
  });

  it('resends after a network error only when the request cannot have reached DingTalk, or is idempotent', () => {
    assert.equal(isRetryableNetworkError('ECONNREFUSED', false), true);
    assert.equal(isRetryableNetworkError('UND_ERR_CONNECT_TIMEOUT', false), true);
    assert.equal(isRetryableNetworkError('ECONNRESET', false), false, 'a POST may have been processed');
    assert.equal(isRetryableNetworkError('UND_ERR_HEADERS_TIMEOUT', false), false);
    assert.equal(isRetryableNetworkError('ECONNRESET', true), true);
    assert.equal(isRetryableNetworkError('ENOTFOUND', true), false, 'a wrong host name is not transient');
    assert.equal(isRetryableNetworkError(undefined, true), false);
    assert.equal(decideRetry({ kind: 'network', errorCode: 'ECONNREFUSED' }, ctx(), DEFAULT_RETRY).retry, true);
  });
});
