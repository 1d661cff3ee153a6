/**
 * `node dist/bench/micro-router.js [other dist/src dir] [rounds]`: FrameRouter.handle over pre-built robot-message
 * frames (the flood's shapes, from the simulator's own robotMessage()), no sockets. Reports µs per frame and bytes
 * allocated per frame (GC statistics), median over rounds.
 *
 * With a second `dist/src` directory (e.g. a copy of an older build) both routers run in the same process,
 * interleaved, alternating which goes first: an A/B that the shared machine's noise hits evenly.
 */
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import * as v8 from 'node:v8';
import { DingTalkSimulator } from '../src/simulator';

const SAMPLE_TEXT =
  '请帮我查一下上周华东区的销售报表，把订单号 SO-2026-118734 的明细单独列出来。Please also add the Q3 numbers and ping 李雷 when done. ';

interface RouterLike {
  onRobotMessage(fn: (push: { data: { msgId: string } }) => unknown): unknown;
  handle(target: { send(text: string): boolean; pendingAcks: number }, text: string): void;
}
type RouterCtor = new (options: unknown, host: unknown) => RouterLike;

async function buildFrames(n: number): Promise<string[]> {
  const probe = new DingTalkSimulator();
  await probe.start();
  const templates: Array<{ frame: Record<string, unknown>; data: Record<string, unknown> }> = [];
  try {
    for (let i = 0; i < 32; i++) {
      const handle = probe.robotMessage({
        text: SAMPLE_TEXT.repeat(2),
        conversationType: i % 4 === 0 ? '1' : '2',
        senderNick: `用户${i}`,
        senderStaffId: `0${16650000698 + i}`,
      });
      templates.push({ frame: handle.frame as unknown as Record<string, unknown>, data: handle.data as Record<string, unknown> });
    }
  } finally {
    await probe.stop();
  }
  const frames: string[] = [];
  const connectionId = randomBytes(16).toString('hex');
  for (let i = 0; i < n; i++) {
    const t = templates[i % templates.length]!;
    const now = Date.now();
    const data = { ...t.data, msgId: `msg${randomBytes(18).toString('base64')}`, createAt: now };
    const headers = { ...(t.frame['headers'] as Record<string, unknown>), connectionId, messageId: `m_${now.toString(16)}_${i}`, time: String(now) };
    frames.push(JSON.stringify({ ...t.frame, headers, data: JSON.stringify(data) }));
  }
  return frames;
}

function loadRouter(dir: string): RouterCtor {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(path.resolve(dir, 'stream/router.js')) as { FrameRouter: RouterCtor }).FrameRouter;
}

function runOnce(Router: RouterCtor, frames: string[]): { usPerFrame: number; bytesPerFrame: number } {
  const stats = { framesIn: 0, acksOut: 0, duplicatesDropped: 0, malformedFrames: 0, reconnects: 0, lastPingAt: undefined, connectedAt: undefined };
  const clock = { now: () => Date.now(), setTimeout, clearTimeout };
  const router = new Router(
    { clock, callbackDeadlineMs: 5000, dedupeTtlMs: 600_000, dedupeMaxEntries: 10_000 },
    { stats, warn: () => undefined, onServerDisconnect: () => undefined, onAcksSettled: () => undefined },
  );
  let count = 0;
  let ackBytes = 0;
  router.onRobotMessage(() => {
    count += 1;
  });
  const target = {
    // Routers before the per-socket count in FrameRouter kept it on the target; still here for A/B runs against them.
    pendingAcks: 0,
    send(text: string): boolean {
      ackBytes += text.length;
      return true;
    },
  };
  const profiler = new v8.GCProfiler();
  const usedBefore = v8.getHeapStatistics().used_heap_size;
  profiler.start();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < frames.length; i++) router.handle(target, frames[i]!);
  const t1 = process.hrtime.bigint();
  const usedAfter = v8.getHeapStatistics().used_heap_size;
  const gc = profiler.stop();
  let allocated = 0;
  let last = usedBefore;
  for (const s of gc?.statistics ?? []) {
    allocated += s.beforeGC.heapStatistics.usedHeapSize - last;
    last = s.afterGC.heapStatistics.usedHeapSize;
  }
  allocated += usedAfter - last;
  if (count !== frames.length || ackBytes === 0) throw new Error(`micro-router: ${count} of ${frames.length} frames delivered`);
  return { usPerFrame: Number(t1 - t0) / 1000 / frames.length, bytesPerFrame: allocated / frames.length };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const other = process.argv[2];
  const rounds = Number(process.argv[3] ?? 15);
  const n = Number(process.env['MICRO_N'] ?? 20_000);
  const frames = await buildFrames(n);
  const variants: Array<{ name: string; Router: RouterCtor; us: number[]; bytes: number[] }> = [
    { name: 'current', Router: loadRouter(path.join(__dirname, '../src')), us: [], bytes: [] },
  ];
  if (other) variants.push({ name: `other (${other})`, Router: loadRouter(other), us: [], bytes: [] });
  // Warm-up: let every variant reach optimised code before timing.
  for (const v of variants) runOnce(v.Router, frames.slice(0, 5000));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) {
      const res = runOnce(v.Router, frames);
      v.us.push(res.usPerFrame);
      v.bytes.push(res.bytesPerFrame);
    }
  }
  console.log(`frame ~${Buffer.byteLength(frames[0]!)} bytes, ${n} frames x ${rounds} rounds`);
  for (const v of variants) {
    console.log(`${v.name.padEnd(40)} median ${median(v.us).toFixed(2)} µs/frame  ${Math.round(median(v.bytes))} B/frame allocated`);
  }
  if (variants.length === 2) {
    const a = variants[0]!;
    const b = variants[1]!;
    const wins = a.us.filter((x, i) => x < b.us[i]!).length;
    console.log(`current / other: ${(median(a.us) / median(b.us)).toFixed(3)} (current faster in ${wins}/${rounds} rounds)`);
  }
}

void main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
