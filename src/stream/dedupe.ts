import type { Clock } from '../util/runtime';

export interface DedupeWindowOptions {
  ttlMs: number;
  maxEntries: number;
  clock: Pick<Clock, 'now'>;
}

/** Inserts between two sweeps of expired entries. */
const TRIM_EVERY = 256;

/**
 * A bounded "seen recently" map (ADR 0002): entries expire after `ttlMs` and at most `maxEntries` are kept, the
 * oldest dropped first, so a flood of unique ids cannot grow memory without bound.
 *
 * Every entry gets the same TTL, so insertion order is expiry order: a FIFO next to the Map tells which entry to
 * drop next in O(1). (Dropping from the front of the Map itself looks simpler, but V8 leaves deleted slots at the
 * front that every new iterator walks over; bench/README.md has the cost.)
 *
 * This sits on the per-frame path and every entry outlives several young-generation GCs, so an entry is kept without
 * an object of its own: the Map holds the slot's sequence number (a small integer) and the FIFO is three parallel
 * arrays (keys, values, expiry times as unboxed doubles). A slot whose key was re-set or deleted is skipped when the
 * FIFO reaches it.
 */
export class DedupeWindow<V> {
  /** key -> sequence number of its current slot. */
  private readonly index = new Map<string, number>();
  private keys: string[] = [];
  private values: Array<V | undefined> = [];
  private expiries: number[] = [];
  /** Sequence number of the slot at array position 0 (grows as the arrays are compacted). */
  private base = 0;
  /** Array position of the oldest slot not yet swept. */
  private head = 0;
  private sinceTrim = 0;

  constructor(private readonly options: DedupeWindowOptions) {}

  get size(): number {
    this.trim(this.options.clock.now());
    return this.index.size;
  }

  /** The value stored for `key`, or undefined if it was never seen or has expired. */
  get(key: string): V | undefined {
    const seq = this.index.get(key);
    if (seq === undefined) return undefined;
    const at = seq - this.base;
    if (this.expiries[at]! <= this.options.clock.now()) {
      this.index.delete(key);
      this.values[at] = undefined;
      return undefined;
    }
    return this.values[at];
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Remembers `key` for `ttlMs` from now (re-setting restarts its TTL and makes it the newest). */
  set(key: string, value: V): void {
    const now = this.options.clock.now();
    const previous = this.index.get(key);
    if (previous !== undefined) this.values[previous - this.base] = undefined;
    this.index.set(key, this.base + this.keys.length);
    this.keys.push(key);
    this.values.push(value);
    this.expiries.push(now + this.options.ttlMs);
    // Expired entries cost only memory (get() checks the expiry itself), so they are swept every TRIM_EVERY inserts
    // instead of on each one; the size bound is still enforced on every insert.
    if (this.index.size > this.options.maxEntries || ++this.sinceTrim >= TRIM_EVERY) {
      this.sinceTrim = 0;
      this.trim(now);
    }
  }

  delete(key: string): void {
    const seq = this.index.get(key);
    if (seq === undefined) return;
    this.values[seq - this.base] = undefined;
    this.index.delete(key);
  }

  /** Drops expired entries and, past `maxEntries`, the oldest ones; slots of re-set or deleted keys are skipped. */
  private trim(now: number): void {
    const { maxEntries } = this.options;
    const { keys, values, expiries, index } = this;
    while (this.head < keys.length) {
      const at = this.head;
      const key = keys[at]!;
      if (index.get(key) === this.base + at) {
        if (expiries[at]! > now && index.size <= maxEntries) break;
        index.delete(key);
      }
      values[at] = undefined;
      this.head += 1;
    }
    // Compact now and then, so the swept prefix stays small without shifting on every call.
    if (this.head > 1024 && this.head * 2 > keys.length) {
      this.keys = keys.slice(this.head);
      this.values = values.slice(this.head);
      this.expiries = expiries.slice(this.head);
      this.base += this.head;
      this.head = 0;
    }
  }
}
