/**
 * `node dist/bench/claim-latency.js [url]`: what the shared Redis claim (ADR 0016) adds to each push, on the real
 * router. Robot-message frames go through FrameRouter.handle; the time measured is frame handed to the router ->
 * subscriber called, without claims and with a RedisClaimStore, one frame at a time (W = 1) and with 64 in flight.
 * Without a `url` it starts its own redis-server on a free port (Debian's `redis-server` must be installed).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { DingTalkSimulator } from '../src/simulator';
import { ClaimGate } from '../src/stream/claims';
import { RedisClaimStore } from '../src/stream/redis-claims';
import { FrameRouter } from '../src/stream/router';
import { systemClock } from '../src/util/runtime';
import { summarize } from './stats';

const N = Number(process.env['CLAIM_N'] ?? 5_000);

async function frames(n: number): Promise<string[]> {
  const sim = new DingTalkSimulator();
  await sim.start();
  try {
    const t = sim.robotMessage({ text: '请帮我查一下上周华东区的销售报表 and ping 李雷 when done.', conversationType: '2' });
    return Array.from({ length: n }, (_, i) => {
      const data = { ...(t.data as Record<string, unknown>), msgId: `msg${randomBytes(18).toString('base64')}` };
      return JSON.stringify({ ...t.frame, headers: { ...t.frame.headers, messageId: `m_${i}_${Date.now()}` }, data: JSON.stringify(data) });
    });
  } finally {
    await sim.stop();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function startRedis(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.once('error', reject);
    child.once('exit', () => reject(new Error(`redis-server exited: ${out}`)));
  });
  return { url: `redis://127.0.0.1:${port}`, child };
}

/** Latencies (ms) frame -> subscriber for `list`, at most `window` frames in flight. */
async function measure(list: string[], window: number, gate: ClaimGate | undefined): Promise<number[]> {
  const stats = { framesIn: 0, acksOut: 0, duplicatesDropped: 0, malformedFrames: 0, reconnects: 0, lastPingAt: undefined, connectedAt: undefined };
  const router = new FrameRouter(
    { clock: systemClock, callbackDeadlineMs: 1500, dedupeTtlMs: 300_000, dedupeMaxEntries: 100_000, claims: gate, claimLeaseMs: 30_000 },
    { stats, warn: () => undefined, onServerDisconnect: () => undefined, onAcksSettled: () => undefined },
  );
  const started = new Map<string, bigint>();
  const latencies: number[] = [];
  let inFlight = 0;
  let wake: (() => void) | undefined;
  router.onRobotMessage((push) => {
    latencies.push(Number(process.hrtime.bigint() - started.get(push.data.msgId)!) / 1e6);
    inFlight -= 1;
    wake?.();
  });
  const target = { send: () => true };
  for (const frame of list) {
    while (inFlight >= window) await new Promise<void>((r) => (wake = r));
    inFlight += 1;
    started.set((JSON.parse(JSON.parse(frame).data) as { msgId: string }).msgId, process.hrtime.bigint());
    router.handle(target, frame);
  }
  while (inFlight > 0) await new Promise<void>((r) => (wake = r));
  return latencies;
}

function line(name: string, xs: number[]): string {
  const s = summarize(xs);
  return `${name.padEnd(20)} p50 ${s.p50.toFixed(3)} ms  p99 ${s.p99.toFixed(3)} ms  max ${s.max.toFixed(3)} ms  (${s.count} frames)`;
}

async function main(): Promise<void> {
  const given = process.argv[2];
  const own = given ? undefined : await startRedis();
  const url = given ?? own!.url;
  const store = new RedisClaimStore({ url, keyPrefix: `bench:${Date.now()}:` });
  while (!store.ready) await new Promise((r) => setTimeout(r, 20));
  let unhealthy = 0;
  const gate = new ClaimGate({ store, clock: systemClock, waitMs: 200, onHealth: (ok) => void (ok ? undefined : (unhealthy += 1)) });
  try {
    const list = await frames(N * 4);
    const slice = (i: number): string[] => list.slice(i * N, (i + 1) * N);
    await measure(list.slice(0, 500), 1, gate); // warm-up (JIT, Redis connection)
    console.log(`claim latency, ${N} robot frames per row, Redis ${url}`);
    console.log(line('no Redis, W=1', await measure(slice(0), 1, undefined)));
    console.log(line('Redis claim, W=1', await measure(slice(1), 1, gate)));
    console.log(line('no Redis, W=64', await measure(slice(2), 64, undefined)));
    console.log(line('Redis claim, W=64', await measure(slice(3), 64, gate)));
    if (unhealthy > 0) console.log(`(the claim store timed out or failed ${unhealthy} time(s): those frames used local dedupe)`);
  } finally {
    await store.close();
    own?.child.kill('SIGKILL');
  }
}

void main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
