/**
 * msg -> one DingTalk server API call, for dingtalk-api. The path is the dangerous part: the app's access token goes
 * wherever the request goes, so a path from a msg may only name a place on the app's own API base (no scheme, no
 * host, no `..`), and the query cannot carry a token of its own.
 */
import { z } from 'zod';
import type { HttpMethod } from '../api/http';
import { MsgInputError, checkBytes, checkPlain, describeValue, parseMsgProperty } from './input-error';
import { plainCopy, plainJsonText } from './plain-json';

export const API_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const satisfies readonly HttpMethod[];

/** Ours: DingTalk's paths are under 200 characters; a longer one is a flow building it from something else. */
export const API_PATH_MAX_CHARS = 2_048;
/** Ours: query parameters of one call (DingTalk's APIs take a handful). */
export const API_QUERY_MAX_KEYS = 50;
/**
 * Ours: the JSON body of one call. DingTalk documents no general request size (UNCONFIRMED); 1 MiB is far above any
 * documented body (an approval form, a to-do, a calendar event) and keeps a runaway flow from sending megabytes.
 */
export const API_BODY_MAX_BYTES = 1024 * 1024;

export interface ApiCall {
  method: HttpMethod;
  /** The path with its `{placeholders}` filled, e.g. `/v1.0/todo/users/abc/tasks`. */
  path: string;
  query: Record<string, string>;
  body?: unknown;
  /** New API (`/v1.0/...`): the token header; anything else is a legacy oapi call with `access_token` in the query. */
  tokenIn: 'header' | 'query';
  /** Only a GET is resent after DingTalk may have acted: for any other call we cannot know it is safe. */
  idempotent: boolean;
}

/** What the node's settings give; a msg property of the same meaning wins. */
export interface ApiNodeSettings {
  method?: string;
  path?: string;
  /** JSON text of a flat object, used when msg.query is not set. */
  query?: string;
  /** JSON text, used as the body when msg.payload is not an object or array. */
  body?: string;
}

const MethodSchema = z.preprocess((v) => (typeof v === 'string' ? v.trim().toUpperCase() : v), z.enum(API_METHODS));
const QueryValue = z.union([z.string(), z.number().refine(Number.isFinite, 'not a finite number'), z.boolean()]);
const QuerySchema = z
  .record(z.string(), QueryValue)
  .refine((q) => Object.keys(q).length <= API_QUERY_MAX_KEYS, `at most ${API_QUERY_MAX_KEYS} parameters`);
const ParamValue = z.union([z.string().min(1), z.number().refine(Number.isFinite, 'not a finite number')]);

/** A new-API path: `/v1.0/...`, `/v2.0/...` (api.dingtalk.com). Everything else is legacy oapi. */
const NEW_API = /^\/v\d+\.\d+\//;
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

function unsafePath(property: string, reason: string): MsgInputError {
  return new MsgInputError(
    'unsafePath',
    property,
    `${property} is refused: ${reason}. Give only the path on the app's API base, starting with "/", such as /v1.0/contact/users/search or /topapi/v2/user/get (the app's access token is sent with the call, so it never goes to another host).`,
    { property, reason },
  );
}

/** Refuses anything that is not a plain path on the API base. */
function checkPath(path: string, property: string): void {
  checkPlain(path, property);
  if (path.length > API_PATH_MAX_CHARS) throw unsafePath(property, `it is longer than ${API_PATH_MAX_CHARS} characters`);
  if (/^[a-z][a-z0-9+.-]*:/i.test(path) || path.includes('://')) throw unsafePath(property, 'it has a scheme (http:, https:...)');
  if (!path.startsWith('/')) throw unsafePath(property, 'it does not start with "/"');
  if (path.startsWith('//') || path.includes('\\')) throw unsafePath(property, 'it names a host ("//" or "\\")');
  if (/[?#]/.test(path)) throw unsafePath(property, 'it has a query or fragment: put query parameters in msg.query');
  if (/\s/.test(path)) throw unsafePath(property, 'it contains spaces');
  if (path.split('/').some((s) => s === '..' || s === '.' || /^%2e%2e$|^%2e$/i.test(s))) throw unsafePath(property, 'it has "." or ".." segments');
}

/** `{name}` -> msg.params.name (URL-encoded, so a value can never add a segment or a host). */
function fillPlaceholders(path: string, property: string, params: unknown): string {
  return path.replace(PLACEHOLDER, (_all, name: string) => {
    const at = `msg.params.${name}`;
    const value = params !== null && typeof params === 'object' ? (params as Record<string, unknown>)[name] : undefined;
    if (value === undefined || value === null || value === '') {
      throw new MsgInputError(
        'missingPathParam',
        at,
        `${property} has the placeholder {${name}}, but ${at} is not set: set ${at} to the value (e.g. a userId or unionId), or write the value into the path.`,
        { property: at, name, path: property },
      );
    }
    const text = String(parseMsgProperty(ParamValue, value, at, 'a non-empty string or a number'));
    checkPlain(text, at);
    return encodeURIComponent(text);
  });
}

function settingJson(text: string | undefined, setting: string): unknown {
  if (text === undefined || text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new MsgInputError('invalidSetting', setting, `The node's ${setting} setting is not valid JSON: open the node and fix it.`, {
      property: setting,
    });
  }
}

function queryOf(msg: Record<string, unknown>, settings: ApiNodeSettings): Record<string, string> {
  const fromMsg = msg['query'] !== undefined && msg['query'] !== null;
  const property = fromMsg ? 'msg.query' : 'query';
  const raw = fromMsg ? plainCopy(msg['query'], 'msg.query') : settingJson(settings.query, 'query');
  if (raw === undefined) return {};
  const query = parseMsgProperty(QuerySchema, raw, property, 'a flat object of strings, numbers and booleans, e.g. { "maxResults": 10 }');
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) {
    // The node adds the app's token itself; one from the msg would be sent in its place, or beside it.
    if (key.toLowerCase() === 'access_token') {
      throw new MsgInputError(
        'invalidProperty',
        `${property}.${key}`,
        `${property}.${key} is not allowed: the node adds the app's access token itself. Remove it.`,
        { property: `${property}.${key}`, reason: 'the token is added by the node', got: 'a token', expected: 'no access_token' },
      );
    }
    const text = String(value);
    checkPlain(key, `${property}.${key}`);
    out[key] = text;
  }
  return out;
}

function bodyOf(msg: Record<string, unknown>, settings: ApiNodeSettings): unknown {
  const payload = msg['payload'];
  const fromMsg = payload !== null && typeof payload === 'object' && !Buffer.isBuffer(payload);
  const body = fromMsg ? plainCopy(payload, 'msg.payload') : settingJson(settings.body, 'body');
  if (body === undefined) return undefined;
  const text = plainJsonText(body, fromMsg ? 'msg.payload' : 'body') ?? '';
  checkBytes(text, fromMsg ? 'msg.payload' : 'body', API_BODY_MAX_BYTES);
  return body;
}

/** The call a msg asks for; throws a MsgInputError naming the msg property at fault. */
export function apiCall(msg: Record<string, unknown>, settings: ApiNodeSettings): ApiCall {
  const methodRaw = msg['method'] ?? settings.method ?? 'GET';
  const methodProperty = msg['method'] !== undefined ? 'msg.method' : 'method';
  const method = parseMsgProperty(MethodSchema, methodRaw, methodProperty, API_METHODS.join(', '));

  const msgPath = msg['path'];
  const fromMsg = msgPath !== undefined && msgPath !== null && msgPath !== '';
  const property = fromMsg ? 'msg.path' : 'path';
  const template = fromMsg ? msgPath : (settings.path ?? '').trim();
  if (typeof template !== 'string') {
    throw new MsgInputError(
      'invalidProperty',
      'msg.path',
      `msg.path is not usable (got ${describeValue(template)}). Expected a path such as /v1.0/contact/users/search.`,
      {
        property: 'msg.path',
        reason: 'not a string',
        got: describeValue(template),
        expected: 'a path such as /v1.0/contact/users/search',
      },
    );
  }
  if (template === '') {
    throw new MsgInputError('missingPath', 'msg.path', 'No API path: write one in the node (e.g. /v1.0/contact/users/search) or set msg.path.');
  }
  checkPath(template, property);
  const path = fillPlaceholders(template, property, msg['params']);
  checkPath(path, property);

  const query = queryOf(msg, settings);
  // A GET or DELETE carries no body: msg.payload is often just an inject node's timestamp.
  const body = method === 'GET' || method === 'DELETE' ? undefined : bodyOf(msg, settings);
  return {
    method,
    path,
    query,
    ...(body === undefined ? {} : { body }),
    tokenIn: NEW_API.test(path) ? 'header' : 'query',
    idempotent: method === 'GET',
  };
}
