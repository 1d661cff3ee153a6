import type { z } from 'zod';
import { DingTalkError, LocalErrorCode } from './errors';
import { describeThrown } from '../util/thrown';

/** The DingTalkErrors the client makes itself, when there is no DingTalk answer to describe. */

export function errorCodeOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string') return e.code;
  // Node 20's happy-eyeballs connect reports an AggregateError whose parts carry the code.
  if (Array.isArray(e.errors)) {
    for (const part of e.errors) {
      const code = errorCodeOf(part);
      if (code) return code;
    }
  }
  return e.cause === undefined ? undefined : errorCodeOf(e.cause);
}

export function networkError(err: unknown, endpoint: string, timeoutMs: number): DingTalkError {
  const code = errorCodeOf(err);
  const timedOut = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
  const text = describeThrown(err);
  return new DingTalkError({
    status: 0,
    code: timedOut ? LocalErrorCode.Timeout : LocalErrorCode.Network,
    endpoint,
    message: timedOut ? `no answer within ${timeoutMs} ms (${code})` : `network error: ${text}${code && !text.includes(code) ? ` (${code})` : ''}`,
    hint: timedOut
      ? 'DingTalk or the network is slow; try again, or raise the timeout'
      : 'check the network connection, the proxy settings and the API base URL; DingTalk needs outbound https to api.dingtalk.com:443',
    cause: err,
  });
}

export function unexpectedAnswer(endpoint: string, status: number, error: z.ZodError): DingTalkError {
  const first = error.issues[0];
  const where = first && first.path.length ? first.path.join('.') : 'body';
  return new DingTalkError({
    status,
    code: LocalErrorCode.UnexpectedResponse,
    endpoint,
    message: `unexpected answer: ${where}: ${first?.message ?? 'invalid'}`,
    hint: 'the API base URL may not point at DingTalk, or DingTalk changed this API; please report it',
  });
}

export function tooLarge(endpoint: string, maxBytes: number, declared?: number): DingTalkError {
  return new DingTalkError({
    status: 0,
    code: LocalErrorCode.TooLarge,
    endpoint,
    message: `the file is larger than the limit of ${maxBytes} bytes${declared === undefined ? '' : ` (${declared} bytes)`}; the download was stopped`,
    hint: 'raise the maximum file size in the node if you need larger files',
  });
}

export function rateQueueFull(endpoint: string, queued: number, perSecond: number): DingTalkError {
  return new DingTalkError({
    status: 0,
    code: LocalErrorCode.RateQueueFull,
    endpoint,
    message: `too many calls queued for DingTalk's rate limit: ${queued} calls to this API are already waiting for a slot (${perSecond} per second), so this one was not sent`,
    hint: 'the flow sends faster than DingTalk accepts (20 calls per second per app and API): slow it down, e.g. with a delay node set to rate limit, or send to several users in one call',
  });
}

export function closedError(endpoint: string): DingTalkError {
  return new DingTalkError({ status: 0, code: LocalErrorCode.Closed, endpoint, message: 'the OpenAPI client was closed (flow stopped or redeployed)' });
}

export function withRetryNote(error: DingTalkError, retries: number): DingTalkError {
  return new DingTalkError({
    status: error.status,
    code: error.code,
    requestId: error.requestId,
    endpoint: error.endpoint,
    detail: error.detail,
    hint: error.hint,
    message: `${error.summary} (gave up after ${retries} ${retries === 1 ? 'retry' : 'retries'})`,
    outcomeUnknown: error.outcomeUnknown,
    cause: error.cause,
  });
}

/**
 * A request that is not safe to resend (a robot message, a card delivery) failed after it may have reached DingTalk:
 * say so, and that it was not resent, so the user checks the chat instead of sending a duplicate.
 */
export function outcomeUnknownError(error: DingTalkError): DingTalkError {
  return new DingTalkError({
    status: error.status,
    code: error.code,
    requestId: error.requestId,
    endpoint: error.endpoint,
    detail: error.detail,
    message: `${error.summary}; DingTalk may or may not have carried out the request, so it was not resent (that could deliver the message twice)`,
    hint: 'check the chat before sending again: the message (or card) may already have been delivered',
    outcomeUnknown: true,
    cause: error.cause,
  });
}
