/**
 * The compatibility run (`npm run test:compat`, and the second half of `npm test`): the Node-RED runtime tests
 * (test/nodes, which hold the example-flow tests, and the Node-RED process of test/reliability/hostile-msg) once per
 * entry of COMPAT_RUNS, each with that entry's Node binary and NODE_RED_PATH set to its Node-RED. One after the
 * other, since the runs start servers and share the CPU. Prints each run's result and time, names the runs that
 * failed, and exits non-zero if any did.
 *
 * `node dist/test/compat/run.js [alias...]` runs only the entries whose Node or Node-RED alias is named.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { COMPAT_RUNS, nodeBinary, type CompatRun } from './matrix';
import { NODE_RED_PATH_ENV } from '../nodes/runtime';

const DIST_TEST = join(__dirname, '..');

function specFiles(): string[] {
  const nodes = join(DIST_TEST, 'nodes');
  const files = readdirSync(nodes)
    .filter((f) => f.endsWith('.test.js'))
    .sort()
    .map((f) => join(nodes, f));
  return [...files, join(DIST_TEST, 'reliability', 'hostile-msg.test.js')];
}

interface Outcome {
  label: string;
  ok: boolean;
  seconds: number;
  detail: string;
}

/** What the tests will load, asked of the run's own binary through the same resolution the tests use. */
function describeRun(run: CompatRun, bin: string, env: NodeJS.ProcessEnv): string {
  const probe = `const { nodeRedMain } = require(${JSON.stringify(join(DIST_TEST, 'nodes', 'runtime.js'))});
    process.stdout.write('Node-RED ' + require(nodeRedMain).version() + ' on Node ' + process.version);`;
  const res = spawnSync(bin, ['-e', probe], { env, encoding: 'utf8', timeout: 60_000 });
  if (res.status !== 0) {
    throw new Error(`${run.node} (${bin}) could not load ${run.nodeRed}: ${res.error?.message ?? res.stderr.trim().slice(0, 2000)}`);
  }
  return res.stdout.trim();
}

function runMocha(bin: string, env: NodeJS.ProcessEnv, files: string[]): Promise<number> {
  const mocha = require.resolve('mocha/bin/mocha.js');
  // --no-config: .mocharc.json would add every test file; these suites are the ones that load Node-RED.
  const args = [mocha, '--no-config', '--timeout', '20000', '--reporter', 'dot', ...files];
  return new Promise((resolve) => {
    const child = spawn(bin, args, { env, stdio: 'inherit' });
    child.once('error', () => resolve(127));
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

async function runOne(run: CompatRun, files: string[]): Promise<Outcome> {
  const fallback = `Node-RED ${run.nodeRed} on Node ${run.node}`;
  const started = process.hrtime.bigint();
  const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9;
  try {
    const bin = nodeBinary(run.node);
    const env: NodeJS.ProcessEnv = { ...process.env, [NODE_RED_PATH_ENV]: run.nodeRed };
    const label = describeRun(run, bin, env);
    process.stdout.write(`\ncompat: ${label} (${run.nodeRed}, ${run.node}; ${files.length} test files)\n`);
    const code = await runMocha(bin, env, files);
    return { label, ok: code === 0, seconds: seconds(), detail: code === 0 ? 'passed' : `FAILED (mocha exit ${code})` };
  } catch (err) {
    return { label: fallback, ok: false, seconds: seconds(), detail: `FAILED: ${err instanceof Error ? err.message : String(err)}` };
  }
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const runs = wanted.length === 0 ? COMPAT_RUNS : COMPAT_RUNS.filter((r) => wanted.includes(r.node) || wanted.includes(r.nodeRed));
  if (runs.length === 0) {
    process.stderr.write(`compat: no run matches ${wanted.join(' ')}; known: ${COMPAT_RUNS.map((r) => `${r.nodeRed}+${r.node}`).join(', ')}\n`);
    process.exitCode = 2;
    return;
  }
  const files = specFiles();
  const outcomes: Outcome[] = [];
  for (const run of runs) outcomes.push(await runOne(run, files));

  process.stdout.write('\ncompatibility run:\n');
  for (const o of outcomes)
    process.stdout.write(`  ${o.ok ? 'ok    ' : 'FAILED'}  ${o.label}  ${o.seconds.toFixed(1)} s${o.ok ? '' : `  ${o.detail}`}\n`);
  const failed = outcomes.filter((o) => !o.ok);
  if (failed.length > 0) {
    process.stderr.write(`compat: ${failed.length} of ${outcomes.length} runs failed: ${failed.map((o) => o.label).join('; ')}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  void main();
}
