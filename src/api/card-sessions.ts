import { systemClock, type Clock } from '../util/runtime';
import { CardStreamer, type CardStreamerOptions } from './card-streamer';
import type { DingTalkError } from './errors';
import type { OpenApiClient } from './http';

/** One AI card a flow streams into: its streamer, and an update failure the flow has not been told about yet. */
export class CardSession {
  readonly streamer: CardStreamer;
  private failure: DingTalkError | undefined;

  constructor(api: OpenApiClient, options: Omit<CardStreamerOptions, 'onError'>) {
    this.streamer = new CardStreamer(api, {
      ...options,
      onError: (error) => {
        this.failure = error;
      },
    });
  }

  /** A failed intermediate update, once: the streamer carries on, and the flow hears of it on its next chunk. */
  takeFailure(): DingTalkError | undefined {
    const failure = this.failure;
    this.failure = undefined;
    return failure;
  }
}

export interface CardSessionsOptions {
  /** A session that gets no chunk for this long is ended, and `onIdle` finishes its card. */
  idleMs: number;
  onIdle(outTrackId: string, session: CardSession): void;
  /** Ended cards remembered, so a late chunk is refused instead of starting the card over with only that chunk. */
  endedMemory?: number;
  clock?: Clock;
}

interface Open {
  session: CardSession;
  idleTimer: NodeJS.Timeout | undefined;
}

/** The cards one dingtalk-card node is streaming into, by outTrackId, with their idle time. */
export class CardSessions {
  private readonly open = new Map<string, Open>();
  private readonly ended: string[] = [];
  private readonly clock: Clock;
  private readonly endedMemory: number;

  constructor(private readonly options: CardSessionsOptions) {
    this.clock = options.clock ?? systemClock;
    this.endedMemory = options.endedMemory ?? 500;
  }

  get size(): number {
    return this.open.size;
  }

  get(outTrackId: string): CardSession | undefined {
    return this.open.get(outTrackId)?.session;
  }

  /** True when a stream into this card has ended (finished, failed or idle): it cannot be streamed into again. */
  hasEnded(outTrackId: string): boolean {
    return this.ended.includes(outTrackId);
  }

  /** Opens a session; its idle time starts with the first `touch`. */
  start(outTrackId: string, api: OpenApiClient, options: Omit<CardStreamerOptions, 'outTrackId' | 'onError'>): CardSession {
    if (this.open.has(outTrackId) || this.hasEnded(outTrackId)) throw new Error(`CardSessions: card ${outTrackId} was already streamed into`);
    const session = new CardSession(api, { ...options, outTrackId });
    this.open.set(outTrackId, { session, idleTimer: undefined });
    return session;
  }

  /** A chunk arrived: the idle time starts again. */
  touch(outTrackId: string): void {
    const entry = this.open.get(outTrackId);
    if (!entry) return;
    this.clock.clearTimeout(entry.idleTimer);
    entry.idleTimer = this.clock.setTimeout(() => {
      if (this.open.get(outTrackId) !== entry) return;
      this.end(outTrackId);
      this.options.onIdle(outTrackId, entry.session);
    }, this.options.idleMs);
  }

  /** No more chunks for this card; the caller finishes or fails its streamer. */
  end(outTrackId: string): void {
    const entry = this.open.get(outTrackId);
    if (!entry) return;
    this.clock.clearTimeout(entry.idleTimer);
    this.open.delete(outTrackId);
    this.ended.push(outTrackId);
    if (this.ended.length > this.endedMemory) this.ended.shift();
  }

  /** Ends every open session (the node is closing) and hands them over to be finished. */
  endAll(): CardSession[] {
    const sessions = [...this.open.values()].map((entry) => entry.session);
    for (const id of [...this.open.keys()]) this.end(id);
    return sessions;
  }
}
