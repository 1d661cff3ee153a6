/**
 * One app's access token: fetched on first use, reused until shortly before it expires, refreshed by exactly one
 * request however many callers need it at that moment. No timers: freshness is checked when a token is asked for,
 * so an idle app makes no token calls and closing the client only has to forget the token (`clear()`).
 */

export interface IssuedToken {
  accessToken: string;
  /** Lifetime in seconds, as DingTalk's `expireIn`. */
  expireIn: number;
}

export interface TokenCacheOptions {
  fetch: () => Promise<IssuedToken>;
  now: () => number;
  /** Refresh this long before expiry. Default 5 min, as the official Python SDK does (docs/protocol.md §6.2-c). */
  refreshMarginMs?: number;
}

const DEFAULT_MARGIN_MS = 5 * 60_000;

export class TokenCache {
  private token: string | undefined;
  private refreshAt = 0;
  private inFlight: Promise<string> | undefined;

  constructor(private readonly opts: TokenCacheOptions) {}

  async get(): Promise<string> {
    if (this.token !== undefined && this.opts.now() < this.refreshAt) return this.token;
    if (!this.inFlight) {
      this.inFlight = this.refresh().finally(() => {
        this.inFlight = undefined;
      });
    }
    return this.inFlight;
  }

  /**
   * Drops `token` after DingTalk refused it. Only that token: when several requests fail with the same stale token
   * at once, the first drop starts one refresh and the others find the new token already in place.
   */
  invalidate(token: string): void {
    if (this.token !== token) return;
    this.token = undefined;
    this.refreshAt = 0;
  }

  private async refresh(): Promise<string> {
    const issued = await this.opts.fetch();
    const lifetimeMs = Math.max(0, issued.expireIn * 1000);
    // Short-lived tokens (tests, or a token fetched late in its life) still get half their lifetime of use,
    // instead of being refetched on every call because the 5-minute margin swallows them whole.
    const margin = Math.min(this.opts.refreshMarginMs ?? DEFAULT_MARGIN_MS, lifetimeMs / 2);
    this.token = issued.accessToken;
    this.refreshAt = this.opts.now() + lifetimeMs - margin;
    return issued.accessToken;
  }

  /** Forgets the token, for the client's close(). */
  clear(): void {
    this.token = undefined;
    this.refreshAt = 0;
  }
}
