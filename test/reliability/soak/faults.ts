/**
 * Injects DingTalk-side faults into the simulator at random but seeded times (same seed, same schedule of kinds and
 * gaps). Standing faults (half-open, ignored acks, gateway trouble) last a bounded time and end themselves; one-shot
 * faults (kills, disconnects, HTTP failures, expired tokens) happen at once.
 */
import type { DingTalkSimulator, FaultSettings } from '../../../src/simulator';

export const FAULT_KINDS = [
  'socket-kill',
  'server-disconnect',
  'half-open',
  'acks-ignored',
  'gateway-refuse',
  'gateway-error',
  'gateway-delay',
  'openapi-429',
  'openapi-403-throttle',
  'openapi-500',
  'webhook-429',
  'webhook-500',
  'webhook-outage',
  'token-500',
  'tokens-expired',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultTiming {
  /** Gap between two faults is uniform in [minGapMs, maxGapMs]. */
  minGapMs: number;
  maxGapMs: number;
  /** The simulator's re-push delay: ignored acks last longer than this, so DingTalk re-pushes. */
  ackTimeoutMs: number;
  /** Client heartbeat + pong timeout: a half-open period lasts longer than this, so the client notices. */
  deadSocketAfterMs: number;
}

export interface InjectedFault {
  kind: FaultKind;
  at: number;
  durationMs?: number;
  detail?: string;
}

const SEND_PATH = '/v1.0/robot/oToMessages/batchSend';
const WEBHOOK_PATH = '/robot/sendBySession';
const TOKEN_PATH = '/v1.0/oauth2/accessToken';

type Standing = 'pings' | 'acks' | 'gateway';

export class FaultInjector {
  readonly injected: InjectedFault[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly endTimers = new Set<NodeJS.Timeout>();
  private readonly active = new Set<Standing>();
  private running = false;

  constructor(
    private readonly sim: DingTalkSimulator,
    private readonly random: () => number,
    private readonly timing: FaultTiming,
  ) {}

  start(): void {
    this.running = true;
    this.scheduleNext();
  }

  /** No new faults; standing ones end now; one-shot HTTP failures not yet consumed are cleared. */
  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    for (const t of this.endTimers) clearTimeout(t);
    this.endTimers.clear();
    this.active.clear();
    this.sim.clearFaults();
  }

  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const f of this.injected) out[f.kind] = (out[f.kind] ?? 0) + 1;
    return out;
  }

  private scheduleNext(): void {
    if (!this.running) return;
    const { minGapMs, maxGapMs } = this.timing;
    this.timer = setTimeout(
      () => {
        this.injectOne();
        this.scheduleNext();
      },
      minGapMs + this.random() * (maxGapMs - minGapMs),
    );
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.min(items.length - 1, Math.floor(this.random() * items.length))]!;
  }

  private between(min: number, max: number): number {
    return Math.round(min + this.random() * (max - min));
  }

  private injectOne(): void {
    const kind = this.pick(FAULT_KINDS);
    const at = Date.now();
    const sim = this.sim;
    switch (kind) {
      case 'socket-kill':
        sim.killConnections();
        return this.note({ kind, at });
      case 'server-disconnect': {
        const ids = sim.disconnect();
        return this.note({ kind, at, detail: `${ids.length} connection(s)` });
      }
      case 'half-open': {
        const ms = this.timing.deadSocketAfterMs + this.between(500, 2_000);
        this.standing('pings', kind, ms, { answerPings: false }, { answerPings: true });
        return;
      }
      case 'acks-ignored': {
        const ms = this.between(Math.round(this.timing.ackTimeoutMs * 1.2), this.timing.ackTimeoutMs * 3);
        this.standing('acks', kind, ms, { ignoreAcks: true }, { ignoreAcks: false });
        return;
      }
      case 'gateway-refuse':
      case 'gateway-error':
      case 'gateway-delay': {
        const mode = kind === 'gateway-refuse' ? 'refuse' : kind === 'gateway-error' ? 'error' : 'delay';
        const ms = this.between(1_500, 4_000);
        // The gateway only matters to a client that reconnects: drop the socket as the gateway goes bad.
        const applied = this.standing('gateway', kind, ms, { gateway: mode, gatewayDelayMs: 4_000 }, { gateway: 'ok' });
        if (applied) sim.killConnections();
        return;
      }
      case 'openapi-429': {
        const times = this.between(1, 2);
        sim.failNext({ path: SEND_PATH, status: 429, code: 'Throttling', message: 'simulated 429', headers: { 'Retry-After': '1' }, times });
        return this.note({ kind, at, detail: `${times}x ${SEND_PATH}` });
      }
      case 'openapi-403-throttle': {
        const times = this.between(1, 2);
        sim.failNext({ path: SEND_PATH, status: 403, code: 'Forbidden.AccessDenied.QpsLimitForApi', message: 'simulated QPS limit', times });
        return this.note({ kind, at, detail: `${times}x ${SEND_PATH}` });
      }
      case 'openapi-500': {
        // A send answered 500 is not resent (DingTalk may have delivered it), so each one ends in a reported error.
        const times = this.between(1, 4);
        sim.failNext({ path: SEND_PATH, status: 500, code: 'ServiceUnavailable', message: 'simulated 500', times });
        return this.note({ kind, at, detail: `${times}x ${SEND_PATH}` });
      }
      case 'webhook-429': {
        const times = this.between(1, 2);
        sim.failNext({ path: WEBHOOK_PATH, status: 429, code: '130101', message: 'send too fast', headers: { 'Retry-After': '1' }, times });
        return this.note({ kind, at, detail: `${times}x ${WEBHOOK_PATH}` });
      }
      case 'webhook-500': {
        const times = this.between(1, 4);
        sim.failNext({ path: WEBHOOK_PATH, status: 500, message: 'simulated 500', times });
        return this.note({ kind, at, detail: `${times}x ${WEBHOOK_PATH}` });
      }
      case 'webhook-outage': {
        // Longer than the retries of one reply can bridge: some replies must end in the Catch node.
        const times = this.between(15, 30);
        sim.failNext({ path: WEBHOOK_PATH, status: 503, message: 'simulated outage', times });
        return this.note({ kind, at, detail: `${times}x ${WEBHOOK_PATH}` });
      }
      case 'token-500':
        sim.expireTokens();
        sim.failNext({ path: TOKEN_PATH, status: 500, code: 'ServiceUnavailable', message: 'simulated token outage', times: 1 });
        return this.note({ kind, at });
      case 'tokens-expired':
        sim.expireTokens();
        return this.note({ kind, at });
    }
  }

  /** Applies a standing fault unless one of its family is already on; ends it after `ms`. */
  private standing(family: Standing, kind: FaultKind, ms: number, on: Partial<FaultSettings>, off: Partial<FaultSettings>): boolean {
    if (this.active.has(family)) return false;
    this.active.add(family);
    this.sim.setFaults(on);
    this.note({ kind, at: Date.now(), durationMs: ms });
    const end = setTimeout(() => {
      this.endTimers.delete(end);
      this.active.delete(family);
      if (this.running) this.sim.setFaults(off);
    }, ms);
    this.endTimers.add(end);
    return true;
  }

  private note(fault: InjectedFault): void {
    this.injected.push(fault);
  }
}
