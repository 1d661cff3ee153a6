/**
 * Node-RED's loader looks for a node's .html, its `locales/` and its `icons/` beside the node's .js file
 * (@node-red/registry: loader.loadNodeLocales, localfilesystem.getModuleNodeFiles). Sources stay at the top level
 * of the repo; this puts copies where the compiled nodes are.
 */
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');
const target = join(root, 'dist', 'nodes');
mkdirSync(target, { recursive: true });

for (const file of readdirSync(join(root, 'nodes'))) {
  if (file.endsWith('.html')) cpSync(join(root, 'nodes', file), join(target, file));
}
for (const dir of ['locales', 'icons']) {
  if (existsSync(join(root, dir))) cpSync(join(root, dir), join(target, dir), { recursive: true });
}
const simPublic = join(root, 'src', 'simulator', 'public');
if (existsSync(simPublic)) cpSync(simPublic, join(root, 'dist', 'src', 'simulator', 'public'), { recursive: true });

// tsc writes 0644; npm packs files with the mode they have, so a bin is executable in the tarball only if it is here.
const bins = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin?: Record<string, string> }).bin ?? {};
for (const file of Object.values(bins)) chmodSync(join(root, file), 0o755);
