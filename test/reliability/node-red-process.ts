/**
 * A real Node-RED runtime in a process of its own, with the package installed the way a user has it, the editor's
 * admin API and the `http in` endpoints on one port, and the flows it is given. The hostile-input tests use it to
 * see whether a request can end the whole process, which an in-process test runtime cannot show.
 *
 * Started by `startNodeRedProcess`; answers over IPC. Not a test itself.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeRedMain } from '../nodes/runtime';
import { prepareUserDir, quietSettings } from './user-dir';

const CONFIG_ENV = 'NODE_RED_PROCESS_CONFIG';

interface ProcessConfig {
  userDir: string;
  packageRoot: string;
  flows: unknown[];
  credentials: Record<string, unknown>;
  /** Extra runtime settings (e.g. dingtalkStreamAppTiming). */
  settings?: Record<string, unknown>;
}

type Report = { t: 'ready'; port: number } | { t: 'fatal'; text: string };

interface NodeRedRuntime {
  init(server: Server, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  httpAdmin: (req: unknown, res: unknown, next: () => void) => void;
  httpNode: (req: unknown, res: unknown, next?: () => void) => void;
}

async function main(): Promise<void> {
  const raw = process.env[CONFIG_ENV];
  if (!raw) throw new Error(`${CONFIG_ENV} is not set: this process is started by startNodeRedProcess()`);
  const config = JSON.parse(raw) as ProcessConfig;
  prepareUserDir(config.userDir, config.packageRoot, config.flows, config.credentials);
  // The runtime under test (NODE_RED_PATH, inherited from the test process), on the test process's Node binary.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const RED = require(nodeRedMain) as NodeRedRuntime;
  const server = createServer();
  RED.init(server, {
    ...quietSettings(config.userDir),
    httpAdminRoot: '/admin',
    httpNodeRoot: '/',
    logging: { console: { level: 'error', metrics: false, audit: false } },
    ...config.settings,
  });
  server.on('request', (req, res) => {
    const url = req.url ?? '';
    if (url === '/admin' || url.startsWith('/admin/')) {
      // RED.httpAdmin serves its routes at its own root, as a sub-app mounted at httpAdminRoot sees them.
      req.url = url.slice('/admin'.length) || '/';
      RED.httpAdmin(req, res, () => {
        res.statusCode = 404;
        res.end();
      });
    } else RED.httpNode(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  await RED.start();
  const address = server.address();
  process.send?.({ t: 'ready', port: typeof address === 'object' && address ? address.port : 0 } satisfies Report);
  process.on('disconnect', () => process.exit(0));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.send?.({
      t: 'fatal',
      text: `Node-RED failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    } satisfies Report);
    process.exitCode = 1;
  });
}

export interface NodeRedProcess {
  /** http://127.0.0.1:<port>: `http in` paths at the root, the admin API under /admin. */
  readonly url: string;
  /** The exit code once the process has ended on its own (a crash), else null. */
  exitCode(): number | null;
  /** What the runtime wrote to stderr (its error log, a crash's stack). */
  stderr(): string;
  stop(): Promise<void>;
  /** SIGKILL: the process dies mid-flow, closing nothing (its sockets drop, as in a crash). */
  kill(): Promise<void>;
}

/** Starts Node-RED in a child process with `flows`; resolves once it listens and has started its flows. */
export async function startNodeRedProcess(
  flows: unknown[],
  credentials: Record<string, unknown>,
  settings?: Record<string, unknown>,
): Promise<NodeRedProcess> {
  const userDir = mkdtempSync(join(tmpdir(), 'nr-hostile-'));
  const config: ProcessConfig = { userDir, packageRoot: join(__dirname, '..', '..', '..'), flows, credentials, settings };
  const child: ChildProcess = fork(__filename, [], {
    env: { ...process.env, [CONFIG_ENV]: JSON.stringify(config) },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let errText = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (errText.length < 64 * 1024) errText += chunk.toString('utf8');
  });
  let exited: number | null = null;
  const ended = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = code ?? (signal ? 128 : 0);
      resolve();
    });
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Node-RED did not start within 30 s:\n${errText}`)), 30_000);
    child.on('message', (report: Report) => {
      clearTimeout(timer);
      if (report.t === 'ready') resolve(report.port);
      else reject(new Error(report.text));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Node-RED exited with ${String(code)} before it was ready:\n${errText}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    exitCode: () => exited,
    stderr: () => errText,
    async stop() {
      if (exited === null) {
        child.kill('SIGTERM');
        await ended;
      }
      rmSync(userDir, { recursive: true, force: true });
    },
    async kill() {
      if (exited === null) {
        child.kill('SIGKILL');
        await ended;
      }
      rmSync(userDir, { recursive: true, force: true });
    },
  };
}
