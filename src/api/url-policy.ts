/**
 * Which URLs the client will send a request to when the URL comes from a message rather than from configuration.
 * A session webhook arrives in `msg.dingtalk.sessionWebhook`, which any upstream node can overwrite; without this
 * check a forged value would make Node-RED POST arbitrary JSON to any host (a request proxy into the intranet).
 */

export interface WebhookPolicy {
  /** Origin of the configured API base (`https://api.dingtalk.com`, or the simulator's `http://127.0.0.1:<port>`). */
  apiOrigin: string;
  /**
   * Extra allowed hosts. `host` / `host:port` allow https only; a full origin (`http://10.0.0.5:8080`) allows
   * exactly that origin, scheme included.
   */
  allowedHosts: readonly string[];
}

/** Why the URL is refused, or undefined when it may be used. Never echoes the URL's query. */
export function webhookRefusal(raw: string, policy: WebhookPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'the sessionWebhook is not a valid URL';
  }
  if (url.username || url.password) return 'the sessionWebhook must not contain a user name or password';
  if (url.origin === policy.apiOrigin) return undefined;
  for (const entry of policy.allowedHosts) {
    if (entry.includes('://')) {
      try {
        if (new URL(entry).origin === url.origin) return undefined;
      } catch {
        // a malformed entry allows nothing
      }
    } else if (url.protocol === 'https:' && (url.host === entry.toLowerCase() || url.hostname === entry.toLowerCase())) {
      return undefined;
    }
  }
  if (url.protocol !== 'https:') return `only https session webhooks are accepted (got ${url.protocol.replace(':', '')})`;
  if (isDingTalkHost(url.hostname)) return undefined;
  const host = url.hostname.toLowerCase();
  return `refusing to post to ${host}: session webhooks are only sent to *.dingtalk.com, the configured API base or the allowed webhook hosts (option allowedWebhookHosts)`;
}

/** DingTalk's own hosts: dingtalk.com and its subdomains (api., oapi., the overseas and regional ones). */
export function isDingTalkHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'dingtalk.com' || host.endsWith('.dingtalk.com');
}

/** Whether a URL is an https URL of one of DingTalk's own hosts (a simulator or any other server is not). */
export function isDingTalkUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return url.protocol === 'https:' && isDingTalkHost(url.hostname);
  } catch {
    return false;
  }
}

/** Download URLs come from DingTalk's answer; still, only http(s) is ever fetched. */
export function downloadRefusal(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'the download URL is not a valid URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `only http(s) download URLs are fetched (got ${url.protocol.replace(':', '')})`;
  if (url.username || url.password) return 'the download URL must not contain a user name or password';
  return undefined;
}

/**
 * Where DingTalk's file storage lives: a file link on one of its hosts may hand over to another (a CDN, an OSS
 * bucket). https only, like session webhooks.
 */
const FILE_STORAGE_DOMAINS = ['dingtalk.com', 'aliyuncs.com'];

export interface RedirectPolicy {
  /** The download URL DingTalk gave. */
  first: string;
  /** The URL that answered with the redirect. */
  from: string;
  /** Origin of the configured API base (the simulator's `http://127.0.0.1:<port>` in tests). */
  apiOrigin: string;
}

/**
 * Why a download's redirect is not followed, or undefined when it may be. The first URL came in DingTalk's own answer;
 * a redirect is only what the file host says, and the request goes out from inside the user's network, so it may
 * only go to the origin DingTalk named (scheme, host and port: the simulator's loopback port does not open every
 * port on 127.0.0.1), the configured API base, or DingTalk's file storage over https. Never from https to http:
 * the file and the link's signature would cross the network in clear. Names the host, never the query.
 */
export function redirectRefusal(raw: string, policy: RedirectPolicy): string | undefined {
  const basic = downloadRefusal(raw);
  if (basic) return `the download was redirected to an unusable URL: ${basic}`;
  const to = new URL(raw);
  const first = new URL(policy.first);
  const from = new URL(policy.from);
  // Every hop before `from` was https too if `from` is, so checking the last one is enough.
  if (to.protocol === 'http:' && from.protocol === 'https:') {
    return `refusing to follow the download's redirect from https to http (${to.host}): the file would travel unencrypted`;
  }
  if (to.origin === first.origin || to.origin === policy.apiOrigin) return undefined;
  // http://host → https://host (default ports) is the same server, better protected.
  if (to.protocol === 'https:' && first.protocol === 'http:' && to.hostname === first.hostname && to.port === '' && first.port === '')
    return undefined;
  const host = to.hostname.toLowerCase();
  if (to.protocol === 'https:' && FILE_STORAGE_DOMAINS.some((d) => host === d || host.endsWith(`.${d}`))) return undefined;
  return (
    `refusing to follow the download's redirect to ${to.host}: a file link may only redirect within ${first.host}, ` +
    `to the API base or to DingTalk's file storage (https, ${FILE_STORAGE_DOMAINS.map((d) => `*.${d}`).join(', ')})`
  );
}
