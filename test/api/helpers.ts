import assert from 'node:assert/strict';
import { DingTalkError } from '../../src/api/errors';
import type { Clock } from '../../src/util/runtime';

/** Lets pending promise callbacks (and I/O callbacks already queued) run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

interface ManualTimer {
  at: number;
  fn: () => void;
}

/** A clock that only moves when told to; timers fire in order during advance(). */
export class ManualClock implements Clock {
  private t = 1_700_000_000_000;
  private readonly timers = new Set<ManualTimer>();

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): NodeJS.Timeout {
    const timer: ManualTimer = { at: this.t + Math.max(0, ms), fn };
    this.timers.add(timer);
    return timer as unknown as NodeJS.Timeout;
  }

  clearTimeout(handle: NodeJS.Timeout | undefined): void {
    if (handle !== undefined) this.timers.delete(handle as unknown as ManualTimer);
  }

  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward, firing due timers one by one and letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    await settle();
    for (;;) {
      let next: ManualTimer | undefined;
      for (const timer of this.timers) if (timer.at <= target && (!next || timer.at < next.at)) next = timer;
      if (!next) break;
      this.timers.delete(next);
      this.t = next.at;
      next.fn();
      await settle();
    }
    this.t = target;
    await settle();
  }
}

/**
 * Real time, but every wait is shortened to ~0 ms and recorded: retry tests check the delay the client asked for
 * (e.g. what Retry-After said) without actually waiting it.
 */
export class RecordingClock implements Clock {
  readonly delays: number[] = [];
  private readonly handles = new Set<NodeJS.Timeout>();

  now(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, ms: number): NodeJS.Timeout {
    this.delays.push(ms);
    const handle = setTimeout(() => {
      this.handles.delete(handle);
      fn();
    }, 1);
    this.handles.add(handle);
    return handle;
  }

  clearTimeout(handle: NodeJS.Timeout | undefined): void {
    if (handle === undefined) return;
    clearTimeout(handle);
    this.handles.delete(handle);
  }
}

/** The DingTalkError a call fails with; fails the test when it resolves or fails with anything else. */
export async function rejection(p: Promise<unknown>): Promise<DingTalkError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof DingTalkError, `expected a DingTalkError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}
