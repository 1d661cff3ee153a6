import { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { DEFAULT_API_BASE, DINGTALK } from '../contract';
import { USER_AGENT } from '../version';
import { createHttpDispatcher, resolveProxy } from '../util/proxy';
import { silentLogger, systemClock, systemRandom, type Clock, type Logger, type RandomSource } from '../util/runtime';
import { failureFacts, isFailureBody, isTokenRefused } from '../dingtalk-says';
import { header } from '../util/headers';
import { scrubSecrets } from '../util/secrets';
import { parseBody, readText, type RawAnswer } from './answer';
import { downloadDeadlineMs, fetchFile, type DownloadedFile } from './download';
import {
  DingTalkError,
  LocalErrorCode,
  answerError,
  closedError,
  errorCodeOf,
  networkError,
  outcomeUnknownError,
  rateQueueFull,
  redactUrl,
  scrubError,
  unexpectedAnswer,
  withRetryNote,
} from './errors';
import { DEFAULT_RETRY, decideRetry, isOutcomeUnknown, type AttemptOutcome, type AttemptResult, type RetryOptions } from './retry';
import { MAX_QUEUED_CALLS, RateGate } from './rate-gate';
import { TokenCache, type IssuedToken } from './token-cache';
import { webhookRefusal } from './url-policy';
import { multipartBody, type MultipartBody, type MultipartFile } from './multipart';
import { describeThrown } from '../util/thrown';

export type { DownloadedFile } from './download';

const TOKEN_PATH = '/v1.0/oauth2/accessToken';
/** Error bodies are read up to this size; anything longer is not a DingTalk error object anyway. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

export interface OpenApiClientOptions {
  clientId: string;
  clientSecret: string;
  /** Default `https://api.dingtalk.com`; the simulator's URL in tests. */
  apiBase?: string;
  /** HTTP(S) proxy URL for every request. Default: HTTPS_PROXY / HTTP_PROXY unless NO_PROXY matches the target. */
  proxy?: string;
  /** Extra CA certificates (PEM). */
  ca?: string | Buffer;
  /** Use this pool instead of building one; it is then not closed by `close()`. */
  dispatcher?: Dispatcher;
  /** Time allowed for the answer's headers and, separately, between body chunks. Default 15 s. */
  timeoutMs?: number;
  /**
   * Time allowed for a whole file download, retries and redirects included. Default: 5 min, or longer for a size
   * limit above 20 MiB (64 KiB/s at the limit; see download.ts).
   */
  downloadTimeoutMs?: number;
  /** Shorthand for `retry.maxRetries`. Default 3. */
  maxRetries?: number;
  retry?: Partial<RetryOptions>;
  /** Refresh the access token this long before it expires. Default 5 min (at most half the token's lifetime). */
  tokenRefreshMarginMs?: number;
  /**
   * Pace API calls to at most this many per second per endpoint (DingTalk allows 20 per app and API).
   * Default 20; 0 turns pacing off.
   */
  maxRequestsPerSecond?: number;
  /** Hosts (https) or origins a session webhook may point at besides *.dingtalk.com and the API base. */
  allowedWebhookHosts?: string[];
  logger?: RequestLogger;
  clock?: Clock;
  random?: RandomSource;
}

/**
 * A Logger that may say whether it wants debug lines; without `isDebugEnabled` returning true, the per-request
 * debug line is not built at all (retries, waits and failures are logged either way).
 */
export type RequestLogger = Logger & { isDebugEnabled?: () => boolean };

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

export interface ApiRequest {
  method: HttpMethod;
  /** Path on the API base, e.g. `/v1.0/robot/groupMessages/send`. */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  /**
   * Where the access token goes: the `x-acs-dingtalk-access-token` header (new API, `/v1.0/...`, default) or the
   * `access_token` query parameter (legacy oapi, `/topapi/...`), which also sends the call to the legacy host when the
   * API base is DingTalk's own (see `legacyBase`).
   */
  tokenIn?: 'header' | 'query';
  /**
   * Sending this request twice does no harm, so it may be resent after a 5xx, a connection reset or a timeout.
   * Default: true for GET, PUT (DingTalk's PUTs replace state) and DELETE, false for POST (a send would be duplicated)
   * and PATCH: a
   * non-idempotent request is resent only after an answer that proves DingTalk did not act (throttling, 503) or a
   * connection that never opened, and otherwise fails with `outcomeUnknown` set (retry.ts).
   */
  idempotent?: boolean;
}

/** A legacy (oapi) multipart upload such as `/media/upload`: the token goes in the query, the file in the form. */
export interface UploadRequest {
  path: string;
  fields: Record<string, string>;
  file: MultipartFile;
  /** See `ApiRequest.idempotent`; default false. */
  idempotent?: boolean;
}

export const WebhookResultSchema = z.looseObject({
  errcode: z.number().optional(),
  errmsg: z.string().optional(),
});
export type WebhookResult = z.infer<typeof WebhookResultSchema>;

const TokenAnswerSchema = z.looseObject({
  accessToken: z.string().min(1),
  expireIn: z.number().positive(),
});

/** One outgoing request, after the URL was built and checked. */
interface Target {
  method: HttpMethod;
  url: string;
  /** What error messages and logs name: path (API) or origin + path (webhooks, downloads); never a query. */
  endpoint: string;
  /** The JSON body, serialised once up front so that an unserialisable body is an input error, not a network one. */
  payload?: string;
  /** A multipart body instead of `payload` (uploads). */
  multipart?: MultipartBody;
  auth: boolean;
  /** The token goes in the `access_token` query parameter instead of the header (legacy oapi calls). */
  tokenInQuery?: boolean;
  idempotent: boolean;
  /** Secrets of this request besides the app's (a session webhook's key): scrubbed from quoted answers. */
  secrets?: string[];
}

interface PendingSleep {
  cancel(): void;
}

/**
 * HTTP access to DingTalk's OpenAPI for one app: connection pool, access token, timeouts, retries and errors
 * that say what to do. Thin typed calls (robot.ts, card.ts, files.ts) are built on `call()`.
 */
export class OpenApiClient {
  readonly apiBase: string;
  /**
   * Where legacy (oapi) calls go: `https://oapi.dingtalk.com` when the API base is DingTalk's own
   * `https://api.dingtalk.com` (DingTalk serves the two APIs on two hosts, contract.ts `legacyApiBase`), otherwise
   * the API base itself: the simulator, or a gateway the user put in front of DingTalk, serves both on one base.
   */
  readonly legacyBase: string;
  readonly clientId: string;
  readonly clock: Clock;
  private readonly clientSecret: string;
  private readonly apiOrigin: string;
  private readonly injectedDispatcher: Dispatcher | undefined;
  private readonly explicitProxy: string | undefined;
  private readonly ca: string | Buffer | undefined;
  /** Pools we built, keyed by the proxy they go through ('' = direct). Usually just one. */
  private readonly pools = new Map<string, Dispatcher>();
  /**
   * The pool each origin goes through, decided once per origin: resolving the proxy reads HTTPS_PROXY/NO_PROXY, which
   * is not worth doing per request (proxy settings in the environment are read when an origin is first used).
   */
  private readonly poolByOrigin = new Map<string, Dispatcher>();
  private readonly timeoutMs: number;
  private readonly downloadTimeoutMs: number | undefined;
  private readonly retry: RetryOptions;
  private readonly logger: RequestLogger;
  private readonly random: RandomSource;
  private readonly allowedWebhookHosts: string[];
  private readonly tokens: TokenCache;
  private readonly gate: RateGate;
  private readonly maxRequestsPerSecond: number;
  /** Tokens this client has seen, so that no error message can ever repeat one. */
  private readonly seenTokens: string[] = [];
  private readonly sleeps = new Set<PendingSleep>();
  private closed = false;

  constructor(opts: OpenApiClientOptions) {
    // Pasted credentials often carry a trailing space or newline, which DingTalk answers with a bare 401.
    this.clientId = opts.clientId.trim();
    this.clientSecret = opts.clientSecret.trim();
    this.apiBase = (opts.apiBase?.trim() || DEFAULT_API_BASE).replace(/\/+$/, '');
    this.apiOrigin = originOf(this.apiBase);
    this.legacyBase = this.apiOrigin === DEFAULT_API_BASE && this.apiBase === DEFAULT_API_BASE ? DINGTALK.legacyApiBase : this.apiBase;
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.downloadTimeoutMs = opts.downloadTimeoutMs;
    this.retry = { ...DEFAULT_RETRY, ...opts.retry, ...(opts.maxRetries === undefined ? {} : { maxRetries: opts.maxRetries }) };
    this.logger = opts.logger ?? silentLogger;
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? systemRandom;
    this.allowedWebhookHosts = opts.allowedWebhookHosts ?? [];
    this.injectedDispatcher = opts.dispatcher;
    this.explicitProxy = opts.proxy;
    this.ca = opts.ca;
    this.maxRequestsPerSecond = opts.maxRequestsPerSecond ?? 20;
    this.gate = new RateGate(this.maxRequestsPerSecond, () => this.clock.now());
    this.tokens = new TokenCache({
      fetch: () => this.fetchToken(),
      now: () => this.clock.now(),
      refreshMarginMs: opts.tokenRefreshMarginMs,
    });
  }

  /** The app's access token, from the cache when still fresh. */
  async getAccessToken(): Promise<string> {
    this.assertOpen(TOKEN_PATH);
    try {
      return await this.tokens.get();
    } catch (err) {
      throw this.clean(err);
    }
  }

  /** An authenticated OpenAPI call; the answer is validated with `schema`. */
  async call<T>(req: ApiRequest, schema: z.ZodType<T>): Promise<T> {
    const endpoint = req.path.split('?')[0] ?? req.path;
    const tokenInQuery = req.tokenIn === 'query';
    try {
      const base = tokenInQuery ? this.legacyBase : this.apiBase;
      const url = new URL(base + req.path);
      // The token goes only to the app's own API host, whatever the path holds (a path is joined to the base, never
      // parsed on its own, but this check does not depend on that).
      if (url.origin !== new URL(base).origin) {
        throw new DingTalkError({
          status: 0,
          code: LocalErrorCode.UrlRefused,
          endpoint: '(request)',
          message: 'the API path leads to another host',
          hint: "give a path on the app's API base, such as /v1.0/contact/users/search or /topapi/v2/user/get",
        });
      }
      for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
      if (tokenInQuery) url.searchParams.delete('access_token');
      const target: Target = {
        method: req.method,
        url: url.toString(),
        endpoint,
        payload: serialize(req.body, req.path),
        auth: true,
        tokenInQuery,
        idempotent: req.idempotent ?? (req.method !== 'POST' && req.method !== 'PATCH'),
      };
      return await this.sendJson(target, schema);
    } catch (err) {
      throw this.clean(err);
    }
  }

  /**
   * Uploads a file to a legacy oapi path (multipart/form-data, token in the `access_token` query parameter, on the
   * legacy host when the API base is DingTalk's own: docs/protocol.md §6.8-b, §6.10). The Buffer is sent as it is.
   */
  async upload<T>(req: UploadRequest, schema: z.ZodType<T>): Promise<T> {
    try {
      const url = new URL(this.legacyBase + req.path);
      if (url.origin !== new URL(this.legacyBase).origin) {
        throw new DingTalkError({
          status: 0,
          code: LocalErrorCode.UrlRefused,
          endpoint: '(request)',
          message: 'the upload path leads to another host',
        });
      }
      const target: Target = {
        method: 'POST',
        url: url.toString(),
        endpoint: req.path,
        multipart: multipartBody(req.fields, req.file),
        auth: true,
        tokenInQuery: true,
        idempotent: req.idempotent ?? false,
      };
      return await this.sendJson(target, schema);
    } catch (err) {
      throw this.clean(err);
    }
  }

  /** Posts to a robot session webhook (no token). Refuses hosts that are not DingTalk's (see url-policy.ts). */
  async postWebhook(url: string, body: unknown): Promise<WebhookResult> {
    const endpoint = redactUrl(url);
    const sessionKeys = sessionKeysOf(url);
    try {
      const refusal = webhookRefusal(url, { apiOrigin: this.apiOrigin, allowedHosts: this.allowedWebhookHosts });
      if (refusal) {
        throw new DingTalkError({
          status: 0,
          code: LocalErrorCode.UrlRefused,
          endpoint,
          message: refusal,
          hint: 'use the sessionWebhook DingTalk sent with the message (msg.dingtalk.sessionWebhook) unchanged',
        });
      }
      const payload = serialize(body, endpoint);
      return await this.sendJson(
        { method: 'POST', url, endpoint, payload, auth: false, idempotent: false, secrets: sessionKeys },
        WebhookResultSchema,
      );
    } catch (err) {
      throw this.clean(err, sessionKeys);
    }
  }

  /**
   * Fetches a short-lived file URL (no token sent), aborting as soon as the body grows past `maxBytes` or the
   * download's deadline passes.
   */
  async download(url: string, opts: { maxBytes: number }): Promise<DownloadedFile> {
    const endpoint = redactUrl(url);
    const urlSecrets = sessionKeysOf(url);
    const deadlineMs = this.downloadTimeoutMs ?? downloadDeadlineMs(opts.maxBytes);
    // A transport timeout like undici's own, so on real time: the injectable clock is for retry and pacing waits.
    const deadline = AbortSignal.timeout(deadlineMs);
    try {
      return await this.withRetries({ method: 'GET', url, endpoint, auth: false, idempotent: true }, () =>
        fetchFile({
          url,
          endpoint,
          maxBytes: opts.maxBytes,
          timeoutMs: this.timeoutMs,
          dispatcherFor: (u) => this.dispatcherFor(u),
          secrets: this.secrets(urlSecrets),
          apiOrigin: this.apiOrigin,
          signal: deadline,
          deadlineMs,
        }),
      );
    } catch (err) {
      throw this.clean(err, urlSecrets);
    }
  }

  /** Cancels pending retry waits, aborts requests in flight and releases the pool. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const sleep of [...this.sleeps]) sleep.cancel();
    this.sleeps.clear();
    this.tokens.clear();
    const pools = [...this.pools.values()];
    this.pools.clear();
    this.poolByOrigin.clear();
    await Promise.all(pools.map((pool) => pool.destroy()));
  }

  // ---- internals -------------------------------------------------------------------------------------------

  private async fetchToken(): Promise<IssuedToken> {
    const answer = await this.sendJson(
      {
        method: 'POST',
        url: this.apiBase + TOKEN_PATH,
        endpoint: TOKEN_PATH,
        payload: JSON.stringify({ appKey: this.clientId, appSecret: this.clientSecret }),
        auth: false,
        // Asking again for a token has no side effect: DingTalk hands out the same one while it is valid.
        idempotent: true,
      },
      TokenAnswerSchema,
    );
    this.rememberToken(answer.accessToken);
    return answer;
  }

  /**
   * The pool for a URL. Webhook and download hosts differ from the API base, and NO_PROXY may treat them
   * differently, so the proxy is resolved per URL; in practice every URL maps to the same single pool.
   */
  private dispatcherFor(url: string): Dispatcher {
    if (this.injectedDispatcher) return this.injectedDispatcher;
    const origin = originPrefix(url);
    const known = this.poolByOrigin.get(origin);
    if (known !== undefined) return known;
    const proxy = resolveProxy(this.explicitProxy, url) ?? '';
    let pool = this.pools.get(proxy);
    if (!pool) {
      pool = createHttpDispatcher({ proxy: proxy || undefined, ca: this.ca, connectTimeoutMs: Math.min(this.timeoutMs, 10_000) });
      this.pools.set(proxy, pool);
    }
    // Download URLs can come from many hosts; the decision is cheap to redo, so the table is just kept small.
    if (this.poolByOrigin.size >= MAX_REMEMBERED_ORIGINS) this.poolByOrigin.clear();
    this.poolByOrigin.set(origin, pool);
    return pool;
  }

  private rememberToken(token: string): void {
    if (this.seenTokens.includes(token)) return;
    this.seenTokens.push(token);
    if (this.seenTokens.length > 8) this.seenTokens.shift();
  }

  private async sendJson<T>(target: Target, schema: z.ZodType<T>): Promise<T> {
    return this.withRetries(target, async (token) => {
      const answer = await this.exchange(target, token);
      const parsed = parseBody(answer);
      const failed = answer.status >= 300 || !parsed.ok || isFailureBody(parsed.value);
      if (!failed) {
        const checked = schema.safeParse(parsed.value);
        if (checked.success) return { ok: true, value: checked.data };
        return {
          ok: false,
          error: unexpectedAnswer(target.endpoint, answer.status, checked.error),
          outcome: { kind: 'response', status: answer.status, code: LocalErrorCode.UnexpectedResponse },
        };
      }
      const facts = parsed.ok ? failureFacts(parsed.value, answer.headers) : {};
      // The error quotes the body: read it again with every secret we know replaced, before anything is cut.
      const secrets = this.secrets(target.secrets);
      const shown: RawAnswer = { ...answer, text: scrubSecrets(answer.text, secrets) };
      return {
        ok: false,
        error: answerError(shown, parseBody(shown, secrets), target.endpoint),
        outcome: { kind: 'response', status: answer.status, code: facts.code, retryAfter: header(answer.headers, 'retry-after') },
        tokenRefused: isTokenRefused(answer.status, facts.code),
      };
    });
  }

  /**
   * Runs attempts until one succeeds, the failure is not transient, or the retry budget is spent. A refused
   * token is dropped and the attempt repeated once with a fresh one, outside the retry budget: an expired
   * token is our bookkeeping, not DingTalk being unavailable.
   */
  private async withRetries<T>(target: Target, attempt: (token: string | undefined) => Promise<AttemptResult<T>>): Promise<T> {
    let retryIndex = 0;
    let waitedMs = 0;
    let tokenRenewed = false;
    for (;;) {
      this.assertOpen(target.endpoint);
      const token = target.auth ? await this.tokens.get() : undefined;
      if (token) this.rememberToken(token);
      // Only token-authenticated API calls count against DingTalk's per-API limit; webhooks and downloads do not.
      const pace = target.auth ? this.gate.reserve(target.endpoint) : 0;
      if (pace === undefined) throw rateQueueFull(target.endpoint, MAX_QUEUED_CALLS, this.maxRequestsPerSecond);
      if (pace > 0) {
        this.logger.debug(`${target.method} ${target.endpoint}: waiting ${pace} ms to stay under the per-API rate limit`);
        await this.sleep(pace, target.endpoint);
      }
      let result: AttemptResult<T>;
      try {
        result = await attempt(token);
      } catch (err) {
        if (err instanceof DingTalkError) throw err;
        if (this.closed) throw closedError(target.endpoint);
        result = { ok: false, error: networkError(err, target.endpoint, this.timeoutMs), outcome: { kind: 'network', errorCode: errorCodeOf(err) } };
      }
      if (result.ok) return result.value;

      if (result.tokenRefused && token && !tokenRenewed) {
        this.logger.debug(`DingTalk refused the access token on ${target.endpoint}; fetching a new one`);
        this.tokens.invalidate(token);
        tokenRenewed = true;
        continue;
      }
      const decision = decideRetry(
        result.outcome,
        { retryIndex, waitedMs, idempotent: target.idempotent, now: this.clock.now(), random: this.random },
        this.retry,
      );
      if (!decision.retry) {
        const error = !target.idempotent && isOutcomeUnknown(result.outcome) ? outcomeUnknownError(result.error) : result.error;
        throw retryIndex > 0 ? withRetryNote(error, retryIndex) : error;
      }
      this.logger.warn(
        `${target.method} ${target.endpoint} failed (${describeOutcome(result.outcome)}); retry ${retryIndex + 1}/${this.retry.maxRetries} in ${decision.delayMs} ms`,
      );
      await this.sleep(decision.delayMs, target.endpoint);
      waitedMs += decision.delayMs;
      retryIndex++;
    }
  }

  /** One HTTP request; the whole body is read (JSON answers are small). */
  private async exchange(target: Target, token: string | undefined): Promise<RawAnswer> {
    const started = this.clock.now();
    const inQuery = target.tokenInQuery === true && token !== undefined;
    const url = inQuery ? withQueryToken(target.url, token) : target.url;
    const headers = this.headersFor(inQuery ? undefined : token, target.payload !== undefined);
    if (target.multipart) {
      headers['content-type'] = target.multipart.contentType;
      headers['content-length'] = String(target.multipart.length);
    }
    const res = await request(url, {
      dispatcher: this.dispatcherFor(target.url),
      method: target.method,
      headers,
      // A stream over the chunks as they are: the file's Buffer is not copied (multipart.ts).
      body: target.multipart ? Readable.from(target.multipart.chunks(), { objectMode: false }) : target.payload,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
    const text = await readText(res.body, MAX_ANSWER_BYTES);
    // One line per request only for a logger that says it wants debug lines: Node-RED's node.debug() costs its full
    // price even when debug logging is off (bench/README.md, scenario 2).
    if (this.logger.isDebugEnabled?.() === true) {
      this.logger.debug(`${target.method} ${target.endpoint} -> ${res.statusCode} in ${this.clock.now() - started} ms`);
    }
    return { status: res.statusCode, headers: res.headers, text };
  }

  private headersFor(token: string | undefined, hasBody: boolean): Record<string, string> {
    const headers: Record<string, string> = {
      // Without Accept: application/json some DingTalk endpoints answer in XML.
      accept: 'application/json',
      'user-agent': USER_AGENT,
    };
    if (hasBody) headers['content-type'] = 'application/json';
    if (token) headers['x-acs-dingtalk-access-token'] = token;
    return headers;
  }

  private sleep(ms: number, endpoint: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const pending: PendingSleep = {
        cancel: () => {
          this.clock.clearTimeout(handle);
          this.sleeps.delete(pending);
          reject(closedError(endpoint));
        },
      };
      const handle = this.clock.setTimeout(() => {
        this.sleeps.delete(pending);
        resolve();
      }, ms);
      this.sleeps.add(pending);
    });
  }

  private assertOpen(endpoint: string): void {
    if (this.closed) throw closedError(endpoint);
  }

  /** Every error leaving the client goes through here: a DingTalkError, and free of secrets. */
  private clean(err: unknown, extraSecrets: string[] = []): DingTalkError {
    const error =
      err instanceof DingTalkError ? err : new DingTalkError({ status: 0, endpoint: '(client)', message: describeThrown(err), cause: err });
    return scrubError(error, this.secrets(extraSecrets));
  }

  /** What no error may show: the app secret, every token this client was issued or used, and the request's own. */
  private secrets(extra: readonly string[] = []): string[] {
    return [this.clientSecret, ...this.seenTokens, ...extra];
  }
}

function serialize(body: unknown, endpoint: string): string | undefined {
  if (body === undefined) return undefined;
  try {
    return JSON.stringify(body);
  } catch (err) {
    throw new DingTalkError({
      status: 0,
      code: LocalErrorCode.InvalidInput,
      endpoint,
      message: `the request body cannot be sent as JSON: ${describeThrown(err)}`,
      hint: 'remove circular references and BigInt values from the message fields',
    });
  }
}

/** The URL with the legacy `access_token` query parameter (the token may change between attempts). */
function withQueryToken(url: string, token: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}`;
}

/** At most this many origins remember their pool (see dispatcherFor). */
const MAX_REMEMBERED_ORIGINS = 32;

/** `scheme://host:port` of an absolute URL, by string slicing (no URL object on the per-request path). */
function originPrefix(url: string): string {
  const hostStart = url.indexOf('//');
  if (hostStart < 0) return url;
  const pathStart = url.indexOf('/', hostStart + 2);
  const queryStart = url.indexOf('?', hostStart + 2);
  const end = pathStart < 0 ? queryStart : queryStart < 0 ? pathStart : Math.min(pathStart, queryStart);
  return (end < 0 ? url : url.slice(0, end)).toLowerCase();
}

function originOf(apiBase: string): string {
  let url: URL | undefined;
  try {
    url = new URL(apiBase);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new DingTalkError({
      status: 0,
      code: LocalErrorCode.InvalidInput,
      endpoint: '(configuration)',
      message: `the API base URL "${url ? redactUrl(url) : apiBase.slice(0, 100)}" is not an http(s) URL`,
      hint: 'leave it empty for https://api.dingtalk.com, or give the simulator URL such as http://127.0.0.1:3000',
    });
  }
  return url.origin;
}

/** Values in a URL's query (a session webhook's `session=` key, a download signature): never to be shown. */
function sessionKeysOf(url: string): string[] {
  try {
    return [...new URL(url).searchParams.values()].filter((v) => v.length > 3);
  } catch {
    return [];
  }
}

function describeOutcome(outcome: AttemptOutcome): string {
  if (outcome.kind === 'network') return outcome.errorCode ?? 'network error';
  return `HTTP ${outcome.status}${outcome.code ? ` ${outcome.code}` : ''}`;
}
