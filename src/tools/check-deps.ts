/**
 * `npm run check:deps`: the flows-library scorecard's "each runtime dependency on its latest major", checked against
 * the npm registry. It needs the network, so it is kept out of `npm test` (which never touches it); run it before a
 * release. "Latest" means the newest major whose `engines.node` still accepts our own minimum Node (ADR 4).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import semver from 'semver';

const run = promisify(execFile);

interface PackageJson {
  engines?: { node?: string };
  dependencies?: Record<string, string>;
}

async function npmView(spec: string, field: string): Promise<unknown> {
  const { stdout } = await run('npm', ['view', spec, field, '--json'], { timeout: 30_000 });
  return stdout.trim() ? (JSON.parse(stdout) as unknown) : undefined;
}

/** The newest major of `dep` whose newest release accepts `ourNode`. */
async function newestSupportedMajor(dep: string, ourNode: string): Promise<number | undefined> {
  const versions = ((await npmView(dep, 'versions')) as string[]).filter((v) => semver.prerelease(v) === null);
  const majors = [...new Set(versions.map((v) => semver.major(v)))].sort((a, b) => b - a);
  for (const major of majors) {
    const newest = semver.maxSatisfying(versions, `${major}.x`);
    const engines = (await npmView(`${dep}@${newest}`, 'engines.node')) as string | string[] | undefined;
    const needs = Array.isArray(engines) ? engines[engines.length - 1] : engines;
    if (!needs || semver.satisfies(ourNode, needs)) return major;
  }
  return undefined;
}

async function main(): Promise<void> {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as PackageJson;
  const ourNode = semver.minVersion(pkg.engines?.node ?? '')?.version ?? '20.0.0';
  let stale = 0;
  for (const [dep, range] of Object.entries(pkg.dependencies ?? {})) {
    const ours = semver.minVersion(range)?.major;
    const latest = await newestSupportedMajor(dep, ourNode);
    const ok = ours === latest;
    if (!ok) stale += 1;
    process.stdout.write(`${ok ? 'ok  ' : 'OLD '} ${dep}@${range}: newest major for Node ${ourNode} is ${String(latest)}\n`);
  }
  if (stale > 0) {
    process.stdout.write(`${stale} runtime dependenc${stale === 1 ? 'y is' : 'ies are'} not on the latest major.\n`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`check:deps failed (it needs the npm registry): ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 2;
});
