/**
 * The one error type for everything the OpenAPI client can fail with: DingTalk's answers, transport failures,
 * refused URLs and bad input. Its message always says what went wrong and, when we know, what to do about it.
 * It never carries the access token, the app secret or a session webhook's key (see `redactUrl`).
 */

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

/** Codes we assign ourselves when DingTalk did not give one. */
export const LocalErrorCode = {
  Network: 'NetworkError',
  Timeout: 'Timeout',
  NonJson: 'NonJsonResponse',
  UnexpectedResponse: 'UnexpectedResponse',
  InvalidInput: 'InvalidInput',
  UrlRefused: 'UrlRefused',
  TooLarge: 'FileTooLarge',
  Closed: 'ClientClosed',
  WebhookExpired: 'SessionWebhookExpired',
  DeliverFailed: 'CardDeliverFailed',
  RateQueueFull: 'RateLimitQueueFull',
} as const;

export class DingTalkError extends Error {
  override readonly name = 'DingTalkError';
  readonly status: number;
  readonly code?: string;
  readonly requestId?: string;
  readonly hint?: string;
  readonly endpoint: string;
  readonly detail?: string;
  /** See DingTalkErrorInit.outcomeUnknown. */
  readonly outcomeUnknown: boolean;
  /** The message without endpoint, status facts and hint. */
  readonly summary: string;

  constructor(init: DingTalkErrorInit) {
    super(composeMessage(init), init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId;
    this.hint = init.hint;
    this.endpoint = init.endpoint;
    this.detail = init.detail;
    this.outcomeUnknown = init.outcomeUnknown === true;
    this.summary = init.message;
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

export { MAX_EXCERPT_CHARS, excerpt, scrubSecrets } from '../util/secrets';
import { scrubSecrets } from '../util/secrets';

/** A copy of the error whose texts no longer contain the secrets; the same object when it was clean. */
export function scrubError(err: DingTalkError, secrets: Iterable<string | undefined>): DingTalkError {
  const list = [...secrets];
  // The message holds code, requestId, endpoint, summary and hint; only the detail is outside it.
  if (scrubSecrets(err.message, list) === err.message && (err.detail === undefined || scrubSecrets(err.detail, list) === err.detail)) {
    return err;
  }
  const scrub = (s: string | undefined): string | undefined => (s === undefined ? undefined : scrubSecrets(s, list));
  return new DingTalkError({
    status: err.status,
    code: scrub(err.code),
    requestId: err.requestId,
    endpoint: scrubSecrets(err.endpoint, list),
    message: scrubSecrets(err.summary, list),
    detail: scrub(err.detail),
    hint: scrub(err.hint),
    outcomeUnknown: err.outcomeUnknown,
  });
}
