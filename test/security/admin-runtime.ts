/**
 * A real Node-RED runtime (require('node-red')) with `adminAuth` on, for the security suites.
 * It runs in its own process: the node test helper drives the same Node-RED modules in the mocha process, and two
 * runtimes in one process would share (and reset) one node registry.
 *
 * Started by startRuntime() in admin-client.ts with its config in ADMIN_RUNTIME_CONFIG; answers over IPC. Not a test
 * itself.
 */
import { createServer, type Server } from 'node:http';
import { prepareUserDir, quietSettings } from '../reliability/user-dir';

export const ADMIN_RUNTIME_CONFIG = 'ADMIN_RUNTIME_CONFIG';

export interface AdminRuntimeUser {
  username: string;
  /** bcrypt hash, as Node-RED's settings file holds it. */
  password: string;
  permissions: string;
}

export interface AdminRuntimeConfig {
  userDir: string;
  packageRoot: string;
  apiBase: string;
  clientId: string;
  clientSecret: string;
  users: AdminRuntimeUser[];
  /** More nodes for flows.json (on tab1 or global) and their credentials. */
  extraNodes?: Array<Record<string, unknown>>;
  extraCredentials?: Record<string, Record<string, string>>;
}

export type AdminRuntimeReport = { t: 'ready'; port: number } | { t: 'stopped' } | { t: 'fatal'; text: string };

interface NodeRedRuntime {
  init(server: Server, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  httpAdmin: (req: unknown, res: unknown) => void;
}

function tell(report: AdminRuntimeReport): void {
  process.send?.(report);
}

/** The package installed into the user directory, plus one deployed app node. */
function prepareAppUserDir(config: AdminRuntimeConfig): void {
  const flows = [
    { id: 'tab1', type: 'tab', label: 'security' },
    { id: 'app1', type: 'dingtalk-stream-app', name: 'sim', apiBase: config.apiBase, robotCode: '', proxy: '' },
    ...(config.extraNodes ?? []),
  ];
  const credentials = { app1: { clientId: config.clientId, clientSecret: config.clientSecret }, ...config.extraCredentials };
  prepareUserDir(config.userDir, config.packageRoot, flows, credentials);
}

async function main(): Promise<void> {
  const raw = process.env[ADMIN_RUNTIME_CONFIG];
  if (!raw) throw new Error(`${ADMIN_RUNTIME_CONFIG} is not set: this process is started by startRuntime() in admin-client.ts`);
  const config = JSON.parse(raw) as AdminRuntimeConfig;
  prepareAppUserDir(config);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const RED = require('node-red') as NodeRedRuntime;
  const server = createServer();
  RED.init(server, {
    ...quietSettings(config.userDir),
    httpAdminRoot: '/',
    httpNodeRoot: false,
    adminAuth: { type: 'credentials', users: config.users },
    logging: { console: { level: 'off', metrics: false, audit: false } },
  });
  server.on('request', RED.httpAdmin);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  await RED.start();
  const address = server.address();
  tell({ t: 'ready', port: typeof address === 'object' && address ? address.port : 0 });

  process.on('message', (message: { cmd?: string }) => {
    if (message.cmd !== 'stop') return;
    RED.stop()
      .then(
        () =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      )
      .then(
        () => {
          tell({ t: 'stopped' });
          process.disconnect?.();
        },
        (err: unknown) => tell({ t: 'fatal', text: `Node-RED stop failed: ${String(err)}` }),
      );
  });
}

if (require.main === module) {
  main().catch((err: unknown) => {
    tell({ t: 'fatal', text: `Node-RED failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}` });
    process.exitCode = 1;
  });
}
