import { z } from 'zod';
import { isDingTalkUrl } from '../api/url-policy';
import { parseProxyUrl, proxyProblemText, proxyUrlOf } from '../util/proxy-url';
import { DEFAULT_API_BASE } from '../contract';
import { UNCHANGED_PASSWORD, envReferenceName } from './credentials';
import type { ConnectionTestInput } from './test-connection';

/**
 * Turns what the "Test connection" button sends into the test to run, or refuses it.
 *
 * The request may name values it does not contain: a saved secret (the unchanged-password placeholder) and
 * `${ENV_VAR}` references. Those are the server's secrets, and the request also chooses where the test sends them,
 * so they are only used where the server would send them anyway:
 * - a saved Client ID / secret only to the API base the app was deployed with (for an http base, plain text,
 *   also only through the proxy it was deployed with);
 * - a saved proxy user / password only to the proxy the app was deployed with;
 * - a `${ENV_VAR}` in the Client ID / secret only to that same deployed API base or to DingTalk itself
 *   (https://*.dingtalk.com); in the proxy user / password only to the deployed proxy.
 * `${ENV_VAR}` is resolved, as the runtime does for a deployed node (whole value only), in exactly these fields:
 * Client ID, Client secret, API base, Proxy, Proxy user, Proxy password. A resolved API base or proxy is a place to
 * connect to, never quoted back when it is not a URL.
 */

export const TestRequestSchema = z.object({
  id: z.string().optional(),
  clientId: z.string().optional(),
  clientSecret: z.string().optional(),
  apiBase: z.string().optional(),
  proxy: z.string().optional(),
  proxyUser: z.string().optional(),
  proxyPassword: z.string().optional(),
});

export type TestRequest = z.infer<typeof TestRequestSchema>;

/** The deployed app the request names, as its running node sees it (env references resolved). */
export interface SavedApp {
  apiBase: string;
  /** Origin of its Proxy field; '' when empty, null when it cannot be used. */
  proxyOrigin: string | null;
  clientId: string;
  clientSecret: string;
  proxyPassword: string;
}

export type TestPlan = { ok: true; input: ConnectionTestInput } | { ok: false; error: string };

type Env = Record<string, string | undefined>;

/** How a field got its value: typed in the dialog, saved with the deployed app, or from the server's environment. */
type Origin = 'typed' | 'saved' | 'env';

interface Value {
  value: string;
  origin: Origin;
  /** The `${NAME}` as written, for messages about env values (whose content is never shown). */
  reference?: string;
}

function read(raw: string | undefined, env: Env): Value {
  const text = (raw ?? '').trim();
  const name = envReferenceName(text);
  if (name === undefined) return { value: text, origin: 'typed' };
  return { value: (env[name] ?? '').trim(), origin: 'env', reference: text };
}

/** A password field: the placeholder (or nothing, for the client secret) means the saved one. */
function readPassword(raw: string | undefined, saved: string | undefined, env: Env, emptyMeansSaved: boolean): Value {
  if (raw === UNCHANGED_PASSWORD || (emptyMeansSaved && !raw)) return { value: saved ?? '', origin: 'saved' };
  const name = envReferenceName(raw ?? '');
  if (name !== undefined) return { value: env[name] ?? '', origin: 'env', reference: (raw ?? '').trim() };
  return { value: raw ?? '', origin: 'typed' };
}

function httpUrl(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

export function planConnectionTest(req: TestRequest, saved: SavedApp | undefined, env: Env = process.env): TestPlan {
  const base = read(req.apiBase, env);
  const apiBase = base.value || (base.origin === 'env' ? '' : DEFAULT_API_BASE);
  const baseUrl = httpUrl(apiBase);
  if (!baseUrl) {
    return {
      ok: false,
      error:
        base.origin === 'env'
          ? `The API base ${base.reference} does not hold an http(s) URL in Node-RED's environment: set the variable, or type the URL.`
          : 'The API base is not an http(s) URL: leave it at https://api.dingtalk.com (or give the simulator URL, e.g. http://127.0.0.1:3000).',
    };
  }

  const proxyField = read(req.proxy, env);
  let proxyOrigin = '';
  let urlUser = '';
  let urlPassword = '';
  if (proxyField.value) {
    const parsed = parseProxyUrl(proxyField.value);
    if (!parsed.ok) {
      if (proxyField.origin === 'env')
        return { ok: false, error: `The proxy ${proxyField.reference} does not hold a usable proxy URL in Node-RED's environment.` };
      return { ok: false, error: proxyProblemText(parsed.problem, parsed.shown) };
    }
    proxyOrigin = parsed.parts.origin;
    // A user and password written in the proxy URL go to the host written beside them: nothing to check.
    urlUser = parsed.parts.user;
    urlPassword = parsed.parts.password;
  } else if (proxyField.origin === 'env') {
    return {
      ok: false,
      error: `The proxy ${proxyField.reference} is not set in Node-RED's environment: set the variable, or clear the Proxy field.`,
    };
  }

  const deployedBase = saved !== undefined && httpUrl(saved.apiBase)?.origin === baseUrl.origin;
  const deployedProxy = saved !== undefined && saved.proxyOrigin === proxyOrigin;
  // Over http the proxy sees the secret in plain text, so it is part of where the secret goes.
  const deployedDestination = deployedBase && (baseUrl.protocol === 'https:' || deployedProxy);

  const proxyUser = read(req.proxyUser, env);
  const proxyPassword = readPassword(req.proxyPassword, saved?.proxyPassword, env, false);
  const proxyCredentials = [proxyUser, proxyPassword].filter((v) => v.value !== '');
  if (proxyOrigin && proxyCredentials.some((v) => v.origin !== 'typed') && !deployedProxy) {
    const what = proxyCredentials.some((v) => v.origin === 'saved')
      ? 'The saved proxy password is'
      : '${ENV_VAR} references in the proxy user / password are';
    return {
      ok: false,
      error: `${what} only used with the proxy the app was deployed with, and this test goes through ${proxyOrigin}: type the proxy password again to test the new proxy (or deploy first).`,
    };
  }

  const clientId = read(req.clientId, env);
  const id = clientId.value || clientId.origin === 'env' ? clientId : { value: saved?.clientId ?? '', origin: 'saved' as const };
  const secret = readPassword(req.clientSecret, saved?.clientSecret, env, true);
  const host = baseUrl.host;
  const savedUsed = [secret, id].find((v) => v.origin === 'saved' && v.value !== '');
  if (savedUsed && !deployedDestination) {
    const what = savedUsed === secret ? 'Client secret' : 'Client ID';
    return {
      ok: false,
      error: deployedBase
        ? `The saved ${what} is only sent over http through the proxy the app was deployed with, and the proxy was changed: type the ${what} again to test with the new proxy.`
        : `The saved ${what} is only sent to the API base the app was deployed with, and this test goes to ${host}: type the ${what} again to test with the new API base (or deploy first).`,
    };
  }
  if ([id, secret].some((v) => v.origin === 'env') && !deployedDestination && !isDingTalkUrl(baseUrl.href)) {
    return {
      ok: false,
      error:
        `\${ENV_VAR} references in the Client ID / secret are only resolved for DingTalk itself (https://*.dingtalk.com) ` +
        `or the API base the app was deployed with, and this test goes to ${host}: type the values, or deploy the app and test again.`,
    };
  }

  const useFields = proxyUser.value !== '' || proxyPassword.value !== '';
  const proxy = proxyOrigin
    ? proxyUrlOf({ origin: proxyOrigin, user: useFields ? proxyUser.value : urlUser, password: useFields ? proxyPassword.value : urlPassword })
    : undefined;
  return { ok: true, input: { clientId: id.value, clientSecret: secret.value.trim(), apiBase, proxy } };
}
