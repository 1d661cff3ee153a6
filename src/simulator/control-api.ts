import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { dingError, ok, type Router, type SimReply } from './http-kit';
import { registerPlaygroundApi } from './playground-api';
import { registerUserMedia } from './user-media';
import { describeIssue } from './schemas';
import type { DingTalkSimulator } from './index';
import { SIM_DISTRIBUTIONS, type RecordedRequest } from './types';

/**
 * /sim/* : the same verbs as the programmatic API, as JSON over HTTP, for the playground and for people trying
 * flows by hand. Responses never carry secrets: clientSecret, tokens and tickets are redacted.
 */

const REDACTED = '***';
const SECRET_KEYS = new Set([
  'clientsecret',
  'appsecret',
  'accesstoken',
  'access_token',
  'ticket',
  'x-acs-dingtalk-access-token',
  'authorization',
  'appsecret',
]);

export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) out[key] = SECRET_KEYS.has(key.toLowerCase()) ? REDACTED : redact(inner);
  return out;
}

function redactRequest(req: RecordedRequest): unknown {
  return redact({ ...req });
}

const RobotMessageBody = z.looseObject({
  text: z.string().optional(),
  msgtype: z.enum(['text', 'picture', 'richText', 'audio', 'video', 'file']).optional(),
  content: z.record(z.string(), z.unknown()).optional(),
  conversationType: z.enum(['1', '2']).optional(),
  conversationId: z.string().optional(),
  conversationTitle: z.string().optional(),
  senderStaffId: z.string().optional(),
  senderNick: z.string().optional(),
  msgId: z.string().optional(),
  clientId: z.string().optional(),
  overrides: z.record(z.string(), z.unknown()).optional(),
});
const EventBody = z.object({
  eventType: z.string().min(1),
  data: z.record(z.string(), z.unknown()).default({}),
  eventId: z.string().optional(),
  clientId: z.string().optional(),
});
const DistributionBody = z.object({ policy: z.enum(SIM_DISTRIBUTIONS) });
const CardCallbackBody = z.object({
  outTrackId: z.string().min(1),
  userId: z.string().optional(),
  actionIds: z.array(z.string()).optional(),
  params: z.record(z.string(), z.unknown()).optional(),
  clientId: z.string().optional(),
});
const DisconnectBody = z.object({ connectionId: z.string().optional(), reason: z.string().optional() }).default({});
const FaultsBody = z.object({
  answerPings: z.boolean().optional(),
  sendPings: z.boolean().optional(),
  gateway: z.enum(['ok', 'refuse', 'error', 'delay']).optional(),
  gatewayDelayMs: z.number().int().nonnegative().optional(),
  refuseUpgrade: z.boolean().optional(),
  ignoreAcks: z.boolean().optional(),
  clear: z.boolean().optional(),
});
const FailNextBody = z.object({
  method: z.string().optional(),
  path: z.string().min(1),
  status: z.number().int().min(100).max(599),
  code: z.string().optional(),
  message: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  times: z.number().int().positive().optional(),
  extra: z.record(z.string(), z.unknown()).optional(),
  afterHandling: z.boolean().optional(),
  dropConnection: z.boolean().optional(),
});
const AiInvokeBody = z.object({
  method: z.enum(['GET', 'POST', 'PUT', 'DELETE', 'get', 'post', 'put', 'delete']).optional(),
  path: z.string().min(1).startsWith('/'),
  query: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.unknown().optional(),
  clientId: z.string().optional(),
  timeoutMs: z.number().int().positive().max(120_000).optional(),
});
const InvalidateSessionBody = z.object({ sessionWebhook: z.string().min(1) });

function parse<S extends z.ZodType>(schema: S, body: unknown, run: (value: z.infer<S>) => unknown): SimReply {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) return dingError(400, 'invalidParameter', `Invalid parameter: ${describeIssue(parsed.error)}`);
  try {
    return ok(run(parsed.data));
  } catch (err) {
    return dingError(409, 'simulator.refused', err instanceof Error ? err.message : String(err));
  }
}

let page: string | undefined;
/** The playground page (src/simulator/public, copied next to the compiled file by copy-assets). */
function playgroundPage(): string {
  if (page !== undefined) return page;
  try {
    page = readFileSync(join(__dirname, 'public', 'index.html'), 'utf8');
  } catch {
    page =
      '<!doctype html><title>DingTalk simulator</title><p>Playground page not built (run <code>npm run build</code>). State: <a href="/sim/state">/sim/state</a></p>';
  }
  return page;
}

function pushSummary(handle: { messageId: string; pushId: string; data: unknown }): unknown {
  return { messageId: handle.messageId, pushId: handle.pushId, data: handle.data };
}

export function registerControlApi(router: Router, sim: DingTalkSimulator): void {
  router.add('POST', '/sim/robot-message', (req) => parse(RobotMessageBody, req.body, (body) => pushSummary(sim.robotMessage(body))));
  router.add('POST', '/sim/event', (req) =>
    parse(EventBody, req.body, (body) => pushSummary(sim.event(body.eventType, body.data, { eventId: body.eventId, clientId: body.clientId }))),
  );
  router.add('POST', '/sim/card-callback', (req) => parse(CardCallbackBody, req.body, (body) => pushSummary(sim.cardCallback(body))));
  router.add('POST', '/sim/ai/invoke', async (req) => {
    const parsed = AiInvokeBody.safeParse(req.body ?? {});
    if (!parsed.success) return dingError(400, 'invalidParameter', `Invalid parameter: ${describeIssue(parsed.error)}`);
    try {
      return ok(await sim.aiInvoke(parsed.data));
    } catch (err) {
      return dingError(409, 'simulator.refused', err instanceof Error ? err.message : String(err));
    }
  });
  router.add('POST', '/sim/disconnect', (req) =>
    parse(DisconnectBody, req.body, (body) => ({ disconnected: sim.disconnect(body.connectionId, body.reason) })),
  );
  router.add('POST', '/sim/kill', () => {
    const count = sim.openConnections.length;
    sim.killConnections();
    return ok({ killed: count });
  });
  router.add('POST', '/sim/faults', (req) =>
    parse(FaultsBody, req.body, ({ clear, ...faults }) => {
      if (clear) sim.clearFaults();
      sim.setFaults(faults);
      return { faults: sim.faultSettings };
    }),
  );
  router.add('POST', '/sim/fail-next', (req) =>
    parse(FailNextBody, req.body, (rule) => {
      sim.failNext(rule);
      return { queued: true };
    }),
  );
  router.add('POST', '/sim/expire-tokens', () => {
    sim.expireTokens();
    return ok({ expired: true });
  });
  router.add('POST', '/sim/invalidate-session', (req) =>
    parse(InvalidateSessionBody, req.body, ({ sessionWebhook }) => ({ invalidated: sim.invalidateSession(sessionWebhook) })),
  );
  router.add('POST', '/sim/distribution', (req) =>
    parse(DistributionBody, req.body, ({ policy }) => {
      sim.setDistribution(policy);
      return { distribution: sim.distribution };
    }),
  );
  router.add('GET', '/sim/state', (req) => {
    // ?limit=N keeps only the last N requests/acks/sent, for the playground page that polls.
    const limit = Number(req.query.limit);
    const last = <T>(list: T[]): T[] => (Number.isInteger(limit) && limit > 0 ? list.slice(-limit) : list);
    return ok({
      apiBase: sim.apiBase,
      apps: sim.apps.map((a) => ({ clientId: a.clientId, robotCode: a.robotCode })),
      faults: sim.faultSettings,
      connections: sim.connections,
      distribution: sim.distribution,
      queuedPushes: sim.queuedPushes,
      requests: last(sim.requests).map(redactRequest),
      acks: last(sim.acks),
      sent: redact(last(sim.sent)),
      cards: [...sim.cards.values()],
    });
  });
  router.add('GET', '/', () => ({ status: 200, raw: playgroundPage(), headers: { 'Content-Type': 'text/html; charset=utf-8' } }));
  registerPlaygroundApi(router, sim);
  registerUserMedia(router, sim);
}
