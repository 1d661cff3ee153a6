import type { Clock } from '../util/runtime';

/**
 * Shared "who handles this push" state for several instances of one app (issue 12, ADR 0016). DingTalk gives each push
 * to one random connection, and a re-push may reach another instance (docs/protocol.md 4-a, 4-j): the local dedupe
 * window (dedupe.ts) cannot see that, a store shared by the instances can.
 *
 * States of a key: absent; held by an instance while its flow runs (a lease that expires if that instance dies);
 * `done` for the dedupe window once the push was handled.
 */
export type ClaimResult = 'ours' | 'busy' | 'done';

/**
 * What a callback's claim says about its answer, for an instance that got the re-push of a click another one handled:
 * `answered` with the ack's `data` as that instance sent it; `done` without one (the answer was not shared: too big, or
 * written back after an outage); `busy` while the other instance is still working it out; `absent` once the key is gone.
 */
export type AnswerLookup = { state: 'answered'; data: string } | { state: 'done' } | { state: 'busy' } | { state: 'absent' };

/**
 * The largest callback answer (the ack's `data`, UTF-8 bytes) shared through the store. A card answer is a few hundred
 * bytes; a bigger one stays "no change" on the other instance rather than putting large values in every claim.
 */
export const SHARED_ANSWER_MAX_BYTES = 64 * 1024;

export interface ClaimStore {
  /** Atomically takes `key` for `ttlMs` if nobody holds it; otherwise says whether it is in flight or done. */
  claim(key: string, ttlMs: number): Promise<ClaimResult>;
  /**
   * The push was handled: the key stays `done` for `ttlMs` (unless another instance holds it now), with `answer` (a
   * callback ack's `data`) for the instances that get its re-push.
   */
  complete(key: string, ttlMs: number, answer?: string): Promise<void>;
  /** The answer a callback's claim holds now (one read; never claims). */
  answer(key: string): Promise<AnswerLookup>;
  /** The push failed (LATER): drop our hold so the re-push runs again, wherever it lands. */
  release(key: string): Promise<void>;
}

/** `unavailable`: the store did not answer in time or failed; the caller falls back to its local dedupe. */
export type GateResult = ClaimResult | 'unavailable';

export interface ClaimGateOptions {
  store: ClaimStore;
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /** Longest wait for the store before a push goes on with local dedupe only. */
  waitMs: number;
  /** Called on each change between "the store answers" and "it does not", with what went wrong. */
  onHealth(healthy: boolean, problem?: string): void;
}

/**
 * The router's side of a ClaimStore: a bounded wait on every call, and one health signal per change instead of one
 * per push, so a Redis outage is a single log line and status while messages keep flowing on local dedupe.
 */
export class ClaimGate {
  private healthy = true;

  constructor(private readonly options: ClaimGateOptions) {}

  get isHealthy(): boolean {
    return this.healthy;
  }

  claim(key: string, ttlMs: number): Promise<GateResult> {
    return this.bounded(() => this.options.store.claim(key, ttlMs)).then((r) => r ?? 'unavailable');
  }

  /** Fire and forget: a lost `complete` leaves a lease that expires; a lost `release` delays the re-push's run by it. */
  complete(key: string, ttlMs: number, answer?: string): void {
    void this.bounded(() => this.options.store.complete(key, ttlMs, answer));
  }

  /** undefined: the store did not answer in time or failed. */
  answer(key: string): Promise<AnswerLookup | undefined> {
    return this.bounded(() => this.options.store.answer(key));
  }

  release(key: string): void {
    void this.bounded(() => this.options.store.release(key));
  }

  /** Resolves with the store's answer, or undefined after `waitMs` or a failure. Never rejects. */
  private bounded<R>(call: () => Promise<R>): Promise<R | undefined> {
    const { clock, waitMs } = this.options;
    return new Promise<R | undefined>((resolve) => {
      let settled = false;
      const timer = clock.setTimeout(() => {
        if (settled) return;
        settled = true;
        this.setHealth(false, `no answer within ${waitMs} ms`);
        resolve(undefined);
      }, waitMs);
      let pending: Promise<R>;
      try {
        pending = call();
      } catch (err) {
        pending = Promise.reject(err);
      }
      pending.then(
        (value) => {
          if (settled) return;
          settled = true;
          clock.clearTimeout(timer);
          this.setHealth(true);
          resolve(value);
        },
        (err: unknown) => {
          if (settled) return;
          settled = true;
          clock.clearTimeout(timer);
          this.setHealth(false, err instanceof Error ? err.message : String(err));
          resolve(undefined);
        },
      );
    });
  }

  private setHealth(healthy: boolean, problem?: string): void {
    if (healthy === this.healthy) return;
    this.healthy = healthy;
    this.options.onHealth(healthy, problem);
  }
}
