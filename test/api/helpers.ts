import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DingTalkError } from '../../src/api/errors';
import type { Clock } from '../../src/util/runtime';

/** Lets pending promise callbacks (and I/O callbacks already queued) run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

interface ManualTimer {
  at: number;
  fn: () => void;
}

/** A clock that only moves when told to; timers fire in order during advance(). */
export class ManualClock implements Clock {
  private t = 1_700_000_000_000;
  private readonly timers = new Set<ManualTimer>();

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): NodeJS.Timeout {
    const timer: ManualTimer = { at: this.t + Math.max(0, ms), fn };
    this.timers.add(timer);
    return timer as unknown as NodeJS.Timeout;
  }

  clearTimeout(handle: NodeJS.Timeout | undefined): void {
    if (handle !== undefined) this.timers.delete(handle as unknown as ManualTimer);
  }

  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward, firing due timers one by one and letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    await settle();
    for (;;) {
      let next: ManualTimer | undefined;
      for (const timer of this.timers) if (timer.at <= target && (!next || timer.at < next.at)) next = timer;
      if (!next) break;
      this.timers.delete(next);
      this.t = next.at;
      next.fn();
      await settle();
    }
    this.t = target;
    await settle();
  }
}

/**
 * Real time, but every wait is shortened to ~0 ms and recorded: retry tests check the delay the client asked for
 * (e.g. what Retry-After said) without actually waiting it.
 */
export class RecordingClock implements Clock {
  readonly delays: number[] = [];
  private readonly handles = new Set<NodeJS.Timeout>();

  now(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, ms: number): NodeJS.Timeout {
    this.delays.push(ms);
    const handle = setTimeout(() => {
      this.handles.delete(handle);
      fn();
    }, 1);
    this.handles.add(handle);
    return handle;
  }

  clearTimeout(handle: NodeJS.Timeout | undefined): void {
    if (handle === undefined) return;
    clearTimeout(handle);
    this.handles.delete(handle);
  }
}

/** The DingTalkError a call fails with; fails the test when it resolves or fails with anything else. */
export async function rejection(p: Promise<unknown>): Promise<DingTalkError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof DingTalkError, `expected a DingTalkError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** A server on 127.0.0.1 giving the answers the simulator cannot: what the test sets as `handle`. */
export interface LocalServer {
  /** `http(s)://<host>:<port>`, with the host name it was started with. */
  base: string;
  port: number;
  /** The URL of every request, in the order they came. */
  requests: string[];
  /** Answers a request once its body has been read (so it may answer before the client sent it all). */
  handle: Handler;
  close(): Promise<void>;
}

/** Starts `server` (a plain HTTP one by default) on 127.0.0.1; `host` is only the name `base` uses for it. */
export async function startLocalServer(server: http.Server | https.Server = http.createServer(), host = '127.0.0.1'): Promise<LocalServer> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const local: LocalServer = {
    base: `${server instanceof https.Server ? 'https' : 'http'}://${host}:${port}`,
    port,
    requests: [],
    handle: (_req, res) => res.end('unset'),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    local.requests.push(req.url ?? '');
    req.resume();
    req.on('end', () => local.handle(req, res));
  });
  return local;
}

/**
 * A throwaway self-signed certificate for `localhost`, made with openssl: undefined where openssl is missing, so the
 * suite can skip rather than fail on a machine without it.
 */
export function selfSignedCert(): { cert: Buffer; key: Buffer } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'test-tls-'));
  try {
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=DNS:localhost',
        ],
        { stdio: 'ignore' },
      );
    } catch {
      return undefined;
    }
    return { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
