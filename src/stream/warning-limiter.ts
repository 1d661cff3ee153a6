import type { Clock } from '../util/runtime';

export const WARNING_INTERVAL_MS = 60_000;
export const MAX_WARNING_KINDS = 200;
/** The one entry all kinds past `maxKinds` share. */
export const OVERFLOW_KIND = 'too-many-kinds';

export interface WarningLimiterOptions {
  clock: Pick<Clock, 'now'>;
  /** Default 60 s. */
  intervalMs?: number;
  /** Default 200. */
  maxKinds?: number;
}

/**
 * At most one warning per kind per interval, so a stream of bad frames cannot flood the user's log or status; the
 * caller sends repeats to the debug log instead.
 *
 * Kinds can carry a name from the wire (a callback topic), so the table is bounded whatever a server sends. When it
 * is full, expired entries go first; if it is still full, every new kind shares one entry. A flood of new kinds can
 * therefore neither grow the table nor reopen the interval of a kind already warned about (docs/RELIABILITY.md,
 * finding 3 of the attack round: clearing the table did exactly that).
 */
export class WarningLimiter {
  private readonly warnedAt = new Map<string, number>();
  private readonly intervalMs: number;
  private readonly maxKinds: number;

  constructor(private readonly options: WarningLimiterOptions) {
    this.intervalMs = options.intervalMs ?? WARNING_INTERVAL_MS;
    this.maxKinds = options.maxKinds ?? MAX_WARNING_KINDS;
  }

  /** True if a warning of this kind may go out now (and it is counted as sent); false for a repeat. */
  allow(kind: string): boolean {
    const now = this.options.clock.now();
    if (this.warnedAt.size >= this.maxKinds && !this.warnedAt.has(kind)) {
      for (const [k, at] of this.warnedAt) if (now - at >= this.intervalMs) this.warnedAt.delete(k);
      if (this.warnedAt.size >= this.maxKinds) kind = OVERFLOW_KIND;
    }
    const last = this.warnedAt.get(kind);
    if (last !== undefined && now - last < this.intervalMs) return false;
    this.warnedAt.set(kind, now);
    return true;
  }

  /** Kinds currently remembered: at most `maxKinds` plus the shared overflow entry. */
  get size(): number {
    return this.warnedAt.size;
  }
}
