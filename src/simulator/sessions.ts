import { hex } from './ids';

export interface Session {
  id: string;
  clientId: string;
  conversationId: string;
  conversationType: string;
  senderStaffId?: string;
  expiresAt: number;
}

/** sessionWebhook sessions created with each robot message. */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  create(entry: Omit<Session, 'id'>): Session {
    const session: Session = { id: hex(16), ...entry };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The session if known and not expired. */
  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session || session.expiresAt < Date.now()) return undefined;
    return session;
  }

  /** Expire every session now (tests of expired webhooks). */
  expireAll(): void {
    for (const session of this.sessions.values()) session.expiresAt = 0;
  }
}
