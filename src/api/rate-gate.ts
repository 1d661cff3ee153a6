/**
 * Client-side pacing: at most N requests per second per API, which is how DingTalk counts its limit
 * (20 QPS per app per API, docs/protocol.md §6.1). Pacing ourselves costs a short wait during a burst; hitting the
 * server's limit costs a 403, a 1 s back-off and a retry, and may fail a flow outright when the retry budget runs out.
 * Several CardStreamers of one app share the client, so they share the gate too.
 */
export class RateGate {
  /** Per key: start times (ms) of the requests of the last second, including reserved future ones; ascending. */
  private readonly windows = new Map<string, number[]>();

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number,
  ) {}

  /** Reserves the next slot for `key` and returns how long to wait for it (0 = go now). */
  reserve(key: string): number {
    if (this.perSecond <= 0) return 0;
    const now = this.now();
    const times = (this.windows.get(key) ?? []).filter((t) => t > now - 1000);
    // The slot opens one second after the request N places back, so no 1-second window holds more than N.
    const earliest = times.length >= this.perSecond ? times[times.length - this.perSecond]! + 1000 : now;
    const at = Math.max(now, earliest);
    times.push(at);
    this.windows.set(key, times);
    return at - now;
  }
}
