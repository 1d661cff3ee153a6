import type { Dispatcher } from 'undici';
import type { ClaimStore } from './claims';
import type { CardCallback, CardCallbackResponse, EventAckStatus, FrameHeaders, RobotMessage } from './frames';
import type { Clock, Logger, RandomSource } from '../util/runtime';

/** Lifecycle of one app's Stream connection, as shown on the nodes' status dots. */
export type StreamState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'auth-failed' | 'closed';

export interface StreamStats {
  framesIn: number;
  acksOut: number;
  duplicatesDropped: number;
  malformedFrames: number;
  reconnects: number;
  lastPingAt: number | undefined;
  connectedAt: number | undefined;
}

export interface StateChange {
  state: StreamState;
  /** Set for `auth-failed` and `reconnecting`: what went wrong and what to do. Never contains a secret. */
  error?: Error;
  /** When the next connection attempt is due (ms epoch), for `reconnecting` and `auth-failed`. */
  retryAt?: number;
  stats: StreamStats;
}

export interface StreamTiming {
  /** WebSocket ping sent by us this often. */
  heartbeatIntervalMs: number;
  /** No pong within this time after our ping: the socket is dead. */
  pongTimeoutMs: number;
  /** No inbound frame or pong for this long: the socket is a zombie. */
  idleTimeoutMs: number;
  /**
   * Full-jitter backoff between failed connection attempts (and between replacements of a flapping server's sockets):
   * the n-th delay is random in [0, min(backoffMaxMs, backoffBaseMs * 2^n)). It starts over once an attempt succeeds.
   */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /**
   * A socket that drops before it has been up this long counts as a flap: past 3 in a row the replacements back off.
   * One that stays up this long clears the count (ADR 0009).
   */
  stableAfterMs: number;
  /** Delay before retrying after DingTalk refused the credentials. */
  authFailedRetryMs: number;
  /** After a server `disconnect`, close the old socket ourselves if the server has not after this long. */
  drainTimeoutMs: number;
  /**
   * How long a card-callback subscriber may take to produce the answer before an empty success is sent; at most
   * 1.5 s (OURS.cardCallbackAckMs), since DingTalk fails a click not answered within 2 s.
   */
  callbackDeadlineMs: number;
  dedupeTtlMs: number;
  dedupeMaxEntries: number;
  /** With shared claims (ADR 0016): the longest wait for the store before a push goes on with local dedupe. */
  claimWaitMs: number;
  /**
   * With shared claims: how long an event is held by the instance running its flow. Shorter than DingTalk's re-push
   * after a missing ack (~60 s, docs/protocol.md 3.3-d), so the re-push of an instance that died mid-flow runs.
   */
  claimLeaseMs: number;
  gatewayTimeoutMs: number;
  handshakeTimeoutMs: number;
}

export interface StreamClientOptions {
  clientId: string;
  clientSecret: string;
  /** Default `https://api.dingtalk.com`. The simulator's URL in tests and the playground. */
  apiBase?: string;
  ua?: string;
  localIp?: string;
  /** HTTP(S) proxy URL for both the gateway call and the WebSocket. Defaults to HTTPS_PROXY / https_proxy. */
  proxy?: string;
  /** Extra CA certificates (PEM) for both the gateway call and the WebSocket. */
  ca?: string | Buffer;
  /** Undici dispatcher to use for the gateway call instead of building one (shared pool, tests). */
  dispatcher?: Dispatcher;
  timing?: Partial<StreamTiming>;
  /**
   * Shared dedupe across instances of this app (e.g. RedisClaimStore). Absent: local dedupe only, as with one instance.
   * The caller owns it and closes it after the client.
   */
  claims?: ClaimStore;
  logger?: Logger;
  clock?: Clock;
  random?: RandomSource;
}

export interface ClaimHealth {
  healthy: boolean;
  /** Why not, for `healthy: false`. Never contains a secret. */
  problem?: string;
}

/** What a subscriber receives: the validated frame headers and the once-parsed `data`. */
export interface Push<T> {
  headers: FrameHeaders;
  data: T;
  /** Raw `data` string as received, for diagnostics. */
  raw: string;
}

/** Robot message subscriber: the ack has already been sent when this runs (ack-at-once policy). */
export type RobotMessageHandler = (push: Push<RobotMessage>) => void;

/**
 * Event subscriber. Return nothing (or SUCCESS) once the event has been taken; return or resolve LATER to make
 * DingTalk re-push it. Every event subscriber is called; the ack is LATER if any of them says LATER.
 */
export type EventHandler = (push: Push<Record<string, unknown>>) => void | EventAckStatus | Promise<void | EventAckStatus>;

/** Card callback subscriber: resolve the answer (merged into the card), or undefined for "no change". */
export type CardCallbackHandler = (push: Push<CardCallback>) => void | CardCallbackResponse | Promise<void | CardCallbackResponse | undefined>;

/** Any other CALLBACK topic: resolve the `response` value to put in the ack. */
export type GenericCallbackHandler = (push: Push<unknown>) => unknown;

/** Options of one generic CALLBACK subscription. */
export interface CallbackOptions {
  /**
   * How long the router waits for this subscriber's answer before it acks `{"response": null}` itself. Default (and
   * floor) `callbackDeadlineMs`. For topics whose deadline is not the card's 2 s, e.g. AI assistant actions (ADR 0013).
   */
  deadlineMs?: number;
}

/** Removes exactly the subscription it was returned for. */
export type Unsubscribe = () => void;

export interface StreamClientEvents {
  state: [StateChange];
  /** Something worth a warning that did not change the state (malformed frame, unknown topic, handler error). */
  warning: [Error];
  /** The shared claim store stopped answering (`healthy: false`, local dedupe only) or answers again. */
  claims: [ClaimHealth];
}

/**
 * The public face of the Stream client (src/stream/client.ts). Node-RED's config node is its only user in the runtime.
 *
 * Subscriptions are collected, then `start()` connects with exactly the topics needed. Subscribing to a new topic
 * while connected opens a new connection with the new list before retiring the old one (make-before-break).
 */
export interface StreamClientApi {
  readonly state: StreamState;
  readonly stats: Readonly<StreamStats>;
  onRobotMessage(handler: RobotMessageHandler): Unsubscribe;
  onEvent(handler: EventHandler): Unsubscribe;
  onCardCallback(handler: CardCallbackHandler): Unsubscribe;
  onCallback(topic: string, handler: GenericCallbackHandler, options?: CallbackOptions): Unsubscribe;
  start(): void;
  /** Resolves when every socket, timer and pending request is gone. Never rejects. */
  close(): Promise<void>;
}
