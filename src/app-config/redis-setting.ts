/**
 * The app's optional Redis (shared dedupe across instances, ADR 0016) as people write it: `redis://host:6379/0` or
 * `rediss://` for TLS. The password belongs in the Redis password credential; one written in the URL still works but
 * is taken out, so the URL that is shown (status, log, error) never holds it.
 */
import { truncate } from '../util/text';

export type RedisProblem = 'notUrl' | 'scheme' | 'escape';

export type RedisSetting =
  | {
      ok: true;
      /** The URL without password (a user name stays: ACL users are not secret). */
      url: string;
      /** The credential when set, else the one in the URL; '' for none. */
      password: string;
      /** The URL property itself holds a password: it is in flows.json and every export. */
      passwordInUrl: boolean;
      /** `url` with any password as ***, for messages. */
      shown: string;
    }
  | { ok: false; problem: RedisProblem; shown: string };

const MAX_SHOWN_CHARS = 100;

/** `raw` with whatever sits before the last '@' of the authority replaced by ***, cut to a message's length. */
function redactUserinfo(raw: string): string {
  const value = raw.trim();
  const start = value.includes('://') ? value.indexOf('://') + 3 : 0;
  const rest = value.slice(start);
  const end = rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const at = authority.lastIndexOf('@');
  return truncate(at < 0 ? value : `${value.slice(0, start)}***@${rest.slice(at + 1)}`, MAX_SHOWN_CHARS);
}

/** Reads the Redis URL field; `credentialPassword` is the Redis password credential. Empty field: undefined. */
export function redisSetting(raw: string | undefined, credentialPassword: string | undefined): RedisSetting | undefined {
  const value = (raw ?? '').trim();
  if (!value) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, problem: 'notUrl', shown: redactUserinfo(value) };
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') return { ok: false, problem: 'scheme', shown: redactUserinfo(value) };
  if (!url.hostname) return { ok: false, problem: 'notUrl', shown: redactUserinfo(value) };
  let inUrl: string;
  try {
    inUrl = decodeURIComponent(url.password);
  } catch {
    return { ok: false, problem: 'escape', shown: redactUserinfo(value) };
  }
  url.password = '';
  const clean = url.toString();
  return {
    ok: true,
    url: clean,
    password: (credentialPassword ?? '') || inUrl,
    passwordInUrl: inUrl !== '',
    shown: truncate(clean, MAX_SHOWN_CHARS),
  };
}
