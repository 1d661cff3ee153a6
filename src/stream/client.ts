import { EventEmitter } from 'node:events';
import type * as http from 'node:http';
import { networkInterfaces } from 'node:os';
import type { Dispatcher } from 'undici';
import { StreamConnection, type ConnectionListener } from './connection';
import { GatewayError, openTicket } from './gateway';
import { ReconnectPolicy } from './reconnect-policy';
import { FrameRouter } from './router';
import { ClaimGate, type ClaimStore } from './claims';
import { WarningLimiter } from './warning-limiter';
import type {
  CardCallbackHandler,
  EventHandler,
  CallbackOptions,
  GenericCallbackHandler,
  RobotMessageHandler,
  StateChange,
  StreamClientApi,
  StreamClientEvents,
  StreamClientOptions,
  StreamState,
  StreamStats,
  StreamTiming,
  Unsubscribe,
} from './types';
import { createHttpDispatcher, createTunnelAgent, resolveProxy } from '../util/proxy';
import { silentLogger, systemClock, systemRandom, type Clock, type Logger } from '../util/runtime';
import { USER_AGENT } from '../version';
import { describeThrown } from '../util/thrown';
import { DEFAULT_API_BASE, OURS } from '../contract';

export const DEFAULT_TIMING: Readonly<StreamTiming> = {
  heartbeatIntervalMs: 30_000,
  pongTimeoutMs: 10_000,
  // Server pings and our pongs keep a healthy socket busy; 3 min of silence is a zombie (docs/protocol.md §7).
  idleTimeoutMs: 180_000,
  backoffBaseMs: 1_000,
  backoffMaxMs: 60_000,
  stableAfterMs: 60_000,
  authFailedRetryMs: 300_000,
  // DingTalk closes a socket ~10 s after its disconnect notice; this only covers a server that forgets to.
  drainTimeoutMs: 15_000,
  // DingTalk fails a card click not answered within 2 s (src/contract.ts).
  callbackDeadlineMs: OURS.cardCallbackAckMs,
  dedupeTtlMs: 300_000,
  dedupeMaxEntries: 10_000,
  // A Redis round trip on a LAN is ~1 ms; 200 ms means Redis is in trouble, and a push must not wait on it longer.
  claimWaitMs: 200,
  // Half of DingTalk's ~60 s re-push after a missing ack (docs/protocol.md 3.3-d): a dead instance's hold is gone by then.
  claimLeaseMs: 30_000,
  gatewayTimeoutMs: 10_000,
  handshakeTimeoutMs: 10_000,
};

/**
 * One DingTalk app's Stream connection (docs/protocol.md §1-§4, §8): fetches a ticket per connection, keeps exactly the
 * subscriptions its handlers need, rotates make-before-break on `disconnect` or a subscription change (ADR 0001),
 * reconnects when ReconnectPolicy says, and routes frames to handlers through FrameRouter, which also acks them.
 *
 * Single-flight by construction: at most one connect attempt runs (`connecting`), at most one retry timer is armed
 * (`retryTimer`), and after `close()` nothing is ever started again.
 */
export class StreamClient extends EventEmitter<StreamClientEvents> implements StreamClientApi {
  private readonly timing: StreamTiming;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly apiBase: string;
  private readonly ua: string;
  private readonly localIp: string | undefined;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  /** Proxy used for the gateway call, as host:port only (for messages). */
  private readonly gatewayProxyHost: string | undefined;
  private readonly wsAgents = new Map<string, http.Agent>();
  private readonly router: FrameRouter<StreamConnection>;
  private readonly reconnect: ReconnectPolicy;
  private readonly warnings: WarningLimiter;
  private readonly liveStats: StreamStats = {
    framesIn: 0,
    acksOut: 0,
    duplicatesDropped: 0,
    malformedFrames: 0,
    reconnects: 0,
    lastPingAt: undefined,
    connectedAt: undefined,
  };

  private current: StreamState = 'idle';
  private started = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  private syncHandle: NodeJS.Immediate | undefined;
  private connecting = false;
  /** Subscriptions changed while a connect was in flight: check again once it is done. */
  private resyncWanted = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryAt: number | undefined;
  private abort: AbortController | undefined;
  /** The socket being opened, so close() can stop it. */
  private opening: StreamConnection | undefined;
  /** The socket new frames are expected on. */
  private active: StreamConnection | undefined;
  private activeKey = '';
  /** Every open socket: the active one plus those draining or retiring. */
  private readonly sockets = new Set<StreamConnection>();
  private readonly drainTimers = new Map<StreamConnection, NodeJS.Timeout>();
  private everConnected = false;

  constructor(private readonly options: StreamClientOptions) {
    super();
    const timing = { ...DEFAULT_TIMING, ...definedOnly(options.timing ?? {}) };
    // A longer wait would only turn the user's click into a failure on DingTalk's side: no setting may raise it.
    timing.callbackDeadlineMs = Math.min(timing.callbackDeadlineMs, OURS.cardCallbackAckMs);
    this.timing = timing;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.apiBase = options.apiBase ?? DEFAULT_API_BASE;
    this.ua = options.ua ?? USER_AGENT;
    this.localIp = options.localIp ?? firstLanIPv4();
    this.reconnect = new ReconnectPolicy({ timing, clock: this.clock, random: options.random ?? systemRandom });
    this.warnings = new WarningLimiter({ clock: this.clock });
    const gatewayProxy = options.dispatcher ? undefined : resolveProxy(options.proxy, this.apiBase);
    this.gatewayProxyHost = gatewayProxy ? proxyHostOf(gatewayProxy) : undefined;
    if (options.dispatcher) {
      this.dispatcher = options.dispatcher;
      this.ownsDispatcher = false;
    } else {
      this.dispatcher = createHttpDispatcher({
        proxy: gatewayProxy,
        ca: options.ca,
        connectTimeoutMs: this.timing.gatewayTimeoutMs,
      });
      this.ownsDispatcher = true;
    }
    this.router = new FrameRouter<StreamConnection>(
      {
        clock: this.clock,
        callbackDeadlineMs: this.timing.callbackDeadlineMs,
        dedupeTtlMs: this.timing.dedupeTtlMs,
        dedupeMaxEntries: this.timing.dedupeMaxEntries,
        claims: options.claims ? this.claimGate(options.claims) : undefined,
        claimLeaseMs: this.timing.claimLeaseMs,
      },
      {
        stats: this.liveStats,
        warn: (kind, message) => this.warn(kind, message),
        onServerDisconnect: (conn) => this.onServerDisconnect(conn),
        onAcksSettled: (conn) => this.onAcksSettled(conn),
      },
    );
  }

  get state(): StreamState {
    return this.current;
  }

  /** What the next connection subscribes to, as `TYPE topic` lines (for the instance registry, ADR 0016). */
  subscriptionLines(): string[] {
    return this.router.subscriptions().map((s) => `${s.type} ${s.topic}`);
  }

  private claimGate(store: ClaimStore): ClaimGate {
    return new ClaimGate({
      store,
      clock: this.clock,
      waitMs: this.timing.claimWaitMs,
      // One line per change, not per push: an outage of the shared store is one warning, its end one info.
      onHealth: (healthy, problem) => {
        if (healthy) this.logger.info('Shared dedupe store answers again: duplicates across instances are caught again.');
        else
          this.logger.warn(
            `Shared dedupe store unavailable (${problem ?? 'no answer'}): each push is checked against this instance's own window only until it answers again.`,
          );
        this.emit('claims', healthy ? { healthy } : { healthy, problem });
      },
    });
  }

  get stats(): Readonly<StreamStats> {
    return this.liveStats;
  }

  onRobotMessage(handler: RobotMessageHandler): Unsubscribe {
    return this.subscribed(this.router.onRobotMessage(handler));
  }

  onEvent(handler: EventHandler): Unsubscribe {
    return this.subscribed(this.router.onEvent(handler));
  }

  onCardCallback(handler: CardCallbackHandler): Unsubscribe {
    return this.subscribed(this.router.onCardCallback(handler));
  }

  onCallback(topic: string, handler: GenericCallbackHandler, options?: CallbackOptions): Unsubscribe {
    if (!topic) throw new Error('onCallback needs a topic, e.g. "/v1.0/graph/api/invoke".');
    return this.subscribed(this.router.onCallback(topic, handler, options));
  }

  /** Connects on the next turn of the event loop, so every handler registered in this tick shares one connection. */
  start(): void {
    if (this.closed) return;
    this.started = true;
    this.scheduleSync();
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  // ---- subscriptions -> connections ----

  private subscribed(remove: Unsubscribe): Unsubscribe {
    this.scheduleSync();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      remove();
      this.scheduleSync();
    };
  }

  private scheduleSync(): void {
    if (!this.started || this.closed || this.syncHandle !== undefined) return;
    this.syncHandle = setImmediate(() => {
      this.syncHandle = undefined;
      this.sync();
    });
  }

  /** Brings the connections in line with the handlers: connect, rotate to a new topic list, or go idle. */
  private sync(): void {
    if (this.closed) return;
    const subs = this.router.subscriptions();
    if (subs.length === 0) {
      // The gateway refuses an empty list, and an app nobody listens to needs no socket.
      this.cancelRetry();
      this.abort?.abort();
      for (const conn of this.sockets) this.retire(conn);
      this.active = undefined;
      this.setState('idle');
      return;
    }
    if (this.connecting) {
      this.resyncWanted = true;
      return;
    }
    if (this.retryTimer !== undefined) return; // the pending attempt will use the current list
    if (this.active !== undefined && !this.active.draining && this.activeKey === subscriptionKey(subs)) return;
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.closed || this.connecting) return;
    this.cancelRetry();
    const subscriptions = this.router.subscriptions();
    if (subscriptions.length === 0) return this.sync();
    this.connecting = true;
    this.resyncWanted = false;
    if (this.active === undefined) this.setState('connecting');
    const abort = (this.abort = new AbortController());
    let conn: StreamConnection;
    try {
      const { endpoint, ticket } = await openTicket({
        apiBase: this.apiBase,
        clientId: this.options.clientId,
        clientSecret: this.options.clientSecret,
        subscriptions,
        ua: this.ua,
        localIp: this.localIp,
        dispatcher: this.dispatcher,
        proxyHost: this.gatewayProxyHost,
        timeoutMs: this.timing.gatewayTimeoutMs,
        clock: this.clock,
        signal: abort.signal,
      });
      if (this.closed || abort.signal.aborted) throw new Error('cancelled');
      conn = new StreamConnection({
        // A fresh ticket every time: it opens one socket only (docs/protocol.md §1.1).
        url: `${endpoint}?ticket=${encodeURIComponent(ticket)}`,
        agent: this.wsAgentFor(endpoint),
        ca: this.options.ca,
        timing: this.timing,
        clock: this.clock,
        listener: this.connectionListener,
      });
      this.opening = conn;
      await conn.open();
      this.opening = undefined;
      if (this.closed || abort.signal.aborted) {
        void conn.close();
        throw new Error('cancelled');
      }
    } catch (err) {
      this.opening = undefined;
      this.connecting = false;
      if (this.abort === abort) this.abort = undefined;
      if (this.closed || abort.signal.aborted) {
        if (!this.closed) this.sync();
        return;
      }
      this.connectFailed(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.connecting = false;
    if (this.abort === abort) this.abort = undefined;
    this.adopt(conn, subscriptionKey(subscriptions));
    if (this.resyncWanted) {
      this.resyncWanted = false;
      this.sync();
    }
  }

  private adopt(conn: StreamConnection, key: string): void {
    const previous = this.active;
    this.sockets.add(conn);
    this.active = conn;
    this.activeKey = key;
    if (this.everConnected) this.liveStats.reconnects += 1;
    this.everConnected = true;
    this.liveStats.connectedAt = this.clock.now();
    // Make-before-break: the old socket goes only now that the new one is up (ADR 0001).
    if (previous !== undefined && previous !== conn) this.retire(previous);
    this.reconnect.connected();
    this.logger.info(`DingTalk Stream connected (${conn.origin}).`);
    this.setState('connected');
    // A disconnect notice can arrive in the very first frames, before the socket was adopted: rotate now.
    if (conn.draining) void this.connect();
  }

  private connectFailed(error: Error): void {
    if (error instanceof GatewayError && error.authFailed) {
      const delay = this.reconnect.authFailed();
      this.logger.error(error.message);
      this.armRetry(delay);
      this.setState('auth-failed', error, this.clock.now() + delay);
      return;
    }
    const delay = this.reconnect.attemptFailed();
    this.armRetry(delay);
    if (this.active?.isOpen && !this.active.draining) {
      // A rotation (new subscriptions) failed but the current socket still works: keep it and try again later.
      this.warn('rotation-failed', `Could not open a new Stream connection: ${error.message}`);
      return;
    }
    this.logger.warn(error.message);
    this.setState('reconnecting', error, this.clock.now() + delay);
  }

  private armRetry(delay: number): void {
    this.cancelRetry();
    this.retryAt = this.clock.now() + delay;
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = undefined;
      this.retryAt = undefined;
      void this.connect();
    }, delay);
  }

  private cancelRetry(): void {
    this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.retryAt = undefined;
  }

  // ---- socket lifecycle ----

  private readonly connectionListener: ConnectionListener = {
    onMessage: (conn, text) => {
      try {
        this.router.handle(conn, text);
      } catch (err) {
        // Never let a bug surface as an exception inside a ws event handler: it would take Node-RED down.
        this.warn('internal', `Stream frame handling failed: ${describeThrown(err)}`);
      }
    },
    onGone: (conn, reason) => this.onGone(conn, reason),
  };

  private onGone(conn: StreamConnection, reason: Error | undefined): void {
    this.sockets.delete(conn);
    this.clock.clearTimeout(this.drainTimers.get(conn));
    this.drainTimers.delete(conn);
    if (this.closed || conn !== this.active) return;
    this.active = undefined;
    this.reconnect.dropped();
    const error = reason ?? new Error('The Stream connection closed.');
    this.logger.warn(error.message);
    if (this.connecting) {
      // A replacement is already being opened (rotation): it decides what comes next.
      this.setState('connecting', error);
      return;
    }
    if (this.retryTimer !== undefined) {
      // A failed rotation already scheduled the next attempt; only the state was still saying "connected".
      this.setState('reconnecting', error, this.retryAt);
      return;
    }
    const delay = this.reconnect.delayAfterDrop();
    this.armRetry(delay);
    this.setState('reconnecting', error, this.clock.now() + delay);
  }

  /** SYSTEM disconnect: open the next connection now, let this one drain (ADR 0001). */
  private onServerDisconnect(conn: StreamConnection): void {
    if (conn.draining) return;
    conn.draining = true;
    this.logger.info('DingTalk asked to rotate the Stream connection; opening the next one.');
    this.armDrainTimer(conn);
    if (this.closed || conn !== this.active) return;
    this.cancelRetry();
    void this.connect();
  }

  /** Replaced sockets close once their held acks are out; draining ones when the server closes them (or on timeout). */
  private retire(conn: StreamConnection): void {
    conn.retiring = true;
    if (!conn.draining && this.router.pendingAcks(conn) === 0) {
      void conn.close();
      return;
    }
    this.armDrainTimer(conn);
  }

  private onAcksSettled(conn: StreamConnection): void {
    if (conn.retiring && !conn.draining) void conn.close();
  }

  private armDrainTimer(conn: StreamConnection): void {
    if (this.drainTimers.has(conn)) return;
    this.drainTimers.set(
      conn,
      this.clock.setTimeout(() => {
        this.drainTimers.delete(conn);
        conn.retiring = true;
        void conn.close();
      }, this.timing.drainTimeoutMs),
    );
  }

  private wsAgentFor(endpoint: string): http.Agent | undefined {
    const proxy = resolveProxy(this.options.proxy, endpoint);
    if (!proxy) return undefined;
    const secure = endpoint.startsWith('wss:') || endpoint.startsWith('https:');
    const key = `${secure}|${proxy}`;
    let agent = this.wsAgents.get(key);
    if (agent === undefined) {
      agent = createTunnelAgent({ proxy, secure, ca: this.options.ca, timeoutMs: this.timing.handshakeTimeoutMs });
      this.wsAgents.set(key, agent);
    }
    return agent;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    if (this.syncHandle !== undefined) clearImmediate(this.syncHandle);
    this.syncHandle = undefined;
    this.cancelRetry();
    for (const timer of this.drainTimers.values()) this.clock.clearTimeout(timer);
    this.drainTimers.clear();
    this.abort?.abort();
    this.router.dispose();
    const sockets = [...this.sockets];
    if (this.opening !== undefined) sockets.push(this.opening);
    this.sockets.clear();
    this.active = undefined;
    await Promise.all(sockets.map((conn) => conn.close()));
    for (const agent of this.wsAgents.values()) agent.destroy();
    this.wsAgents.clear();
    if (this.ownsDispatcher) await this.dispatcher.destroy().catch(() => undefined);
    this.setState('closed');
  }

  // ---- reporting ----

  private setState(state: StreamState, error?: Error, retryAt?: number): void {
    const repeatable = state === 'reconnecting' || state === 'auth-failed' || state === 'connecting';
    if (state === this.current && !(repeatable && error !== undefined)) return;
    this.current = state;
    const change: StateChange = { state, stats: { ...this.liveStats } };
    if (error !== undefined) change.error = error;
    if (retryAt !== undefined) change.retryAt = retryAt;
    this.emit('state', change);
  }

  /** Repeats of a kind within the limiter's interval go to the debug log only. */
  private warn(kind: string, message: string): void {
    if (!this.warnings.allow(kind)) {
      this.logger.debug(message);
      return;
    }
    this.logger.warn(message);
    this.emit('warning', new Error(message));
  }
}

function proxyHostOf(proxy: string): string {
  try {
    return new URL(proxy).host;
  } catch {
    return 'the configured proxy';
  }
}

function subscriptionKey(subs: ReadonlyArray<{ type: string; topic: string }>): string {
  return subs.map((s) => `${s.type} ${s.topic}`).join('\n');
}

/** The first non-internal IPv4 address, for DingTalk's server-side diagnostics (docs/protocol.md §1.1). */
function firstLanIPv4(): string | undefined {
  try {
    for (const list of Object.values(networkInterfaces())) {
      for (const addr of list ?? []) {
        if (addr.family === 'IPv4' && !addr.internal) return addr.address;
      }
    }
  } catch {
    // Some sandboxes forbid listing interfaces; the field is optional.
  }
  return undefined;
}

function definedOnly<T extends object>(partial: Partial<T>): Partial<T> {
  const out: Partial<T> = {};
  for (const [key, value] of Object.entries(partial)) {
    if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}
