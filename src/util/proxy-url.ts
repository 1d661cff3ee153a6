/**
 * Reading a proxy setting as people write it (the app's Proxy field, HTTPS_PROXY): `host:port` without a scheme is
 * http, as curl takes it; what cannot be used is refused up front with a reason, instead of failing later inside
 * undici ("InvalidArgumentError") or at the first request ("URI malformed"). User name and password are kept apart
 * from the URL so that nothing shown (status, log, error) ever holds them.
 */
import { truncate } from './text';

/** Why a proxy setting cannot be used. The node layer translates these; `proxyProblemText` says them in English. */
export type ProxyProblem = 'notUrl' | 'scheme' | 'escape';

export interface ProxyParts {
  /** `http(s)://host[:port]`, without user name, password or path. */
  origin: string;
  /** Decoded, '' when the URL has none. */
  user: string;
  password: string;
}

export type ProxyParse = { ok: true; parts: ProxyParts } | { ok: false; problem: ProxyProblem; shown: string };

const HAS_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
const MAX_SHOWN_CHARS = 100;

/** `raw` with any user name / password replaced by `***`, cut to a length a message can hold. */
export function redactProxy(raw: string): string {
  const value = raw.trim();
  const start = HAS_SCHEME.test(value) ? value.indexOf('://') + 3 : 0;
  const rest = value.slice(start);
  const end = rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const at = authority.lastIndexOf('@');
  const shown = at < 0 ? value : `${value.slice(0, start)}***@${authority.slice(at + 1)}${end < 0 ? '' : rest.slice(end)}`;
  return truncate(shown, MAX_SHOWN_CHARS);
}

function decoded(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

/** Parses one proxy setting; `host:port` means `http://host:port`. */
export function parseProxyUrl(raw: string): ProxyParse {
  const value = raw.trim();
  const shown = redactProxy(value);
  let url: URL;
  try {
    url = new URL(HAS_SCHEME.test(value) ? value : `http://${value}`);
  } catch {
    return { ok: false, problem: 'notUrl', shown };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, problem: 'scheme', shown };
  if (!url.hostname) return { ok: false, problem: 'notUrl', shown };
  const user = decoded(url.username);
  const password = decoded(url.password);
  if (user === undefined || password === undefined) return { ok: false, problem: 'escape', shown };
  return { ok: true, parts: { origin: `${url.protocol}//${url.host}`, user, password } };
}

/** The URL the HTTP stack is given: the origin with the user name and password encoded back in, if any. */
export function proxyUrlOf(parts: ProxyParts): string {
  if (!parts.user && !parts.password) return parts.origin;
  const scheme = parts.origin.indexOf('://') + 3;
  const userinfo = `${encodeURIComponent(parts.user)}:${encodeURIComponent(parts.password)}@`;
  return `${parts.origin.slice(0, scheme)}${userinfo}${parts.origin.slice(scheme)}`;
}

const REASONS: Record<ProxyProblem, string> = {
  notUrl: 'it is not a URL',
  scheme: 'only http:// and https:// proxies are supported',
  escape: "the user name or password has a broken %-escape (a '%' must be written %25)",
};

/**
 * The English explanation, for callers without Node-RED's translations. Never holds the password.
 * `variable`: the environment variable the value came from; undefined for a proxy setting (option, Proxy field).
 */
export function proxyProblemText(problem: ProxyProblem, shown: string, variable?: string): string {
  const source = variable ? `the ${variable} environment variable` : 'the proxy setting';
  return (
    `The proxy "${shown}" (${source}) cannot be used: ${REASONS[problem]}. ` +
    'Write it as http://host:port (or host:port); put the user name and password in the Proxy user / Proxy password fields of the DingTalk app.'
  );
}

/** Thrown where a proxy setting is used without having been checked first (e.g. a broken HTTPS_PROXY). */
export class ProxySettingError extends Error {
  constructor(
    readonly problem: ProxyProblem,
    readonly shown: string,
    readonly variable?: string,
  ) {
    super(proxyProblemText(problem, shown, variable));
    this.name = 'ProxySettingError';
  }
}

/** The usable URL of a proxy setting (or of the environment `variable`), else a ProxySettingError saying why not. */
export function normalizeProxy(raw: string, variable?: string): string {
  const parsed = parseProxyUrl(raw);
  if (!parsed.ok) throw new ProxySettingError(parsed.problem, parsed.shown, variable);
  return proxyUrlOf(parsed.parts);
}
