import { DingTalkSimulator, SIMULATOR_APP, type SimulatorOptions } from '../../src/simulator';
import { StreamClient } from '../../src/stream/client';
import type { StateChange, StreamClientOptions, StreamState, StreamTiming } from '../../src/stream/types';
import type { Logger } from '../../src/util/runtime';

/** Short timings so reconnects, heartbeats and deadlines play out in milliseconds. */
export const FAST_TIMING: Partial<StreamTiming> = {
  heartbeatIntervalMs: 200,
  pongTimeoutMs: 150,
  idleTimeoutMs: 2_000,
  backoffBaseMs: 20,
  backoffMaxMs: 200,
  stableAfterMs: 1_000,
  authFailedRetryMs: 150,
  drainTimeoutMs: 1_000,
  callbackDeadlineMs: 300,
  gatewayTimeoutMs: 2_000,
  handshakeTimeoutMs: 2_000,
};

export interface CapturedLog extends Logger {
  lines: string[];
}

export function captureLogger(): CapturedLog {
  const lines: string[] = [];
  const push = (level: string) => (message: string) => void lines.push(`${level}: ${message}`);
  return { lines, debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error') };
}

/** A simulator plus the clients made in one test, all torn down by `cleanup()`. */
export class Harness {
  sim!: DingTalkSimulator;
  readonly clients: StreamClient[] = [];
  readonly warnings: Error[] = [];
  readonly states: StateChange[] = [];
  readonly log = captureLogger();

  async start(options: SimulatorOptions = {}): Promise<DingTalkSimulator> {
    this.sim = new DingTalkSimulator(options);
    await this.sim.start();
    return this.sim;
  }

  client(options: Partial<StreamClientOptions> = {}): StreamClient {
    const client = new StreamClient({
      clientId: SIMULATOR_APP.clientId,
      clientSecret: SIMULATOR_APP.clientSecret,
      apiBase: this.sim.apiBase,
      logger: this.log,
      ...options,
      timing: { ...FAST_TIMING, ...options.timing },
    });
    client.on('warning', (w) => this.warnings.push(w));
    client.on('state', (s) => this.states.push(s));
    this.clients.push(client);
    return client;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.clients.splice(0).map((c) => c.close()));
    await this.sim?.stop();
  }

  gatewayRequests(): number {
    return this.sim.requests.filter((r) => r.path === '/v1.0/gateway/connections/open').length;
  }
}

/** Resolves with the next state change matching `state` (or the current state if it already is). */
export function waitForState(client: StreamClient, state: StreamState, timeoutMs = 5_000, skipCurrent = false): Promise<StateChange> {
  if (!skipCurrent && client.state === state) return Promise.resolve({ state, stats: { ...client.stats } });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('state', onState);
      reject(new Error(`timed out waiting for state ${state} (now ${client.state})`));
    }, timeoutMs);
    const onState = (change: StateChange): void => {
      if (change.state !== state) return;
      clearTimeout(timer);
      client.off('state', onState);
      resolve(change);
    };
    client.on('state', onState);
  });
}

export function waitForWarning(client: StreamClient, pattern: RegExp, timeoutMs = 5_000): Promise<Error> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('warning', onWarning);
      reject(new Error(`timed out waiting for a warning matching ${pattern}`));
    }, timeoutMs);
    const onWarning = (w: Error): void => {
      if (!pattern.test(w.message)) return;
      clearTimeout(timer);
      client.off('warning', onWarning);
      resolve(w);
    };
    client.on('warning', onWarning);
  });
}

/** A promise with its resolve function, to hold a handler until the test lets it go. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * A started, connected client whose event callback holds every event until `release()`: its ack stays owed while the
 * test moves the connection. `started` resolves once an event has reached the callback.
 */
export async function connectWithHeldEvents(
  h: Harness,
  options: Partial<StreamClientOptions> = {},
): Promise<{ client: StreamClient; started: Promise<void>; release(): void }> {
  const client = h.client(options);
  const gate = deferred();
  const started = deferred();
  client.onEvent(async () => {
    started.resolve();
    await gate.promise;
  });
  client.start();
  await waitForState(client, 'connected');
  return { client, started: started.promise, release: () => gate.resolve() };
}

export function ackData(ack: unknown): unknown {
  return JSON.parse((ack as { data: string }).data);
}
