import { DEFAULT_API_BASE } from '../contract';
import { parseProxyUrl, type ProxyParts, type ProxyProblem } from '../util/proxy-url';

/**
 * What a `dingtalk-stream-app` works with, from its properties and credentials: one reading shared by the running
 * node and the "Test connection" endpoint, so both agree on the API base and the proxy.
 */

export interface AppCredentials {
  clientId?: string;
  clientSecret?: string;
  /** For the proxy in the Proxy field (not for HTTPS_PROXY, which carries its own). */
  proxyUser?: string;
  proxyPassword?: string;
  /** For the Redis URL (shared dedupe across instances, ADR 0016). */
  redisPassword?: string;
}

export interface AppProperties {
  apiBase?: string;
  proxy?: string;
}

export type AppProxy =
  | {
      ok: true;
      /** Origin, user and password to use: the credentials when set, else those written in the URL (old flows). */
      parts: ProxyParts;
      /** The Proxy property itself holds a user name or password: it is in flows.json and every export. */
      userinfoInUrl: boolean;
    }
  | { ok: false; problem: ProxyProblem; shown: string };

export interface AppSettings {
  clientId: string;
  clientSecret: string;
  apiBase: string;
  /** The Proxy field; undefined when empty (HTTPS_PROXY / NO_PROXY decide). */
  proxy: AppProxy | undefined;
}

export function appSettings(props: AppProperties, credentials: AppCredentials): AppSettings {
  return {
    clientId: (credentials.clientId ?? '').trim(),
    clientSecret: (credentials.clientSecret ?? '').trim(),
    apiBase: (props.apiBase ?? '').trim() || DEFAULT_API_BASE,
    proxy: appProxy((props.proxy ?? '').trim(), credentials),
  };
}

function appProxy(raw: string, credentials: AppCredentials): AppProxy | undefined {
  if (!raw) return undefined;
  const parsed = parseProxyUrl(raw);
  if (!parsed.ok) return parsed;
  const fromUrl = parsed.parts;
  const user = credentials.proxyUser ?? '';
  const password = credentials.proxyPassword ?? '';
  const useCredentials = user !== '' || password !== '';
  return {
    ok: true,
    parts: useCredentials ? { origin: fromUrl.origin, user, password } : fromUrl,
    userinfoInUrl: fromUrl.user !== '' || fromUrl.password !== '',
  };
}
