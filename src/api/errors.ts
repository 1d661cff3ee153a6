import type { z } from 'zod';
import { failureFacts, hintFor } from '../dingtalk-says';
import { LocalErrorCode, PackageError } from '../errors';
import { scrubSecrets } from '../util/secrets';
import { MAX_SERVER_MESSAGE_CHARS, excerpt } from '../util/text';
import { describeThrown } from '../util/thrown';
import type { ParsedBody, RawAnswer } from './answer';

/**
 * The one error type for everything the OpenAPI client can fail with: DingTalk's answers, transport failures,
 * refused URLs and bad input, and the functions that make each kind. Its message always says what went wrong and,
 * when we know, what to do about it (the advice comes from src/dingtalk-says.ts). It never carries the access token,
 * the app secret or a session webhook's key (see `redactUrl`, `scrubError`).
 */

export { LocalErrorCode } from '../errors';
export { scrubSecrets } from '../util/secrets';

export interface DingTalkErrorInit {
  /** HTTP status, 0 when no answer was received (network, timeout, refused before sending, bad input). */
  status: number;
  /** DingTalk's `code` (new API), the legacy `errcode` as a string, or one of ours (see `LocalErrorCode`). */
  code?: string;
  /** Short statement of what failed, without the hint. */
  message: string;
  requestId?: string;
  /** What the user can do about it. */
  hint?: string;
  /** Path of the endpoint (or origin + path for webhooks and downloads), never with the query. */
  endpoint: string;
  /** The server's own message text, verbatim (already in `message`). */
  detail?: string;
  /**
   * The request may have been carried out although it failed (a 502 or a timeout after a send reached DingTalk):
   * a message may already have been delivered. Such requests are not resent automatically.
   */
  outcomeUnknown?: boolean;
  cause?: unknown;
}

export class DingTalkError extends PackageError {
  override readonly name = 'DingTalkError';
  readonly status: number;
  readonly requestId?: string;
  readonly hint?: string;
  readonly endpoint: string;
  readonly detail?: string;
  /** See DingTalkErrorInit.outcomeUnknown. */
  readonly outcomeUnknown: boolean;
  /** The message without endpoint, status facts and hint. */
  readonly summary: string;

  constructor(init: DingTalkErrorInit) {
    super(composeMessage(init), init.code, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.requestId = init.requestId;
    this.hint = init.hint;
    this.endpoint = init.endpoint;
    this.detail = init.detail;
    this.outcomeUnknown = init.outcomeUnknown === true;
    this.summary = init.message;
  }

  /** The same error with some of its facts changed; `message` replaces the summary and the text is composed again. */
  with(changes: Partial<DingTalkErrorInit>): DingTalkError {
    return new DingTalkError({
      status: this.status,
      code: this.code,
      requestId: this.requestId,
      endpoint: this.endpoint,
      detail: this.detail,
      hint: this.hint,
      message: this.summary,
      outcomeUnknown: this.outcomeUnknown,
      cause: this.cause,
      ...changes,
    });
  }
}

function composeMessage(init: DingTalkErrorInit): string {
  const facts: string[] = [];
  if (init.status > 0) facts.push(`HTTP ${init.status}`);
  if (init.code) facts.push(`code ${init.code}`);
  if (init.requestId) facts.push(`requestId ${init.requestId}`);
  const where = `${init.endpoint}${facts.length ? ` (${facts.join(', ')})` : ''}`;
  const text = `DingTalk ${where}: ${init.message}`;
  return init.hint ? `${text} — ${init.hint}` : text;
}

/**
 * Origin + path of a URL, without query, fragment or userinfo: session webhooks carry their key in the query
 * (`?session=…`) and download URLs their signature, so neither may reach a message or a log.
 */
export function redactUrl(url: string | URL): string {
  try {
    const u = typeof url === 'string' ? new URL(url) : url;
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '<invalid URL>';
  }
}

/** A copy of the error whose texts no longer contain the secrets; the same object when it was clean. */
export function scrubError(err: DingTalkError, secrets: Iterable<string | undefined>): DingTalkError {
  const list = [...secrets];
  // The message holds code, requestId, endpoint, summary and hint; only the detail is outside it.
  if (scrubSecrets(err.message, list) === err.message && (err.detail === undefined || scrubSecrets(err.detail, list) === err.detail)) {
    return err;
  }
  const scrub = (s: string | undefined): string | undefined => (s === undefined ? undefined : scrubSecrets(s, list));
  // The cause is dropped: it is not ours to clean.
  return err.with({
    code: scrub(err.code),
    endpoint: scrubSecrets(err.endpoint, list),
    message: scrubSecrets(err.summary, list),
    detail: scrub(err.detail),
    hint: scrub(err.hint),
    cause: undefined,
  });
}

// ---- DingTalk's answers ---------------------------------------------------------------------------------------

/** A server's own message as an error quotes it: whitespace folded, cut to a few sentences. */
export function serverMessage(text: string): string {
  return excerpt(text, [], MAX_SERVER_MESSAGE_CHARS);
}

/** A failed answer: what DingTalk said (or what came instead of DingTalk), with the advice for it. */
export function answerError(answer: RawAnswer, parsed: ParsedBody, endpoint: string): DingTalkError {
  if (!parsed.ok) {
    return new DingTalkError({
      status: answer.status,
      code: LocalErrorCode.NonJson,
      endpoint,
      message: `answered HTTP ${answer.status} with ${parsed.reason}`,
      hint:
        answer.status >= 500
          ? 'DingTalk or a gateway in between had a temporary problem; try again later'
          : 'something other than DingTalk answered (a proxy, firewall or captive portal?): check the proxy settings and the API base URL',
    });
  }
  const found = failureFacts(parsed.value, answer.headers);
  const facts = { ...found, message: found.message === undefined ? undefined : serverMessage(found.message) };
  return new DingTalkError({
    status: answer.status,
    code: facts.code,
    requestId: facts.requestId,
    endpoint,
    detail: facts.message,
    message: facts.message ?? `request failed with HTTP ${answer.status}`,
    hint: hintFor({ status: answer.status, code: facts.code, message: facts.message, endpoint, requiredScopes: facts.requiredScopes }),
  });
}

export function unexpectedAnswer(endpoint: string, status: number, error: z.ZodError): DingTalkError {
  const first = error.issues[0];
  const where = first?.path.length ? first.path.join('.') : 'body';
  return new DingTalkError({
    status,
    code: LocalErrorCode.UnexpectedResponse,
    endpoint,
    message: `unexpected answer: ${where}: ${first?.message ?? 'invalid'}`,
    hint: 'the API base URL may not point at DingTalk, or DingTalk changed this API; please report it',
  });
}

// ---- failures without an answer -------------------------------------------------------------------------------

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

/** The client (or one of its streamers) was closed while a call still waited. */
export function closedError(endpoint: string, message = 'the OpenAPI client was closed (flow stopped or redeployed)'): DingTalkError {
  return new DingTalkError({ status: 0, code: LocalErrorCode.Closed, endpoint, message });
}

// ---- after the retries ----------------------------------------------------------------------------------------

export function withRetryNote(error: DingTalkError, retries: number): DingTalkError {
  return error.with({ message: `${error.summary} (gave up after ${retries} ${retries === 1 ? 'retry' : 'retries'})` });
}

/**
 * A request that is not safe to resend (a robot message, a card delivery) failed after it may have reached DingTalk:
 * say so, and that it was not resent, so the user checks the chat instead of sending a duplicate.
 */
export function outcomeUnknownError(error: DingTalkError): DingTalkError {
  return error.with({
    message: `${error.summary}; DingTalk may or may not have carried out the request, so it was not resent (that could deliver the message twice)`,
    hint: 'check the chat before sending again: the message (or card) may already have been delivered',
    outcomeUnknown: true,
  });
}
