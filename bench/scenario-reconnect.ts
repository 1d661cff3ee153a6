/**
 * Scenario 3: reconnect gap. While the simulator pushes at a steady rate it either sends SYSTEM `disconnect`
 * (then closes the socket drainMs later, as DingTalk does ~10 s later) or kills the socket outright, every few
 * seconds. Afterwards the runner compares what was pushed with what the client's handler saw.
 */
import type { BenchConfig } from './config';
import type { ClientKind } from './client-stream';
import type { ChurnResult } from './sim-driver';
import { KINDS, startClient, startSimulator, stopAll } from './harness';
import { medianOfRuns, round } from './stats';

export type ChurnMode = 'disconnect' | 'kill';

export interface ReconnectRun {
  pushed: number;
  disruptions: number;
  noSocketMs: number;
  noSocketMsPerDisruption: number;
  noPushableMs: number;
  noPushableMsPerDisruption: number;
  delayedOver1s: number;
  /** Pushed messages the handler never saw. */
  lost: number;
  /** Extra handler calls for messages it had already seen. */
  duplicated: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  connectionsOpened: number;
}

export interface ReconnectResult {
  mode: ChurnMode;
  runs: Record<ClientKind, ReconnectRun[]>;
  median: Record<ClientKind, ReconnectRun>;
}

async function oneRun(config: BenchConfig, kind: ClientKind, mode: ChurnMode, text: string): Promise<ReconnectRun> {
  const { ratePerSec, durationMs, everyMs, drainMs, ackTimeoutMs } = config.s3;
  // The same simulator for both clients: re-push after ackTimeoutMs (at most 3 times), close drainMs after disconnect.
  const sim = await startSimulator({ ackTimeoutMs, drainMs, maxRepush: 3 });
  const client = await startClient(sim, kind, { trackMsgIds: true }).catch(async (err: unknown) => {
    await stopAll(sim.rpc);
    throw err;
  });
  try {
    await client.rpc.call('mark');
    const churn = await sim.rpc.call<ChurnResult>('churn', {
      ratePerSec,
      durationMs,
      everyMs,
      mode,
      text,
      settleTimeoutMs: ackTimeoutMs * 4 + 3000,
    });
    // Re-pushes still in flight reach the handler shortly after their ack; give them a moment.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const seen = await client.rpc.call<Map<string, number>>('deliveries');
    let lost = 0;
    let duplicated = 0;
    for (const msgId of churn.msgIds) {
      const count = seen.get(msgId) ?? 0;
      if (count === 0) lost += 1;
      else duplicated += count - 1;
    }
    const per = Math.max(1, churn.disruptions);
    return {
      pushed: churn.pushed,
      disruptions: churn.disruptions,
      noSocketMs: round(churn.noSocketMs, 1),
      noSocketMsPerDisruption: round(churn.noSocketMs / per, 1),
      noPushableMs: round(churn.noPushableMs, 1),
      noPushableMsPerDisruption: round(churn.noPushableMs / per, 1),
      delayedOver1s: churn.delayedOver1s,
      lost,
      duplicated,
      latencyP99Ms: churn.latencyMs.p99,
      latencyMaxMs: churn.latencyMs.max,
      connectionsOpened: churn.connectionsOpened,
    };
  } finally {
    await stopAll(client.rpc, sim.rpc);
  }
}

export async function runReconnect(config: BenchConfig, mode: ChurnMode, text: string, log: (line: string) => void): Promise<ReconnectResult> {
  const runs: Record<ClientKind, ReconnectRun[]> = { ours: [], official: [] };
  for (let r = 0; r < config.runs; r++) {
    const order = r % 2 === 0 ? KINDS : [...KINDS].reverse();
    for (const kind of order) {
      const run = await oneRun(config, kind, mode, text);
      runs[kind].push(run);
      log(
        `  S3 ${mode} run ${r + 1} ${kind}: no socket ${run.noSocketMs} ms, not pushable ${run.noPushableMs} ms over ${run.disruptions} ${mode}s, ` +
          `delayed>1s ${run.delayedOver1s}, lost ${run.lost}, duplicated ${run.duplicated} of ${run.pushed}`,
      );
    }
  }
  return { mode, runs, median: { ours: medianOfRuns(runs.ours), official: medianOfRuns(runs.official) } };
}
