/**
 * The soak's accounting: what was pushed, what the flow saw, how each robot message and card click ended, and what
 * DingTalk (the simulator) received. `verdict()` turns it into the numbers and failures of the report.
 */
import type { DingTalkSimulator } from '../../../src/simulator';
import type { ProbeKind } from './protocol';
import type { PushedItem, PushKind } from './traffic';

export interface Verdict {
  pushed: Record<PushKind, number>;
  deliveredToFlow: Record<PushKind, number>;
  lost: string[];
  duplicated: string[];
  unacked: string[];
  replies: { viaWebhook: number; viaOpenApi: number; cardAnswers: number; reportedErrors: number };
  /** Robot messages / card clicks the flow took but that neither arrived at DingTalk nor ended in a Catch node. */
  vanished: string[];
  /** A reply the flow reported as sent that DingTalk did not receive exactly once. */
  replyMismatches: string[];
  caughtErrors: Record<string, number>;
}

const SEEN_KINDS: ReadonlySet<ProbeKind> = new Set(['robot', 'event', 'card']);

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

export class Ledger {
  /** Per kind, how many times the flow saw each key. */
  private readonly seen: Record<PushKind, Map<string, number>> = { robot: new Map(), event: new Map(), card: new Map() };
  private readonly outcomes = new Map<string, number>();
  private readonly caught = new Map<string, number>();
  private readonly caughtMessages = new Map<string, number>();
  private readonly replied = new Map<string, number>();
  private readonly sent = new Map<string, number>();
  private readonly answered = new Map<string, number>();

  onProbe(kind: ProbeKind, key: string, json: string): void {
    if (SEEN_KINDS.has(kind)) return bump(this.seen[kind as PushKind], key);
    if (kind === 'replied') {
      bump(this.replied, key);
      bump(this.outcomes, key);
    } else if (kind === 'sent') {
      bump(this.sent, key);
      bump(this.outcomes, key);
    } else if (kind === 'card-answered') {
      bump(this.answered, key);
      bump(this.outcomes, key);
    } else if (kind === 'caught') {
      bump(this.caught, key);
      bump(this.outcomes, key);
      bump(this.caughtMessages, errorMessageOf(json));
    }
  }

  seenCount(kind: PushKind, key: string): number {
    return this.seen[kind].get(key) ?? 0;
  }

  /** Everything pushed has been acked, seen, and (robot/card) has an outcome. */
  settled(pushed: readonly PushedItem[]): boolean {
    return pushed.every(
      (p) => p.ackedAt !== undefined && this.seenCount(p.kind, p.key) > 0 && (p.kind === 'event' || (this.outcomes.get(p.key) ?? 0) > 0),
    );
  }

  verdict(pushed: readonly PushedItem[], sim: DingTalkSimulator): Verdict {
    const count = (kind: PushKind) => pushed.filter((p) => p.kind === kind).length;
    const delivered = (kind: PushKind) => [...this.seen[kind].values()].reduce((a, b) => a + b, 0);
    const lost: string[] = [];
    const duplicated: string[] = [];
    const vanished: string[] = [];
    const replyMismatches: string[] = [];
    const arrivals = arrivalsAtDingTalk(sim);
    for (const p of pushed) {
      const n = this.seenCount(p.kind, p.key);
      if (n === 0) lost.push(`${p.kind} ${p.key}`);
      if (n > 1) duplicated.push(`${p.kind} ${p.key} x${n}`);
      if (n === 0 || p.kind === 'event') continue;
      const outcomes = this.outcomes.get(p.key) ?? 0;
      if (outcomes === 0) vanished.push(`${p.kind} ${p.key}: no reply and no reported error`);
      if (p.kind === 'robot') {
        const marker = p.route === 'send' ? `sent for ${p.key}` : `reply to ${p.key}`;
        const flowSaidSent = (p.route === 'send' ? this.sent : this.replied).get(p.key) ?? 0;
        const atDingTalk = arrivals.get(marker) ?? 0;
        if (flowSaidSent > 0 && atDingTalk !== 1) replyMismatches.push(`${marker}: flow reported it sent, DingTalk received it ${atDingTalk}x`);
        if (flowSaidSent === 0 && atDingTalk > 0 && (this.caught.get(p.key) ?? 0) === 0) {
          replyMismatches.push(`${marker}: DingTalk received it ${atDingTalk}x but the flow never heard back`);
        }
      }
    }
    return {
      pushed: { robot: count('robot'), event: count('event'), card: count('card') },
      deliveredToFlow: { robot: delivered('robot'), event: delivered('event'), card: delivered('card') },
      lost,
      duplicated,
      unacked: pushed.filter((p) => p.ackedAt === undefined).map((p) => `${p.kind} ${p.key}`),
      replies: {
        viaWebhook: sum(this.replied),
        viaOpenApi: sum(this.sent),
        cardAnswers: sum(this.answered),
        reportedErrors: sum(this.caught),
      },
      vanished,
      replyMismatches,
      caughtErrors: Object.fromEntries(this.caughtMessages),
    };
  }
}

function sum(map: Map<string, number>): number {
  return [...map.values()].reduce((a, b) => a + b, 0);
}

/** How often each reply text reached the simulator (webhook replies and OpenAPI sends). */
function arrivalsAtDingTalk(sim: DingTalkSimulator): Map<string, number> {
  const out = new Map<string, number>();
  for (const record of sim.sent) {
    const text = JSON.stringify(record.body);
    const match = /(reply to|sent for) ([^"\\]+)/.exec(text);
    if (match) bump(out, `${match[1]} ${match[2]}`);
  }
  return out;
}

function errorMessageOf(json: string): string {
  try {
    const msg = JSON.parse(json) as { error?: { message?: string; source?: { type?: string } } };
    const text = msg.error?.message ?? '(no message)';
    // Group by what went wrong, not by which message it was.
    return `${msg.error?.source?.type ?? '?'}: ${text.replace(/[0-9a-f]{8,}|#\d+|\d{3,}ms|\d+ ms/gi, '…').slice(0, 160)}`;
  } catch {
    return '(unreadable)';
  }
}
