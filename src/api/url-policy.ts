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
