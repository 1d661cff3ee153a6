/**
 * Steady load from "DingTalk": robot messages (most answered through the session webhook, some through the OpenAPI),
 * events and card clicks, at a fixed rate, each with a key the flow reports back (msgId, eventId, outTrackId).
 */
import type { DingTalkSimulator } from '../../../src/simulator';

export type PushKind = 'robot' | 'event' | 'card';

export interface PushedItem {
  kind: PushKind;
  key: string;
  /** Robot messages: answered through `reply` (session webhook) or `send` (OpenAPI). */
  route?: 'reply' | 'send';
  pushId: string;
  at: number;
  ackedAt?: number;
}

/** One cycle of the mix; the traffic walks it round and round. */
const MIX: ReadonlyArray<{ kind: PushKind; route?: 'reply' | 'send' }> = [
  { kind: 'robot', route: 'reply' },
  { kind: 'event' },
  { kind: 'robot', route: 'reply' },
  { kind: 'card' },
  { kind: 'robot', route: 'send' },
  { kind: 'event' },
  { kind: 'robot', route: 'reply' },
  { kind: 'card' },
];

export class Traffic {
  readonly pushed: PushedItem[] = [];
  private timer: NodeJS.Timeout | undefined;
  private n = 0;

  constructor(
    private readonly sim: DingTalkSimulator,
    private readonly perSecond: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.pushOne(), Math.max(1, Math.round(1000 / this.perSecond)));
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  get unacked(): PushedItem[] {
    return this.pushed.filter((p) => p.ackedAt === undefined);
  }

  private pushOne(): void {
    const n = ++this.n;
    const { kind, route } = MIX[n % MIX.length]!;
    let item: PushedItem;
    let acked: Promise<unknown>;
    if (kind === 'robot') {
      const handle = this.sim.robotMessage({ text: `${route === 'send' ? 'send' : 'hello'} #${n}`, conversationType: n % 2 ? '1' : '2' });
      item = { kind, key: (handle.data as { msgId: string }).msgId, route, pushId: handle.pushId, at: Date.now() };
      acked = handle.acked;
    } else if (kind === 'event') {
      const key = `soak-event-${n}`;
      const handle = this.sim.event('soak_tick', { n, note: 'soak' }, { eventId: key });
      item = { kind, key, pushId: handle.pushId, at: Date.now() };
      acked = handle.acked;
    } else {
      const key = `soak-card-${n}`;
      const handle = this.sim.cardCallback({ outTrackId: key, actionIds: ['approve'], params: { n } });
      item = { kind, key, pushId: handle.pushId, at: Date.now() };
      acked = handle.acked;
    }
    this.pushed.push(item);
    void acked.then(() => {
      item.ackedAt = Date.now();
    });
  }
}
