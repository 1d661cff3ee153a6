/**
 * The user directory and settings of the real Node-RED runtimes the tests start in a process of their own
 * (node-red-process.ts, the soak's sut.ts, the security suites' admin-runtime.ts): one install, as a user has it.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The package installed into `userDir` the way a user has it (a dependency in its node_modules), and the flows and
 * credentials a runtime started with quietSettings(userDir) loads.
 */
export function prepareUserDir(userDir: string, packageRoot: string, flows: unknown[], credentials: Record<string, unknown>): void {
  const scope = join(userDir, 'node_modules', '@seed-26f52f9c');
  mkdirSync(scope, { recursive: true });
  symlinkSync(packageRoot, join(scope, 'node-red-dingtalk-stream'), 'dir');
  writeFileSync(
    join(userDir, 'package.json'),
    JSON.stringify({ name: 'dingtalk-test-userdir', private: true, dependencies: { '@seed-26f52f9c/node-red-dingtalk-stream': '*' } }),
  );
  writeFileSync(join(userDir, 'flows.json'), JSON.stringify(flows));
  // Plain, as quietSettings' credentialSecret: false reads it; the directory is a temp dir its starter removes.
  writeFileSync(join(userDir, 'flows_cred.json'), JSON.stringify(credentials));
}

/**
 * The settings every such runtime shares: the flows of prepareUserDir(), no editor, no diagnostics or runtime-state
 * routes, and no npm installs (a test runtime must not reach the network). Each adds its HTTP roots and logging.
 */
export function quietSettings(userDir: string): Record<string, unknown> {
  return {
    userDir,
    flowFile: 'flows.json',
    credentialSecret: false,
    disableEditor: true,
    uiHost: '127.0.0.1',
    diagnostics: { enabled: false },
    runtimeState: { enabled: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
  };
}
