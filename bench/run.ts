/**
 * `npm run bench`: the four scenarios of bench/README.md, each figure the median of several runs, written to
 * bench/results.json and bench/RESULTS.md. Sizes come from the environment (bench/config.ts); BENCH_QUICK=1 is a
 * ~1-minute smoke run.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './config';
import { ChildRpc } from './ipc';
import { currentLoad, evaluateTargets, machineInfo, writeResults, type BenchResults } from './report';
import { runMemory } from './scenario-memory';
import { runNodeRed } from './scenario-nodered';
import { runReconnect } from './scenario-reconnect';
import { runThroughput } from './scenario-throughput';

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function versionOf(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const config = loadConfig();
  // bench/ in the source tree (dist/bench/run.js -> ../../bench); a quick smoke run must not replace the real results.
  const outDir = process.env['BENCH_OUT_DIR'] ?? (config.quick ? join(tmpdir(), 'dingtalk-bench-quick') : join(__dirname, '..', '..', 'bench'));
  const probe = ChildRpc.start('simulator', 'sim-driver.js');
  const { text, frameBytes } = await probe.call<{ text: string; frameBytes: number }>('text', { frameBytes: config.s1.frameBytes });
  await probe.stop();
  log(`bench: ${config.quick ? 'QUICK ' : ''}${config.runs} run(s) each, frames ~${frameBytes} bytes, scenarios ${[...config.only].join(',')}`);

  const results: Omit<BenchResults, 'targets'> = {
    machine: machineInfo(),
    loadAverage: { start: currentLoad(), end: 0 },
    date: new Date().toISOString(),
    durationSec: 0,
    config: { ...config, only: [...config.only] },
    frameBytes,
    dependencies: { 'dingtalk-stream': versionOf('dingtalk-stream'), ws: versionOf('ws'), 'node-red': versionOf('node-red'), zod: versionOf('zod') },
    throughput: [],
    reconnect: [],
    notes: [
      'Scenario 2 is ours only: the official SDK ships no Node-RED nodes (its users write that glue themselves).',
      "At W = 64 the ack latency is bounded below by the window itself (Little's law: mean latency = W / throughput, " +
        'e.g. 64 / 30,000 frames/s = 2.1 ms), so p99 < 5 ms needs > ~13,000 frames/s sustained with no pause longer than a few ms ' +
        '(GC, the other process on the same 2 cores).',
      "Our client's peak RSS is set at start-up, not by the frames: a connected, idle client peaks at ~105 MB vs ~73 MB for the " +
        'official SDK, and settles back to the same ~72 MB (scenario 4). The transient (~+35 MB within 300 ms of the first request) ' +
        "comes from undici's first HTTP request (the gateway call); axios over node:http has none.",
      'Node-RED CPU per message falls with load (fixed per-wake-up costs while messages flow); see bench/README.md, "Scenario 2".',
      'Why targets are missed and what to change: bench/README.md, section "Findings".',
    ],
  };
  if (config.only.has(1)) {
    log('scenario 1: Stream client throughput and ack latency');
    results.throughput.push(await runThroughput(config, text, config.s1.window, config.s1.n, log));
    results.throughput.push(await runThroughput(config, text, 1, config.s1.nW1, log));
  }
  if (config.only.has(2)) {
    log('scenario 2: through Node-RED');
    results.nodeRed = await runNodeRed(config, text, log);
  }
  if (config.only.has(3)) {
    log('scenario 3: reconnect gap');
    results.reconnect.push(await runReconnect(config, 'disconnect', text, log));
    results.reconnect.push(await runReconnect(config, 'kill', text, log));
  }
  if (config.only.has(4)) {
    log('scenario 4: memory per idle app');
    results.memory = await runMemory(config, log);
  }
  results.durationSec = Math.round((Date.now() - started) / 1000);
  results.loadAverage.end = currentLoad();
  const full: BenchResults = { ...results, targets: evaluateTargets(results) };
  writeResults(outDir, full);
  log(`bench: done in ${results.durationSec} s; wrote ${join(outDir, 'results.json')} and RESULTS.md`);
  for (const t of full.targets) log(`  [${t.met ? 'met' : 'MISSED'}] S${t.scenario} ${t.target}: ${t.value}`);
}

main().catch((err: unknown) => {
  log(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
});
