/**
 * The playground's Node-RED user directory: settings, this package linked from the working tree, the example flows.
 *
 * Node-RED finds the package by scanning `<userDir>/node_modules` (@node-red/registry localfilesystem
 * scanTreeForNodesModules; scoped directories included, symlinks followed), so a symlink to the repo is enough and a
 * rebuild shows up on the next start without reinstalling. Node resolves the link to the real path, so the nodes'
 * own dependencies come from the repo's node_modules.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { buildPlaygroundFlows, pointAppAt, type PlaygroundFlowNode } from './playground-flows';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
export const PACKAGE_NAME = '@seed-26f52f9c/node-red-dingtalk-stream';

export interface PreparedUserDir {
  settingsFile: string;
  /** The example flows were (re)written; false when the user's saved flows were kept. */
  wroteFlows: boolean;
  /** The saved flows' playground app was pointed at a different apiBase (simulator <-> real DingTalk). */
  repointed: boolean;
}

function linkPackage(userDir: string): void {
  const link = join(userDir, 'node_modules', ...PACKAGE_NAME.split('/'));
  mkdirSync(dirname(link), { recursive: true });
  try {
    const stat = lstatSync(link);
    if (stat.isSymbolicLink() && resolve(dirname(link), readlinkSync(link)) === REPO_ROOT) return;
    // Something else is there (an npm-installed copy, a stale link): the working tree wins.
    rmSync(link, { recursive: true, force: true });
  } catch {
    // nothing there yet
  }
  symlinkSync(REPO_ROOT, link, 'dir');
}

function settingsSource(userDir: string, port: number): string {
  const settings = {
    uiPort: port,
    uiHost: '127.0.0.1',
    userDir,
    flowFile: 'flows.json',
    // Credentials are only ${ENV} references (see playground-flows.ts): nothing secret to encrypt.
    credentialSecret: false,
    logging: { console: { level: 'info', metrics: false, audit: false } },
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: false, ui: false },
    editorTheme: {
      page: { title: 'Node-RED · DingTalk playground' },
      tours: false,
      projects: { enabled: false },
    },
  };
  return `// Written by npm start (src/tools/playground-userdir.ts) on every start; edits here are overwritten.\nmodule.exports = ${JSON.stringify(settings, null, 2)};\n`;
}

/** Saved flows the user may have edited: only the playground app's apiBase is changed, and only when it differs. */
function repointSavedFlows(flowFile: string, apiBase: string): boolean {
  let flows: unknown;
  try {
    flows = JSON.parse(readFileSync(flowFile, 'utf8'));
  } catch {
    return false; // unreadable: Node-RED will say so itself
  }
  if (!Array.isArray(flows)) return false;
  const changed = pointAppAt(flows as PlaygroundFlowNode[], apiBase);
  if (changed) writeFileSync(flowFile, `${JSON.stringify(changed, null, 2)}\n`);
  return changed !== undefined;
}

export function prepareUserDir(opts: { userDir: string; port: number; reset: boolean; apiBase: string }): PreparedUserDir {
  const { userDir } = opts;
  mkdirSync(userDir, { recursive: true });
  linkPackage(userDir);
  // Lets the palette manager list the package as installed by the user.
  writeFileSync(
    join(userDir, 'package.json'),
    `${JSON.stringify({ name: 'node-red-dingtalk-playground', private: true, dependencies: { [PACKAGE_NAME]: `file:${REPO_ROOT}` } }, null, 2)}\n`,
  );
  const settingsFile = join(userDir, 'settings.js');
  writeFileSync(settingsFile, settingsSource(userDir, opts.port));

  const flowFile = join(userDir, 'flows.json');
  const wroteFlows = opts.reset || !existsSync(flowFile);
  if (wroteFlows) {
    const { flows, credentials } = buildPlaygroundFlows(join(REPO_ROOT, 'examples'), opts.apiBase);
    writeFileSync(flowFile, `${JSON.stringify(flows, null, 2)}\n`);
    writeFileSync(join(userDir, 'flows_cred.json'), `${JSON.stringify(credentials, null, 2)}\n`);
  }
  return { settingsFile, wroteFlows, repointed: !wroteFlows && repointSavedFlows(flowFile, opts.apiBase) };
}
