import type { Dispatcher } from 'undici';
import { GatewayError, openTicket } from '../stream/gateway';
import { systemClock } from '../util/runtime';
import { DingTalkError, LocalErrorCode, scrubSecrets } from '../api/errors';
import { OpenApiClient } from '../api/http';
import { isDingTalkUrl } from '../api/url-policy';
import { USER_AGENT } from '../version';
import { createHttpDispatcher, resolveProxy } from '../util/proxy';
import { parseProxyUrl } from '../util/proxy-url';

/**
 * What the editor's "Test connection" button checks: the two calls an app makes before anything works —
 * a Stream ticket (gateway open) and an access token — each with a reason the user can act on.
 * No Node-RED here, so it is tested directly; the admin endpoint in dingtalk-stream-app.ts is a thin wrapper.
 */

export interface ConnectionTestInput {
  clientId: string;
  clientSecret: string;
  apiBase: string;
  /** Proxy URL, user name and password included (encoded); undefined: HTTPS_PROXY / NO_PROXY decide. */
  proxy?: string;
  timeoutMs?: number;
}

export type ConnectionTestStep = 'gateway' | 'token';

export interface ConnectionTestCheck {
  step: ConnectionTestStep;
  ok: boolean;
  /** What went wrong and what to do; never contains the secret. */
  message?: string;
}

export interface ConnectionTestResult {
  ok: boolean;
  checks: ConnectionTestCheck[];
}

const DEFAULT_TIMEOUT_MS = 8000;

function reasonOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

const CREDENTIALS_HINT =
  'HTTP 401 or 403 from a DingTalk simulator or gateway means the app credentials were refused: check the ClientID (AppKey) ' +
  'and ClientSecret (AppSecret) in the DingTalk developer console.';

/**
 * What a server that is not DingTalk answered, without a word of its answer: the button must not become a way to read
 * pages of other (intranet) servers through Node-RED. Status and body type only; undefined when nothing was answered
 * (the message is then our own: unreachable, timeout, refused tunnel).
 */
export function foreignAnswerSummary(error: unknown, apiBase: string): string | undefined {
  let status: number | undefined;
  let json: boolean | undefined;
  if (error instanceof GatewayError) {
    status = error.status;
    json = error.bodyIsJson;
  } else if (error instanceof DingTalkError) {
    status = error.status;
    json = error.code !== LocalErrorCode.NonJson;
  }
  if (!status) return undefined;
  const host = new URL(apiBase).host;
  const body = json === undefined ? '' : json ? ' with a JSON body' : ' with a non-JSON body';
  const what =
    status === 200
      ? `The server at ${host} answered HTTP 200${body}, but not with what DingTalk answers. Check the API base.`
      : `The server at ${host} answered HTTP ${status}${body}.`;
  const hint = status === 401 || status === 403 ? ` ${CREDENTIALS_HINT}` : '';
  return `${what} It is not a DingTalk host (https://*.dingtalk.com), so its answer is not shown.${hint}`;
}

async function checkGateway(input: ConnectionTestInput, dispatcher: Dispatcher, timeoutMs: number): Promise<ConnectionTestCheck> {
  // The gateway's errors already say what is wrong and what to do (GatewayError); only a ticket is asked for,
  // no socket is opened.
  await openTicket({
    apiBase: input.apiBase,
    clientId: input.clientId,
    clientSecret: input.clientSecret,
    subscriptions: [{ type: 'EVENT', topic: '*' }],
    ua: USER_AGENT,
    dispatcher,
    timeoutMs,
    clock: systemClock,
    signal: new AbortController().signal,
  });
  return { step: 'gateway', ok: true };
}

async function checkToken(input: ConnectionTestInput, timeoutMs: number): Promise<ConnectionTestCheck> {
  const api = new OpenApiClient({
    clientId: input.clientId,
    clientSecret: input.clientSecret,
    apiBase: input.apiBase,
    proxy: input.proxy,
    timeoutMs,
    maxRetries: 0,
  });
  try {
    await api.getAccessToken();
    return { step: 'token', ok: true };
  } finally {
    await api.close();
  }
}

export async function testConnection(input: ConnectionTestInput): Promise<ConnectionTestResult> {
  const secrets = [input.clientSecret, ...proxySecrets(input.proxy)];
  const timeoutMs = input.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!input.clientId || !input.clientSecret) {
    return { ok: false, checks: [{ step: 'gateway', ok: false, message: 'Enter the clientId and the clientSecret first.' }] };
  }
  let proxy: string | undefined;
  try {
    proxy = resolveProxy(input.proxy, input.apiBase);
  } catch (error) {
    // A ProxySettingError: says which setting and why, never the password.
    return { ok: false, checks: [{ step: 'gateway', ok: false, message: scrubSecrets(reasonOf(error), secrets) }] };
  }
  const official = isDingTalkUrl(input.apiBase);
  const dispatcher = createHttpDispatcher({ proxy, connectTimeoutMs: timeoutMs });
  const guard = async (step: ConnectionTestStep, run: () => Promise<ConnectionTestCheck>): Promise<ConnectionTestCheck> => {
    try {
      const check = await run();
      return check.message ? { ...check, message: scrubSecrets(check.message, secrets) } : check;
    } catch (error) {
      const summary = official ? undefined : foreignAnswerSummary(error, input.apiBase);
      return { step, ok: false, message: scrubSecrets(summary ?? reasonOf(error), secrets) };
    }
  };
  try {
    // Independent checks, run side by side so the button answers within one timeout.
    const checks = await Promise.all([
      guard('gateway', () => checkGateway(input, dispatcher, timeoutMs)),
      guard('token', () => checkToken({ ...input, proxy }, timeoutMs)),
    ]);
    return { ok: checks.every((check) => check.ok), checks };
  } finally {
    await dispatcher.close().catch(() => undefined);
  }
}

/** The proxy password in both the forms an error could hold it. */
function proxySecrets(proxy: string | undefined): string[] {
  if (!proxy) return [];
  const parsed = parseProxyUrl(proxy);
  if (!parsed.ok || !parsed.parts.password) return [];
  return [parsed.parts.password, encodeURIComponent(parsed.parts.password)];
}
