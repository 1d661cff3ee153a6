import { request, type Dispatcher } from 'undici';
import { GatewayOpenResponseSchema, type GatewayOpenResponse, type Subscription } from './frames';
import type { Clock } from '../util/runtime';
import { readCapped } from '../util/read-capped';
import { GATEWAY_CREDENTIALS_HINT, failureFacts, isGatewayCredentialRefusal } from '../dingtalk-says';
import { PackageError } from '../errors';
import type { HeaderMap } from '../util/headers';
import { MAX_SERVER_MESSAGE_CHARS, excerpt } from '../util/text';

export const GATEWAY_PATH = '/v1.0/gateway/connections/open';

/**
 * How much of the gateway's answer is read. A ticket answer is about 300 bytes and DingTalk's error objects under
 * 1 KB; a proxy's HTML error page may take some tens of KB, and its status alone says enough. Without a limit the
 * whole answer sits in memory, once per reconnect attempt.
 */
export const MAX_GATEWAY_ANSWER_BYTES = 64 * 1024;

export interface GatewayRequest {
  apiBase: string;
  clientId: string;
  clientSecret: string;
  subscriptions: Subscription[];
  ua: string;
  localIp?: string;
  dispatcher: Dispatcher;
  /** `host:port` of the proxy in use (never its credentials), so errors can name it. */
  proxyHost?: string;
  timeoutMs: number;
  clock: Clock;
  /** Aborted by `StreamClient.close()`. */
  signal: AbortSignal;
}

/** Why the gateway refused us. `authFailed` is a configuration problem: retrying soon cannot fix it. */
export class GatewayError extends PackageError {
  override readonly name = 'GatewayError';
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly authFailed: boolean,
    code?: string,
    readonly requestId?: string,
    /** Whether the refusal's body was JSON (undefined when there was no answer), for summaries that quote nothing. */
    readonly bodyIsJson?: boolean,
  ) {
    super(message, code);
  }
}

/**
 * Step 1 of a connection (docs/protocol.md §1.1): trade the app credentials for a one-time ticket. Called for every
 * connection because a ticket opens one socket only and expires after 90 s.
 */
export async function openTicket(req: GatewayRequest): Promise<GatewayOpenResponse> {
  const url = new URL(GATEWAY_PATH, req.apiBase).toString();
  const timeout = new AbortController();
  const onAbort = (): void => timeout.abort();
  req.signal.addEventListener('abort', onAbort, { once: true });
  if (req.signal.aborted) timeout.abort();
  const timer = req.clock.setTimeout(() => timeout.abort(), req.timeoutMs);
  try {
    const res = await request(url, {
      method: 'POST',
      // Without Accept the gateway answers XML (docs/protocol.md §1.1).
      headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': req.ua },
      body: JSON.stringify({
        clientId: req.clientId,
        clientSecret: req.clientSecret,
        subscriptions: req.subscriptions,
        ua: req.ua,
        ...(req.localIp ? { localIp: req.localIp } : {}),
      }),
      dispatcher: req.dispatcher,
      signal: timeout.signal,
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
    });
    const { text, truncated } = await readCapped(res.body, MAX_GATEWAY_ANSWER_BYTES);
    if (res.statusCode === 200 && truncated) {
      throw new GatewayError(
        `The DingTalk gateway (${originOf(url)}) answered HTTP 200 with more than ${MAX_GATEWAY_ANSWER_BYTES / 1024} KiB, ` +
          'which is not a ticket (those are a few hundred bytes); the rest was not read; will retry. ' +
          'Check that the API base URL points at DingTalk and that no proxy answers in its place.',
        200,
        false,
      );
    }
    if (res.statusCode === 200) return parseTicket(text);
    throw refusal(res.statusCode, res.headers, text, url, req.clientSecret);
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    if (req.signal.aborted) throw new GatewayError('Gateway request cancelled: the Stream client was closed.', undefined, false);
    if (timeout.signal.aborted) {
      throw new GatewayError(
        `The DingTalk gateway (${originOf(url)}) did not answer within ${req.timeoutMs} ms; will retry. ` +
          'Check that this machine can reach it (firewall, proxy).',
        undefined,
        false,
      );
    }
    const via = req.proxyHost ? ` through the proxy ${req.proxyHost}` : '';
    throw new GatewayError(
      `Could not reach the DingTalk gateway (${originOf(url)})${via}: ${describe(err)}; will retry. ` +
        'Check the network, DNS and proxy settings (HTTPS_PROXY / NO_PROXY).',
      undefined,
      false,
    );
  } finally {
    req.clock.clearTimeout(timer);
    req.signal.removeEventListener('abort', onAbort);
  }
}

function parseTicket(text: string): GatewayOpenResponse {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const parsed = GatewayOpenResponseSchema.safeParse(body);
  // The body holds the ticket: it never goes into the message.
  if (!parsed.success) {
    throw new GatewayError('The DingTalk gateway answered 200 without an endpoint and ticket; will retry.', 200, false);
  }
  return parsed.data;
}

function refusal(status: number, headers: HeaderMap, text: string, url: string, secret: string): GatewayError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (an HTML error page from a proxy, say): the status says enough.
  }
  const bodyIsJson = body !== undefined && body !== null;
  const facts = failureFacts(body, headers);
  // A proxy may echo the request, secret included.
  const message = facts.message === undefined ? undefined : excerpt(facts.message, [secret], MAX_SERVER_MESSAGE_CHARS);
  const detail = [facts.code, message].filter(Boolean).join(': ');
  const requestId = facts.requestId === undefined ? '' : ` [requestid ${facts.requestId}]`;
  const where = `DingTalk gateway (${originOf(url)}) answered HTTP ${status}${detail ? ` (${detail})` : ''}${requestId}`;
  if (isGatewayCredentialRefusal(status, facts.code)) {
    return new GatewayError(
      `${where}: the app credentials were refused. ${GATEWAY_CREDENTIALS_HINT}`,
      status,
      true,
      facts.code,
      facts.requestId,
      bodyIsJson,
    );
  }
  return new GatewayError(`${where}; will retry.`, status, false, facts.code, facts.requestId, bodyIsJson);
}

function originOf(url: string): string {
  return new URL(url).origin;
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const cause = (err as { cause?: unknown }).cause;
    const causeText = cause instanceof Error ? ` (${cause.message})` : '';
    return `${typeof code === 'string' ? `${code} ` : ''}${err.message}${causeText}`;
  }
  return String(err);
}
