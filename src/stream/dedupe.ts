import type { Clock } from '../util/runtime';

export interface DedupeWindowOptions {
  ttlMs: number;
  maxEntries: number;
  clock: Pick<Clock, 'now'>;
}

interface Slot<V> {
  value: V;
  expiresAt: number;
  seq: number;
}

/**
 * A bounded "seen recently" map (ADR 0002): entries expire after `ttlMs` and at most `maxEntries` are kept, the
 * oldest dropped first, so a flood of unique ids cannot grow memory without bound.
 *
 * Every entry gets the same TTL, so insertion order is expiry order: a FIFO of (key, seq) next to the Map tells
 * which entry to drop next in O(1). (Dropping from the front of the Map itself looks simpler, but V8 leaves deleted
 * slots at the front that every new iterator walks over: measured ~15 µs per frame at 10 000 entries.)
 */
export class DedupeWindow<V> {
  private readonly map = new Map<string, Slot<V>>();
  private queueKeys: string[] = [];
  private queueSeqs: number[] = [];
  private head = 0;
  private seq = 0;

  constructor(private readonly options: DedupeWindowOptions) {}

  get size(): number {
    this.trim(this.options.clock.now());
    return this.map.size;
  }

  /** The value stored for `key`, or undefined if it was never seen or has expired. */
  get(key: string): V | undefined {
    const slot = this.map.get(key);
    if (slot === undefined) return undefined;
    if (slot.expiresAt <= this.options.clock.now()) {
      this.map.delete(key);
      return undefined;
    }
    return slot.value;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Remembers `key` for `ttlMs` from now (re-setting restarts its TTL and makes it the newest). */
  set(key: string, value: V): void {
    const now = this.options.clock.now();
    const seq = ++this.seq;
    this.map.set(key, { value, expiresAt: now + this.options.ttlMs, seq });
    this.queueKeys.push(key);
    this.queueSeqs.push(seq);
    this.trim(now);
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
    this.queueKeys = [];
    this.queueSeqs = [];
    this.head = 0;
  }

  /** Drops expired entries and, past `maxEntries`, the oldest ones; queue slots of re-set or deleted keys are skipped. */
  private trim(now: number): void {
    const { maxEntries } = this.options;
    const keys = this.queueKeys;
    while (this.head < keys.length) {
      const key = keys[this.head]!;
      const slot = this.map.get(key);
      if (slot !== undefined && slot.seq === this.queueSeqs[this.head]) {
        if (slot.expiresAt > now && this.map.size <= maxEntries) break;
        this.map.delete(key);
      }
      this.head += 1;
    }
    // Compact now and then, so the queue's dead prefix stays small without shifting on every call.
    if (this.head > 1024 && this.head * 2 > keys.length) {
      this.queueKeys = keys.slice(this.head);
      this.queueSeqs = this.queueSeqs.slice(this.head);
      this.head = 0;
    }
  }
}
