/**
 * `npm start`: a local Node-RED with this package and the example flows.
 * Without DINGTALK_CLIENT_ID/DINGTALK_CLIENT_SECRET it also starts the DingTalk simulator and points the app at it.
 *
 * The flows reference the app's credentials as `${DINGTALK_CLIENT_ID}` / `${DINGTALK_CLIENT_SECRET}` (Node-RED
 * substitutes environment variables in credentials), so no secret is ever written to the playground's files.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DingTalkSimulator, SIMULATOR_APP } from '../simulator';
import { buildPlaygroundFlows } from './playground-flows';

const root = join(__dirname, '..', '..', '..');
const userDir = join(root, '.playground');
const port = Number(process.env.PORT ?? 1880);
const simPort = Number(process.env.DINGTALK_SIM_PORT ?? 8780);
const reset = process.argv.includes('--reset');

function prepareUserDir(): void {
  mkdirSync(join(userDir, 'node_modules', '@seed-26f52f9c'), { recursive: true });
  const link = join(userDir, 'node_modules', '@seed-26f52f9c', 'node-red-dingtalk-stream');
  rmSync(link, { force: true, recursive: true });
  symlinkSync(root, link, 'dir');
  writeFileSync(
    join(userDir, 'settings.js'),
    `module.exports = {
  uiPort: ${port},
  uiHost: '127.0.0.1',
  flowFile: 'flows.json',
  credentialSecret: false,
  userDir: ${JSON.stringify(userDir)},
  logging: { console: { level: 'info', metrics: false, audit: false } },
  editorTheme: { tours: false, projects: { enabled: false } },
};
`,
  );
  const flowFile = join(userDir, 'flows.json');
  if (reset || !existsSync(flowFile)) {
    const { flows, credentials } = buildPlaygroundFlows(join(root, 'examples'));
    writeFileSync(flowFile, JSON.stringify(flows, null, 2));
    writeFileSync(join(userDir, 'flows_cred.json'), JSON.stringify(credentials, null, 2));
  }
}

async function main(): Promise<void> {
  const real = Boolean(process.env.DINGTALK_CLIENT_ID && process.env.DINGTALK_CLIENT_SECRET);
  let simulator: DingTalkSimulator | undefined;
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (real) {
    env.DINGTALK_API_BASE = process.env.DINGTALK_API_BASE ?? 'https://api.dingtalk.com';
  } else {
    simulator = new DingTalkSimulator();
    await simulator.start(simPort);
    env.DINGTALK_API_BASE = simulator.apiBase;
    env.DINGTALK_CLIENT_ID = SIMULATOR_APP.clientId;
    env.DINGTALK_CLIENT_SECRET = SIMULATOR_APP.clientSecret;
  }
  prepareUserDir();

  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  process.stdout.write(
    [
      '',
      `node-red-dingtalk-stream ${pkg.version} playground`,
      real
        ? `  mode:      REAL DingTalk (app ${process.env.DINGTALK_CLIENT_ID})`
        : `  mode:      simulator (set DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET to use your DingTalk app)`,
      `  editor:    http://127.0.0.1:${port}/`,
      simulator ? `  simulator: ${simulator.apiBase}/  (chat as a DingTalk user, fire events, click cards)` : '',
      `  Ctrl-C stops everything.`,
      '',
    ]
      .filter((line) => line !== '')
      .join('\n') + '\n\n',
  );

  const redCli = require.resolve('node-red/red.js');
  const child = spawn(process.execPath, [redCli, '--userDir', userDir, '--settings', join(userDir, 'settings.js')], {
    env,
    stdio: 'inherit',
  });

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    child.kill('SIGINT');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  child.on('exit', (code) => {
    void (simulator?.stop() ?? Promise.resolve()).then(() => process.exit(stopping ? 0 : (code ?? 1)));
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`npm start failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
