/**
 * Scenario 4: memory per app. One process holds 1, then 10, then 50 clients, each for its own simulator app,
 * connected and idle; memory is read after forced GC at each step. Per extra app = (memory with K apps - memory with 1) / (K - 1).
 */
import type { BenchConfig } from './config';
import type { ClientKind } from './client-stream';
import type { IdleAppsArgs, MemorySample } from './client-idle-apps';
import { ChildRpc } from './ipc';
import { KINDS, startSimulator, stopAll } from './harness';
import { median, round, sleep } from './stats';

export interface MemoryRow {
  apps: number;
  rssMb: number;
  heapUsedMb: number;
  externalMb: number;
  /** Versus the 1-app process; absent for 1 app. */
  rssPerExtraAppMb?: number;
  heapPerExtraAppMb?: number;
}

export interface MemoryResult {
  rows: Record<ClientKind, MemoryRow[]>;
  samples: Record<ClientKind, Record<number, MemorySample[]>>;
}

function appCredentials(count: number): Array<{ clientId: string; clientSecret: string }> {
  return Array.from({ length: count }, (_, i) => ({
    clientId: `dingbenchapp${String(i + 1).padStart(4, '0')}`,
    clientSecret: `bench-secret-${i + 1}-not-real`,
  }));
}

/** One process growing to each count in turn (1, then 10, then 50 apps), measured idle after each step. */
async function growOnce(kind: ClientKind, counts: number[]): Promise<Record<number, MemorySample>> {
  const max = Math.max(...counts);
  const sim = await startSimulator({ apps: appCredentials(max) });
  const child = ChildRpc.start(`idle-apps-${kind}`, 'client-idle-apps.js', { execArgv: ['--expose-gc'] });
  const out: Record<number, MemorySample> = {};
  try {
    let connected = 0;
    for (const count of counts) {
      const args: IdleAppsArgs = { kind, apiBase: sim.apiBase, apps: sim.apps.slice(connected, count) };
      await child.call('connect', args);
      connected = count;
      await sim.rpc.call('waitOpen', { count, timeoutMs: 60_000 });
      // Idle for a moment so connection set-up is over (handshake buffers, gateway responses) before measuring.
      await sleep(1000);
      out[count] = await child.call<MemorySample>('memory');
    }
    return out;
  } finally {
    await stopAll(child, sim.rpc);
  }
}

export async function runMemory(config: BenchConfig, log: (line: string) => void): Promise<MemoryResult> {
  const samples: MemoryResult['samples'] = { ours: {}, official: {} };
  const rows: MemoryResult['rows'] = { ours: [], official: [] };
  for (const kind of KINDS) {
    for (let r = 0; r < config.runs; r++) {
      const grown = await growOnce(kind, config.s4.counts);
      for (const count of config.s4.counts) samples[kind][count] = [...(samples[kind][count] ?? []), grown[count]!];
    }
    const base = config.s4.counts[0]!;
    const med = (count: number, key: keyof MemorySample): number => median(samples[kind][count]!.map((s) => s[key]));
    for (const count of config.s4.counts) {
      const row: MemoryRow = {
        apps: count,
        rssMb: round(med(count, 'rssMb'), 2),
        heapUsedMb: round(med(count, 'heapUsedMb'), 2),
        externalMb: round(med(count, 'externalMb'), 2),
      };
      if (count !== base) {
        row.rssPerExtraAppMb = round((med(count, 'rssMb') - med(base, 'rssMb')) / (count - base), 3);
        row.heapPerExtraAppMb = round((med(count, 'heapUsedMb') - med(base, 'heapUsedMb')) / (count - base), 3);
      }
      rows[kind].push(row);
      log(
        `  S4 ${kind} ${count} app(s): RSS ${row.rssMb} MB, heap ${row.heapUsedMb} MB${row.rssPerExtraAppMb !== undefined ? `, per extra app RSS ${row.rssPerExtraAppMb} MB heap ${row.heapPerExtraAppMb} MB` : ''}`,
      );
    }
  }
  return { rows, samples };
}
