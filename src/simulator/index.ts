import { EventEmitter } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AiInvokeOptions, type AiInvokeResult, awaitAiAnswer, buildAiRequest } from './ai-assistant';
import { CardStore, type CardState } from './cards';
import { registerControlApi } from './control-api';
import { FaultPlan } from './faults';
import { FileStore } from './file-store';
import type { FixtureFile } from './fixtures';
import { gatewayRoute } from './gateway';
import { Router } from './http-kit';
import { hex, lwcpId, uuid } from './ids';
import {
  buildCardCallback,
  buildRobotMessage,
  eventHeaders,
  type CardCallbackOptions,
  type EventOptions,
  type RobotMessageOptions,
} from './messages';
import { registerOpenApi } from './openapi';
import { MediaStore, registerMedia } from './media';
import { CardCallbackResponseSchema } from './schemas';
import { createSimServer } from './server';
import { SessionStore } from './sessions';
import { StreamHub, type PushRecord } from './stream-hub';
import { TimerSet } from './timers';
import { TokenStore } from './tokens';
import { type ApprovalInstance, WorkflowEngine } from './workflow';
import { type SimStartApproval, startFromSim } from './workflow-routes';
import type {
  ConnectionInfo,
  FailRule,
  FaultSettings,
  PushHandle,
  RecordedAck,
  RecordedRequest,
  ResolvedSimulatorOptions,
  SentRecord,
  SimDelivery,
  SimDistribution,
  SimulatorApp,
  SimulatorEvents,
  SimulatorOptions,
  StreamFrame,
} from './types';
import { silentLogger } from '../util/runtime';
import { TOPIC_CARD, TOPIC_GRAPH, TOPIC_ROBOT } from './topics';

export type * from './types';
export { SIM_DISTRIBUTIONS } from './types';
export type { CardState, CardStream, CardDelivery } from './cards';
export type { RobotMessageOptions, EventOptions, CardCallbackOptions, RobotMsgType } from './messages';
export { makePng } from './fixtures';
export type { StoredMedia } from './media';
export type { FixtureFile } from './fixtures';
export { SIM_DEFAULT_APPROVER, SIM_EXPENSE_PROCESS_CODE, WorkflowEngine } from './workflow';
export type { ApprovalInstance, ApprovalTemplate, ApproverNode, TemplateField } from './workflow';
export type { SimStartApproval } from './workflow-routes';
export type { AiInvokeOptions, AiInvokeResult } from './ai-assistant';

/** The default app. Its secret is a public constant: the simulator guards nothing. */
export const SIMULATOR_APP: Readonly<Required<SimulatorApp>> = Object.freeze({
  clientId: 'dingsimulatorapp0001',
  clientSecret: 'simulator-secret-not-real',
  robotCode: 'dingsimulatorapp0001',
});

export { TOPIC_ROBOT, TOPIC_CARD };

const DEFAULT_WAIT_MS = 5000;

function resolveOptions(options: SimulatorOptions): ResolvedSimulatorOptions {
  const apps = (options.apps && options.apps.length > 0 ? options.apps : [SIMULATOR_APP]).map((app) => ({
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    robotCode: app.robotCode ?? app.clientId,
  }));
  return {
    apps,
    port: options.port ?? 0,
    ackTimeoutMs: options.ackTimeoutMs ?? 60_000,
    maxRepush: options.maxRepush ?? 3,
    laterRetryMs: options.laterRetryMs ?? 10_000,
    repushKeepsMessageId: options.repushKeepsMessageId ?? true,
    pingIntervalMs: options.pingIntervalMs ?? 10_000,
    drainMs: options.drainMs ?? 10_000,
    tokenTtlSec: options.tokenTtlSec ?? 7200,
    ticketTtlMs: options.ticketTtlMs ?? 90_000,
    sessionTtlMs: options.sessionTtlMs ?? 90 * 60_000,
    fileUrlTtlMs: options.fileUrlTtlMs ?? 5 * 60_000,
    distribution: options.distribution ?? 'random',
    logger: options.logger ?? silentLogger,
    random: options.random ?? Math.random,
  };
}

/**
 * A local fake of DingTalk: the Stream gateway and WebSocket, the OpenAPI endpoints the package uses, session
 * webhooks and file downloads, with everything recorded for assertions and faults that can be injected.
 * Listens on 127.0.0.1 only.
 */
export class DingTalkSimulator extends EventEmitter<SimulatorEvents> {
  readonly options: ResolvedSimulatorOptions;
  readonly requests: RecordedRequest[] = [];
  readonly acks: RecordedAck[] = [];
  readonly sent: SentRecord[] = [];
  /** Files uploaded through `POST /media/upload`, by media_id. */
  readonly media = new MediaStore();
  /** Corp of every simulated user and app. */
  readonly corpId = `ding${hex(8)}`;
  private readonly faults = new FaultPlan();
  private readonly timers = new TimerSet();
  private readonly tokens: TokenStore;
  private readonly sessions = new SessionStore();
  private readonly files: FileStore;
  private readonly cardStore: CardStore;
  private readonly hub: StreamHub;
  /** The approval engine: templates (an expense claim seeded), instances, tasks; pushes bpms_* events. */
  readonly workflow: WorkflowEngine;
  private readonly appIds = new Map<string, string>();
  private readonly chatbotIds = new Map<string, string>();
  private server: Server | undefined;
  private port = 0;

  constructor(options: SimulatorOptions = {}) {
    super();
    this.options = resolveOptions(options);
    this.tokens = new TokenStore(this.options.tokenTtlSec, () => Date.now());
    this.files = new FileStore(this.options.fileUrlTtlMs);
    this.cardStore = new CardStore((record) => this.recordSent(record));
    this.workflow = new WorkflowEngine({ corpId: this.corpId, emit: (type, data, clientId) => this.event(type, data, { clientId }) });
    for (const app of this.options.apps) {
      this.appIds.set(app.clientId, uuid());
      this.chatbotIds.set(app.clientId, lwcpId());
    }
    this.hub = new StreamHub(this.options, this.faults, {
      appIdFor: (clientId) => this.appIds.get(clientId) ?? '',
      onConnection: (info) => this.emitChange('connection', info),
      onClosed: (info) => this.emitChange('connection-closed', info),
      onPush: (frame, info) => this.emitChange('push', frame, info),
      onAck: (ack, push) => this.onAck(ack, push),
    });
  }

  get apiBase(): string {
    if (!this.server) throw new Error('DingTalkSimulator: call start() before reading apiBase');
    return `http://127.0.0.1:${this.port}`;
  }

  get apps(): ReadonlyArray<Required<SimulatorApp>> {
    return this.options.apps;
  }

  get connections(): ConnectionInfo[] {
    return this.hub.connections;
  }

  get openConnections(): ConnectionInfo[] {
    return this.hub.connections.filter((c) => c.open);
  }

  /** Every delivery of every push, re-pushes included, with the connection that got it. */
  get deliveries(): readonly SimDelivery[] {
    return this.hub.deliveries;
  }

  get distribution(): SimDistribution {
    return this.hub.distributionPolicy;
  }

  /** Which open subscribed connection gets each following (re)delivery: 'random' (DingTalk's), 'round-robin', 'newest'. */
  setDistribution(policy: SimDistribution): void {
    this.hub.setDistribution(policy);
  }

  /** Card instances by outTrackId. */
  get cards(): ReadonlyMap<string, CardState> {
    return this.cardStore.cards;
  }

  card(outTrackId: string): CardState | undefined {
    return this.cardStore.get(outTrackId);
  }

  /** Pushes not yet delivered because no fitting connection is open. */
  get queuedPushes(): number {
    return this.hub.queued.length;
  }

  get faultSettings(): Readonly<FaultSettings> {
    return this.faults.settings;
  }

  /** Listens on 127.0.0.1; `port` overrides the option (0 = a free port). */
  async start(port = this.options.port): Promise<void> {
    if (this.server) return;
    const router = new Router();
    router.add(
      'POST',
      '/v1.0/gateway/connections/open',
      gatewayRoute({ apps: () => this.options.apps, hub: this.hub, faults: this.faults, endpoint: () => `ws://127.0.0.1:${this.port}/connect` }),
    );
    registerOpenApi(router, {
      apps: () => this.options.apps,
      tokens: this.tokens,
      sessions: this.sessions,
      files: this.files,
      cards: this.cardStore,
      apiBase: () => this.apiBase,
      recordSent: (record) => this.recordSent(record),
      workflow: this.workflow,
    });
    registerMedia(router, { apps: () => this.options.apps, tokens: this.tokens, media: this.media });
    registerControlApi(router, this);
    const server = createSimServer({
      router,
      faults: this.faults,
      timers: this.timers,
      record: (req) => {
        this.requests.push(req);
        this.emitChange('request', req);
      },
      upgrade: (req, socket, head, ticket) => this.hub.handleUpgrade(req, socket, head, ticket),
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.timers.clearAll();
    this.hub.stop();
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    this.server = undefined;
  }

  private app(clientId: string | undefined): Required<SimulatorApp> {
    const app = clientId ? this.options.apps.find((a) => a.clientId === clientId) : this.options.apps[0];
    if (!app) throw new Error(`DingTalkSimulator: no app with clientId ${clientId}; add it to the apps option`);
    return app;
  }

  /**
   * Serves `file` under a new downloadCode of the app's robot, for a hand-made robot message (e.g. a payload captured
   * from DingTalk with its codes replaced, pushed with `callback`).
   */
  registerFile(file: FixtureFile, clientId?: string): string {
    return this.files.add(this.app(clientId).robotCode, file);
  }

  /** Pushes a robot message (topic /v1.0/im/bot/messages/get) to one subscribed connection of the app. */
  robotMessage(opts: RobotMessageOptions = {}): PushHandle {
    const app = this.app(opts.clientId);
    const now = Date.now();
    const data = buildRobotMessage(opts, {
      robotCode: app.robotCode,
      corpId: this.corpId,
      chatbotUserId: this.chatbotIds.get(app.clientId) ?? '',
      now,
      addFile: (file) => this.files.add(app.robotCode, file),
      openSession: (conversationId, conversationType, senderStaffId) => {
        const expiresAt = now + this.options.sessionTtlMs;
        const session = this.sessions.create({ clientId: app.clientId, conversationId, conversationType, senderStaffId, expiresAt });
        return { url: `${this.apiBase}/robot/sendBySession?session=${session.id}`, expiresAt };
      },
    });
    return this.hub.push({ clientId: app.clientId, type: 'CALLBACK', topic: TOPIC_ROBOT, data });
  }

  /** Pushes an EVENT (topic `*`, routed by headers.eventType). */
  event(eventType: string, data: Record<string, unknown>, opts: EventOptions = {}): PushHandle {
    const app = this.app(opts.clientId);
    const extraHeaders = eventHeaders(eventType, opts, this.appIds.get(app.clientId) ?? '', this.corpId, Date.now());
    return this.hub.push({ clientId: app.clientId, type: 'EVENT', topic: '*', data, extraHeaders });
  }

  /**
   * Pushes a card callback. Throws for a card this simulator holds that was not created with callbackType STREAM
   * (DingTalk would never call back); unknown outTrackIds are allowed.
   */
  cardCallback(opts: CardCallbackOptions): PushHandle {
    const app = this.app(opts.clientId);
    const card = this.cardStore.get(opts.outTrackId);
    if (card && card.callbackType !== 'STREAM') {
      throw new Error(
        `DingTalkSimulator: card ${opts.outTrackId} was created with callbackType ${card.callbackType ?? '(none)'}; ` +
          'DingTalk only sends Stream callbacks for cards created with callbackType "STREAM"',
      );
    }
    return this.hub.push({ clientId: app.clientId, type: 'CALLBACK', topic: TOPIC_CARD, data: buildCardCallback(opts, this.corpId) });
  }

  /** Starts an approval as `originator` with a plain `{ label: value }` form (default template: the expense claim). */
  startApproval(input: SimStartApproval): ApprovalInstance {
    return startFromSim(this.workflow, input, this.app(input.clientId).clientId);
  }

  /** Any CALLBACK topic (graph API etc.). */
  callback(topic: string, data: unknown, opts: { clientId?: string } = {}): PushHandle {
    const app = this.app(opts.clientId);
    return this.hub.push({ clientId: app.clientId, type: 'CALLBACK', topic, data });
  }

  /**
   * An AI assistant calls an action of the app (`/v1.0/graph/api/invoke`): resolves with the answer (status,
   * headers, body) and how long it took, or `answered: false` after `timeoutMs` (default 60 s).
   */
  aiInvoke(opts: AiInvokeOptions): Promise<AiInvokeResult> {
    const request = buildAiRequest(opts);
    const handle = this.callback(TOPIC_GRAPH, request, { clientId: opts.clientId });
    return awaitAiAnswer(handle, request, opts.timeoutMs ?? 60_000);
  }

  /** Sends text (or an object as JSON) verbatim on one connection. Returns the connection id, if any was open. */
  pushRaw(payload: string | object, opts: { connectionId?: string } = {}): string | undefined {
    return this.hub.pushRaw(payload, opts.connectionId);
  }

  /**
   * SYSTEM disconnect on one connection (default: every open one): no more pushes there, closed drainMs later.
   * Returns the ids of the connections told. `reason` defaults to "persistent connection is timeout".
   */
  disconnect(connectionId?: string, reason?: string): string[] {
    return this.hub.disconnect(connectionId, reason);
  }

  killConnections(connectionId?: string): void {
    this.hub.killConnections(connectionId);
  }

  setFaults(faults: Partial<FaultSettings>): void {
    this.faults.set(faults);
  }

  failNext(rule: FailRule): void {
    this.faults.failNext(rule);
  }

  /** Clears all faults and failNext rules. */
  clearFaults(): void {
    this.faults.reset();
  }

  expireTokens(): void {
    this.tokens.expireAll();
  }

  expireSessions(): void {
    this.sessions.expireAll();
  }

  /**
   * Ends one session webhook now, before its sessionWebhookExpiredTime: replies to it get errcode 300001 like an
   * expired one. Takes the webhook URL (msg.dingtalk.sessionWebhook) or the session id; false when unknown.
   */
  invalidateSession(sessionWebhook: string): boolean {
    let id = sessionWebhook;
    try {
      id = new URL(sessionWebhook).searchParams.get('session') ?? sessionWebhook;
    } catch {
      // Not a URL: the session id itself.
    }
    return this.sessions.invalidate(id);
  }

  /** Resolves with the predicate's first truthy result, re-checked after every recorded thing. */
  waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs = DEFAULT_WAIT_MS, what = 'condition'): Promise<T> {
    const first = predicate();
    if (first) return Promise.resolve(first);
    return new Promise<T>((resolve, reject) => {
      const check = (): void => {
        const value = predicate();
        if (!value) return;
        cleanup();
        resolve(value);
      };
      // A plain timer, not this.timers: stop() must not leave a waiter hanging forever.
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`DingTalkSimulator: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.off('change', check);
      };
      this.on('change', check);
    });
  }

  /** The n-th connection ever opened (1-based), once it exists. */
  waitForConnection(n = 1, timeoutMs = DEFAULT_WAIT_MS): Promise<ConnectionInfo> {
    return this.waitFor(() => this.hub.connections[n - 1], timeoutMs, `connection #${n} to open`);
  }

  /** The first recorded request with this path (or matching the predicate), including ones already recorded. */
  waitForRequest(match: string | ((req: RecordedRequest) => boolean), timeoutMs = DEFAULT_WAIT_MS): Promise<RecordedRequest> {
    const test = typeof match === 'string' ? (r: RecordedRequest) => r.path === match : match;
    return this.waitFor(() => this.requests.find(test), timeoutMs, `a request ${typeof match === 'string' ? match : 'matching the predicate'}`);
  }

  waitForAck(match: string | ((ack: RecordedAck) => boolean), timeoutMs = DEFAULT_WAIT_MS): Promise<RecordedAck> {
    const test = typeof match === 'string' ? (a: RecordedAck) => a.messageId === match : match;
    return this.waitFor(() => this.acks.find(test), timeoutMs, `an ack ${typeof match === 'string' ? `for ${match}` : 'matching the predicate'}`);
  }

  waitForSent(match: (sent: SentRecord) => boolean = () => true, timeoutMs = DEFAULT_WAIT_MS): Promise<SentRecord> {
    return this.waitFor(() => this.sent.find(match), timeoutMs, 'the robot to send a matching message');
  }

  private onAck(ack: RecordedAck, push: PushRecord | undefined): void {
    this.acks.push(ack);
    if (ack.valid && !ack.timedOut && push?.topic === TOPIC_CARD) this.applyCardAnswer(ack, push);
    this.emitChange('ack', ack);
  }

  /** A card-callback ack's `response` updates the card like DingTalk does. */
  private applyCardAnswer(ack: RecordedAck, push: PushRecord): void {
    const data = (ack.ack as { data?: unknown }).data;
    let response: unknown;
    try {
      response = (JSON.parse(String(data)) as { response?: unknown }).response;
    } catch {
      return;
    }
    const parsed = CardCallbackResponseSchema.safeParse(response);
    const payload = push.data as { outTrackId?: string; userId?: string };
    const card = payload.outTrackId ? this.cardStore.get(payload.outTrackId) : undefined;
    if (!parsed.success || !card) return;
    this.cardStore.applyCallbackAnswer(card, parsed.data, payload.userId);
  }

  private recordSent(record: Omit<SentRecord, 'at'>): void {
    const full: SentRecord = { ...record, at: Date.now() };
    this.sent.push(full);
    this.emitChange('sent', full);
  }

  private emitChange<K extends 'request' | 'ack' | 'connection' | 'connection-closed' | 'sent' | 'push'>(
    event: K,
    ...args: SimulatorEvents[K]
  ): void {
    (this.emit as (e: K, ...a: SimulatorEvents[K]) => boolean)(event, ...args);
    this.emit('change');
  }
}

export type { StreamFrame };
