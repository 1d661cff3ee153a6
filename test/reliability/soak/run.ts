/**
 * Soak with faults: a real Node-RED runtime (child process, our nodes installed like a user would) against the
 * simulator, which pushes robot messages, events and card clicks at a steady rate while faults are injected at
 * seeded random times. At the end it checks that nothing was lost, duplicated, left unacked or vanished, that no
 * secret leaked into anything Node-RED produced, and that the heap did not grow.
 *
 *   npm run soak                     10 minutes (SOAK_SECONDS), random seed (SOAK_SEED) printed at the start
 *   SOAK_SECONDS=60 SOAK_SEED=42 npm run soak
 *
 * Exit code 0 when every check passed. The JSON report goes to SOAK_REPORT (default: soak-report.json in the OS
 * temp dir) and a summary to stdout. test/reliability/soak.test.ts runs a 30 s version inside npm test.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DingTalkSimulator, SIMULATOR_APP } from '../../../src/simulator';
import { seededRandom } from '../support';
import { FaultInjector, type InjectedFault } from './faults';
import { Ledger, type Verdict } from './ledger';
import { SUT_CONFIG_ENV, type RunnerToSut, type SutConfig, type SutToRunner } from './protocol';
import { scanForSecrets, secretsOfRun, type Artifact, type SecretHit } from './secrets';
import { Traffic } from './traffic';

export interface SoakOptions {
  seconds: number;
  seed: number;
  /** Pushes per second (robot, event and card mixed). */
  rate?: number;
  /** Allowed heap growth (after GC, end vs after warm-up): absolute bytes plus a fraction of the start. */
  heapToleranceBytes?: number;
  heapToleranceRatio?: number;
  log?: (line: string) => void;
}

export interface Outage {
  from: number;
  ms: number;
}

export interface SoakReport {
  seed: number;
  seconds: number;
  startedAt: string;
  finishedAt: string;
  verdict: Verdict;
  faults: Record<string, number>;
  faultLog: InjectedFault[];
  /** Frames (deliveries, re-pushes included) DingTalk sent, and how many got no answer at all (socket died first). */
  /** Each duplicate with the ack-losing fault it was pushed during, if any. */
  duplicateContext: string[];
  frames: { delivered: number; unanswered: number; systemPings: number; systemPingsAnswered: number };
  connections: { opened: number; outages: number; maxOutageMs: number; meanOutageMs: number; longest: Outage[] };
  heap: {
    afterWarmup: number;
    end: number;
    samples: Array<{ label: string; heapUsed: number; rss: number }>;
    growthBytes: number;
    allowedBytes: number;
  };
  logLines: Record<string, number>;
  notableLogLines: Record<string, number>;
  secretHits: SecretHit[];
  /** What the secret scan looked at and for: proves it was not vacuous. */
  secretScan: { artifacts: Record<string, number>; secrets: Record<string, number> };
  fatal: string[];
  /** 'killed' means the Node-RED process kept running after RED.stop(): a socket or timer was left behind. */
  sutExit: string;
  failures: string[];
  passed: boolean;
}

const MB = 1024 * 1024;

/** Stream timings given to the app node through settings.dingtalkStreamAppTiming: seconds instead of minutes. */
const SOAK_TIMING = {
  heartbeatIntervalMs: 2_000,
  pongTimeoutMs: 2_000,
  idleTimeoutMs: 15_000,
  backoffBaseMs: 200,
  backoffMaxMs: 2_000,
  stableAfterMs: 5_000,
  drainTimeoutMs: 3_000,
  callbackDeadlineMs: 1_500,
  gatewayTimeoutMs: 3_000,
  handshakeTimeoutMs: 3_000,
};
const ACK_TIMEOUT_MS = 2_000;

class Sut {
  readonly artifacts: Artifact[] = [];
  readonly logLevels: Record<string, number> = {};
  /** Distinct warn/error lines (numbers and ids blanked) with counts, for the report. */
  readonly notable = new Map<string, number>();
  readonly fatal: string[] = [];
  private readonly waiters = new Set<(m: SutToRunner) => boolean>();
  private readonly child: ChildProcess;
  private exited: Promise<void>;

  constructor(config: SutConfig, ledger: Ledger) {
    this.child = fork(join(__dirname, 'sut.js'), [], {
      execArgv: ['--expose-gc'],
      env: { ...process.env, [SUT_CONFIG_ENV]: JSON.stringify(config) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.exited = new Promise((resolveExit) => this.child.once('exit', () => resolveExit()));
    this.child.on('message', (m: SutToRunner) => {
      if (m.t === 'probe') {
        ledger.onProbe(m.kind, m.key, m.json);
        this.artifacts.push({ kind: `msg at ${m.kind}`, text: m.json });
      } else if (m.t === 'log') {
        this.logLevels[m.level] = (this.logLevels[m.level] ?? 0) + 1;
        this.artifacts.push({ kind: `log ${m.level}`, text: m.text });
        if (m.level === 'warn' || m.level === 'error' || m.level === 'fatal') {
          const key = `${m.level}: ${m.text.replace(/[0-9a-f]{8,}|\d+/gi, '…').slice(0, 200)}`;
          this.notable.set(key, (this.notable.get(key) ?? 0) + 1);
        }
      } else if (m.t === 'fatal') {
        this.fatal.push(m.text);
      }
      for (const w of [...this.waiters]) if (w(m)) this.waiters.delete(w);
    });
  }

  next<T extends SutToRunner['t']>(t: T, timeoutMs: number): Promise<Extract<SutToRunner, { t: T }>> {
    return new Promise((resolveNext, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(`the Node-RED process did not answer "${t}" within ${timeoutMs} ms${this.fatal.length ? `: ${this.fatal.join('; ')}` : ''}`),
        );
      }, timeoutMs);
      const check = (m: SutToRunner): boolean => {
        if (m.t === 'fatal' && t === 'ready') {
          clearTimeout(timer);
          reject(new Error(m.text));
          return true;
        }
        if (m.t !== t) return false;
        clearTimeout(timer);
        resolveNext(m as Extract<SutToRunner, { t: T }>);
        return true;
      };
      this.waiters.add(check);
    });
  }

  send(message: RunnerToSut): void {
    this.child.send(message);
  }

  async heap(label: string): Promise<{ label: string; heapUsed: number; rss: number }> {
    const answer = this.next('heap', 30_000);
    this.send({ cmd: 'heap', label });
    const { heapUsed, rss } = await answer;
    return { label, heapUsed, rss };
  }

  /** How the child ended: 'clean' when Node-RED stopped and the process exited by itself (nothing left running). */
  exit: 'clean' | 'killed' | 'running' = 'running';

  async stop(): Promise<void> {
    if (this.exit !== 'running') return;
    const stopped = this.next('stopped', 20_000).catch(() => undefined);
    if (this.child.connected) this.send({ cmd: 'stop' });
    await stopped;
    let killed = false;
    const killer = setTimeout(() => {
      killed = true;
      this.child.kill('SIGKILL');
    }, 5_000);
    await this.exited;
    clearTimeout(killer);
    this.exit = killed ? 'killed' : 'clean';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) return true;
    await sleep(100);
  }
  return check();
}

/**
 * Periods with no open connection, from the simulator's records. A socket draining after a server disconnect counts as
 * open (the simulator records no drain start); make-before-break keeps that window short anyway.
 */
export function outagesOf(sim: DingTalkSimulator, from: number, to: number): Outage[] {
  const conns = sim.connections.map((c) => ({ open: c.openedAt, close: c.closedAt ?? Infinity }));
  const points = [...new Set([from, to, ...conns.flatMap((c) => [c.open, c.close])])].filter((t) => t >= from && t <= to).sort((a, b) => a - b);
  const outages: Outage[] = [];
  let start: number | undefined;
  for (const t of points) {
    const up = conns.some((c) => c.open <= t && t < c.close);
    if (!up && start === undefined) start = t;
    if (up && start !== undefined) {
      outages.push({ from: start, ms: t - start });
      start = undefined;
    }
  }
  if (start !== undefined) outages.push({ from: start, ms: to - start });
  return outages;
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const seconds = options.seconds;
  // Separate streams: the fault schedule must not depend on how often the simulator picked a connection.
  const random = seededRandom(options.seed);
  const simRandom = seededRandom(options.seed ^ 0x5eed);
  const startedAt = new Date();
  const warmupMs = Math.min(60_000, Math.max(5_000, seconds * 100));
  const sim = new DingTalkSimulator({
    ackTimeoutMs: ACK_TIMEOUT_MS,
    maxRepush: 1_000,
    pingIntervalMs: 3_000,
    drainMs: 2_000,
    laterRetryMs: 1_000,
    random: simRandom,
  });
  await sim.start();
  const userDir = mkdtempSync(join(tmpdir(), 'dingtalk-soak-'));
  const ledger = new Ledger();
  const sut = new Sut(
    {
      apiBase: sim.apiBase,
      clientId: SIMULATOR_APP.clientId,
      clientSecret: SIMULATOR_APP.clientSecret,
      userDir,
      packageRoot: resolve(__dirname, '../../../..'),
      timing: SOAK_TIMING,
    },
    ledger,
  );
  const traffic = new Traffic(sim, options.rate ?? 8);
  const faults = new FaultInjector(sim, random, {
    minGapMs: 1_500,
    maxGapMs: 5_000,
    ackTimeoutMs: ACK_TIMEOUT_MS,
    deadSocketAfterMs: SOAK_TIMING.heartbeatIntervalMs + SOAK_TIMING.pongTimeoutMs,
  });
  const samples: Array<{ label: string; heapUsed: number; rss: number }> = [];
  // Every frame DingTalk sent for a push, and which of them the client answered (on any socket).
  const delivered = new Set<string>();
  sim.on('push', (frame) => void delivered.add(frame.headers['messageId'] ?? ''));
  let faultsFrom = Date.now();
  let faultsTo = Date.now();
  try {
    await sut.next('ready', 60_000);
    await sim.waitForConnection(1, 30_000);
    log(`soak: Node-RED up, connected; warm-up ${Math.round(warmupMs / 1000)} s without faults`);
    traffic.start();
    await sleep(warmupMs);
    samples.push(await sut.heap('after warm-up'));
    log(`soak: faults on for ${seconds} s`);
    faultsFrom = Date.now();
    faults.start();
    const sampleEvery = Math.max(10_000, Math.round((seconds * 1000) / 10));
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end) {
      await sleep(Math.min(sampleEvery, end - Date.now()));
      if (Date.now() < end) {
        samples.push(await sut.heap(`t+${Math.round((Date.now() - faultsFrom) / 1000)}s`));
        log(
          `soak: t+${Math.round((Date.now() - faultsFrom) / 1000)}s pushed ${traffic.pushed.length}, faults ${faults.injected.length}, heap ${(samples.at(-1)!.heapUsed / MB).toFixed(1)} MB`,
        );
      }
    }
    faults.stop();
    faultsTo = Date.now();
    traffic.stop();
    log('soak: faults off, traffic stopped; draining');
    const drained = await until(() => ledger.settled(traffic.pushed), 60_000);
    if (!drained) log('soak: drain did not complete within 60 s');
    // Anything DingTalk would still re-push has had two ack timeouts to show up as a duplicate.
    await sleep(ACK_TIMEOUT_MS * 2);
    samples.push(await sut.heap('end'));
  } catch (err) {
    // The run itself broke (Node-RED did not start, a heap answer never came): leave nothing behind.
    faults.stop();
    traffic.stop();
    await sut.stop();
    await sim.stop();
    rmSync(userDir, { recursive: true, force: true });
    throw err;
  }
  faults.stop();
  traffic.stop();
  await sut.stop();

  const verdict = ledger.verdict(traffic.pushed, sim);
  // Evidence for duplicates: was the push delivered around a time DingTalk ignored acks (so it re-pushed)?
  const ackLoss = faults.injected.filter(
    (f) =>
      f.kind === 'acks-ignored' ||
      f.kind === 'socket-kill' ||
      f.kind === 'gateway-refuse' ||
      f.kind === 'gateway-error' ||
      f.kind === 'gateway-delay',
  );
  const duplicateContext = verdict.duplicated.map((d) => {
    const key = d.split(' ')[1];
    const item = traffic.pushed.find((p) => p.key === key);
    const near = item ? ackLoss.filter((f) => item.at >= f.at - ACK_TIMEOUT_MS * 2 && item.at <= f.at + (f.durationMs ?? 0)).map((f) => f.kind) : [];
    return `${d}: ${near.length ? `pushed during ${[...new Set(near)].join('+')}` : 'no ack-loss fault around it'}`;
  });
  const answered = new Set(sim.acks.filter((a) => a.kind === 'push').map((a) => a.messageId));
  const unansweredFrames = [...delivered].filter((id) => !answered.has(id)).length;
  const pings = sim.connections.reduce((acc, c) => ({ sent: acc.sent + c.pingsSent, answered: acc.answered + c.pingReplies }), {
    sent: 0,
    answered: 0,
  });
  const outages = outagesOf(sim, faultsFrom, faultsTo);
  const secrets = secretsOfRun(sim, SIMULATOR_APP.clientSecret);
  const secretHits = scanForSecrets(sut.artifacts, secrets);
  const secretKinds: Record<string, number> = {};
  for (const { secret } of secrets) secretKinds[secret] = (secretKinds[secret] ?? 0) + 1;
  const artifactKinds: Record<string, number> = {};
  for (const { kind } of sut.artifacts) artifactKinds[kind] = (artifactKinds[kind] ?? 0) + 1;
  const afterWarmup = samples.find((s) => s.label === 'after warm-up')?.heapUsed ?? 0;
  const endHeap = samples.find((s) => s.label === 'end')?.heapUsed ?? 0;
  const allowedBytes = (options.heapToleranceBytes ?? 16 * MB) + afterWarmup * (options.heapToleranceRatio ?? 0.25);
  const failures: string[] = [];
  const list = (what: string, items: string[]): void => {
    if (items.length > 0) failures.push(`${items.length} ${what}: ${items.slice(0, 10).join('; ')}${items.length > 10 ? ' …' : ''}`);
  };
  list('pushes never reached the flow', verdict.lost);
  list('pushes reached the flow more than once', verdict.duplicated);
  list('pushes never acked', verdict.unacked);
  list('replies vanished', verdict.vanished);
  list('reply mismatches', verdict.replyMismatches);
  list(
    'secrets found',
    secretHits.map((h) => `${h.secret} in ${h.where}: ${h.excerpt}`),
  );
  list('fatal errors in the Node-RED process', sut.fatal);
  if (sut.exit !== 'clean') failures.push(`the Node-RED process did not exit by itself after RED.stop() (${sut.exit})`);
  if (!afterWarmup || !endHeap) failures.push('heap figures missing');
  else if (endHeap - afterWarmup > allowedBytes) {
    failures.push(`heap grew by ${((endHeap - afterWarmup) / MB).toFixed(1)} MB (allowed ${(allowedBytes / MB).toFixed(1)} MB)`);
  }
  const faultCounts = faults.counts();
  if (faults.injected.length === 0) failures.push('no fault was injected');

  await sim.stop();
  rmSync(userDir, { recursive: true, force: true });
  const outageMs = outages.map((o) => o.ms);
  return {
    seed: options.seed,
    seconds,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    verdict,
    faults: faultCounts,
    faultLog: faults.injected,
    duplicateContext,
    frames: { delivered: delivered.size, unanswered: unansweredFrames, systemPings: pings.sent, systemPingsAnswered: pings.answered },
    connections: {
      opened: sim.connections.length,
      outages: outages.length,
      maxOutageMs: outageMs.length ? Math.max(...outageMs) : 0,
      meanOutageMs: outageMs.length ? Math.round(outageMs.reduce((a, b) => a + b, 0) / outageMs.length) : 0,
      longest: [...outages].sort((a, b) => b.ms - a.ms).slice(0, 5),
    },
    heap: { afterWarmup, end: endHeap, samples, growthBytes: endHeap - afterWarmup, allowedBytes: Math.round(allowedBytes) },
    logLines: sut.logLevels,
    notableLogLines: Object.fromEntries([...sut.notable].sort((a, b) => b[1] - a[1])),
    secretHits,
    secretScan: { artifacts: artifactKinds, secrets: secretKinds },
    fatal: sut.fatal,
    sutExit: sut.exit,
    failures,
    passed: failures.length === 0,
  };
}

export function summarise(report: SoakReport): string {
  const v = report.verdict;
  const mb = (n: number): string => `${(n / MB).toFixed(1)} MB`;
  return [
    `soak ${report.passed ? 'PASSED' : 'FAILED'} — seed ${report.seed}, ${report.seconds} s of faults`,
    `  pushed: robot ${v.pushed.robot}, event ${v.pushed.event}, card ${v.pushed.card}; reached the flow: robot ${v.deliveredToFlow.robot}, event ${v.deliveredToFlow.event}, card ${v.deliveredToFlow.card}`,
    `  lost ${v.lost.length}, duplicated ${v.duplicated.length}, unacked ${v.unacked.length}, vanished replies ${v.vanished.length}, reply mismatches ${v.replyMismatches.length}`,
    `  replies: webhook ${v.replies.viaWebhook}, OpenAPI ${v.replies.viaOpenApi}, card answers ${v.replies.cardAnswers}, reported errors (Catch) ${v.replies.reportedErrors}`,
    `  faults: ${Object.entries(report.faults)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
    `  frames delivered ${report.frames.delivered} (re-pushes included), unanswered ${report.frames.unanswered} (their socket died first); SYSTEM pings ${report.frames.systemPings}, answered ${report.frames.systemPingsAnswered}`,
    `  connections opened ${report.connections.opened}; outages ${report.connections.outages}, max ${report.connections.maxOutageMs} ms, mean ${report.connections.meanOutageMs} ms`,
    `  heap after warm-up ${mb(report.heap.afterWarmup)}, end ${mb(report.heap.end)} (growth ${mb(report.heap.growthBytes)}, allowed ${mb(report.heap.allowedBytes)})`,
    `  Node-RED process exit after RED.stop(): ${report.sutExit}`,
    `  log lines: ${Object.entries(report.logLines)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}; secrets found ${report.secretHits.length}`,
    ...Object.entries(v.caughtErrors).map(([m, n]) => `  caught ${n}x ${m}`),
    ...Object.entries(report.notableLogLines)
      .slice(0, 15)
      .map(([m, n]) => `  log ${n}x ${m}`),
    ...summariseDuplicates(report.duplicateContext),
    ...report.failures.map((f) => `  FAIL ${f}`),
  ].join('\n');
}

function summariseDuplicates(context: string[]): string[] {
  if (context.length === 0) return [];
  const byCause = new Map<string, number>();
  for (const line of context) {
    const cause = line.replace(/^.*?: /, '');
    byCause.set(cause, (byCause.get(cause) ?? 0) + 1);
  }
  return [...byCause].map(([cause, n]) => `  duplicates ${n}x ${cause}`);
}

if (require.main === module) {
  const seconds = Number(process.env['SOAK_SECONDS'] ?? 600);
  const seed = Number(process.env['SOAK_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
  const reportPath = process.env['SOAK_REPORT'] ?? join(tmpdir(), 'soak-report.json');
  console.log(`soak: seed ${seed} (replay with SOAK_SEED=${seed}), ${seconds} s`);
  runSoak({ seconds, seed }).then(
    (report) => {
      writeFileSync(reportPath, JSON.stringify(report, null, 2));
      console.log(summarise(report));
      console.log(`soak: report written to ${reportPath}`);
      process.exitCode = report.passed ? 0 : 1;
    },
    (err: unknown) => {
      console.error(`soak: aborted: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      process.exitCode = 2;
    },
  );
}
