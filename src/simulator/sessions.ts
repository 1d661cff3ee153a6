import { hex } from './ids';

export interface Session {
  id: string;
  clientId: string;
  conversationId: string;
  conversationType: string;
  senderStaffId?: string;
  expiresAt: number;
  /** Ended by DingTalk before expiresAt (sim.invalidateSession): the webhook is refused like an expired one. */
  invalidated?: boolean;
}

/** sessionWebhook sessions created with each robot message. */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  create(entry: Omit<Session, 'id'>): Session {
    const session: Session = { id: hex(16), ...entry };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The session if known, not expired and not invalidated. */
  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session || session.invalidated || session.expiresAt < Date.now()) return undefined;
    return session;
  }

  /**
   * Ends one session before its expiry time, as DingTalk sometimes does (field reports of errcode 300001 well within
   * sessionWebhookExpiredTime). Returns whether the session was known.
   */
  invalidate(id: string): boolean {
    const session = this.sessions.get(id);
    if (!session) return false;
    session.invalidated = true;
    return true;
  }

  /** Expire every session now (tests of expired webhooks). */
  expireAll(): void {
    for (const session of this.sessions.values()) session.expiresAt = 0;
  }
}
