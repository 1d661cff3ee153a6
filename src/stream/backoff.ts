import type { RandomSource } from '../util/runtime';

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  random: RandomSource;
}

/**
 * Exponential backoff with "full jitter": the n-th delay is uniform in [0, min(max, base * 2^n)).
 * Full jitter (rather than base + small noise) spreads out many Node-RED instances that lost DingTalk at the same
 * moment, so they do not all come back in lockstep and hit the gateway together.
 */
export class Backoff {
  private failures = 0;

  constructor(private readonly options: BackoffOptions) {}

  /** How many delays were handed out since the last reset. */
  get attempts(): number {
    return this.failures;
  }

  /** The delay before the next attempt; each call doubles the ceiling until it reaches `maxMs`. */
  next(): number {
    const { baseMs, maxMs, random } = this.options;
    // 2^30 already dwarfs any sane cap; stopping the exponent there keeps the arithmetic finite.
    const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(this.failures, 30));
    this.failures += 1;
    const r = random();
    const unit = r >= 0 && r < 1 ? r : 0.5;
    return Math.floor(unit * ceiling);
  }

  /** Starts over from `baseMs`; when that happens is ReconnectPolicy's call (ADR 0009). */
  reset(): void {
    this.failures = 0;
  }
}
