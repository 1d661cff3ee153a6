import { z } from 'zod';
import type { Clock } from '../util/runtime';

/**
 * Which Node-RED instances run an app, seen through the shared Redis (issue 12, ADR 0016): each instance writes a
 * heartbeat with a TTL saying what it subscribes to, and reads the others'. DingTalk gives every connection of the app
 * its share of every topic, so an instance that subscribes to less than the others silently takes messages that the
 * others would handle and it does not: the difference is worth a warning on every instance.
 */

export interface InstanceBoard {
  announce(value: string, ttlMs: number): Promise<void>;
  announced(): Promise<string[]>;
}

const InstanceSchema = z.object({
  id: z.string(),
  host: z.string(),
  pid: z.number(),
  subscriptions: z.array(z.string()),
  at: z.number(),
});
export type InstanceInfo = z.infer<typeof InstanceSchema>;

export interface InstanceDifference {
  /** `host` (pid) of the other instance. */
  other: string;
  /** What it subscribes to and this one does not. */
  onlyThere: string[];
  /** What this one subscribes to and it does not. */
  onlyHere: string[];
}

export interface InstancesView {
  /** Live instances, this one included. */
  count: number;
  differences: InstanceDifference[];
}

/** Compares this instance's subscriptions with every other live instance's. */
export function compareInstances(self: InstanceInfo, all: InstanceInfo[]): InstancesView {
  const others = all.filter((i) => i.id !== self.id);
  const mine = new Set(self.subscriptions);
  const differences: InstanceDifference[] = [];
  for (const other of others) {
    const theirs = new Set(other.subscriptions);
    const onlyThere = [...theirs].filter((s) => !mine.has(s)).sort();
    const onlyHere = [...mine].filter((s) => !theirs.has(s)).sort();
    if (onlyThere.length > 0 || onlyHere.length > 0) differences.push({ other: `${other.host} (pid ${other.pid})`, onlyThere, onlyHere });
  }
  return { count: others.length + 1, differences };
}

/** One line naming each difference, for the log. */
export function describeDifferences(view: InstancesView): string {
  return view.differences
    .map((d) => {
      const parts: string[] = [];
      if (d.onlyThere.length > 0) parts.push(`it subscribes to ${d.onlyThere.join(', ')} and this one does not`);
      if (d.onlyHere.length > 0) parts.push(`this one subscribes to ${d.onlyHere.join(', ')} and it does not`);
      return `${d.other}: ${parts.join('; ')}`;
    })
    .join(' / ');
}

function parse(text: string): InstanceInfo | undefined {
  try {
    const parsed = InstanceSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export interface InstanceRegistryOptions {
  board: InstanceBoard;
  self: Omit<InstanceInfo, 'subscriptions' | 'at'>;
  subscriptions: () => string[];
  clock: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>;
  /** Heartbeat period; the heartbeat lives 3 periods, so one lost beat does not make an instance vanish. */
  everyMs: number;
  /** Called when the count or the differences change. */
  onChange(view: InstancesView): void;
}

/** This instance's heartbeat and view of the others. Never throws: a Redis failure only skips a beat. */
export class InstanceRegistry {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastKey = '';
  view: InstancesView | undefined;

  constructor(private readonly options: InstanceRegistryOptions) {}

  start(): void {
    void this.beat();
  }

  /** Beats now (e.g. after the subscriptions changed), then on the period. */
  async beat(): Promise<void> {
    const { options } = this;
    if (this.stopped) return;
    options.clock.clearTimeout(this.timer);
    const self: InstanceInfo = { ...options.self, subscriptions: [...options.subscriptions()].sort(), at: options.clock.now() };
    try {
      await options.board.announce(JSON.stringify(self), options.everyMs * 3);
      const all = (await options.board.announced()).map(parse).filter((i): i is InstanceInfo => i !== undefined);
      const view = compareInstances(self, all);
      const key = JSON.stringify(view);
      if (key !== this.lastKey && !this.stopped) {
        this.lastKey = key;
        this.view = view;
        options.onChange(view);
      }
    } catch {
      // Redis away: the claim gate already says so; the last view stays until a beat succeeds.
    }
    if (!this.stopped) this.timer = options.clock.setTimeout(() => void this.beat(), options.everyMs);
  }

  stop(): void {
    this.stopped = true;
    this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
