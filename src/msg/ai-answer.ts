import { plainJsonText } from './plain-json';

/**
 * `dingtalk-ai-response`'s msg -> the answer DingTalk expects for an AI assistant action, and the answers the package
 * gives on its own (no route, no answer in time, a malformed call). docs/protocol.md §2.5. No Node-RED here.
 */

/** The `response` of the ack: an HTTP-like answer whose body is text (JSON text for a JSON answer). */
export interface AiAnswer {
  statusLine: { code: number; reasonPhrase: string };
  headers: Record<string, string>;
  body: string;
}

export type AiAnswerBuild = { ok: true; answer: AiAnswer } | { ok: false; reason: string };

const JSON_TYPE = 'application/json';
const TEXT_TYPE = 'text/plain; charset=utf-8';
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/;

/** The usual reason phrases (RFC 9110); not node:http's table, since src/msg/ must not import network modules. */
const REASONS: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  301: 'Moved Permanently',
  302: 'Found',
  304: 'Not Modified',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};
const CLASS_REASONS = ['Informational', 'OK', 'Redirection', 'Client Error', 'Server Error'];

function reasonPhrase(code: number): string {
  return REASONS[code] ?? CLASS_REASONS[Math.floor(code / 100) - 1] ?? 'Unknown';
}

function readStatus(value: unknown): { ok: true; code: number } | { ok: false; reason: string } {
  if (value === undefined || value === null || value === '') return { ok: true, code: 200 };
  const code = typeof value === 'string' && /^\d{3}$/.test(value.trim()) ? Number(value) : value;
  if (typeof code === 'number' && Number.isInteger(code) && code >= 100 && code <= 599) return { ok: true, code };
  return { ok: false, reason: `msg.statusCode: expected an HTTP status from 100 to 599, got ${JSON.stringify(value) ?? typeof value}` };
}

function readHeaders(value: unknown): { ok: true; headers: Array<[string, string]> } | { ok: false; reason: string } {
  if (value === undefined || value === null) return { ok: true, headers: [] };
  if (typeof value !== 'object' || Array.isArray(value)) {
    return {
      ok: false,
      reason: `msg.headers: expected an object of header names and values, got ${Array.isArray(value) ? 'an array' : typeof value}`,
    };
  }
  const headers: Array<[string, string]> = [];
  for (const [name, raw] of Object.entries(value)) {
    if (!HEADER_NAME.test(name)) return { ok: false, reason: `msg.headers: "${name.slice(0, 64)}" is not a valid header name` };
    const text =
      typeof raw === 'string'
        ? raw
        : typeof raw === 'number' && Number.isFinite(raw)
          ? String(raw)
          : typeof raw === 'boolean'
            ? String(raw)
            : undefined;
    if (text === undefined) return { ok: false, reason: `msg.headers.${name}: expected text or a number, got ${raw === null ? 'null' : typeof raw}` };
    if (/[\r\n\0]/.test(text)) return { ok: false, reason: `msg.headers.${name}: a header value cannot contain a line break` };
    headers.push([name.toLowerCase(), text]);
  }
  return { ok: true, headers };
}

function readBody(payload: unknown): { ok: true; body: string; type: string | undefined } | { ok: false; reason: string } {
  if (payload === undefined || payload === null) return { ok: true, body: '', type: undefined };
  if (typeof payload === 'string') return { ok: true, body: payload, type: TEXT_TYPE };
  if (Buffer.isBuffer(payload)) return { ok: true, body: payload.toString('utf8'), type: TEXT_TYPE };
  try {
    return { ok: true, body: plainJsonText(payload, 'msg.payload') ?? '', type: JSON_TYPE };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * As `http response` does: an object, array, number or boolean in `msg.payload` goes as JSON, a string as text;
 * `msg.statusCode` (default 200) and `msg.headers` are taken as given, a content type set there wins.
 */
export function buildAiAnswer(msg: { payload?: unknown; statusCode?: unknown; headers?: unknown }): AiAnswerBuild {
  const status = readStatus(msg.statusCode);
  if (!status.ok) return status;
  const headers = readHeaders(msg.headers);
  if (!headers.ok) return headers;
  const body = readBody(msg.payload);
  if (!body.ok) return body;
  const merged = new Map<string, string>();
  if (body.type !== undefined) merged.set('content-type', body.type);
  for (const [name, value] of headers.headers) merged.set(name, value);
  return {
    ok: true,
    answer: { statusLine: { code: status.code, reasonPhrase: reasonPhrase(status.code) }, headers: Object.fromEntries(merged), body: body.body },
  };
}

/** Why the package answered instead of the flow; also the `error.code` of the JSON body. */
export type AiErrorKind = 'noRoute' | 'badRequest' | 'flowDidNotAnswer' | 'shuttingDown' | 'flowFailed';

const ERROR_STATUS: Record<AiErrorKind, number> = {
  noRoute: 404,
  badRequest: 400,
  flowDidNotAnswer: 504,
  shuttingDown: 503,
  flowFailed: 500,
};

/** An answer the package gives itself: a JSON body `{ error: { code, message } }` the assistant can show or reason about. */
export function errorAnswer(kind: AiErrorKind, message: string): AiAnswer {
  const code = ERROR_STATUS[kind];
  return {
    statusLine: { code, reasonPhrase: reasonPhrase(code) },
    headers: { 'content-type': JSON_TYPE },
    body: JSON.stringify({ error: { code: kind, message } }),
  };
}

/** What `dingtalk-ai-in` puts on `msg._dingtalkAi` for `dingtalk-ai-response` (like `msg.res` for `http response`). */
export interface AiResponder {
  messageId: string;
  method: string;
  path: string;
  /** True when the answer went out; false when the call was already answered (deadline passed, node closed). */
  respond(answer: AiAnswer): boolean;
}

export function isAiResponder(value: unknown): value is AiResponder {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as Record<string, unknown>)['respond'] === 'function' &&
    typeof (value as Record<string, unknown>)['messageId'] === 'string'
  );
}
