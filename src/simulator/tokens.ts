import { hex } from './ids';

interface IssuedToken {
  clientId: string;
  expiresAt: number;
}

/**
 * Access tokens per app. Like DingTalk, asking again while a token is valid returns the same token with its
 * remaining lifetime.
 */
export class TokenStore {
  private readonly tokens = new Map<string, IssuedToken>();

  constructor(
    private readonly ttlSec: number,
    private readonly now: () => number,
  ) {}

  issue(clientId: string): { accessToken: string; expireIn: number } {
    const now = this.now();
    for (const [token, issued] of this.tokens) {
      if (issued.clientId === clientId && issued.expiresAt - now > 1000) {
        return { accessToken: token, expireIn: Math.floor((issued.expiresAt - now) / 1000) };
      }
    }
    const token = hex(16);
    this.tokens.set(token, { clientId, expiresAt: now + this.ttlSec * 1000 });
    return { accessToken: token, expireIn: this.ttlSec };
  }

  /** The app the token belongs to, or undefined for unknown/expired tokens. */
  verify(token: string | undefined): string | undefined {
    if (!token) return undefined;
    const issued = this.tokens.get(token);
    if (!issued) return undefined;
    if (issued.expiresAt <= this.now()) {
      this.tokens.delete(token);
      return undefined;
    }
    return issued.clientId;
  }

  expireAll(): void {
    this.tokens.clear();
  }
}
