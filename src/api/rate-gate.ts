/**
 * Client-side pacing: at most N requests per second per API, which is how DingTalk counts its limit
 * (20 QPS per app per API, docs/protocol.md §6.1). Pacing ourselves costs a short wait during a burst; hitting the
 * server's limit costs a 403, a 1 s back-off and a retry, and may fail a flow outright when the retry budget runs out.
 * Several CardStreamers of one app share the client, so they share the gate too.
 */

/**
 * Calls to one API that may wait for a slot at once: 100 s of calls at DingTalk's 20 per second. Each waiting call
 * holds its message in memory; a flow that sends faster than DingTalk accepts for longer than that would only grow
 * the queue (and the delay of every later message) without end, so further calls fail at once instead.
 */
export const MAX_QUEUED_CALLS = 2_000;

export class RateGate {
  /** Per key: start times (ms) of the requests of the last second, including reserved future ones; ascending. */
  private readonly windows = new Map<string, number[]>();

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number,
    private readonly maxQueued = MAX_QUEUED_CALLS,
  ) {}

  /**
   * Reserves the next slot for `key` and returns how long to wait for it (0 = go now), or undefined when
   * `maxQueued` calls are already waiting for one (nothing is reserved then).
   */
  reserve(key: string): number | undefined {
    if (this.perSecond <= 0) return 0;
    const now = this.now();
    const times = (this.windows.get(key) ?? []).filter((t) => t > now - 1000);
    let waiting = 0;
    for (let i = times.length - 1; i >= 0 && times[i]! > now; i--) waiting++;
    if (waiting >= this.maxQueued) return undefined;
    // The slot opens one second after the request N places back, so no 1-second window holds more than N.
    const earliest = times.length >= this.perSecond ? times[times.length - this.perSecond]! + 1000 : now;
    const at = Math.max(now, earliest);
    times.push(at);
    this.windows.set(key, times);
    return at - now;
  }
}
