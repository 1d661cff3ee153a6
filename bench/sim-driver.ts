/**
 * Child process: one DingTalkSimulator and the push patterns the bench needs, driven over IPC by bench/run.js.
 * It lives in its own process so the client under test is measured alone. Everything timed here uses the
 * simulator's public API and events only; the simulator behaves the same whichever client is connected.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { DingTalkSimulator, type RecordedAck, type SentRecord, type SimulatorOptions, type StreamFrame } from '../src/simulator';
import { serve } from './ipc';
import { summarize, type LatencySummary } from './stats';

let sim: DingTalkSimulator | undefined;

function current(): DingTalkSimulator {
  if (!sim) throw new Error('sim-driver: start the simulator first');
  return sim;
}

function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** A chat line of realistic shape (mixed Chinese/English, an order number), repeated to reach the wanted length. */
const SAMPLE_TEXT =
  '请帮我查一下上周华东区的销售报表，把订单号 SO-2026-118734 的明细单独列出来。Please also add the Q3 numbers and ping 李雷 when done. ';

function textOfBytes(bytes: number): string {
  let text = '';
  while (Buffer.byteLength(text) < bytes) text += SAMPLE_TEXT;
  // Trim by characters until the UTF-8 length fits.
  while (Buffer.byteLength(text) > bytes) text = text.slice(0, -1);
  return text;
}

export interface StartArgs {
  options: SimulatorOptions;
}

export interface FloodArgs {
  n: number;
  window: number;
  text: string;
  timeoutMs?: number;
}

export interface FloodResult {
  n: number;
  pushed: number;
  /** Pushes with at least one valid ack. */
  acked: number;
  /** Pushes with exactly one valid ack. */
  ackedOnce: number;
  duplicateAcks: number;
  invalidAcks: number;
  elapsedMs: number;
  framesPerSec: number;
  latencyMs: LatencySummary;
  frameBytes: number;
  simCpuMs: number;
}

export interface RateArgs {
  /** Open loop: pushes per second. */
  ratePerSec?: number;
  /** Closed loop (saturation): at most this many messages without a reply. */
  window?: number;
  durationMs: number;
  text: string;
  /** After the push period, how long to wait for the last replies. */
  drainWaitMs: number;
}

export interface RateResult {
  pushed: number;
  replied: number;
  missing: number;
  duplicateReplies: number;
  pushRatePerSec: number;
  repliesPerSec: number;
  latencyMs: LatencySummary;
  simCpuMs: number;
}

export interface ChurnArgs {
  ratePerSec: number;
  durationMs: number;
  everyMs: number;
  mode: 'disconnect' | 'kill';
  text: string;
  /** After the push period, wait at most this long for every push to be acked (re-pushes included). */
  settleTimeoutMs: number;
}

export interface ChurnResult {
  pushed: number;
  disruptions: number;
  /** Time with no open socket at all for the app. */
  noSocketMs: number;
  /** Time with no socket the simulator would push on (open and not draining after a disconnect notice). */
  noPushableMs: number;
  /** Pushes whose first valid ack came more than 1 s after the push (or never). */
  delayedOver1s: number;
  unacked: number;
  latencyMs: LatencySummary;
  /** msgId of every push, for the runner to compare with what the client's handler saw. */
  msgIds: string[];
  connectionsOpened: number;
}

/** Starts pushing when `begin` is called; calls `onAck(pushId, latencyMs)` on the first valid ack of each push. */
function ackWatcher(s: DingTalkSimulator) {
  const firstAck = new Map<string, number>();
  const ackCount = new Map<string, number>();
  let duplicateAcks = 0;
  let invalidAcks = 0;
  return {
    firstAck,
    ackCount,
    get duplicateAcks() {
      return duplicateAcks;
    },
    get invalidAcks() {
      return invalidAcks;
    },
    listen(onFirst: (ack: RecordedAck, at: number) => void): () => void {
      const listener = (ack: RecordedAck): void => {
        if (ack.kind !== 'push' || !ack.pushId) return;
        if (!ack.valid) {
          invalidAcks += 1;
          return;
        }
        const at = performance.now();
        ackCount.set(ack.pushId, (ackCount.get(ack.pushId) ?? 0) + 1);
        if (firstAck.has(ack.pushId)) {
          duplicateAcks += 1;
          return;
        }
        firstAck.set(ack.pushId, at);
        onFirst(ack, at);
      };
      s.on('ack', listener);
      return () => s.off('ack', listener);
    },
  };
}

/**
 * Robot-message frames for a flood, built before the clock starts so the simulator's per-push cost (building the
 * message, opening a session, recording) does not cap the rate. Shapes come from the simulator's own robotMessage()
 * on a throw-away instance (realistic fields); each frame gets a unique messageId and msgId.
 */
async function buildFloodFrames(n: number, text: string, connectionId: string): Promise<{ frames: string[]; messageIds: string[] }> {
  const probe = new DingTalkSimulator();
  await probe.start();
  const templates: Array<{ frame: StreamFrame; data: Record<string, unknown> }> = [];
  try {
    for (let i = 0; i < 32; i++) {
      const handle = probe.robotMessage({
        text,
        conversationType: i % 4 === 0 ? '1' : '2',
        senderNick: `用户${i}`,
        senderStaffId: `0${16650000698 + i}`,
      });
      templates.push({ frame: handle.frame, data: handle.data as Record<string, unknown> });
    }
  } finally {
    await probe.stop();
  }
  const frames = new Array<string>(n);
  const messageIds = new Array<string>(n);
  const prefix = `${randomBytes(4).toString('hex')}_${process.pid.toString(16)}`;
  for (let i = 0; i < n; i++) {
    const template = templates[i % templates.length]!;
    const now = Date.now();
    const messageId = `${prefix}_${now.toString(16)}_${i.toString(16)}`;
    const data = { ...template.data, msgId: `msg${randomBytes(18).toString('base64')}`, createAt: now };
    const frame: StreamFrame = {
      ...template.frame,
      headers: { ...template.frame.headers, connectionId, messageId, time: String(now) },
      data: JSON.stringify(data),
    };
    frames[i] = JSON.stringify(frame);
    messageIds[i] = messageId;
  }
  return { frames, messageIds };
}

/** Is this a well-formed ack (docs/protocol.md §3.1) for a frame we sent? */
function ackCode(ack: unknown): number | undefined {
  if (typeof ack !== 'object' || ack === null) return undefined;
  const { code, data } = ack as { code?: unknown; data?: unknown };
  return typeof code === 'number' && typeof data === 'string' ? code : undefined;
}

/**
 * Bulk push with a window: N pre-built robot-message frames to the one open connection, at most `window` un-acked.
 * Frames go out through the simulator's pushRaw (its socket, its ack parsing); acks are matched here by messageId and
 * connection, since the simulator only tracks pushes it built itself.
 */
async function flood(args: FloodArgs): Promise<FloodResult> {
  const s = current();
  const conn = s.openConnections.find((c) => !c.draining);
  if (!conn) throw new Error('flood: no open connection');
  const { frames, messageIds } = await buildFloodFrames(args.n, args.text, conn.id);
  const index = new Map<string, number>();
  for (const [i, id] of messageIds.entries()) index.set(id, i);
  const sentAt = new Float64Array(args.n);
  const ackCount = new Uint8Array(args.n);
  const latencies = new Float64Array(args.n);
  let pushed = 0;
  let acked = 0;
  let invalidAcks = 0;
  let duplicateAcks = 0;
  const pushOne = (): void => {
    const i = pushed++;
    if (s.pushRaw(frames[i]!, { connectionId: conn.id }) === undefined) throw new Error('flood: the connection closed');
    sentAt[i] = performance.now();
  };
  const cpu0 = cpuMs();
  const t0 = performance.now();
  let lastProgress = t0;
  await new Promise<void>((resolve, reject) => {
    const onAck = (record: RecordedAck): void => {
      const i = index.get(record.messageId);
      if (i === undefined) return; // ping replies and the like
      const at = performance.now();
      if (record.connectionId !== conn.id || ackCode(record.ack) !== 200) {
        invalidAcks += 1;
        return;
      }
      ackCount[i] = Math.min(255, ackCount[i]! + 1);
      if (ackCount[i]! > 1) {
        duplicateAcks += 1;
        return;
      }
      latencies[acked] = at - sentAt[i]!;
      acked += 1;
      lastProgress = at;
      if (acked >= args.n) {
        finish();
        resolve();
        return;
      }
      if (pushed < args.n) {
        try {
          pushOne();
        } catch (err) {
          finish();
          reject(err as Error);
        }
      }
    };
    const stall = setInterval(() => {
      if (performance.now() - lastProgress > (args.timeoutMs ?? 30_000)) {
        finish();
        reject(new Error(`flood stalled: ${acked} of ${args.n} acked, ${pushed} pushed`));
      }
    }, 1000);
    const finish = (): void => {
      clearInterval(stall);
      s.off('ack', onAck);
    };
    s.on('ack', onAck);
    const initial = Math.min(args.window, args.n);
    for (let i = 0; i < initial; i++) pushOne();
  });
  const elapsedMs = performance.now() - t0;
  let ackedOnce = 0;
  for (const count of ackCount) if (count === 1) ackedOnce += 1;
  // The simulator keeps every ack it receives; drop them so a long flood does not grow its heap without bound.
  s.acks.length = 0;
  return {
    n: args.n,
    pushed,
    acked,
    ackedOnce,
    duplicateAcks,
    invalidAcks,
    elapsedMs,
    framesPerSec: (acked / elapsedMs) * 1000,
    latencyMs: summarize(latencies.subarray(0, acked)),
    frameBytes: Buffer.byteLength(frames[0] ?? ''),
    simCpuMs: cpuMs() - cpu0,
  };
}

/** Pushes robot messages and times each one until the flow's reply reaches the session webhook. */
async function rate(args: RateArgs): Promise<RateResult> {
  const s = current();
  const pushedAt = new Map<string, number>(); // conversationId -> push time
  const replies = new Map<string, number>();
  const latencies: number[] = [];
  let pushed = 0;
  let replied = 0;
  let duplicateReplies = 0;
  let lastReplyAt = 0;
  const cpu0 = cpuMs();
  const t0 = performance.now();
  const pushing = { on: true };
  const pushOne = (): void => {
    pushed += 1;
    const handle = s.robotMessage({ text: args.text, conversationType: '2' });
    pushedAt.set(String((handle.data as { conversationId: string }).conversationId), performance.now());
  };
  const onSent = (record: SentRecord): void => {
    if (record.kind !== 'webhook' || !record.conversationId) return;
    const now = performance.now();
    const start = pushedAt.get(record.conversationId);
    if (start === undefined) return;
    const seen = replies.get(record.conversationId) ?? 0;
    replies.set(record.conversationId, seen + 1);
    if (seen > 0) {
      duplicateReplies += 1;
      return;
    }
    replied += 1;
    lastReplyAt = now;
    latencies.push(now - start);
    if (args.window !== undefined && pushing.on) pushOne();
  };
  s.on('sent', onSent);
  let ticker: NodeJS.Timeout | undefined;
  if (args.window !== undefined) {
    for (let i = 0; i < args.window; i++) pushOne();
  } else {
    const perSec = args.ratePerSec ?? 100;
    ticker = setInterval(() => {
      const due = Math.floor(((performance.now() - t0) / 1000) * perSec);
      while (pushed < due) pushOne();
    }, 1);
  }
  await new Promise((resolve) => setTimeout(resolve, args.durationMs));
  pushing.on = false;
  if (ticker) clearInterval(ticker);
  const pushEnd = performance.now();
  const deadline = pushEnd + args.drainWaitMs;
  while (replied < pushed && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  s.off('sent', onSent);
  // Closed loop: count what completed within the push period only, as the window keeps refilling until then.
  const elapsed = args.window !== undefined ? pushEnd - t0 : Math.max(lastReplyAt, pushEnd) - t0;
  const repliedInPeriod = args.window !== undefined ? latencies.filter((_, i) => i < replied).length : replied;
  return {
    pushed,
    replied,
    missing: pushed - replied,
    duplicateReplies,
    pushRatePerSec: (pushed / (pushEnd - t0)) * 1000,
    repliesPerSec: (repliedInPeriod / elapsed) * 1000,
    latencyMs: summarize(latencies),
    simCpuMs: cpuMs() - cpu0,
  };
}

/** Pushes at a steady rate while telling the client to go away (disconnect) or dropping its socket (kill). */
async function churn(args: ChurnArgs): Promise<ChurnResult> {
  const s = current();
  const clientId = s.apps[0]!.clientId;
  const pushedAt = new Map<string, number>(); // pushId -> push time
  const msgIds: string[] = [];
  const watcher = ackWatcher(s);
  const latencies: number[] = [];
  const stopListening = watcher.listen((ack, at) => {
    const start = pushedAt.get(ack.pushId ?? '');
    if (start !== undefined) latencies.push(at - start);
  });
  const connectionsBefore = s.connections.length;

  // Socket timeline: integrate the time with zero open / zero pushable sockets.
  let noSocketMs = 0;
  let noPushableMs = 0;
  let lastAt = performance.now();
  let lastOpen = 1;
  let lastPushable = 1;
  const sample = (): void => {
    const now = performance.now();
    if (lastOpen === 0) noSocketMs += now - lastAt;
    if (lastPushable === 0) noPushableMs += now - lastAt;
    const open = s.connections.filter((c) => c.open && c.clientId === clientId);
    lastOpen = open.length;
    lastPushable = open.filter((c) => !c.draining).length;
    lastAt = now;
  };
  sample();
  const onConn = (): void => sample();
  s.on('connection', onConn);
  s.on('connection-closed', onConn);

  const t0 = performance.now();
  let pushed = 0;
  let disruptions = 0;
  const pushOne = (): void => {
    pushed += 1;
    const handle = s.robotMessage({ text: args.text, conversationType: '2' });
    pushedAt.set(handle.pushId, performance.now());
    msgIds.push(String((handle.data as { msgId: string }).msgId));
  };
  const ticker = setInterval(() => {
    const due = Math.floor(((performance.now() - t0) / 1000) * args.ratePerSec);
    while (pushed < due) pushOne();
  }, 1);
  const disruptor = setInterval(() => {
    disruptions += 1;
    if (args.mode === 'disconnect') s.disconnect();
    else s.killConnections();
    sample();
  }, args.everyMs);
  await new Promise((resolve) => setTimeout(resolve, args.durationMs));
  clearInterval(ticker);
  clearInterval(disruptor);
  const deadline = performance.now() + args.settleTimeoutMs;
  while (watcher.firstAck.size < pushed && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  sample();
  s.off('connection', onConn);
  s.off('connection-closed', onConn);
  stopListening();
  let delayedOver1s = 0;
  for (const [pushId, at] of pushedAt) {
    const ackAt = watcher.firstAck.get(pushId);
    if (ackAt === undefined || ackAt - at > 1000) delayedOver1s += 1;
  }
  return {
    pushed,
    disruptions,
    noSocketMs,
    noPushableMs,
    delayedOver1s,
    unacked: pushed - watcher.firstAck.size,
    latencyMs: summarize(latencies),
    msgIds,
    connectionsOpened: s.connections.length - connectionsBefore,
  };
}

serve({
  start: async ({ options }: StartArgs) => {
    sim = new DingTalkSimulator(options);
    await sim.start();
    return { apiBase: sim.apiBase, apps: sim.apps };
  },
  /** Text that makes a robot-message frame about `frameBytes` long (on a throw-away simulator). */
  text: async ({ frameBytes }: { frameBytes: number }) => {
    const probe = new DingTalkSimulator();
    await probe.start();
    try {
      const bare = probe.robotMessage({ text: '', conversationType: '2' });
      // The frame on the wire also carries the connection id (a UUID) that a queued push does not have yet.
      const overhead = Buffer.byteLength(JSON.stringify(bare.frame)) + 36;
      // At least one realistic sentence, even where the other fields already make the frame ~1 KB.
      let text = textOfBytes(Math.max(Buffer.byteLength(SAMPLE_TEXT), frameBytes - overhead));
      let size = 0;
      // Ids vary a little in length; two corrections get within a few bytes.
      for (let i = 0; i < 3; i++) {
        size = Buffer.byteLength(JSON.stringify(probe.robotMessage({ text, conversationType: '2' }).frame)) + 36;
        text = textOfBytes(Math.max(Buffer.byteLength(SAMPLE_TEXT), Buffer.byteLength(text) + frameBytes - size));
      }
      return { text, frameBytes: size };
    } finally {
      await probe.stop();
    }
  },
  /** Resolves once `count` sockets of the app are open and not draining. */
  waitOpen: ({ count, clientId, timeoutMs }: { count: number; clientId?: string; timeoutMs?: number }) =>
    current()
      .waitFor(
        () => current().connections.filter((c) => c.open && !c.draining && (!clientId || c.clientId === clientId)).length >= count,
        timeoutMs ?? 30_000,
        `${count} open connection(s)`,
      )
      .then(() => current().openConnections.length),
  flood,
  rate,
  churn,
  stop: async () => {
    await sim?.stop();
    sim = undefined;
  },
});
