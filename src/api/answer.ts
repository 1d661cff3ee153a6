import { DingTalkError, LocalErrorCode, MAX_EXCERPT_CHARS, excerpt, scrubSecrets } from './errors';
import { hintFor, scopesFromMessage } from './hints';
import { htmlTitle, stripTags } from './markup';
import { readCapped } from '../util/read-capped';

/**
 * Reading DingTalk's answers: JSON or not, new-style `{requestid, code, message}` or legacy `{errcode, errmsg}`
 * error bodies, and turning a failed answer into a DingTalkError with the right hint.
 */

export type HeaderMap = Record<string, string | string[] | undefined>;

export interface RawAnswer {
  status: number;
  headers: HeaderMap;
  text: string;
}

/** The parsed body, or why it could not be read as JSON. */
export type ParsedBody = { ok: true; value: unknown } | { ok: false; reason: string };

export function header(headers: HeaderMap, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * How much of a body that is not JSON is searched for a title or a quote. The quote is 120 characters and an error
 * page's title sits in its first few hundred bytes; reading further only costs time on a body that may be 4 MB (the
 * read limit) of junk.
 */
export const MAX_EXAMINED_CHARS = 16 * 1024;

/**
 * The body as JSON, or a short quote of what came instead. `secrets` are replaced before anything is quoted
 * (a proxy may echo the request, access token included); pass them whenever the result may reach an error.
 */
export function parseBody(answer: RawAnswer, secrets: readonly string[] = []): ParsedBody {
  const text = answer.text.trim();
  if (text === '') return { ok: false, reason: 'an empty body' };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    const type = header(answer.headers, 'content-type')?.split(';')[0]?.trim() || 'no content type';
    // Secrets are replaced before the cut, which could otherwise leave the first half of one at the end of `head`.
    const head = scrubSecrets(text, secrets).slice(0, MAX_EXAMINED_CHARS);
    const title = htmlTitle(head);
    // A successful answer in another format still carries what we asked for (the XML form of the token call holds
    // the access token, which we never parsed and so cannot scrub): quote only an HTML title from those.
    const quotable = title ?? (answer.status >= 200 && answer.status < 300 ? undefined : stripTags(head));
    const quote = quotable === undefined ? '' : excerpt(quotable, secrets);
    if (quote === '') return { ok: false, reason: `${type} instead of JSON` };
    return { ok: false, reason: `${type} instead of JSON ("${quote}")` };
  }
}

/** DingTalk's own error messages are short; anything longer is cut (after scrubbing) rather than quoted whole. */
const MAX_SERVER_MESSAGE_CHARS = MAX_EXCERPT_CHARS * 3;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** What an error body says, whichever of DingTalk's shapes it has. */
export interface FailureFacts {
  code?: string;
  message?: string;
  requestId?: string;
  requiredScopes?: string[];
}

export function failureFacts(body: unknown, headers: HeaderMap): FailureFacts {
  const requestIdHeader = header(headers, 'x-acs-request-id');
  if (!isRecord(body)) return { requestId: requestIdHeader };
  const detail = isRecord(body['accessdenieddetail']) ? body['accessdenieddetail'] : undefined;
  const scopesRaw = detail?.['requiredScopes'];
  const requiredScopes = Array.isArray(scopesRaw) ? scopesRaw.filter((s): s is string => typeof s === 'string') : undefined;
  let code = str(body['code']);
  let message = str(body['message']) ?? str(body['errmsg']);
  if (code === undefined && typeof body['errcode'] === 'number' && body['errcode'] !== 0) code = String(body['errcode']);
  // Per-IP flood protection answers `{"status":1111,"punish":"deny"}` instead of an error object.
  if (body['punish'] === 'deny') {
    code ??= 'IpRateLimitBan';
    message ??= 'DingTalk blocked calls from this IP for about 5 minutes after too many requests (10 000 per 20 s per IP)';
  }
  return {
    code,
    message,
    requestId: str(body['requestid']) ?? str(body['requestId']) ?? str(body['request_id']) ?? requestIdHeader,
    requiredScopes: requiredScopes?.length ? requiredScopes : scopesFromMessage(message),
  };
}

/**
 * Bodies that are failures even under HTTP 200: legacy `{errcode: n}` with n ≠ 0 (session webhooks answer that
 * way) and the per-IP flood ban `{"punish":"deny"}`.
 */
export function isFailureBody(body: unknown): boolean {
  if (!isRecord(body)) return false;
  if (body['punish'] === 'deny') return true;
  return typeof body['errcode'] === 'number' && body['errcode'] !== 0;
}

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
  const facts = { ...found, message: found.message === undefined ? undefined : excerpt(found.message, [], MAX_SERVER_MESSAGE_CHARS) };
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

/** Ends a body we no longer want. Destroying emits an abort error, which nobody needs to hear about. */
export function discard(body: { on(event: 'error', fn: () => void): unknown; destroy(): void }): void {
  body.on('error', () => {});
  body.destroy();
}

export async function readText(body: AsyncIterable<unknown>, maxBytes: number): Promise<string> {
  return (await readCapped(body, maxBytes)).text;
}
