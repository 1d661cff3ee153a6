import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SIMULATOR_APP } from '../../src/simulator';
import { ADMIN_RUNTIME_CONFIG, type AdminRuntimeConfig, type AdminRuntimeReport, type AdminRuntimeUser } from './admin-runtime';

/** The test side of admin-runtime.ts: start it, log in, stop it. Shared by the security suites. */

interface Bcrypt {
  hashSync(password: string, rounds: number): string;
}
// bcryptjs is what Node-RED itself checks passwords with (a dependency of node-red); no types shipped.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bcrypt = require('bcryptjs') as Bcrypt;

export const PACKAGE_ROOT = join(__dirname, '..', '..', '..');
export const ADMIN = { username: 'admin', password: 'admin-pass-1' };
export const VIEWER = { username: 'viewer', password: 'viewer-pass-1' };

/** An admin (every permission) and a read-only viewer, as settings.js would list them. */
function runtimeUsers(): AdminRuntimeUser[] {
  return [
    { username: ADMIN.username, password: bcrypt.hashSync(ADMIN.password, 8), permissions: '*' },
    { username: VIEWER.username, password: bcrypt.hashSync(VIEWER.password, 8), permissions: 'read' },
  ];
}

export interface RuntimeOptions {
  /** The API base of the deployed app node `app1` (the simulator's). */
  apiBase: string;
  extraNodes?: AdminRuntimeConfig['extraNodes'];
  extraCredentials?: AdminRuntimeConfig['extraCredentials'];
  /** Added to the runtime's environment. */
  env?: Record<string, string>;
}

export interface RunningRuntime {
  base: string;
  /** The runtime's user directory (flows.json, flows_cred.json), removed by stop(). */
  userDir: string;
  stop(): Promise<void>;
}

/**
 * Starts Node-RED in its own process, with adminAuth for ADMIN and VIEWER and an app node `app1` holding the
 * simulator's app credentials, in a temporary user directory.
 */
export async function startRuntime(options: RuntimeOptions): Promise<RunningRuntime> {
  const userDir = mkdtempSync(join(tmpdir(), 'dingtalk-admin-runtime-'));
  const config: AdminRuntimeConfig = {
    userDir,
    packageRoot: PACKAGE_ROOT,
    apiBase: options.apiBase,
    clientId: SIMULATOR_APP.clientId,
    clientSecret: SIMULATOR_APP.clientSecret,
    users: runtimeUsers(),
    extraNodes: options.extraNodes,
    extraCredentials: options.extraCredentials,
  };
  try {
    const forked = await forkRuntime(config, options.env ?? {});
    return {
      base: forked.base,
      userDir,
      async stop() {
        await forked.stop();
        rmSync(userDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(userDir, { recursive: true, force: true });
    throw err;
  }
}

async function forkRuntime(config: AdminRuntimeConfig, env: Record<string, string>): Promise<Omit<RunningRuntime, 'userDir'>> {
  const child: ChildProcess = fork(join(__dirname, 'admin-runtime.js'), [], {
    env: { ...process.env, ...env, [ADMIN_RUNTIME_CONFIG]: JSON.stringify(config) },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.on('message', (report: AdminRuntimeReport) => {
      if (report.t === 'ready') resolve(report.port);
      if (report.t === 'fatal') reject(new Error(`${report.text}\n${stderr}`));
    });
    void exited.then(() => reject(new Error(`the Node-RED process exited before it was ready:\n${stderr}`)));
  });
  return {
    base: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.send({ cmd: 'stop' });
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function tokenFor(base: string, user: { username: string; password: string }, scope: string): Promise<string> {
  const res = await fetch(`${base}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: 'node-red-admin', grant_type: 'password', scope, username: user.username, password: user.password }),
  });
  assert.equal(res.status, 200, `token for ${user.username}: ${await res.clone().text()}`);
  const body = (await res.json()) as { access_token?: string };
  assert.ok(body.access_token, 'Node-RED issued a token');
  return body.access_token;
}
