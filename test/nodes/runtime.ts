/**
 * Which Node-RED the runtime tests run against. By default the `node-red` devDependency (Node-RED 4); the
 * compatibility run (test/compat/run.mjs) sets NODE_RED_PATH to another one, e.g. `node-red-5`, the npm alias of
 * Node-RED 5. Everything a test takes from the runtime (core nodes, @node-red/util) must come from that runtime's own
 * tree: a bare `require('@node-red/...')` would find the top-level Node-RED 4 modules, whose hooks and registry are
 * not the ones the runtime under test uses.
 */
import { dirname } from 'node:path';

export const NODE_RED_PATH_ENV = 'NODE_RED_PATH';

function resolveRuntime(): string {
  const wanted = process.env[NODE_RED_PATH_ENV] || 'node-red';
  try {
    return require.resolve(wanted);
  } catch {
    throw new Error(
      `${NODE_RED_PATH_ENV}=${wanted} does not resolve to a Node-RED package: give an installed package name (node-red, node-red-5) or an absolute path to a Node-RED package directory, then run npm ci if it is a devDependency`,
    );
  }
}

/** The runtime's main module (what `require('node-red')` would load), for require() and the test helper's init(). */
export const nodeRedMain: string = resolveRuntime();

/** `require(id)` as the runtime itself resolves it: `@node-red/util` is the runtime's own instance. */
export function requireFromRuntime(id: string): unknown {
  return require(require.resolve(id, { paths: [dirname(nodeRedMain)] }));
}

/** The message hooks the runtime under test fires (its @node-red/util's), which a real runtime hands nodes as RED.hooks. */
export function runtimeHooks<T>(): T {
  return (requireFromRuntime('@node-red/util') as { hooks: T }).hooks;
}
