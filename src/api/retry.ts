import { DINGTALK } from '../contract';
import type { RandomSource } from '../util/runtime';
import { resendAfter } from '../dingtalk-says';
import { LocalErrorCode, type DingTalkError } from './errors';

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
export type AttemptOutcome = { kind: 'response'; status: number; code?: string; retryAfter?: string } | { kind: 'network'; errorCode?: string };

/** What one attempt produced: the value, or a failure plus what the retry policy needs to know about it. */
export type AttemptResult<T> = { ok: true; value: T } | { ok: false; error: DingTalkError; outcome: AttemptOutcome; tokenRefused?: boolean };

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
 * Whether a status may be retried: always after an answer that proves DingTalk did not act (throttling, 503), and
 * after one where it may have acted only when the request is idempotent (dingtalk-says.ts, `Resend`).
 */
function isRetryableStatus(status: number, code: string | undefined, idempotent: boolean): boolean {
  const resend = resendAfter(status, code);
  return resend === 'throttled' || resend === 'unprocessed' || (idempotent && resend === 'maybeActed');
}

/**
 * Whether a failed attempt leaves it open if DingTalk acted: the request may have been carried out although we got
 * no success answer. For a send this means the message may or may not have been delivered.
 */
export function isOutcomeUnknown(outcome: AttemptOutcome): boolean {
  if (outcome.kind === 'network') return outcome.errorCode !== undefined && MAYBE_SENT_ERRORS.has(outcome.errorCode);
  const resend = resendAfter(outcome.status, outcome.code);
  if (resend === 'maybeActed' || resend === 'unknownResult') return true;
  if (resend !== 'never') return false;
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
    if (resendAfter(outcome.status, outcome.code) === 'throttled') delayMs = Math.max(delayMs, opts.throttleDelayMs);
    const asked = parseRetryAfter(outcome.retryAfter, ctx.now);
    // The server's own wait wins over our guess, even when longer than maxDelayMs: retrying earlier only hits the limit again.
    if (asked !== undefined) delayMs = asked;
  }

  if (ctx.waitedMs + delayMs > opts.maxTotalDelayMs) {
    return { retry: false, reason: `the next wait (${delayMs} ms) would exceed the ${opts.maxTotalDelayMs} ms retry budget` };
  }
  return { retry: true, delayMs };
}
