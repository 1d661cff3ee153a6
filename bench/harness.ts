import { join } from 'node:path';
import type { SimulatorOptions } from '../src/simulator';
import type { ClientKind, ClientReport, ConnectArgs } from './client-stream';
import { ChildRpc } from './ipc';

/** Starting and ending the child processes of one measurement: a simulator driver and a client under test. */

export interface SimHandle {
  rpc: ChildRpc;
  apiBase: string;
  apps: Array<{ clientId: string; clientSecret: string }>;
}

/** `--cpu-prof` arguments when BENCH_CPU_PROF names a directory (for profiling any of the child processes). */
export function profileArgs(label: string): string[] {
  const dir = process.env['BENCH_CPU_PROF'];
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${label}-${Date.now()}.cpuprofile`] : [];
}

export async function startSimulator(options: SimulatorOptions = {}, profileLabel?: string): Promise<SimHandle> {
  const rpc = ChildRpc.start('simulator', 'sim-driver.js', { execArgv: profileLabel ? profileArgs(profileLabel) : [] });
  const started = await rpc.call<{ apiBase: string; apps: SimHandle['apps'] }>('start', { options });
  return { rpc, apiBase: started.apiBase, apps: started.apps };
}

export const KINDS: readonly ClientKind[] = ['ours', 'official'];

export interface ClientHandle {
  rpc: ChildRpc;
  report(): Promise<ClientReport>;
}

/** A client process connected to the simulator's first app; resolves once the simulator sees its socket open. */
export async function startClient(
  sim: SimHandle,
  kind: ClientKind,
  opts: { trackMsgIds?: boolean; cpuProfDir?: string; label?: string } = {},
): Promise<ClientHandle> {
  const execArgv = opts.cpuProfDir
    ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`, `--cpu-prof-name=${kind}-${opts.label ?? 'run'}-${Date.now()}.cpuprofile`]
    : [];
  // Extra node flags for the client under test only (e.g. `--trace-gc`, whose lines go to the runner's stderr).
  execArgv.push(...(process.env['BENCH_CLIENT_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== ''));
  const rpc = ChildRpc.start(`client-${kind}`, 'client-stream.js', { execArgv });
  const app = sim.apps[0]!;
  const args: ConnectArgs = {
    kind,
    apiBase: sim.apiBase,
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    trackMsgIds: opts.trackMsgIds ?? false,
  };
  await rpc.call('connect', args);
  await sim.rpc.call('waitOpen', { count: 1, clientId: app.clientId, timeoutMs: 30_000 });
  return { rpc, report: () => rpc.call<ClientReport>('report') };
}

export async function stopAll(...children: Array<ChildRpc | undefined>): Promise<void> {
  for (const child of children) {
    if (!child) continue;
    try {
      await child.call('close', {}, 10_000);
    } catch {
      // A child that cannot close cleanly is killed below; its figures were already taken.
    }
    await child.stop();
  }
}

export function distDir(...parts: string[]): string {
  return join(__dirname, ...parts);
}
