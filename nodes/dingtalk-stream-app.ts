import type { Node, NodeAPI, NodeDef, NodeStatus } from 'node-red';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { OpenApiClient } from '../src/api/http';
import { OURS } from '../src/contract';
import { DEFAULT_TIMING, StreamClient } from '../src/stream/client';
import type { StateChange, StreamClientApi, StreamTiming } from '../src/stream/types';
import { resolveProxy } from '../src/util/proxy';
import type { Logger } from '../src/util/runtime';
import { USER_AGENT } from '../src/version';
import { withBudget } from './shared/budget';
import { APP_NODE_TYPE, findApp, type AppNeeds, type DingTalkAppNode } from './shared/app-node';
import { pickSecret, resolveEnvReference } from './shared/credentials';
import { claimClientId, describeApps, releaseClientId } from './shared/duplicate-apps';
import { configErrorStatus, readyStatus, statusForStreamState, type Translate } from './shared/status';
import { testConnection } from './shared/test-connection';

const DEFAULT_API_BASE = 'https://api.dingtalk.com';
/** Node-RED gives a node 15 s to close; we stop waiting for DingTalk well before. */
const CLOSE_BUDGET_MS = 5000;
/**
 * Node-RED stops a flow's nodes and its config nodes at the same time (Flow.stop), so on close the app first gives
 * its users this long to deregister (a dingtalk-card finishing its open streams needs the API client until then),
 * like the core MQTT broker node that disconnects on its last user. Bounded: 3 s + CLOSE_BUDGET_MS stays inside 15 s.
 */
const USERS_CLOSE_WAIT_MS = 3000;

interface AppConfig extends NodeDef {
  apiBase?: string;
  robotCode?: string;
  proxy?: string;
}

interface AppCredentials {
  clientId?: string;
  clientSecret?: string;
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
}

function timingFromSettings(RED: NodeAPI): AppTiming {
  const raw = (RED.settings as unknown as Record<string, unknown>)['dingtalkStreamAppTiming'];
  const parsed = raw === undefined ? undefined : TimingSettingSchema.safeParse(raw);
  if (!parsed?.success) return { stream: undefined, usersCloseWaitMs: USERS_CLOSE_WAIT_MS };
  const { usersCloseWaitMs, ...stream } = parsed.data;
  return { stream: stream as Partial<StreamTiming>, usersCloseWaitMs: Math.min(usersCloseWaitMs ?? USERS_CLOSE_WAIT_MS, USERS_CLOSE_WAIT_MS) };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function needsStream(needs: AppNeeds): boolean {
  return Boolean(needs.robot || needs.events || needs.card);
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

  function loggerFor(node: Node): Logger & { isDebugEnabled: () => boolean } {
    return {
      isDebugEnabled: () => debugWanted,
      debug: (message) => node.debug(message),
      info: (message) => node.log(message),
      warn: (message) => node.warn(message),
      error: (message) => node.error(message),
    };
  }

  function DingTalkStreamAppNode(this: Node<AppCredentials>, config: AppConfig): void {
    RED.nodes.createNode(this, config);
    const node = this as Node<AppCredentials> & {
      -readonly [K in keyof DingTalkAppNode]: DingTalkAppNode[K];
    };
    const credentials = node.credentials ?? {};
    const clientId = (credentials.clientId ?? '').trim();
    const clientSecret = (credentials.clientSecret ?? '').trim();
    const apiBase = (config.apiBase ?? '').trim() || DEFAULT_API_BASE;
    // An explicit proxy wins, else HTTPS_PROXY / NO_PROXY decide (src/util/proxy.ts).
    const proxy = resolveProxy((config.proxy ?? '').trim() || undefined, apiBase);
    node.apiBase = apiBase;
    node.robotCode = (config.robotCode ?? '').trim() || clientId;
    const { stream: timing, usersCloseWaitMs } = timingFromSettings(RED);
    node.callbackDeadlineMs = Math.min(timing?.callbackDeadlineMs ?? DEFAULT_TIMING.callbackDeadlineMs, OURS.cardCallbackAckMs);

    const users = new Map<string, User>();
    const logger = loggerFor(node);
    let api: OpenApiClient | undefined;
    let stream: StreamClient | undefined;
    let streamClosing: Promise<void> | undefined;
    let apiClosing: Promise<void> | undefined;
    /** Set while close() waits for the last user to deregister. */
    let lastUserGone: (() => void) | undefined;
    let lastState: StateChange | undefined;
    let flowsStarted = false;
    let closed = false;
    const identity = {
      id: node.id,
      label: nodeLabel(node),
      users: () => [...users.values()].filter((u) => needsStream(u.needs)).map((u) => nodeLabel(u.node)),
    };

    /** A configuration the app cannot work with: shown on every node instead of retrying forever. */
    const configProblem = (): 'noCredentials' | 'badApiBase' | undefined => {
      if (!clientId || !clientSecret) return 'noCredentials';
      if (!isHttpUrl(apiBase)) return 'badApiBase';
      return undefined;
    };

    /**
     * Nodes that use the stream show its state; the others (action nodes) get only a configuration problem or
     * "ready" when they register, and keep the result dots they set themselves afterwards.
     */
    const currentStatus = (needs: AppNeeds): NodeStatus => {
      const problem = configProblem();
      if (problem) return configErrorStatus(t(`dingtalk-stream-app.status.${problem}`));
      if (!needsStream(needs)) return readyStatus(t);
      return statusForStreamState(stream ? (lastState ?? { state: stream.state }) : { state: 'idle' }, t);
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

    function requireCredentials(): void {
      const problem = configProblem();
      if (problem) throw new Error(t(`dingtalk-stream-app.errors.${problem}`, { apiBase }));
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
        stream = new StreamClient({ clientId, clientSecret, apiBase, proxy, ua: USER_AGENT, logger, timing });
        stream.on('state', onState);
        stream.on('warning', onWarning);
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
    }

    function closeStream(): Promise<void> {
      const current = stream;
      if (!current) return streamClosing ?? Promise.resolve();
      stream = undefined;
      current.off('state', onState);
      current.off('warning', onWarning);
      releaseClientId(clientId, node.id);
      const closing = withBudget(current.close(), CLOSE_BUDGET_MS);
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
      Promise.all(work).then(() => done(), () => done());
      if (users.size === 0) lastUserGone?.();
    };

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
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
    },
  });

  /**
   * "Test connection" in the config dialog. Uses what the dialog sends; a secret left unchanged arrives as the
   * placeholder and is taken from the saved credentials of the node being edited. Answers never echo the secret.
   */
  const TestRequestSchema = z.object({
    id: z.string().optional(),
    clientId: z.string().optional(),
    clientSecret: z.string().optional(),
    apiBase: z.string().optional(),
    proxy: z.string().optional(),
  });

  RED.httpAdmin.post(
    '/dingtalk-stream-app/test',
    RED.auth.needsPermission('dingtalk-stream-app.write'),
    (req: Request, res: Response) => {
      const parsed = TestRequestSchema.safeParse(req.body ?? {});
      if (!parsed.success) {
        res.status(400).json({ ok: false, checks: [], error: 'Bad request: expected JSON { id?, clientId, clientSecret, apiBase?, proxy? }.' });
        return;
      }
      const body = parsed.data;
      const saved = savedCredentials(body.id);
      const clientId = body.clientId ? resolveEnvReference(body.clientId).trim() : (saved.clientId ?? '');
      const clientSecret = pickSecret(body.clientSecret, saved.clientSecret).trim();
      testConnection({
        clientId,
        clientSecret,
        apiBase: resolveEnvReference(body.apiBase ?? '').trim() || DEFAULT_API_BASE,
        proxy: (body.proxy ?? '').trim() || undefined,
      }).then(
        (result) => res.json(result),
        () => res.status(500).json({ ok: false, checks: [] }),
      );
    },
  );

  /** Credentials of a deployed app node (env references already resolved by the runtime), else the stored ones. */
  function savedCredentials(id: string | undefined): AppCredentials {
    if (!id) return {};
    const live = findApp(RED, id) as (DingTalkAppNode & { credentials?: AppCredentials }) | null;
    if (live?.credentials) return live.credentials;
    const stored = RED.nodes.getCredentials(id) as AppCredentials | undefined;
    if (!stored) return {};
    return {
      clientId: stored.clientId ? resolveEnvReference(stored.clientId) : undefined,
      clientSecret: stored.clientSecret ? resolveEnvReference(stored.clientSecret) : undefined,
    };
  }
};
