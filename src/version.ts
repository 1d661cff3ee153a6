import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function readPackage(): { name: string; version: string } {
  // dist/src/version.js -> ../../package.json; src/version.ts (ts-node) -> ../package.json
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(join(__dirname, rel), 'utf8')) as { name?: unknown; version?: unknown };
      if (typeof pkg.name === 'string' && typeof pkg.version === 'string') return { name: pkg.name, version: pkg.version };
    } catch {
      // try the next location
    }
  }
  return { name: '@seed-26f52f9c/node-red-dingtalk-stream', version: '0.0.0' };
}

export const PACKAGE = readPackage();
/** The `ua` sent to the gateway, in the `name-sdk-lang/version` convention. */
export const USER_AGENT = `node-red-dingtalk-stream/${PACKAGE.version}`;
