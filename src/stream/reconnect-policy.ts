import { Backoff } from './backoff';
import type { StreamTiming } from './types';
import type { Clock, RandomSource } from '../util/runtime';

/**
 * A working socket that drops is replaced at once, after a random pause below this (capped by backoffBaseMs) so that
 * many instances cut off together do not all hit the gateway in the same millisecond.
 */
export const RECONNECT_JITTER_MS = 250;

/**
 * Drops of sockets younger than stableAfterMs that are still replaced at once; past this many in a row the server is
 * treated as flapping and the replacements back off.
 */
export const QUICK_RECONNECTS = 3;

export interface ReconnectPolicyOptions {
  timing: Pick<StreamTiming, 'backoffBaseMs' | 'backoffMaxMs' | 'stableAfterMs' | 'authFailedRetryMs'>;
  clock: Pick<Clock, 'now'>;
  random: RandomSource;
}

/**
 * How long to wait before the next connection attempt (ADR 0009). It holds no timer and starts nothing: the client
 * reports what happened and arms its one retry timer with the answer.
 *
 * - A failed attempt (gateway refusing or unreachable, handshake failing) backs off with full jitter; the backoff
 *   grows only with consecutive failures and starts over once an attempt succeeds.
 * - A working socket that drops is replaced at once, after a jitter below min(250 ms, backoffBaseMs): DingTalk is most
 *   likely still there, and a growing wait would only leave a gap that DingTalk re-pushes into.
 * - Only a server whose sockets keep dropping before they are `stableAfterMs` old gets longer pauses: past 3 such drops
 *   in a row the replacements use a backoff of their own, which starts over once a socket stays up `stableAfterMs`.
 * - Refused credentials wait `authFailedRetryMs`: retrying sooner cannot fix them and might get the IP throttled.
 */
export class ReconnectPolicy {
  private readonly attempts: Backoff;
  private readonly flapping: Backoff;
  /** Drops in a row of sockets that had not yet been up for stableAfterMs. */
  private flaps = 0;
  /** When the current socket was adopted; undefined while none is. */
  private connectedAt: number | undefined;

  constructor(private readonly options: ReconnectPolicyOptions) {
    const { backoffBaseMs: baseMs, backoffMaxMs: maxMs } = options.timing;
    this.attempts = new Backoff({ baseMs, maxMs, random: options.random });
    this.flapping = new Backoff({ baseMs, maxMs, random: options.random });
  }

  /** An attempt failed for a reason a retry may fix: the delay before the next one. */
  attemptFailed(): number {
    return this.attempts.next();
  }

  /** DingTalk refused the credentials: the delay before the next attempt. */
  authFailed(): number {
    return this.options.timing.authFailedRetryMs;
  }

  /** A socket is up and adopted (a first connect, a reconnect or a rotation). */
  connected(): void {
    this.attempts.reset();
    this.connectedAt = this.options.clock.now();
  }

  /**
   * The adopted socket went away. Only counts it (young or stable): the delay is asked for separately with
   * `delayAfterDrop()`, because a replacement may already be under way and then no delay is needed.
   */
  dropped(): void {
    const since = this.connectedAt;
    if (since === undefined) return;
    this.connectedAt = undefined;
    if (this.options.clock.now() - since < this.options.timing.stableAfterMs) {
      this.flaps += 1;
    } else {
      this.flaps = 0;
      this.flapping.reset();
    }
  }

  /** The delay before replacing the socket reported by `dropped()`. */
  delayAfterDrop(): number {
    if (this.flaps > QUICK_RECONNECTS) return this.flapping.next();
    const r = this.options.random();
    const unit = r >= 0 && r < 1 ? r : 0.5;
    return Math.floor(unit * Math.min(RECONNECT_JITTER_MS, this.options.timing.backoffBaseMs));
  }
}
