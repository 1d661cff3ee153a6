/**
 * `npm start`: a local Node-RED with this package (from the working tree) and the two complete example flows.
 * Without DINGTALK_CLIENT_ID/DINGTALK_CLIENT_SECRET it also starts the DingTalk simulator and points the app at it.
 *
 *   node dist/src/tools/start.js [--port N] [--sim-port N] [--user-dir DIR] [--reset]
 *   (env: PORT, DINGTALK_SIM_PORT, DINGTALK_API_BASE, DINGTALK_CLIENT_ID, DINGTALK_CLIENT_SECRET)
 *
 * The flows reference the app's credentials as `${DINGTALK_CLIENT_ID}` / `${DINGTALK_CLIENT_SECRET}` (Node-RED
 * substitutes environment variables in credentials), so no secret is ever written to the playground's files; the
 * app's apiBase is set on every start to the simulator or to DINGTALK_API_BASE (default https://api.dingtalk.com).
 * This is an entry point, so it is a place that prints.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { DEFAULT_API_BASE } from '../contract';
import { DingTalkSimulator, SIMULATOR_APP } from '../simulator';
import { prepareUserDir, REPO_ROOT } from './playground-userdir';

const DEFAULT_PORT = 1880;
const DEFAULT_SIM_PORT = 8780;
/** Node-RED gets this long to close its flows after Ctrl-C before it is killed. */
const STOP_GRACE_MS = 10_000;

const USAGE = 'usage: npm start -- [--port N] [--sim-port N] [--user-dir DIR] [--reset]';

export interface StartOptions {
  port: number;
  simPort: number;
  userDir: string;
  reset: boolean;
}

/** `min` 0 allows "any free port" (the simulator); the editor needs a port known in advance to print its URL. */
function portValue(flag: string, raw: string | undefined, min: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > 65535) {
    throw new Error(`${flag} needs a port number (${min}-65535), got "${raw ?? ''}".\n${USAGE}`);
  }
  return value;
}

export function parseStartOptions(argv: string[], env: NodeJS.ProcessEnv): StartOptions {
  const options: StartOptions = {
    port: env.PORT ? portValue('PORT', env.PORT, 1) : DEFAULT_PORT,
    simPort: env.DINGTALK_SIM_PORT ? portValue('DINGTALK_SIM_PORT', env.DINGTALK_SIM_PORT, 0) : DEFAULT_SIM_PORT,
    userDir: join(REPO_ROOT, '.playground'),
    reset: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--reset') options.reset = true;
    else if (flag === '--port') options.port = portValue(flag, argv[++i], 1);
    else if (flag === '--sim-port') options.simPort = portValue(flag, argv[++i], 0);
    else if (flag === '--user-dir' && argv[i + 1]) options.userDir = resolve(argv[++i] as string);
    else if (flag === '--help' || flag === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else throw new Error(`unknown option ${flag}.\n${USAGE}`);
  }
  return options;
}

/** Real DingTalk only when both halves of the credentials are there; says so when only one is. */
function chooseMode(env: NodeJS.ProcessEnv): { real: boolean; note?: string } {
  const id = Boolean(env.DINGTALK_CLIENT_ID);
  const secret = Boolean(env.DINGTALK_CLIENT_SECRET);
  if (id && secret) return { real: true };
  if (id || secret) {
    return {
      real: false,
      note: `${id ? 'DINGTALK_CLIENT_SECRET' : 'DINGTALK_CLIENT_ID'} is not set, so the simulator is used. Set both to connect to your DingTalk app.`,
    };
  }
  return { real: false };
}

async function startSimulator(port: number): Promise<DingTalkSimulator> {
  const simulator = new DingTalkSimulator();
  try {
    await simulator.start(port);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(
        `port ${port} for the DingTalk simulator is in use: stop what runs there, or pick another with DINGTALK_SIM_PORT=<port> or --sim-port <port>.`,
      );
    }
    throw err;
  }
  return simulator;
}

/** Forwards Node-RED's output line by line and resolves once it has started its flows and its HTTP server. */
function forwardUntilReady(child: ChildProcess): Promise<void> {
  return new Promise((resolveReady) => {
    let flowsStarted = false;
    let listening = false;
    const watch = (stream: NodeJS.ReadableStream | null, out: NodeJS.WriteStream): void => {
      if (!stream) return;
      createInterface({ input: stream }).on('line', (line) => {
        out.write(`${line}\n`);
        if (line.includes('Started flows')) flowsStarted = true;
        if (line.includes('Server now running at')) listening = true;
        if (flowsStarted && listening) resolveReady();
      });
    };
    watch(child.stdout, process.stdout);
    watch(child.stderr, process.stderr);
  });
}

function banner(lines: Array<string | false | undefined>): void {
  process.stdout.write(`\n${lines.filter((line): line is string => typeof line === 'string').join('\n')}\n\n`);
}

async function main(): Promise<void> {
  const options = parseStartOptions(process.argv.slice(2), process.env);
  const mode = chooseMode(process.env);
  const env: NodeJS.ProcessEnv = { ...process.env };
  let simulator: DingTalkSimulator | undefined;
  let apiBase = process.env.DINGTALK_API_BASE || DEFAULT_API_BASE;
  if (!mode.real) {
    simulator = await startSimulator(options.simPort);
    apiBase = simulator.apiBase;
    // Only Node-RED's environment: the flows' ${DINGTALK_CLIENT_ID}/${DINGTALK_CLIENT_SECRET} resolve to the simulator app.
    env.DINGTALK_CLIENT_ID = SIMULATOR_APP.clientId;
    env.DINGTALK_CLIENT_SECRET = SIMULATOR_APP.clientSecret;
  }
  env.DINGTALK_API_BASE = apiBase;
  const prepared = prepareUserDir({ userDir: options.userDir, port: options.port, reset: options.reset, apiBase });
  const editorUrl = `http://127.0.0.1:${options.port}/`;
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  banner([
    `node-red-dingtalk-stream ${pkg.version} playground`,
    mode.real
      ? `  mode:      REAL DingTalk, app ${process.env.DINGTALK_CLIENT_ID} via ${apiBase}`
      : '  mode:      simulator (set DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET to use your DingTalk app)',
    mode.note && `  note:      ${mode.note}`,
    `  user dir:  ${options.userDir}${prepared.wroteFlows ? ' (example flows deployed)' : ' (your saved flows; --reset restores the examples)'}`,
    prepared.repointed && `  app:       "Playground app" now points at ${apiBase}`,
    '  starting Node-RED…',
  ]);

  const child = spawn(process.execPath, [require.resolve('node-red/red.js'), '--userDir', options.userDir, '--settings', prepared.settingsFile], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping Node-RED…\n');
    child.kill('SIGINT');
    setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  void forwardUntilReady(child).then(() =>
    banner([
      `playground ready (${mode.real ? 'REAL DingTalk' : 'simulator'} mode, Node-RED pid ${child.pid ?? '?'})`,
      `  editor:    ${editorUrl}`,
      simulator && `  simulator: ${simulator.apiBase}/   chat as a DingTalk user, fire an approval event, click card buttons`,
      '  Ctrl-C stops everything.',
    ]),
  );

  child.on('exit', (code, signal) => {
    if (!stopping) {
      process.stderr.write(
        `Node-RED exited unexpectedly (${signal ?? `code ${code}`}); stopping. Its messages are above; ` +
          `if port ${options.port} is in use, pick another: PORT=<port> npm start, or npm start -- --port <port>.\n`,
      );
    }
    void (simulator?.stop() ?? Promise.resolve()).then(() => {
      if (stopping) process.stdout.write('stopped.\n');
      process.exit(stopping ? 0 : (code ?? 1));
    });
  });
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`npm start failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
