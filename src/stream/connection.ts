import type * as http from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import type { Clock } from '../util/runtime';

export interface ConnectionTiming {
  heartbeatIntervalMs: number;
  pongTimeoutMs: number;
  idleTimeoutMs: number;
  handshakeTimeoutMs: number;
}

/** What one socket reports to its owner. Called on the ws event loop: implementations must not throw. */
export interface ConnectionListener {
  onMessage(conn: StreamConnection, text: string): void;
  /**
   * The socket is gone (after `open()` succeeded). `reason` is set when it died (server closed it, error, missed pong,
   * idle) and undefined when we closed it on purpose.
   */
  onGone(conn: StreamConnection, reason: Error | undefined): void;
}

export interface ConnectionOptions {
  /** Endpoint with the ticket: never logged, never put into an error. */
  url: string;
  agent?: http.Agent;
  ca?: string | Buffer;
  timing: ConnectionTiming;
  clock: Clock;
  listener: ConnectionListener;
}

/** How long a polite close may take before the socket is terminated. */
const CLOSE_GRACE_MS = 1000;

/**
 * The largest frame accepted from DingTalk. Real frames are a few KB; the largest legitimate ones are robot messages
 * with long or rich text and card callbacks with form data, well under 1 MiB even for 100 000 characters of text
 * escaped twice (frame JSON around the data JSON). ws's own default, 100 MiB, would let one frame hold that much
 * memory per socket. A larger frame is refused from its header, before its payload is buffered: ws closes the
 * socket with 1009 and the client reconnects.
 */
export const MAX_FRAME_BYTES = 1024 * 1024;

let nextId = 1;

/**
 * One WebSocket to DingTalk: frames in, acks out, heartbeat. It knows nothing about tickets, routing or reconnects;
 * its owner (StreamClient) decides what to do when it reports itself gone.
 *
 * Health is judged by two timers (docs/protocol.md §4, §7): a ws ping every `heartbeatIntervalMs` that must be answered
 * within `pongTimeoutMs`, and an idle watchdog: no frame and no pong for `idleTimeoutMs` means a zombie socket
 * (TCP still up, DingTalk no longer behind it), which a ping alone can miss when the ping itself hangs.
 */
export class StreamConnection {
  readonly id = nextId++;
  /** Where it goes, for messages: scheme, host and port, never the ticket. */
  readonly origin: string;
  /** DingTalk sent SYSTEM disconnect: nothing new arrives here; kept only to ack what did. */
  draining = false;
  /** Set when the owner has replaced this socket and will close it once its acks are out. */
  retiring = false;
  openedAt: number | undefined;

  private ws: WebSocket | undefined;
  /** The TCP/TLS socket under `ws` (from its `upgrade` event), corked while a burst of acks is being written. */
  private socket: Duplex | undefined;
  private corked = false;
  private lastInboundAt = 0;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private pongTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private deathReason: Error | undefined;
  private gone = false;
  private closedPromise: Promise<void> | undefined;
  private resolveClosed: (() => void) | undefined;

  constructor(private readonly options: ConnectionOptions) {
    this.origin = safeOrigin(options.url);
  }

  get isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Resolves once the handshake is done; rejects (with a ticket-free message) if it fails. */
  open(): Promise<void> {
    const { url, agent, ca, timing } = this.options;
    return new Promise<void>((resolve, reject) => {
      let ws: WebSocket;
      try {
        ws = new WebSocket(url, {
          agent,
          ca,
          handshakeTimeout: timing.handshakeTimeoutMs,
          // Frames are small JSON; compression would cost CPU on the per-frame path for little gain.
          perMessageDeflate: false,
          // The peer is DingTalk over TLS; JSON.parse rejects garbage anyway, so the extra UTF-8 pass is skipped.
          skipUTF8Validation: true,
          followRedirects: false,
          maxPayload: MAX_FRAME_BYTES,
        });
      } catch (err) {
        reject(this.describe('could not be opened', err));
        return;
      }
      this.ws = ws;
      this.closedPromise = new Promise<void>((r) => (this.resolveClosed = r));
      let opened = false;
      ws.on('upgrade', (res) => {
        this.socket = res.socket;
      });
      ws.on('open', () => {
        opened = true;
        this.openedAt = this.options.clock.now();
        this.lastInboundAt = this.openedAt;
        this.armHeartbeat();
        this.armIdle(timing.idleTimeoutMs);
        resolve();
      });
      ws.on('message', (data, isBinary) => {
        this.lastInboundAt = this.options.clock.now();
        if (isBinary) return;
        this.options.listener.onMessage(this, typeof data === 'string' ? data : data.toString());
      });
      ws.on('pong', () => {
        this.lastInboundAt = this.options.clock.now();
        this.options.clock.clearTimeout(this.pongTimer);
        this.pongTimer = undefined;
      });
      ws.on('unexpected-response', (_req, res) => {
        // The handshake was answered with HTTP (401 for a used or expired ticket): the ticket is burnt.
        res.resume();
        ws.terminate();
        reject(new Error(`DingTalk refused the WebSocket handshake at ${this.origin} with HTTP ${res.statusCode}; a new ticket will be requested.`));
      });
      ws.on('error', (err) => {
        if (!opened) {
          reject(this.describe('could not be opened', err));
          ws.terminate();
          return;
        }
        // ws may report an error (TLS failure, reset) without a later close: end it now so the owner hears of it.
        this.kill(isTooLarge(err) ? this.tooLarge() : this.describe('failed', err));
      });
      ws.on('close', (code, reason) => {
        this.stopTimers();
        this.resolveClosed?.();
        if (!opened) {
          reject(new Error(`The WebSocket to ${this.origin} closed during the handshake (code ${code}).`));
          return;
        }
        if (this.gone) return;
        this.gone = true;
        const why =
          this.deathReason ??
          (this.retiring ? undefined : new Error(`DingTalk closed the WebSocket (code ${code}${reason.length ? `, ${reason.toString()}` : ''}).`));
        this.options.listener.onGone(this, why);
      });
    });
  }

  /**
   * Sends an ack; false when the socket can no longer carry it (the frame will be re-pushed by DingTalk).
   *
   * ws writes every frame with its own writev (header + payload), a large share of the client's CPU under load
   * (ADR 0008). Frames of one inbound burst are handled in one tick, so the socket is corked at the first ack of a
   * tick and uncorked on process.nextTick: all acks of the burst leave in one write, in order, and none waits past
   * this tick.
   */
  send(text: string): boolean {
    const ws = this.ws;
    if (ws === undefined || ws.readyState !== WebSocket.OPEN) return false;
    const socket = this.socket;
    if (!this.corked && socket !== undefined) {
      this.corked = true;
      socket.cork();
      process.nextTick(this.uncork);
    }
    ws.send(text);
    return true;
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.socket?.uncork();
  };

  /** Declares the socket dead and drops it at once (no close handshake: it would wait on a dead peer). */
  kill(reason: Error): void {
    if (this.deathReason === undefined && !this.retiring) this.deathReason = reason;
    this.stopTimers();
    this.ws?.terminate();
  }

  /** Closes politely, terminating after a short grace; resolves when the socket is gone. Idempotent. */
  close(): Promise<void> {
    const ws = this.ws;
    this.retiring = true;
    if (ws === undefined || this.closedPromise === undefined) return Promise.resolve();
    if (ws.readyState === WebSocket.CLOSED) return this.closedPromise;
    this.stopTimers();
    if (this.graceTimer === undefined) {
      this.graceTimer = this.options.clock.setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
      try {
        ws.close(1000, 'client closing');
      } catch {
        ws.terminate();
      }
    }
    return this.closedPromise;
  }

  private armHeartbeat(): void {
    const { heartbeatIntervalMs, pongTimeoutMs } = this.options.timing;
    this.heartbeatTimer = this.options.clock.setTimeout(() => {
      const ws = this.ws;
      if (ws === undefined || ws.readyState !== WebSocket.OPEN) return;
      if (this.pongTimer === undefined) {
        this.pongTimer = this.options.clock.setTimeout(() => {
          this.kill(new Error(`No pong from ${this.origin} within ${pongTimeoutMs} ms: the connection is half-open; reconnecting.`));
        }, pongTimeoutMs);
      }
      ws.ping();
      this.armHeartbeat();
    }, heartbeatIntervalMs);
  }

  /** Re-arms lazily for the remaining time, so the per-frame path only stores a timestamp. */
  private armIdle(ms: number): void {
    const { idleTimeoutMs } = this.options.timing;
    this.idleTimer = this.options.clock.setTimeout(() => {
      const silentFor = this.options.clock.now() - this.lastInboundAt;
      if (silentFor >= idleTimeoutMs) {
        this.kill(new Error(`Nothing received from ${this.origin} for ${idleTimeoutMs} ms; reconnecting.`));
      } else {
        this.armIdle(idleTimeoutMs - silentFor);
      }
    }, ms);
  }

  private stopTimers(): void {
    const { clock } = this.options;
    clock.clearTimeout(this.heartbeatTimer);
    clock.clearTimeout(this.pongTimer);
    clock.clearTimeout(this.idleTimer);
    this.heartbeatTimer = this.pongTimer = this.idleTimer = undefined;
    if (this.ws?.readyState === WebSocket.CLOSED) {
      clock.clearTimeout(this.graceTimer);
      this.graceTimer = undefined;
    }
  }

  private tooLarge(): Error {
    return new Error(
      `DingTalk sent a frame larger than ${MAX_FRAME_BYTES / 1024 / 1024} MiB (the limit for one Stream frame) on ${this.origin}: ` +
        'the frame was dropped unread and the connection closed (1009); reconnecting. The frame is not acked, so ' +
        'DingTalk may push it a few more times, each costing a reconnect. Real frames are a few KB: if this repeats, ' +
        'check what sends such large messages or callbacks to the app.',
    );
  }

  private describe(what: string, err: unknown): Error {
    const message = err instanceof Error ? err.message : String(err);
    // Errors from ws/net can echo the request URL; the ticket must never leak into a log.
    return new Error(`The WebSocket to ${this.origin} ${what}: ${message.replace(/ticket=[^&\s"']*/g, 'ticket=***')}`);
  }
}

/** ws's error for a frame over maxPayload (it then closes the socket with 1009). */
function isTooLarge(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
}

function safeOrigin(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return 'the DingTalk endpoint';
  }
}
