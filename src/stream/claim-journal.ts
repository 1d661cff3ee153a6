/**
 * This instance's own claim decisions, kept so they can be written back to the shared store after it comes back
 * (issue 12 follow-up, ADR 0016). Two cases need it: claims decided locally while Redis was unreachable (Redis never
 * saw them), and claims Redis forgot because it restarted without persistence. Without them, a re-push that lands on
 * another instance after the outage finds no claim and runs the flow a second time.
 *
 * States: `held` (our flow runs, or a robot message is claimed for the window), `done` (an event's flow finished, or a
 * callback was answered: its answer is not kept here), `released` (an event answered LATER whose release could not
 * reach the store: the hold must still go).
 */
export type JournalState = 'held' | 'done' | 'released';

export interface JournalEntry {
  key: string;
  state: JournalState;
  /** Time left (ms) before the claim would have expired in the store. */
  remainingMs: number;
}

export class ClaimJournal {
  // Insertion order is the eviction order: every write moves the key to the end.
  private readonly entries = new Map<string, { state: JournalState; expiresAt: number }>();

  constructor(
    /** Bound on memory: past it the oldest decisions are dropped (they are the least likely to be re-pushed). */
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  held(key: string, ttlMs: number): void {
    this.write(key, 'held', ttlMs);
  }

  done(key: string, ttlMs: number): void {
    this.write(key, 'done', ttlMs);
  }

  /** Our hold should be dropped; kept (until the hold would expire) only to send the release after an outage. */
  released(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.entries.set(key, { state: 'released', expiresAt: entry.expiresAt });
  }

  /** The release reached the store: nothing left to write back for this key. */
  forget(key: string, state: JournalState): void {
    if (this.entries.get(key)?.state === state) this.entries.delete(key);
  }

  /** Every decision whose claim has not expired yet, oldest first. */
  live(): JournalEntry[] {
    const now = this.now();
    const out: JournalEntry[] = [];
    for (const [key, { state, expiresAt }] of this.entries) {
      if (expiresAt > now) out.push({ key, state, remainingMs: expiresAt - now });
      else this.entries.delete(key);
    }
    return out;
  }

  private write(key: string, state: JournalState, ttlMs: number): void {
    this.entries.delete(key);
    this.entries.set(key, { state, expiresAt: this.now() + ttlMs });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
