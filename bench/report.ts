/** bench/results.json (everything, per run) and bench/RESULTS.md (the medians as tables, with the targets). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';
import type { BenchConfig } from './config';
import type { MemoryResult } from './scenario-memory';
import type { NodeRedResult } from './scenario-nodered';
import type { ReconnectResult, ReconnectRun } from './scenario-reconnect';
import type { ThroughputResult, ThroughputRun } from './scenario-throughput';
import { round } from './stats';

export interface BenchResults {
  machine: { cpu: string; cores: number; memoryGb: number; os: string; node: string; v8: string };
  /** 1-minute load average when the run started and when it ended (the machine is shared). */
  loadAverage: { start: number; end: number };
  date: string;
  durationSec: number;
  config: Omit<BenchConfig, 'only'> & { only: number[] };
  frameBytes: number;
  dependencies: Record<string, string>;
  throughput: ThroughputResult[];
  nodeRed?: NodeRedResult;
  reconnect: ReconnectResult[];
  memory?: MemoryResult;
  targets: Array<{ scenario: number; target: string; value: string; met: boolean }>;
  notes: string[];
}

export function currentLoad(): number {
  return round(loadavg()[0] ?? 0, 2);
}

export function machineInfo(): BenchResults['machine'] {
  const list = cpus();
  return {
    cpu: list[0]?.model ?? 'unknown',
    cores: list.length,
    memoryGb: round(totalmem() / 1024 ** 3, 1),
    os: `${osType()} ${release()}`,
    node: process.version,
    v8: process.versions.v8,
  };
}

function ratio(ours: number, official: number): string {
  if (!Number.isFinite(ours) || !Number.isFinite(official) || official === 0) return 'n/a';
  return `${round(ours / official, 2)}x`;
}

function fmt(value: number | undefined, digits = 1): string {
  if (value === undefined || !Number.isFinite(value)) return 'n/a';
  return String(round(value, digits));
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function evaluateTargets(results: Omit<BenchResults, 'targets'>): BenchResults['targets'] {
  const targets: BenchResults['targets'] = [];
  const w64 = results.throughput.find((t) => t.window === 64) ?? results.throughput[0];
  if (w64) {
    const { ours, official } = w64.median;
    const cpuRatio = ours.cpuMsPer1000 / official.cpuMsPer1000;
    targets.push({
      scenario: 1,
      target: `CPU per 1,000 acked frames <= 0.8x official (W=${w64.window})`,
      value: `${round(cpuRatio, 2)}x (${ours.cpuMsPer1000} vs ${official.cpuMsPer1000} ms)`,
      met: cpuRatio <= 0.8,
    });
    targets.push({
      scenario: 1,
      target: `frames/s >= official (W=${w64.window})`,
      value: `${ours.framesPerSec} vs ${official.framesPerSec}`,
      met: ours.framesPerSec >= official.framesPerSec,
    });
    targets.push({ scenario: 1, target: `ack p99 < 5 ms (W=${w64.window})`, value: `${ours.ackP99Ms} ms`, met: ours.ackP99Ms < 5 });
  }
  const at1000 = results.nodeRed?.loads.find((l) => l.median.offeredPerSec === 1000);
  if (at1000)
    targets.push({
      scenario: 2,
      target: 'reply p99 < 20 ms at 1,000 msg/s',
      value: `${at1000.median.replyP99Ms} ms`,
      met: at1000.median.replyP99Ms < 20,
    });
  for (const r of results.reconnect) {
    const o = r.median.ours;
    targets.push({ scenario: 3, target: `${r.mode}: 0 lost`, value: String(o.lost), met: o.lost === 0 });
    targets.push({ scenario: 3, target: `${r.mode}: 0 duplicated`, value: String(o.duplicated), met: o.duplicated === 0 });
    if (r.mode === 'disconnect')
      targets.push({ scenario: 3, target: 'disconnect: gap 0 ms (no open socket)', value: `${o.noSocketMs} ms`, met: o.noSocketMs === 0 });
  }
  const mem = results.memory?.rows.ours.at(-1);
  if (mem?.rssPerExtraAppMb !== undefined) {
    targets.push({
      scenario: 4,
      target: `< 1 MB RSS per extra idle app (1 -> ${mem.apps} apps)`,
      value: `${mem.rssPerExtraAppMb} MB`,
      met: mem.rssPerExtraAppMb < 1,
    });
  }
  return targets;
}

function throughputSection(t: ThroughputResult): string {
  const { ours, official } = t.median;
  const row = (label: string, key: keyof ThroughputRun, digits = 1, lowerIsBetter = true): string[] => [
    label,
    fmt(ours[key], digits),
    fmt(official[key], digits),
    ratio(ours[key], official[key]) + (lowerIsBetter ? '' : ' (higher is better)'),
  ];
  return [
    `### W = ${t.window}, N = ${t.n.toLocaleString('en-US')}`,
    '',
    table(
      ['figure (median of runs)', 'ours', 'official SDK', 'ours / official'],
      [
        row('frames/s fully acked', 'framesPerSec', 0, false),
        row('ack latency p50 (ms)', 'ackP50Ms', 3),
        row('ack latency p99 (ms)', 'ackP99Ms', 3),
        row('ack latency max (ms)', 'ackMaxMs', 3),
        row('client CPU ms per 1,000 frames', 'cpuMsPer1000', 1),
        row('client peak RSS (MB)', 'peakRssMb', 1),
        row('client heap used after the run (MB)', 'heapUsedMb', 1),
        row('simulator CPU ms per 1,000 frames', 'simCpuMsPer1000', 1),
      ],
    ),
    '',
    `Every run: ${t.runs.ours.map((r) => `${r.ackedOnce}/${t.n}`).join(', ')} (ours) and ${t.runs.official.map((r) => `${r.ackedOnce}/${t.n}`).join(', ')} (official) frames acked exactly once.`,
  ].join('\n');
}

function reconnectSection(r: ReconnectResult): string {
  const row = (label: string, key: keyof ReconnectRun, digits = 1): string[] => [
    label,
    fmt(r.median.ours[key], digits),
    fmt(r.median.official[key], digits),
    ratio(r.median.ours[key], r.median.official[key]),
  ];
  return [
    `### ${r.mode === 'disconnect' ? 'SYSTEM disconnect (socket closed by the server after the drain time)' : 'socket killed (no notice)'}`,
    '',
    table(
      ['figure (median of runs)', 'ours', 'official SDK', 'ours / official'],
      [
        row('messages pushed', 'pushed', 0),
        row(`${r.mode}s during the run`, 'disruptions', 0),
        row('time with no open socket, total (ms)', 'noSocketMs'),
        row('  per disruption (ms)', 'noSocketMsPerDisruption'),
        row('time with no socket the server pushes on, total (ms)', 'noPushableMs'),
        row('  per disruption (ms)', 'noPushableMsPerDisruption'),
        row('messages acked > 1 s after the push', 'delayedOver1s', 0),
        row('lost (never reached the handler)', 'lost', 0),
        row('duplicated (handler called again)', 'duplicated', 0),
        row('push -> ack p99 (ms)', 'latencyP99Ms'),
        row('push -> ack max (ms)', 'latencyMaxMs'),
        row('connections opened', 'connectionsOpened', 0),
      ],
    ),
  ].join('\n');
}

export function writeResults(dir: string, results: BenchResults): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const m = results.machine;
  const c = results.config;
  const lines: string[] = [
    '# Benchmarks: this package vs the official `dingtalk-stream` SDK',
    '',
    `Generated by \`npm run bench\` (bench/run.ts) on ${results.date}; the run took ${results.durationSec} s${c.quick ? ' (BENCH_QUICK=1 smoke run: small N, 1 run each — not for comparison)' : ''}.`,
    '',
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, ${m.os}`,
    `- Node.js ${m.node} (V8 ${m.v8}); ${Object.entries(results.dependencies)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `- 1-minute load average: ${results.loadAverage.start} at the start, ${results.loadAverage.end} at the end (2 cores, shared with other work: expect noise, mostly in tail latencies).`,
    `- Each figure is the median of ${c.runs} run(s); ratios are ours / official (for latency, CPU and memory lower is better).`,
    `- Frames: simulator robot messages (group chat, realistic fields), ~${results.frameBytes} bytes each on the wire.`,
    '- The simulator runs in its own process; each client under test runs in a process of its own. The simulator is the',
    '  same for both clients. Latency is measured in the simulator process (push written -> ack parsed).',
    '',
    '## Targets',
    '',
    table(
      ['scenario', 'target', 'measured', 'met'],
      results.targets.map((t) => [String(t.scenario), t.target, t.value, t.met ? 'yes' : '**no**']),
    ),
    '',
  ];
  if (results.throughput.length > 0) {
    lines.push('## 1. Stream client throughput and ack latency', '');
    lines.push('Ours: `StreamClient` with production defaults (validation, dedupe, ack at once) and a robot handler that counts.');
    lines.push(
      'Official: `DWClient` with `registerCallbackListener(TOPIC_ROBOT, …)` acking via `socketCallBackResponse(messageId, null)`, then `JSON.parse(data)` and a count (the parse every user glue does; ours hands the handler a parsed, validated message).',
    );
    lines.push('The simulator keeps at most W frames un-acked; a warm-up of min(5,000, N/5) frames precedes each measured run.', '');
    for (const t of results.throughput) lines.push(throughputSection(t), '');
  }
  if (results.nodeRed) {
    lines.push('## 2. Through Node-RED (ours only)', '');
    lines.push(
      "A real Node-RED 4 runtime (`require('node-red')`, editor off) in its own process: `dingtalk-stream-app` -> `dingtalk-robot-in` -> `dingtalk-reply` (echoes the text via the session webhook). Latency: push -> the simulator receiving the webhook reply.",
      '',
    );
    lines.push(
      table(
        ['load', 'replies/s', 'reply p50 (ms)', 'reply p99 (ms)', 'reply max (ms)', 'missing', 'Node-RED CPU ms per 1,000 msgs'],
        results.nodeRed.loads.map((l) => [
          l.label,
          fmt(l.median.repliesPerSec, 0),
          fmt(l.median.replyP50Ms, 2),
          fmt(l.median.replyP99Ms, 2),
          fmt(l.median.replyMaxMs, 2),
          fmt(l.median.missing, 0),
          fmt(l.median.cpuMsPer1000, 1),
        ]),
      ),
      '',
      `Node-RED process peak RSS: ${results.nodeRed.peakRssMb.join(', ')} MB (per run).`,
      '',
    );
  }
  if (results.reconnect.length > 0) {
    const s3 = c.s3;
    lines.push('## 3. Reconnect gap', '');
    lines.push(
      `Pushing ${s3.ratePerSec} msg/s for ${s3.durationMs / 1000} s; every ${s3.everyMs / 1000} s the simulator sends SYSTEM disconnect (closing the socket ${s3.drainMs} ms later — DingTalk waits ~10 s, which would make a client that ignores the notice look 5x worse) or kills the socket. Un-acked pushes are re-pushed after ${s3.ackTimeoutMs} ms (at most 3 times). "Lost" and "duplicated" are counted by msgId at the handler.`,
      '',
    );
    for (const r of results.reconnect) lines.push(reconnectSection(r), '');
  }
  if (results.memory) {
    lines.push('## 4. Memory per idle app', '');
    lines.push(
      'One process (`--expose-gc`, GC forced before reading) with K clients, each for its own simulator app, connected and idle. Per extra app = (K apps - 1 app) / (K - 1).',
      '',
    );
    const rows: string[][] = [];
    for (const kind of ['ours', 'official'] as const) {
      for (const r of results.memory.rows[kind]) {
        rows.push([
          kind,
          String(r.apps),
          fmt(r.rssMb, 1),
          fmt(r.heapUsedMb, 2),
          fmt(r.externalMb, 2),
          fmt(r.rssPerExtraAppMb, 3),
          fmt(r.heapPerExtraAppMb, 3),
        ]);
      }
    }
    lines.push(
      table(['client', 'apps', 'RSS (MB)', 'heap used (MB)', 'external (MB)', 'RSS per extra app (MB)', 'heap per extra app (MB)'], rows),
      '',
    );
  }
  if (results.notes.length > 0) lines.push('## Notes', '', ...results.notes.map((n) => `- ${n}`), '');
  writeFileSync(join(dir, 'RESULTS.md'), lines.join('\n'));
}
