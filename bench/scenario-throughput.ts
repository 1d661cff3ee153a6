/**
 * Scenario 1: Stream client throughput and ack latency. The simulator pushes N robot-message frames (~1 KB) to one
 * connection, keeping at most W unacked; latency is push -> ack received, taken in the simulator process; CPU and
 * peak RSS are the client process's own.
 */
import type { BenchConfig } from './config';
import type { ClientKind } from './client-stream';
import type { FloodResult } from './sim-driver';
import { KINDS, startClient, startSimulator, stopAll } from './harness';
import { medianOfRuns, round } from './stats';

export interface ThroughputRun {
  framesPerSec: number;
  ackP50Ms: number;
  ackP99Ms: number;
  ackMaxMs: number;
  cpuMsPer1000: number;
  peakRssMb: number;
  heapUsedMb: number;
  acked: number;
  ackedOnce: number;
  handled: number;
  frameBytes: number;
  simCpuMsPer1000: number;
}

export interface ThroughputResult {
  window: number;
  n: number;
  runs: Record<ClientKind, ThroughputRun[]>;
  median: Record<ClientKind, ThroughputRun>;
}

export async function measureThroughputOnce(
  kind: ClientKind,
  opts: { n: number; window: number; text: string; warmup: number; cpuProfDir?: string },
): Promise<ThroughputRun> {
  const sim = await startSimulator();
  const client = await startClient(sim, kind, { cpuProfDir: opts.cpuProfDir, label: `w${opts.window}` }).catch(async (err: unknown) => {
    await stopAll(sim.rpc);
    throw err;
  });
  try {
    // Same warm-up for both: let the JIT see the hot path before the clock starts.
    if (opts.warmup > 0) await sim.rpc.call<FloodResult>('flood', { n: opts.warmup, window: opts.window, text: opts.text });
    await client.rpc.call('mark');
    const flood = await sim.rpc.call<FloodResult>('flood', { n: opts.n, window: opts.window, text: opts.text });
    const report = await client.report();
    return {
      framesPerSec: round(flood.framesPerSec, 0),
      ackP50Ms: flood.latencyMs.p50,
      ackP99Ms: flood.latencyMs.p99,
      ackMaxMs: flood.latencyMs.max,
      cpuMsPer1000: round((report.cpuMs / flood.acked) * 1000, 1),
      peakRssMb: round(report.peakRssMb, 1),
      heapUsedMb: round(report.heapUsedMb, 1),
      acked: flood.acked,
      ackedOnce: flood.ackedOnce,
      handled: report.handled,
      frameBytes: flood.frameBytes,
      simCpuMsPer1000: round((flood.simCpuMs / flood.acked) * 1000, 1),
    };
  } finally {
    await stopAll(client.rpc, sim.rpc);
  }
}

export async function runThroughput(
  config: BenchConfig,
  text: string,
  window: number,
  n: number,
  log: (line: string) => void,
): Promise<ThroughputResult> {
  const runs: Record<ClientKind, ThroughputRun[]> = { ours: [], official: [] };
  const warmup = Math.min(5000, Math.ceil(n / 5));
  for (let r = 0; r < config.runs; r++) {
    // Alternate which client goes first so drift on the shared machine hits both alike.
    const order = r % 2 === 0 ? KINDS : [...KINDS].reverse();
    for (const kind of order) {
      const run = await measureThroughputOnce(kind, { n, window, text, warmup, cpuProfDir: config.cpuProfDir });
      runs[kind].push(run);
      log(
        `  S1 W=${window} run ${r + 1} ${kind}: ${run.framesPerSec} frames/s, ack p50 ${run.ackP50Ms} p99 ${run.ackP99Ms} ms, ${run.cpuMsPer1000} CPU ms/1000, peak RSS ${run.peakRssMb} MB, acked once ${run.ackedOnce}/${n}`,
      );
    }
  }
  return { window, n, runs, median: { ours: medianOfRuns(runs.ours), official: medianOfRuns(runs.official) } };
}
