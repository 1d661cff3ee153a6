import { z } from 'zod';

/**
 * The `data` of an AI assistant action call (`/v1.0/graph/api/invoke`, docs/protocol.md §2.5) -> what
 * `dingtalk-ai-in` puts on `msg.req` and `msg.payload`. No Node-RED here.
 *
 * DingTalk sends `{ requestLine: { method, uri }, headers: { name: value }, body: "<JSON text>" }`; `uri` is a path
 * with a URL-encoded query.
 */

export interface AiRequest {
  /** Upper case, as sent: GET, POST, PUT, DELETE are documented. */
  method: string;
  /** Path and query as sent, still encoded. */
  uri: string;
  /** The path part of `uri`, still encoded (parameters are decoded by the matcher). */
  path: string;
  /** Decoded query parameters; a repeated name gives an array, as in `http in`. */
  query: Record<string, string | string[]>;
  /** Header names in lower case, as HTTP treats them. */
  headers: Record<string, string>;
  /** The parsed JSON body; a string when the request says it is not JSON; undefined when there is none. */
  body: unknown;
}

export type AiRequestParse = { ok: true; request: AiRequest } | { ok: false; reason: string };

const RequestLineSchema = z.object({
  method: z.string().regex(/^[A-Za-z]{1,16}$/, 'must be an HTTP method such as GET or POST'),
  uri: z.string().min(1).max(8_192).startsWith('/', 'must start with "/"'),
});

const GraphRequestSchema = z.looseObject({
  requestLine: RequestLineSchema,
  headers: z.record(z.string(), z.unknown()).nullish(),
  body: z.unknown().optional(),
});

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : 'the request';
  return `${where}: ${issue?.message ?? 'invalid'}`;
}

function readHeaders(raw: Record<string, unknown> | null | undefined): Record<string, string> {
  const entries: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(raw ?? {})) {
    // The SDKs model headers as string -> string; a number is kept as text, anything else is not a header value.
    if (typeof value === 'string') entries.push([name.toLowerCase(), value]);
    else if (typeof value === 'number' && Number.isFinite(value)) entries.push([name.toLowerCase(), String(value)]);
  }
  return Object.fromEntries(entries);
}

function readQuery(search: URLSearchParams): Record<string, string | string[]> {
  const query = new Map<string, string | string[]>();
  for (const [name, value] of search) {
    const seen = query.get(name);
    query.set(name, seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value]);
  }
  return Object.fromEntries(query);
}

type BodyRead = { ok: true; body: unknown } | { ok: false; reason: string };

/** DingTalk documents the body as JSON text; only a request that names another content type keeps it as text. */
function readBody(raw: unknown, contentType: string | undefined): BodyRead {
  if (raw === undefined || raw === null || raw === '') return { ok: true, body: undefined };
  // The SDKs all model body as a string; an object already parsed is taken as it is (UNCONFIRMED that it happens).
  if (typeof raw !== 'string')
    return typeof raw === 'object' ? { ok: true, body: raw } : { ok: false, reason: `body: expected JSON text, got a ${typeof raw}` };
  if (contentType !== undefined && !/json/i.test(contentType)) return { ok: true, body: raw };
  try {
    return { ok: true, body: JSON.parse(raw) as unknown };
  } catch {
    return { ok: false, reason: 'body: is not valid JSON' };
  }
}

export function parseAiRequest(data: unknown): AiRequestParse {
  const parsed = GraphRequestSchema.safeParse(data);
  if (!parsed.success) {
    const noLine = typeof data !== 'object' || data === null || !('requestLine' in data);
    return {
      ok: false,
      reason: noLine ? 'requestLine: missing (an AI action call carries {requestLine: {method, uri}, headers, body})' : describeIssue(parsed.error),
    };
  }
  const { requestLine } = parsed.data;
  let url: URL;
  try {
    url = new URL(requestLine.uri, 'http://action.invalid');
  } catch {
    return { ok: false, reason: `requestLine.uri: cannot be read as a path and query` };
  }
  const headers = readHeaders(parsed.data.headers);
  const body = readBody(parsed.data.body, headers['content-type']);
  if (!body.ok) return body;
  const queryAt = requestLine.uri.indexOf('?');
  return {
    ok: true,
    request: {
      method: requestLine.method.toUpperCase(),
      uri: requestLine.uri,
      path: queryAt < 0 ? requestLine.uri : requestLine.uri.slice(0, queryAt),
      query: readQuery(url.searchParams),
      headers,
      body: body.body,
    },
  };
}
