/**
 * Runs `npm start`'s script (dist/src/tools/start.js) as a child process and waits until the playground is ready:
 * for the screenshot script and the tests, which should exercise exactly what a user gets.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface PlaygroundLaunch {
  userDir: string;
  port: number;
  /** 0 = a free port (the default here, so nothing clashes with a running `npm start`). */
  simPort?: number;
  /** Extra environment; DINGTALK_CLIENT_ID/SECRET are removed unless given here, so the simulator is used. */
  env?: NodeJS.ProcessEnv;
  reset?: boolean;
  timeoutMs?: number;
}

export interface PlaygroundProcess {
  editorUrl: string;
  /** Without a trailing slash, like DingTalkSimulator.apiBase; undefined in real-DingTalk mode. */
  simulatorUrl?: string;
  pid: number;
  nodeRedPid: number;
  /** Everything the script printed so far. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Ctrl-C, then waits for the script to exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A port that was free a moment ago, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** start.ts's banner once Node-RED runs; read up to its last line so that a chunk boundary cannot cut it short. */
const READY = /playground ready \(.*Node-RED pid (\d+)\)\n\s+editor:\s+(\S+)\n(?:\s+simulator:\s+(\S+).*\n)?\s+Ctrl-C stops everything\./;

export function launchPlayground(options: PlaygroundLaunch): Promise<PlaygroundProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DINGTALK_CLIENT_ID;
  delete env.DINGTALK_CLIENT_SECRET;
  delete env.PORT;
  delete env.DINGTALK_SIM_PORT;
  Object.assign(env, options.env);
  const script = join(__dirname, 'start.js');
  const args = [script, '--user-dir', options.userDir, '--port', String(options.port), '--sim-port', String(options.simPort ?? 0)];
  if (options.reset) args.push('--reset');
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      // Ctrl-C first, so that the script stops the Node-RED it started; a killed script would orphan it.
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      reject(new Error(`the playground did not get ready within ${options.timeoutMs ?? 30_000} ms; it printed:\n${text}`));
    }, options.timeoutMs ?? 30_000);
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      const match = READY.exec(text);
      if (!match) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      // Keep draining the pipes so Node-RED never blocks on a full one.
      child.stdout.on('data', (more: Buffer) => (text += more.toString('utf8')));
      const simulator = match[3]?.replace(/\/$/, '');
      resolve({
        editorUrl: match[2] as string,
        simulatorUrl: simulator,
        pid: child.pid ?? 0,
        nodeRedPid: Number(match[1]),
        output: () => text,
        exited,
        stop: () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
          return exited;
        },
      });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the playground exited (${signal ?? `code ${code}`}) before it was ready; it printed:\n${text}`));
    });
  });
}
