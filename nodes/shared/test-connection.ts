import type { Dispatcher } from 'undici';
import { openTicket } from '../../src/stream/gateway';
import { systemClock } from '../../src/util/runtime';
import { scrubSecrets } from '../../src/api/errors';
import { OpenApiClient } from '../../src/api/http';
import { USER_AGENT } from '../../src/version';
import { createHttpDispatcher, resolveProxy } from '../../src/util/proxy';

/**
 * What the editor's "Test connection" button checks: the two calls an app makes before anything works —
 * a Stream ticket (gateway open) and an access token — each with a reason the user can act on.
 * No Node-RED here, so it is tested directly; the admin endpoint in dingtalk-stream-app.ts is a thin wrapper.
 */

export interface ConnectionTestInput {
  clientId: string;
  clientSecret: string;
  apiBase: string;
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
  const secrets = [input.clientSecret];
  const timeoutMs = input.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!input.clientId || !input.clientSecret) {
    return { ok: false, checks: [{ step: 'gateway', ok: false, message: 'Enter the clientId and the clientSecret first.' }] };
  }
  const proxy = resolveProxy(input.proxy, input.apiBase);
  const dispatcher = createHttpDispatcher({ proxy, connectTimeoutMs: timeoutMs });
  const guard = async (step: ConnectionTestStep, run: () => Promise<ConnectionTestCheck>): Promise<ConnectionTestCheck> => {
    try {
      const check = await run();
      return check.message ? { ...check, message: scrubSecrets(check.message, secrets) } : check;
    } catch (error) {
      return { step, ok: false, message: scrubSecrets(reasonOf(error), secrets) };
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
