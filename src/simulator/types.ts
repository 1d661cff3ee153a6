import type { Logger, RandomSource } from '../util/runtime';

/** One app the simulator knows. `robotCode` defaults to the clientId, as for internal apps. */
export interface SimulatorApp {
  clientId: string;
  clientSecret: string;
  robotCode?: string;
}

export interface SimulatorOptions {
  apps?: SimulatorApp[];
  /** Port to listen on (127.0.0.1 only); 0 (default) picks a free one. */
  port?: number;
  /** An un-acked push is re-pushed after this long. Default 60 s. */
  ackTimeoutMs?: number;
  /** Re-pushes after the first delivery. Default 3. */
  maxRepush?: number;
  /** An EVENT acked with LATER is re-pushed after this long. Default 10 s. */
  laterRetryMs?: number;
  /**
   * A re-push keeps the frame's messageId (default true, what the official Python SDK's messageId dedupe relies on).
   * False gives every re-push a new one: DingTalk does not document which, so the client's robot (msgId) and event
   * (eventId) dedupe is tested against both.
   */
  repushKeepsMessageId?: boolean;
  /** SYSTEM ping frames are sent this often on every connection. Default 10 s. */
  pingIntervalMs?: number;
  /** After a SYSTEM disconnect the socket is closed this much later. Default 10 s. */
  drainMs?: number;
  /** Access tokens live this long. Default 7200 s. */
  tokenTtlSec?: number;
  /** A gateway ticket must be used within this long. Default 90 s. */
  ticketTtlMs?: number;
  /** sessionWebhook validity after the message was created. Default 90 min. */
  sessionTtlMs?: number;
  /** downloadUrl validity. Default 5 min. */
  fileUrlTtlMs?: number;
  /**
   * Which open subscribed connection of an app gets each (re)delivery. Default 'random', as DingTalk
   * (docs/protocol.md 4-a); 'round-robin' and 'newest' make multi-instance tests deterministic.
   */
  distribution?: SimDistribution;
  logger?: Logger;
  random?: RandomSource;
}

export const SIM_DISTRIBUTIONS = ['random', 'round-robin', 'newest'] as const;
export type SimDistribution = (typeof SIM_DISTRIBUTIONS)[number];

/** One delivery of a push on one connection: the first one or a re-push. */
export interface SimDelivery {
  pushId: string;
  type: 'EVENT' | 'CALLBACK';
  topic: string;
  messageId: string;
  connectionId: string;
  /** 1 for the first delivery, 2 for the first re-push... */
  attempt: number;
  at: number;
}

export interface ResolvedSimulatorOptions {
  apps: Required<SimulatorApp>[];
  port: number;
  ackTimeoutMs: number;
  maxRepush: number;
  laterRetryMs: number;
  repushKeepsMessageId: boolean;
  pingIntervalMs: number;
  drainMs: number;
  tokenTtlSec: number;
  ticketTtlMs: number;
  sessionTtlMs: number;
  fileUrlTtlMs: number;
  distribution: SimDistribution;
  logger: Logger;
  random: RandomSource;
}

export interface SimSubscription {
  type: string;
  topic: string;
}

/** A Stream connection as tests see it. */
export interface ConnectionInfo {
  id: string;
  clientId: string;
  subscriptions: SimSubscription[];
  ua?: string;
  localIp?: string;
  open: boolean;
  /** A SYSTEM disconnect was sent: nothing more is pushed here. */
  draining: boolean;
  openedAt: number;
  closedAt?: number;
  closeCode?: number;
  pingsSent: number;
  pingReplies: number;
}

/** Every HTTP request the simulator answered (control API calls excluded). */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** Parsed JSON body, the raw text when it is not JSON, undefined when empty. */
  body: unknown;
  at: number;
}

export type AckKind = 'push' | 'ping' | 'system' | 'unknown';

/** Every frame a client sent on a Stream socket. */
export interface RecordedAck {
  /** `headers.messageId` of the ack, '' when missing. */
  messageId: string;
  connectionId: string;
  /** The parsed frame (or the raw text when it was not JSON). */
  ack: unknown;
  at: number;
  kind: AckKind;
  valid: boolean;
  /** Why the frame is not a valid ack, or (with `timedOut`) why DingTalk did not take it. */
  reason?: string;
  /**
   * A card callback acked after DingTalk's 2 s: the click failed for the user and the answer is not applied to the
   * card (the ack itself is well formed, so `valid` stays true).
   */
  timedOut?: boolean;
  /** For `kind: 'push'`: the id of the push (same for all its deliveries). */
  pushId?: string;
}

export type SentKind = 'webhook' | 'oto' | 'group' | 'private' | 'card';

/** Something the robot "said": a webhook reply, a proactive send, a card operation. */
export interface SentRecord {
  kind: SentKind;
  clientId: string;
  at: number;
  /** For webhook replies. */
  conversationId?: string;
  userIds?: string[];
  openConversationId?: string;
  outTrackId?: string;
  /** The card operation, for kind 'card'. */
  action?: 'create' | 'deliver' | 'createAndDeliver' | 'update' | 'streaming';
  body: unknown;
}

export interface StreamFrame {
  specVersion: string;
  type: 'SYSTEM' | 'EVENT' | 'CALLBACK';
  headers: Record<string, string>;
  data: string;
}

export interface PushHandle {
  /** messageId of the first delivery (re-pushes keep it unless `repushKeepsMessageId` is false). */
  messageId: string;
  /** Id shared by all deliveries of this push. */
  pushId: string;
  frame: StreamFrame;
  data: unknown;
  /** Resolves with the first valid ack of any delivery of this push. */
  acked: Promise<RecordedAck>;
}

export interface FaultSettings {
  /** Answer WebSocket-level pings. false = half-open connection. */
  answerPings: boolean;
  /** Send SYSTEM ping frames. */
  sendPings: boolean;
  /** 'refuse' drops the TCP connection, 'error' answers 500, 'delay' answers after gatewayDelayMs. */
  gateway: 'ok' | 'refuse' | 'error' | 'delay';
  gatewayDelayMs: number;
  /** Refuse every WebSocket handshake with 401 even for a valid ticket. */
  refuseUpgrade: boolean;
  /** Record acks but never treat them as acks (forces re-pushes). */
  ignoreAcks: boolean;
}

export interface FailRule {
  method?: string;
  /** Exact path (no query); a trailing `*` matches a prefix. */
  path: string;
  status: number;
  code?: string;
  message?: string;
  headers?: Record<string, string>;
  /** How many requests fail. Default 1. */
  times?: number;
  /** Extra keys merged into the error body. */
  extra?: Record<string, unknown>;
  /**
   * Fail only after the request was handled: the route runs (a send is recorded, a card created) and its answer is
   * replaced by this failure, like a gateway error or timeout after DingTalk acted.
   */
  afterHandling?: boolean;
  /** Close the connection instead of answering (the client sees the socket end, not an HTTP status). */
  dropConnection?: boolean;
}

export interface SimulatorEvents {
  request: [RecordedRequest];
  ack: [RecordedAck];
  connection: [ConnectionInfo];
  'connection-closed': [ConnectionInfo];
  sent: [SentRecord];
  push: [StreamFrame, ConnectionInfo];
  /** Emitted after any of the above; drives waitFor(). */
  change: [];
}
