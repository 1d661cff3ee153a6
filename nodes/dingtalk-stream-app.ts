import type { Node, NodeAPI, NodeDef, NodeStatus } from 'node-red';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { OpenApiClient } from '../src/api/http';
import { OURS } from '../src/contract';
import { DEFAULT_TIMING, StreamClient } from '../src/stream/client';
import type { ClaimHealth, StateChange, StreamClientApi, StreamTiming } from '../src/stream/types';
import { RedisClaimStore } from '../src/stream/redis-claims';
import { redisSetting } from '../src/app-config/redis-setting';
import { describeDifferences, InstanceRegistry, type InstancesView } from '../src/app-config/instances';
import { hostname } from 'node:os';
import { systemClock } from '../src/util/runtime';
import { proxyFromEnv } from '../src/util/proxy';
import { ProxySettingError, proxyUrlOf, type ProxyProblem } from '../src/util/proxy-url';
import type { Logger } from '../src/util/runtime';
import { scrubSecrets } from '../src/util/secrets';
import { USER_AGENT } from '../src/version';
import { withBudget } from './shared/budget';
import { APP_NODE_TYPE, type AppNeeds, type DingTalkAppNode } from './shared/app-node';
import { appSettings, type AppCredentials, type AppProperties, type AppSettings } from '../src/app-config/app-settings';
import { resolveEnvReference } from '../src/app-config/credentials';
import { claimClientId, describeApps, releaseClientId } from '../src/app-config/duplicate-apps';
import { configErrorStatus, readyStatus, statusForStreamState, type Translate } from './shared/status';
import { testConnection } from '../src/app-config/test-connection';
import { TestRequestSchema, planConnectionTest, type SavedApp } from '../src/app-config/test-request';
/** Node-RED gives a node 15 s to close; we stop waiting for DingTalk well before. */
const CLOSE_BUDGET_MS = 5000;
/**
 * Node-RED stops a flow's nodes and its config nodes at the same time (Flow.stop), so on close the app first gives
 * its users this long to deregister (a dingtalk-card finishing its open streams needs the API client until then),
 * like the core MQTT broker node that disconnects on its last user. Bounded: 3 s + CLOSE_BUDGET_MS stays inside 15 s.
 */
const USERS_CLOSE_WAIT_MS = 3000;

interface AppConfig extends NodeDef, AppProperties {
  robotCode?: string;
  /** Optional shared dedupe across Node-RED instances of this app (ADR 0016); its password is a credential. */
  redisUrl?: string;
}

type ConfigProblem = 'noCredentials' | 'badApiBase' | 'badProxy' | 'badRedis';

interface ProxyFault {
  problem: ProxyProblem;
  /** The setting with any user name / password replaced by ***. */
  shown: string;
  /** The environment variable it came from; undefined for the Proxy field. */
  variable?: string;
}

interface User {
  node: Node;
  needs: AppNeeds;
}

/**
 * Optional runtime setting (settings.js) for stream timings, e.g. `dingtalkStreamAppTiming: { backoffMaxMs: 30000 }`,
 * plus `usersCloseWaitMs` (how long close waits for the app's nodes to deregister). Tests use it for short timings.
 */
const TimingSettingSchema = z.record(z.string(), z.number().nonnegative());

interface AppTiming {
  stream: Partial<StreamTiming> | undefined;
  usersCloseWaitMs: number;
  /** Heartbeat period of the instance registry (ADR 0016). */
  instanceHeartbeatMs: number;
}

const INSTANCE_HEARTBEAT_MS = 10_000;

function timingFromSettings(RED: NodeAPI): AppTiming {
  const raw = (RED.settings as unknown as Record<string, unknown>)['dingtalkStreamAppTiming'];
  const parsed = raw === undefined ? undefined : TimingSettingSchema.safeParse(raw);
  if (!parsed?.success) return { stream: undefined, usersCloseWaitMs: USERS_CLOSE_WAIT_MS, instanceHeartbeatMs: INSTANCE_HEARTBEAT_MS };
  const { usersCloseWaitMs, instanceHeartbeatMs, ...stream } = parsed.data;
  return {
    stream: stream as Partial<StreamTiming>,
    usersCloseWaitMs: Math.min(usersCloseWaitMs ?? USERS_CLOSE_WAIT_MS, USERS_CLOSE_WAIT_MS),
    instanceHeartbeatMs: Math.max(instanceHeartbeatMs ?? INSTANCE_HEARTBEAT_MS, 50),
  };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/** A Proxy field that cannot be used, or else an unusable HTTPS_PROXY / HTTP_PROXY for this API base. */
function proxyFault(settings: AppSettings): ProxyFault | undefined {
  if (settings.proxy) return settings.proxy.ok ? undefined : { problem: settings.proxy.problem, shown: settings.proxy.shown };
  if (!isHttpUrl(settings.apiBase)) return undefined;
  try {
    proxyFromEnv(settings.apiBase);
    return undefined;
  } catch (error) {
    if (error instanceof ProxySettingError) return { problem: error.problem, shown: error.shown, variable: error.variable };
    throw error;
  }
}

/** What "Test connection" compares a request with: the settings of the app as deployed. */
function savedAppOf(settings: AppSettings): SavedApp {
  const proxy = settings.proxy;
  return {
    apiBase: settings.apiBase,
    proxyOrigin: proxy === undefined ? '' : proxy.ok ? proxy.parts.origin : null,
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    proxyPassword: proxy?.ok ? proxy.parts.password : '',
  };
}

function needsStream(needs: AppNeeds): boolean {
  return Boolean(needs.robot || needs.events || needs.card || needs.ai);
}

function nodeLabel(node: Node): string {
  return node.name ? `"${node.name}" (${node.id})` : `${node.type} (${node.id})`;
}

export = function (RED: NodeAPI): void {
  const t: Translate = (key, substitutions) => RED._(key, substitutions);

  // Node-RED has no "is debug on?" call; the configured levels say it. Building a debug line per OpenAPI request
  // costs measurable CPU (bench scenario 2), so the API client asks first.
  const debugWanted = ((): boolean => {
    const logging = (RED.settings as unknown as { logging?: Record<string, { level?: unknown } | undefined> }).logging;
    return Object.values(logging ?? {}).some((target) => target?.level === 'debug' || target?.level === 'trace');
  })();

  /** Passwords never reach the log, whatever a library puts in a message. */
  function loggerFor(node: Node, hidden: readonly string[]): Logger & { isDebugEnabled: () => boolean } {
    const clean = (message: string): string => scrubSecrets(message, hidden);
    return {
      isDebugEnabled: () => debugWanted,
      debug: (message) => node.debug(clean(message)),
      info: (message) => node.log(clean(message)),
      warn: (message) => node.warn(clean(message)),
      error: (message) => node.error(clean(message)),
    };
  }

  /** The settings of each running app, for "Test connection" requests naming it. */
  const deployed = new Map<string, SavedApp>();
  /** What each running app with a Redis sees of its instances, for "Test connection". */
  const instanceViews = new Map<string, () => InstancesView | undefined>();

  function DingTalkStreamAppNode(this: Node<AppCredentials>, config: AppConfig): void {
    RED.nodes.createNode(this, config);
    const node = this as Node<AppCredentials> & {
      -readonly [K in keyof DingTalkAppNode]: DingTalkAppNode[K];
    };
    const credentials: AppCredentials = (node.credentials ??= {});
    const settings = appSettings(config, credentials);
    const redis = redisSetting(config.redisUrl, credentials.redisPassword);
    const redisPassword = redis?.ok ? redis.password : '';
    const { clientId, clientSecret, apiBase } = settings;
    const badProxy = proxyFault(settings);
    // An explicit proxy wins, else HTTPS_PROXY / NO_PROXY decide (src/util/proxy.ts).
    const proxyParts = settings.proxy?.ok ? settings.proxy.parts : undefined;
    const proxy = proxyParts ? proxyUrlOf(proxyParts) : undefined;
    const hidden = [
      clientSecret,
      proxyParts?.password ?? '',
      encodeURIComponent(proxyParts?.password ?? ''),
      redisPassword,
      encodeURIComponent(redisPassword),
    ];
    if (redis?.ok && redis.passwordInUrl) node.warn(t('dingtalk-stream-app.warn.redisPasswordInUrl', { app: nodeLabel(node) }));
    if (settings.proxy?.ok && settings.proxy.userinfoInUrl) {
      // A flow from before the Proxy user / password credentials: it keeps working, and the password joins the
      // credentials in memory so every text built from them (appSecrets) is scrubbed of it too.
      if (!credentials.proxyUser && !credentials.proxyPassword) {
        credentials.proxyUser = settings.proxy.parts.user;
        credentials.proxyPassword = settings.proxy.parts.password;
      }
      node.warn(t('dingtalk-stream-app.warn.proxyCredentialsInUrl', { app: nodeLabel(node) }));
    }
    const mySaved = savedAppOf(settings);
    deployed.set(node.id, mySaved);
    node.apiBase = apiBase;
    node.robotCode = (config.robotCode ?? '').trim() || clientId;
    const { stream: timing, usersCloseWaitMs, instanceHeartbeatMs } = timingFromSettings(RED);
    node.callbackDeadlineMs = Math.min(timing?.callbackDeadlineMs ?? DEFAULT_TIMING.callbackDeadlineMs, OURS.cardCallbackAckMs);

    const users = new Map<string, User>();
    const logger = loggerFor(node, hidden);
    let api: OpenApiClient | undefined;
    let stream: StreamClient | undefined;
    let streamClosing: Promise<void> | undefined;
    let apiClosing: Promise<void> | undefined;
    /** Set while close() waits for the last user to deregister. */
    let lastUserGone: (() => void) | undefined;
    let lastState: StateChange | undefined;
    let claims: RedisClaimStore | undefined;
    /** The shared dedupe store stopped answering: pushes are deduped on this instance only until it is back. */
    let claimsDown: ClaimHealth | undefined;
    let registry: InstanceRegistry | undefined;
    const myView = (): InstancesView | undefined => registry?.view;
    instanceViews.set(node.id, myView);
    let flowsStarted = false;
    let closed = false;
    const identity = {
      id: node.id,
      label: nodeLabel(node),
      users: () => [...users.values()].filter((u) => needsStream(u.needs)).map((u) => nodeLabel(u.node)),
    };

    /** A configuration the app cannot work with: shown on every node instead of retrying forever. */
    const configProblem = (): ConfigProblem | undefined => {
      if (!clientId || !clientSecret) return 'noCredentials';
      if (!isHttpUrl(apiBase)) return 'badApiBase';
      if (badProxy) return 'badProxy';
      if (redis && !redis.ok) return 'badRedis';
      return undefined;
    };

    const problemSubstitutions = (): Record<string, string> => ({
      apiBase,
      proxy: badProxy?.shown ?? '',
      reason: badProxy ? t(`dingtalk-stream-app.proxyProblem.${badProxy.problem}`) : '',
      source: badProxy?.variable ? t('dingtalk-stream-app.proxySource.env', { name: badProxy.variable }) : t('dingtalk-stream-app.proxySource.field'),
      redis: redis?.shown ?? '',
      redisReason: redis && !redis.ok ? t(`dingtalk-stream-app.redisProblem.${redis.problem}`) : '',
    });

    if (badProxy) node.error(t('dingtalk-stream-app.errors.badProxy', problemSubstitutions()));
    if (redis && !redis.ok) node.error(t('dingtalk-stream-app.errors.badRedis', problemSubstitutions()));

    /**
     * Nodes that use the stream show its state; the others (action nodes) get only a configuration problem or
     * "ready" when they register, and keep the result dots they set themselves afterwards.
     */
    const currentStatus = (needs: AppNeeds): NodeStatus => {
      const problem = configProblem();
      if (problem) return configErrorStatus(t(`dingtalk-stream-app.status.${problem}`, problemSubstitutions()));
      if (!needsStream(needs)) return readyStatus(t);
      const state = stream ? (lastState ?? { state: stream.state }) : { state: 'idle' as const };
      // Connected but without the shared store: messages flow, yet a re-push landing on another instance may run twice.
      if (state.state === 'connected' && claimsDown) return { fill: 'yellow', shape: 'dot', text: t('dingtalk-stream-app.status.claimsDown') };
      const view = registry?.view;
      if (state.state === 'connected' && view && view.differences.length > 0) {
        return { fill: 'yellow', shape: 'dot', text: t('dingtalk-stream-app.status.instancesDiffer', { count: String(view.count) }) };
      }
      if (state.state === 'connected' && view && view.count > 1) {
        return { fill: 'green', shape: 'dot', text: t('dingtalk-stream-app.status.connectedInstances', { count: String(view.count) }) };
      }
      const status = statusForStreamState(state, t);
      return status.text ? { ...status, text: scrubSecrets(status.text, hidden) } : status;
    };

    const fanOut = (): void => {
      for (const user of users.values()) {
        if (needsStream(user.needs)) user.node.status(currentStatus(user.needs));
      }
    };

    // The client logs the reason of a failure itself; the status dot shows the state on every node.
    const onState = (change: StateChange): void => {
      lastState = change;
      fanOut();
    };

    // Malformed frames, late answers, handler errors: worth a line in the log, not a status change.
    const onWarning = (error: Error): void => node.warn(error.message);

    // Every instance warns, naming the difference: each of them is missing messages the other handles.
    const onInstances = (view: InstancesView): void => {
      if (view.differences.length > 0) {
        node.warn(
          t('dingtalk-stream-app.warn.instancesDiffer', { app: nodeLabel(node), count: String(view.count), differences: describeDifferences(view) }),
        );
      }
      fanOut();
    };

    // The client logs the change itself (once); the dots say it on every node.
    const onClaims = (health: ClaimHealth): void => {
      claimsDown = health.healthy ? undefined : health;
      fanOut();
    };

    function requireCredentials(): void {
      const problem = configProblem();
      if (problem) throw new Error(t(`dingtalk-stream-app.errors.${problem}`, problemSubstitutions()));
    }

    node.getApi = (): OpenApiClient => {
      requireCredentials();
      if (closed) throw new Error(t('dingtalk-stream-app.errors.closed'));
      api ??= new OpenApiClient({ clientId, clientSecret, apiBase, proxy, logger });
      return api;
    };

    node.getStream = (): StreamClientApi => {
      requireCredentials();
      if (closed) throw new Error(t('dingtalk-stream-app.errors.closed'));
      if (!stream) {
        if (redis?.ok) {
          // Keys carry the Client ID, so apps sharing one Redis never see each other's pushes.
          claims = new RedisClaimStore({ url: redis.url, password: redisPassword || undefined, keyPrefix: `dingtalk-stream:${clientId}:`, logger });
        }
        stream = new StreamClient({ clientId, clientSecret, apiBase, proxy, ua: USER_AGENT, logger, timing, claims });
        stream.on('state', onState);
        stream.on('warning', onWarning);
        stream.on('claims', onClaims);
        claimsDown = undefined;
        lastState = undefined;
        const others = claimClientId(clientId, identity);
        if (others.length > 0) {
          const text = t('dingtalk-stream-app.warn.duplicateClientId', { app: identity.label, others: describeApps(others) });
          node.warn(text);
        }
        // Handlers of a deploy are added right after this; connect once all of them are in.
        if (flowsStarted) setImmediate(startStream);
      }
      return stream;
    };

    function startStream(): void {
      if (closed || !stream || stream.state !== 'idle') return;
      stream.start();
      if (claims && !registry) {
        const current = stream;
        registry = new InstanceRegistry({
          board: claims,
          self: { id: claims.token, host: hostname(), pid: process.pid },
          subscriptions: () => current.subscriptionLines(),
          clock: systemClock,
          everyMs: instanceHeartbeatMs,
          onChange: onInstances,
        });
        registry.start();
      }
    }

    function closeStream(): Promise<void> {
      const current = stream;
      if (!current) return streamClosing ?? Promise.resolve();
      stream = undefined;
      current.off('state', onState);
      current.off('warning', onWarning);
      current.off('claims', onClaims);
      releaseClientId(clientId, node.id);
      const store = claims;
      claims = undefined;
      registry?.stop();
      registry = undefined;
      // The store goes after the client: acks still held may complete or release their claims until then. The
      // heartbeat is withdrawn so the other instances count one less at once.
      const closing = withBudget(
        current
          .close()
          .then(() => store?.withdraw().catch(() => undefined))
          .then(() => store?.close()),
        CLOSE_BUDGET_MS,
      );
      streamClosing = closing;
      return closing;
    }

    function closeApi(): Promise<void> {
      const current = api;
      if (!current) return apiClosing ?? Promise.resolve();
      api = undefined;
      apiClosing = withBudget(current.close(), CLOSE_BUDGET_MS);
      return apiClosing;
    }

    /** Resolves once every user has deregistered, or after `ms`, whichever comes first. */
    function usersGone(ms: number): Promise<void> {
      if (users.size === 0) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(finish, ms);
        function finish(): void {
          clearTimeout(timer);
          lastUserGone = undefined;
          resolve();
        }
        lastUserGone = finish;
      });
    }

    const onFlowsStarted = (): void => {
      flowsStarted = true;
      startStream();
    };
    RED.events.on('flows:started', onFlowsStarted);

    node.register = (user: Node, needs: AppNeeds): void => {
      users.set(user.id, { node: user, needs });
      if (needsStream(needs) && !configProblem() && !closed) node.getStream();
      user.status(currentStatus(needs));
    };

    node.deregister = (user: Node, done: () => void): void => {
      users.delete(user.id);
      const streamStillNeeded = [...users.values()].some((u) => needsStream(u.needs));
      const work: Promise<void>[] = [];
      if (!streamStillNeeded) work.push(closeStream());
      if (users.size === 0) work.push(closeApi());
      Promise.all(work).then(
        () => done(),
        () => done(),
      );
      if (users.size === 0) lastUserGone?.();
    };

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      if (deployed.get(node.id) === mySaved) deployed.delete(node.id);
      if (instanceViews.get(node.id) === myView) instanceViews.delete(node.id);
      RED.events.off('flows:started', onFlowsStarted);
      // Users closing at the same moment may still need the clients (open card streams); a user that never
      // deregisters only delays the close by the bound.
      usersGone(usersCloseWaitMs)
        .then(() => Promise.all([closeStream(), closeApi()]))
        .then(
          () => done(),
          () => done(),
        );
    });
  }

  RED.nodes.registerType<Node<AppCredentials>, AppConfig, object, AppCredentials>(APP_NODE_TYPE, DingTalkStreamAppNode, {
    credentials: {
      clientId: { type: 'text' },
      clientSecret: { type: 'password' },
      proxyUser: { type: 'text' },
      proxyPassword: { type: 'password' },
      redisPassword: { type: 'password' },
    },
  });

  /**
   * "Test connection" in the config dialog. Uses what the dialog sends; a secret left unchanged arrives as the
   * placeholder and is taken from the saved credentials of the app being edited, but only for where that app sends
   * it (src/app-config/test-request.ts). Answers never echo a secret, nor what a server other than DingTalk answered.
   */
  RED.httpAdmin.post('/dingtalk-stream-app/test', RED.auth.needsPermission('dingtalk-stream-app.write'), (req: Request, res: Response) => {
    // A form post needs no CORS preflight, so any web page could send one to an editor without adminAuth.
    if (!req.is('application/json')) {
      res.status(415).json({
        ok: false,
        checks: [],
        error: 'Test connection accepts only JSON requests (Content-Type: application/json), as the editor sends them.',
      });
      return;
    }
    const parsed = TestRequestSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      res.status(400).json({
        ok: false,
        checks: [],
        error: 'Bad request: expected JSON { id?, clientId, clientSecret, apiBase?, proxy?, proxyUser?, proxyPassword? }.',
      });
      return;
    }
    const body = parsed.data;
    const found = savedApp(body.id);
    if (found.kind === 'other') {
      res.status(400).json({
        ok: false,
        checks: [],
        error: `Node ${body.id} is not a DingTalk app configuration (${APP_NODE_TYPE}): Test connection uses no credentials of other nodes.`,
      });
      return;
    }
    const plan = planConnectionTest(body, found.kind === 'app' ? found.saved : undefined);
    if (!plan.ok) {
      res.status(400).json({ ok: false, checks: [], error: plan.error });
      return;
    }
    // A running app with a Redis also says how many instances it sees (ADR 0016).
    const view = body.id ? instanceViews.get(body.id)?.() : undefined;
    testConnection(plan.input).then(
      (result) => res.json(view ? { ...result, instances: view } : result),
      () => res.status(500).json({ ok: false, checks: [] }),
    );
  });

  type Lookup = { kind: 'none' } | { kind: 'other' } | { kind: 'app'; saved: SavedApp };

  /**
   * The deployed app `id` names: the running node's settings (env references resolved by the runtime), else those of
   * the deployed flow (an app on a disabled flow has no running node). Any other node type is refused by the caller.
   */
  function savedApp(id: string | undefined): Lookup {
    if (!id) return { kind: 'none' };
    const live = RED.nodes.getNode(id) as Node | null;
    if (live && live.type !== APP_NODE_TYPE) return { kind: 'other' };
    const running = live ? deployed.get(id) : undefined;
    if (running) return { kind: 'app', saved: running };
    let definition: (NodeDef & AppProperties) | undefined;
    RED.nodes.eachNode((n) => {
      if (n.id === id) definition = n as NodeDef & AppProperties;
    });
    if (!definition) return { kind: 'none' };
    if (definition.type !== APP_NODE_TYPE) return { kind: 'other' };
    const stored = (RED.nodes.getCredentials(id) ?? {}) as Record<string, unknown>;
    const resolved = (v: unknown): string | undefined => (typeof v === 'string' ? resolveEnvReference(v) : undefined);
    const credentials: AppCredentials = {
      clientId: resolved(stored['clientId']),
      clientSecret: resolved(stored['clientSecret']),
      proxyUser: resolved(stored['proxyUser']),
      proxyPassword: resolved(stored['proxyPassword']),
    };
    return { kind: 'app', saved: savedAppOf(appSettings({ apiBase: resolved(definition.apiBase), proxy: resolved(definition.proxy) }, credentials)) };
  }
};
