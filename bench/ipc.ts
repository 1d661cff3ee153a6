import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/**
 * Request/response over the Node IPC channel between the bench runner and its child processes (the simulator
 * driver, the clients under test). Each child answers commands by name; the runner awaits the answers.
 */

interface Request {
  rpc: 'req';
  id: number;
  cmd: string;
  args: unknown;
}

interface Response {
  rpc: 'res';
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

function isResponse(value: unknown): value is Response {
  return typeof value === 'object' && value !== null && (value as { rpc?: unknown }).rpc === 'res';
}

function isRequest(value: unknown): value is Request {
  return typeof value === 'object' && value !== null && (value as { rpc?: unknown }).rpc === 'req';
}

export type Handler = (args: never) => unknown;

/** Child side: serve `handlers` on this process's IPC channel. Exits when the parent goes away. */
export function serve(handlers: Record<string, Handler>): void {
  if (!process.send) throw new Error('bench: this module runs as a child process started by bench/run.js');
  process.on('message', (message: unknown) => {
    if (!isRequest(message)) return;
    const handler = handlers[message.cmd];
    const reply = (res: Omit<Response, 'rpc' | 'id'>): void => {
      process.send?.({ rpc: 'res', id: message.id, ...res });
    };
    if (!handler) {
      reply({ ok: false, error: `unknown command ${message.cmd}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(message.args as never))
      .then(
        (result) => reply({ ok: true, result }),
        (err: unknown) => reply({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
      );
  });
  process.on('disconnect', () => process.exit(0));
}

/** Parent side: one forked child and its commands. */
export class ChildRpc {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; cmd: string }>();
  private exited = false;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.on('message', (message: unknown) => {
      if (!isResponse(message)) return;
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(`${name}: ${waiter.cmd} failed: ${message.error}`));
    });
    child.on('exit', (code, signal) => {
      this.exited = true;
      for (const waiter of this.pending.values()) waiter.reject(new Error(`${name} exited (code ${code}, signal ${signal}) during ${waiter.cmd}`));
      this.pending.clear();
    });
  }

  /** Forks `dist/bench/<script>.js`. stdout is dropped (the official SDK prints on every connect); stderr is kept. */
  static start(name: string, script: string, opts: { execArgv?: string[]; env?: Record<string, string> } = {}): ChildRpc {
    const child = fork(join(__dirname, script), [], {
      execArgv: opts.execArgv ?? [],
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    return new ChildRpc(name, child);
  }

  call<T>(cmd: string, args: unknown = {}, timeoutMs = 300_000): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`${this.name} has exited; cannot run ${cmd}`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: ${cmd} took longer than ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        cmd,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send({ rpc: 'req', id, cmd, args });
    });
  }

  /** Ends the child: closes the IPC channel (children exit on disconnect), then SIGKILL if it lingers. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
