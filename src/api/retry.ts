import { DINGTALK } from '../contract';
import type { RandomSource } from '../util/runtime';
import { LocalErrorCode, type DingTalkError } from './errors';
import { isThrottling } from './hints';

/**
 * When to try an OpenAPI request again, and after how long. Pure: the caller supplies the clock reading and the
 * random source, so the policy is tested without waiting.
 */

export interface RetryOptions {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** First backoff step; doubles per retry. */
  baseDelayMs: number;
  /** Cap of one backoff step (not of a server's Retry-After). */
  maxDelayMs: number;
  /** Give up rather than wait when the waits of one call would add up to more than this. */
  maxTotalDelayMs: number;
  /** Minimum wait after a throttling answer: DingTalk asks to back off for 1 s (contract.ts). */
  throttleDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = {
  maxRetries: 3,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxTotalDelayMs: 20_000,
  throttleDelayMs: DINGTALK.throttleWaitMs,
};

/** What one attempt produced, as far as retrying is concerned. */
export type AttemptOutcome =
  | { kind: 'response'; status: number; code?: string; retryAfter?: string }
  | { kind: 'network'; errorCode?: string };

/** What one attempt produced: the value, or a failure plus what the retry policy needs to know about it. */
export type AttemptResult<T> =
  | { ok: true; value: T }
  | { ok: false; error: DingTalkError; outcome: AttemptOutcome; tokenRefused?: boolean };

export interface RetryContext {
  /** 0 for the first retry. */
  retryIndex: number;
  /** Sum of the waits already done for this call. */
  waitedMs: number;
  /**
   * The request may be sent twice without harm (GET, token, replace-style PUT). When false (a robot send, a card
   * delivery), it is resent only after an answer that proves DingTalk did not act on it.
   */
  idempotent: boolean;
  now: number;
  random: RandomSource;
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; reason: string };

/**
 * Network errors that prove the request never left us: nothing reached DingTalk, so sending again cannot
 * duplicate a message. ECONNRESET, socket closed or a header timeout, by contrast, may come after DingTalk
 * has acted on a POST (a robot message would then be sent twice), so those are retried only for idempotent
 * requests. DNS "not found" is not here on purpose: it is a configuration error, not a transient one.
 */
const NOT_SENT_ERRORS = new Set(['ECONNREFUSED', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'ENETUNREACH', 'EHOSTUNREACH']);
const MAYBE_SENT_ERRORS = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/**
 * Answers that prove DingTalk did not act, so resending cannot duplicate anything: throttling (DingTalk refused the
 * call, see hints.ts) and 503 Service Unavailable ("服务不可用，系统过载", global error-code page). Not 503
 * `operationTimeout` ("请求超时", same page): a timeout after the call reached DingTalk, which may have acted.
 */
export function isRefusedUnprocessed(status: number, code: string | undefined): boolean {
  if (isThrottling(status, code)) return true;
  return status === 503 && code !== 'operationTimeout';
}

/**
 * Server errors and gateway timeouts: DingTalk may have acted before failing (a robot message sent, then a 502 from
 * a gateway). Resent only when the request is idempotent.
 */
const MAYBE_ACTED_STATUSES = new Set([500, 502, 503, 504]);

export function isRetryableStatus(status: number, code: string | undefined, idempotent: boolean): boolean {
  if (isRefusedUnprocessed(status, code)) return true;
  return idempotent && MAYBE_ACTED_STATUSES.has(status);
}

/**
 * Whether a failed attempt leaves it open if DingTalk acted: the request may have been carried out although we got
 * no success answer. For a send this means the message may or may not have been delivered.
 */
export function isOutcomeUnknown(outcome: AttemptOutcome): boolean {
  if (outcome.kind === 'network') return outcome.errorCode !== undefined && MAYBE_SENT_ERRORS.has(outcome.errorCode);
  if (isRefusedUnprocessed(outcome.status, outcome.code)) return false;
  if (MAYBE_ACTED_STATUSES.has(outcome.status)) return true;
  // DingTalk's own "未知的发送结果" (HTTP 400, robot send pages): it does not know either.
  if (outcome.code === 'unknown.send.result') return true;
  // A 2xx we could not read: DingTalk most likely did what was asked.
  const success = outcome.status >= 200 && outcome.status < 300;
  return success && (outcome.code === undefined || outcome.code === LocalErrorCode.UnexpectedResponse);
}

export function isRetryableNetworkError(errorCode: string | undefined, idempotent: boolean): boolean {
  if (!errorCode) return false;
  if (NOT_SENT_ERRORS.has(errorCode)) return true;
  return idempotent && MAYBE_SENT_ERRORS.has(errorCode);
}

/** `Retry-After` as milliseconds from now: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Exponential backoff with "equal jitter": half fixed, half random, so clients spread out but never retry at once. */
export function backoffDelay(retryIndex: number, opts: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs'>, random: RandomSource): number {
  const step = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** retryIndex);
  return Math.round(step / 2 + (step / 2) * random());
}

export function decideRetry(outcome: AttemptOutcome, ctx: RetryContext, opts: RetryOptions): RetryDecision {
  if (ctx.retryIndex >= opts.maxRetries) return { retry: false, reason: `gave up after ${opts.maxRetries} retries` };

  let delayMs: number;
  if (outcome.kind === 'network') {
    if (!isRetryableNetworkError(outcome.errorCode, ctx.idempotent)) return { retry: false, reason: 'not safe to resend' };
    delayMs = backoffDelay(ctx.retryIndex, opts, ctx.random);
  } else {
    if (!isRetryableStatus(outcome.status, outcome.code, ctx.idempotent)) {
      return { retry: false, reason: isOutcomeUnknown(outcome) ? 'not safe to resend' : 'not a transient error' };
    }
    delayMs = backoffDelay(ctx.retryIndex, opts, ctx.random);
    if (isThrottling(outcome.status, outcome.code)) delayMs = Math.max(delayMs, opts.throttleDelayMs);
    const asked = parseRetryAfter(outcome.retryAfter, ctx.now);
    // The server's own wait wins over our guess, even when longer than maxDelayMs: retrying earlier only hits the limit again.
    if (asked !== undefined) delayMs = asked;
  }

  if (ctx.waitedMs + delayMs > opts.maxTotalDelayMs) {
    return { retry: false, reason: `the next wait (${delayMs} ms) would exceed the ${opts.maxTotalDelayMs} ms retry budget` };
  }
  return { retry: true, delayMs };
}
