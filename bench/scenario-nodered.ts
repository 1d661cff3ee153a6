/**
 * Scenario 2: through Node-RED. A real Node-RED runtime in its own process runs app -> robot-in -> reply (an echo
 * bot); the simulator pushes robot messages and times each until the reply reaches its session webhook.
 * Open loop at fixed rates, then closed loop (a window of messages awaiting a reply) for saturation.
 */
import type { BenchConfig } from './config';
import { ChildRpc } from './ipc';
import type { RateResult } from './sim-driver';
import { profileArgs, startSimulator, stopAll } from './harness';
import { medianOfRuns, round } from './stats';

export interface NodeRedLoadRun {
  /** Offered load (msg/s), or 0 for saturation. */
  offeredPerSec: number;
  repliesPerSec: number;
  replyP50Ms: number;
  replyP99Ms: number;
  replyMaxMs: number;
  missing: number;
  duplicateReplies: number;
  cpuMsPer1000: number;
}

export interface NodeRedResult {
  loads: Array<{ label: string; runs: NodeRedLoadRun[]; median: NodeRedLoadRun }>;
  peakRssMb: number[];
}

async function oneRun(config: BenchConfig, text: string): Promise<{ loads: Array<[string, NodeRedLoadRun]>; peakRssMb: number }> {
  const sim = await startSimulator({}, 'sim-nodered');
  const red = ChildRpc.start('node-red', 'client-nodered.js', { execArgv: profileArgs('nodered') });
  try {
    const app = sim.apps[0]!;
    await red.call('start', { apiBase: sim.apiBase, clientId: app.clientId, clientSecret: app.clientSecret }, 60_000);
    await sim.rpc.call('waitOpen', { count: 1, clientId: app.clientId, timeoutMs: 30_000 });
    // Warm-up (2 s at 500 msg/s): the first messages open the HTTP pool and get the whole path JIT-compiled, whose
    // background compile threads would otherwise be billed to the first measured load.
    await sim.rpc.call('rate', { ratePerSec: 500, durationMs: 2000, text, drainWaitMs: 5000 });
    const loads: Array<[string, NodeRedLoadRun]> = [];
    const plan: Array<{ label: string; ratePerSec?: number; window?: number }> = [
      ...config.s2.rates.map((rate) => ({ label: `${rate} msg/s`, ratePerSec: rate })),
      { label: `saturation (${config.s2.saturationWindow} in flight)`, window: config.s2.saturationWindow },
    ];
    for (const step of plan) {
      await red.call('mark');
      const result = await sim.rpc.call<RateResult>('rate', {
        ratePerSec: step.ratePerSec,
        window: step.window,
        durationMs: config.s2.durationMs,
        text,
        drainWaitMs: 5000,
      });
      const report = await red.call<{ cpuMs: number }>('report');
      loads.push([
        step.label,
        {
          offeredPerSec: step.ratePerSec ?? 0,
          repliesPerSec: round(result.repliesPerSec, 0),
          replyP50Ms: result.latencyMs.p50,
          replyP99Ms: result.latencyMs.p99,
          replyMaxMs: result.latencyMs.max,
          missing: result.missing,
          duplicateReplies: result.duplicateReplies,
          cpuMsPer1000: round((report.cpuMs / Math.max(1, result.replied)) * 1000, 1),
        },
      ]);
    }
    const final = await red.call<{ peakRssMb: number }>('report');
    return { loads, peakRssMb: round(final.peakRssMb, 1) };
  } finally {
    await stopAll(red, sim.rpc);
  }
}

export async function runNodeRed(config: BenchConfig, text: string, log: (line: string) => void): Promise<NodeRedResult> {
  const byLabel = new Map<string, NodeRedLoadRun[]>();
  const peakRssMb: number[] = [];
  for (let r = 0; r < config.runs; r++) {
    const run = await oneRun(config, text);
    peakRssMb.push(run.peakRssMb);
    for (const [label, load] of run.loads) {
      byLabel.set(label, [...(byLabel.get(label) ?? []), load]);
      log(
        `  S2 run ${r + 1} ${label}: ${load.repliesPerSec} replies/s, reply p50 ${load.replyP50Ms} p99 ${load.replyP99Ms} ms, missing ${load.missing}, ${load.cpuMsPer1000} CPU ms/1000`,
      );
    }
  }
  return { loads: [...byLabel].map(([label, runs]) => ({ label, runs, median: medianOfRuns(runs) })), peakRssMb };
}
