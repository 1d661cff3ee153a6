/**
 * npm's `prepare`: run by npm ci and a bare npm install, by npm pack and publish, and when a user installs this
 * package from a git URL (a registry install gets the packed tarball and runs no prepare). Each of those has the
 * sources, and dist/ is git-ignored: without a build here a git-URL install would have no nodes, and a publish could
 * ship a stale dist/. package.json runs this file only where it exists, so in an unpacked tarball (no sources, no
 * test/) prepare does nothing instead of failing.
 */
import { spawnSync } from 'node:child_process';

await import('../../test/compat/unlink-node-bin.mjs');

// npm_execpath is npm's own CLI when npm runs this script; a bare `npm` would go through PATH (and a .cmd on Windows).
const npmCli = process.env.npm_execpath;
const build = npmCli
  ? spawnSync(process.execPath, [npmCli, 'run', 'build'], { stdio: 'inherit' })
  : spawnSync('npm', ['run', 'build'], { stdio: 'inherit', shell: process.platform === 'win32' });
if (build.status !== 0) {
  process.stderr.write(
    `prepare: \`npm run build\` failed (${build.error?.message ?? `exit ${build.status}`}); fix the build error above and run npm install again.\n`,
  );
  process.exitCode = 1;
}
