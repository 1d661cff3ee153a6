import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { FaultPlan } from './faults';
import { hex, streamMessageId, uuid } from './ids';
import { AckSchema, EventAckDataSchema, describeIssue } from './schemas';
import { TimerSet } from './timers';
import type {
  AckKind,
  ConnectionInfo,
  PushHandle,
  RecordedAck,
  ResolvedSimulatorOptions,
  SimDelivery,
  SimDistribution,
  SimSubscription,
  StreamFrame,
} from './types';
import { DINGTALK } from '../contract';
import { TOPIC_CARD } from './topics';

interface Ticket {
  clientId: string;
  subscriptions: SimSubscription[];
  ua?: string;
  localIp?: string;
  expiresAt: number;
}

interface Connection {
  info: ConnectionInfo;
  socket: WebSocket;
  pingTimer?: NodeJS.Timeout;
  drainTimer?: NodeJS.Timeout;
}

/** One logical push; each (re)delivery gets its own messageId. */
export interface PushRecord {
  pushId: string;
  clientId: string;
  type: 'EVENT' | 'CALLBACK';
  topic: string;
  data: unknown;
  extraHeaders: Record<string, string>;
  frame: StreamFrame;
  deliveries: Array<{ messageId: string; connectionId: string; at: number }>;
  /** Acked for good (LATER does not count). */
  settled: boolean;
  /** Every allowed delivery went un-acked. */
  exhausted: boolean;
  firstAck?: RecordedAck;
  resolveAcked: (ack: RecordedAck) => void;
  timer?: NodeJS.Timeout;
}

export interface PushSpec {
  clientId: string;
  type: 'EVENT' | 'CALLBACK';
  topic: string;
  data: unknown;
  extraHeaders?: Record<string, string>;
}

export interface StreamHubHooks {
  appIdFor(clientId: string): string;
  onConnection(info: ConnectionInfo): void;
  onClosed(info: ConnectionInfo): void;
  onAck(ack: RecordedAck, push: PushRecord | undefined): void;
  onPush(frame: StreamFrame, info: ConnectionInfo): void;
}

const DISCONNECT_REASON = 'persistent connection is timeout';

/**
 * The Stream side of the fake: tickets, sockets, SYSTEM pings, pushes with ack tracking and re-push,
 * and the disconnect/drain dance. Routing follows DingTalk: a push goes to ONE open connection of the app subscribed to
 * its topic (random by default; `distribution` can make it round-robin or newest), or waits until one appears. Each
 * re-push is routed again, so it may land on another connection.
 */
export class StreamHub {
  readonly connections: ConnectionInfo[] = [];
  readonly pushes: PushRecord[] = [];
  /** Every delivery in order, re-pushes included. */
  readonly deliveries: SimDelivery[] = [];
  private distribution: SimDistribution;
  private roundRobin = 0;
  private readonly live = new Map<string, Connection>();
  private readonly tickets = new Map<string, Ticket>();
  private readonly deliveryIndex = new Map<string, { push: PushRecord; connectionId: string }>();
  private readonly pingIndex = new Map<string, string>();
  private readonly systemIndex = new Set<string>();
  private readonly queue: PushRecord[] = [];
  private readonly timers = new TimerSet();
  // autoPong off: pongs are sent by hand so the answerPings fault can simulate a half-open socket.
  private readonly wss = new WebSocketServer({ noServer: true, autoPong: false, maxPayload: 16 * 1024 * 1024 });

  constructor(
    private readonly options: ResolvedSimulatorOptions,
    private readonly faults: FaultPlan,
    private readonly hooks: StreamHubHooks,
  ) {
    this.distribution = options.distribution;
  }

  get distributionPolicy(): SimDistribution {
    return this.distribution;
  }

  setDistribution(policy: SimDistribution): void {
    this.distribution = policy;
    this.roundRobin = 0;
  }

  issueTicket(clientId: string, subscriptions: SimSubscription[], ua?: string, localIp?: string): string {
    const ticket = uuid();
    this.tickets.set(ticket, { clientId, subscriptions, ua, localIp, expiresAt: Date.now() + this.options.ticketTtlMs });
    return ticket;
  }

  /** Upgrade on /connect. A ticket works once and only within its TTL; anything else is a 401 like DingTalk. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, ticketValue: string | null): void {
    const ticket = ticketValue ? this.tickets.get(ticketValue) : undefined;
    if (ticketValue) this.tickets.delete(ticketValue);
    if (!ticket || ticket.expiresAt < Date.now() || this.faults.settings.refuseUpgrade) {
      const reason = !ticket ? 'unknown or already used ticket' : this.faults.settings.refuseUpgrade ? 'refused (fault)' : 'ticket expired';
      this.options.logger.debug(`simulator: websocket handshake refused: ${reason}`);
      refuseUpgrade(socket, 401, reason);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.adopt(ws, ticket));
  }

  private adopt(socket: WebSocket, ticket: Ticket): void {
    const info: ConnectionInfo = {
      id: uuid(),
      clientId: ticket.clientId,
      subscriptions: ticket.subscriptions,
      ua: ticket.ua,
      localIp: ticket.localIp,
      open: true,
      draining: false,
      openedAt: Date.now(),
      pingsSent: 0,
      pingReplies: 0,
    };
    const conn: Connection = { info, socket };
    this.connections.push(info);
    this.live.set(info.id, conn);
    socket.on('ping', (payload) => {
      if (this.faults.settings.answerPings) socket.pong(payload);
    });
    socket.on('message', (raw, isBinary) => this.onMessage(conn, raw, isBinary));
    socket.on('error', (err) => this.options.logger.debug(`simulator: socket ${info.id} error: ${err.message}`));
    socket.on('close', (code) => this.onClose(conn, code));
    conn.pingTimer = this.timers.every(() => this.sendPing(conn), this.options.pingIntervalMs);
    this.hooks.onConnection(info);
    this.flushQueue();
  }

  private onClose(conn: Connection, code: number): void {
    if (!conn.info.open) return;
    conn.info.open = false;
    conn.info.closedAt = Date.now();
    conn.info.closeCode = code;
    this.timers.cancel(conn.pingTimer);
    this.timers.cancel(conn.drainTimer);
    this.live.delete(conn.info.id);
    this.hooks.onClosed(conn.info);
  }

  private sendPing(conn: Connection): void {
    if (!this.faults.settings.sendPings || conn.info.draining) return;
    const messageId = streamMessageId(Date.now());
    this.pingIndex.set(messageId, conn.info.id);
    conn.info.pingsSent += 1;
    this.sendSystem(conn, 'ping', messageId, { opaque: uuid() });
  }

  private sendSystem(conn: Connection, topic: string, messageId: string, data: unknown): void {
    const frame: StreamFrame = {
      specVersion: '1.0',
      type: 'SYSTEM',
      headers: { contentType: 'application/json', messageId, time: String(Date.now()), topic },
      data: JSON.stringify(data),
    };
    conn.socket.send(JSON.stringify(frame));
  }

  push(spec: PushSpec): PushHandle {
    let resolveAcked: (ack: RecordedAck) => void = () => {};
    const acked = new Promise<RecordedAck>((resolve) => (resolveAcked = resolve));
    const messageId = streamMessageId(Date.now());
    const dataString = JSON.stringify(spec.data);
    const frame: StreamFrame = {
      specVersion: '1.0',
      type: spec.type,
      headers: {
        appId: this.hooks.appIdFor(spec.clientId),
        connectionId: '',
        contentType: 'application/json',
        messageId,
        time: String(Date.now()),
        topic: spec.topic,
        ...spec.extraHeaders,
      },
      data: dataString,
    };
    const push: PushRecord = {
      pushId: hex(8),
      clientId: spec.clientId,
      type: spec.type,
      topic: spec.topic,
      data: spec.data,
      extraHeaders: spec.extraHeaders ?? {},
      frame,
      deliveries: [],
      settled: false,
      exhausted: false,
      resolveAcked,
    };
    this.pushes.push(push);
    this.deliver(push);
    return { messageId, pushId: push.pushId, frame, data: spec.data, acked };
  }

  /** Sends `text` (or the JSON of an object) as is: for malformed-frame tests. Returns the connection used. */
  pushRaw(payload: string | object, connectionId?: string): string | undefined {
    const conn = connectionId ? this.live.get(connectionId) : this.pick((c) => !c.info.draining);
    if (!conn) return undefined;
    conn.socket.send(typeof payload === 'string' ? payload : JSON.stringify(payload));
    return conn.info.id;
  }

  private fits(conn: Connection, push: PushRecord): boolean {
    const { info } = conn;
    if (!info.open || info.draining || info.clientId !== push.clientId) return false;
    if (push.type === 'EVENT') return info.subscriptions.some((s) => s.type === 'EVENT' && s.topic === '*');
    return info.subscriptions.some((s) => s.type === push.type && s.topic === push.topic);
  }

  private pick(predicate: (conn: Connection) => boolean): Connection | undefined {
    // `live` keeps insertion order, so candidates are oldest first.
    const candidates = [...this.live.values()].filter((c) => c.info.open && predicate(c));
    if (candidates.length === 0) return undefined;
    if (this.distribution === 'newest') return candidates[candidates.length - 1];
    if (this.distribution === 'round-robin') return candidates[this.roundRobin++ % candidates.length];
    const index = Math.min(candidates.length - 1, Math.floor(this.options.random() * candidates.length));
    return candidates[index];
  }

  private deliver(push: PushRecord): void {
    const conn = this.pick((c) => this.fits(c, push));
    if (!conn) {
      if (!this.queue.includes(push)) this.queue.push(push);
      return;
    }
    const now = Date.now();
    const first = push.deliveries.length === 0;
    // A re-push is the same frame again, messageId included: the official Python SDK dedupes events and callbacks on
    // messageId alone (dingtalk_stream/stream.py), which only works if DingTalk keeps it (ADR 0002).
    const messageId = first || this.options.repushKeepsMessageId ? push.frame.headers.messageId! : streamMessageId(now);
    const headers = { ...push.frame.headers, connectionId: conn.info.id, messageId, time: String(now) };
    const frame: StreamFrame = { ...push.frame, headers };
    // The handle shows the frame as first delivered (with its connectionId).
    if (first) push.frame.headers = headers;
    push.deliveries.push({ messageId, connectionId: conn.info.id, at: now });
    this.deliveries.push({
      pushId: push.pushId,
      type: push.type,
      topic: push.topic,
      messageId,
      connectionId: conn.info.id,
      attempt: push.deliveries.length,
      at: now,
    });
    this.deliveryIndex.set(messageId, { push, connectionId: conn.info.id });
    conn.socket.send(JSON.stringify(frame));
    this.hooks.onPush(frame, conn.info);
    this.armAckTimer(push, push.deliveries.length, this.options.ackTimeoutMs);
  }

  /** Re-pushes unless the push was settled or delivered again (`delivery` is the count of deliveries when armed). */
  private armAckTimer(push: PushRecord, delivery: number, ms: number): void {
    this.timers.cancel(push.timer);
    push.timer = this.timers.later(() => {
      if (push.settled || push.deliveries.length !== delivery) return;
      this.repush(push);
    }, ms);
  }

  private repush(push: PushRecord): void {
    if (push.deliveries.length > this.options.maxRepush) {
      push.exhausted = true;
      return;
    }
    this.deliver(push);
  }

  private flushQueue(): void {
    for (const push of [...this.queue]) {
      if (!this.pick((c) => this.fits(c, push))) continue;
      this.queue.splice(this.queue.indexOf(push), 1);
      this.deliver(push);
    }
  }

  private onMessage(conn: Connection, raw: RawData, isBinary: boolean): void {
    const text = Buffer.isBuffer(raw)
      ? raw.toString('utf8')
      : Array.isArray(raw)
        ? Buffer.concat(raw).toString('utf8')
        : Buffer.from(raw).toString('utf8');
    const record: RecordedAck = { messageId: '', connectionId: conn.info.id, ack: text, at: Date.now(), kind: 'unknown', valid: false };
    if (isBinary) return this.finish({ ...record, reason: 'binary frame; acks must be text frames' }, undefined);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return this.finish({ ...record, reason: 'not JSON' }, undefined);
    }
    record.ack = parsed;
    const result = AckSchema.safeParse(parsed);
    const messageId = messageIdOf(parsed);
    record.messageId = messageId;
    record.kind = this.kindOf(messageId);
    if (!result.success) return this.finish({ ...record, reason: describeIssue(result.error) }, undefined);

    if (record.kind === 'ping') {
      conn.info.pingReplies += 1;
      return this.finish({ ...record, valid: true }, undefined);
    }
    if (record.kind !== 'push') return this.finish({ ...record, valid: true }, undefined);

    const delivery = this.deliveryIndex.get(messageId)!;
    const push = delivery.push;
    record.pushId = push.pushId;
    if (delivery.connectionId !== conn.info.id) {
      return this.finish(
        { ...record, reason: `ack sent on connection ${conn.info.id} but the frame was delivered on ${delivery.connectionId}` },
        push,
      );
    }
    if (this.faults.settings.ignoreAcks) return this.finish({ ...record, reason: 'ignored (fault ignoreAcks)' }, push);
    const tookMs = record.at - (push.deliveries[push.deliveries.length - 1]?.at ?? record.at);
    if (push.topic === TOPIC_CARD && tookMs > DINGTALK.cardCallbackTimeoutMs) {
      // DingTalk has given up on this click: the user saw it fail, and a late answer does not change the card.
      record.timedOut = true;
      record.reason = `acked ${tookMs} ms after the click; DingTalk waits ${DINGTALK.cardCallbackTimeoutMs} ms, so the click failed for the user`;
    }
    const later = push.type === 'EVENT' && eventStatus(result.data.data) === 'LATER';
    if (!push.firstAck) {
      push.firstAck = { ...record, valid: true };
      push.resolveAcked(push.firstAck);
    }
    if (later) {
      // DingTalk keeps the event and re-pushes it later as a fresh delivery.
      this.timers.cancel(push.timer);
      push.timer = this.timers.later(() => {
        if (!push.settled) this.repush(push);
      }, this.options.laterRetryMs);
    } else {
      push.settled = true;
      this.timers.cancel(push.timer);
    }
    this.finish({ ...record, valid: true }, push);
  }

  private kindOf(messageId: string): AckKind {
    if (!messageId) return 'unknown';
    if (this.pingIndex.has(messageId)) return 'ping';
    if (this.systemIndex.has(messageId)) return 'system';
    if (this.deliveryIndex.has(messageId)) return 'push';
    return 'unknown';
  }

  private finish(record: RecordedAck, push: PushRecord | undefined): void {
    if (!record.valid && record.kind === 'unknown' && !record.reason) record.reason = 'unknown messageId';
    this.hooks.onAck(record, push);
  }

  /** SYSTEM disconnect on one connection (or all open ones), no more pushes there, close after drainMs. */
  disconnect(connectionId?: string, reason = DISCONNECT_REASON): string[] {
    const targets = connectionId ? [this.live.get(connectionId)].filter((c): c is Connection => !!c) : [...this.live.values()];
    const done: string[] = [];
    for (const conn of targets) {
      if (conn.info.draining || !conn.info.open) continue;
      conn.info.draining = true;
      const messageId = streamMessageId(Date.now());
      this.systemIndex.add(messageId);
      this.sendSystem(conn, 'disconnect', messageId, { reason });
      conn.drainTimer = this.timers.later(() => conn.socket.close(1000, reason.slice(0, 120)), this.options.drainMs);
      done.push(conn.info.id);
    }
    return done;
  }

  killConnections(connectionId?: string): void {
    for (const conn of [...this.live.values()]) {
      if (!connectionId || conn.info.id === connectionId) conn.socket.terminate();
    }
  }

  /** Pushes waiting for a fitting connection. */
  get queued(): readonly PushRecord[] {
    return this.queue;
  }

  stop(): void {
    this.timers.clearAll();
    for (const conn of [...this.live.values()]) {
      conn.socket.terminate();
      this.onClose(conn, 1006);
    }
    this.wss.close();
  }
}

function messageIdOf(value: unknown): string {
  if (typeof value !== 'object' || value === null) return '';
  const headers = (value as { headers?: unknown }).headers;
  if (typeof headers !== 'object' || headers === null) return '';
  const id = (headers as { messageId?: unknown }).messageId;
  return typeof id === 'string' ? id : '';
}

function eventStatus(data: string): string | undefined {
  try {
    const parsed = EventAckDataSchema.safeParse(JSON.parse(data));
    return parsed.success ? parsed.data.status : undefined;
  } catch {
    return undefined;
  }
}

export function refuseUpgrade(socket: Duplex, status: number, reason: string, body?: string): void {
  const payload = body ?? JSON.stringify({ code: 'authFailed', message: reason });
  socket.end(
    `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Error'}\r\n` +
      'Connection: close\r\nContent-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`,
  );
}
