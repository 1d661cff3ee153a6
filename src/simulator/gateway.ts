import { dingError, ok, type Route, type SimReply } from './http-kit';
import { GatewayBodySchema, describeIssue } from './schemas';
import type { FaultPlan } from './faults';
import type { StreamHub } from './stream-hub';
import type { SimulatorApp } from './types';

export interface GatewayDeps {
  apps: () => Required<SimulatorApp>[];
  hub: StreamHub;
  faults: FaultPlan;
  /** ws://127.0.0.1:<port>/connect */
  endpoint: () => string;
}

/** XML is what DingTalk answers when the client forgets `Accept: application/json`. */
function xmlReply(endpoint: string, ticket: string): SimReply {
  const raw = `<?xml version="1.0" encoding="UTF-8"?>\n<OpenConnectionResponse><endpoint>${endpoint}</endpoint><ticket>${ticket}</ticket></OpenConnectionResponse>`;
  return { status: 200, raw, headers: { 'Content-Type': 'application/xml;charset=utf-8' } };
}

/** POST /v1.0/gateway/connections/open */
export function gatewayRoute(deps: GatewayDeps): Route {
  return (req) => {
    const mode = deps.faults.settings.gateway;
    if (mode === 'refuse') return { status: 0, destroy: true };
    if (mode === 'error') return dingError(500, 'ServiceUnavailable', 'The request has failed due to a temporary failure of the server.');
    const parsed = GatewayBodySchema.safeParse(req.body);
    if (!parsed.success) {
      return dingError(400, 'invalidParameter', `Invalid parameter: ${describeIssue(parsed.error)}`);
    }
    const body = parsed.data;
    const app = deps.apps().find((a) => a.clientId === body.clientId && a.clientSecret === body.clientSecret);
    if (!app) return dingError(401, 'authFailed', '鉴权失败');
    const ticket = deps.hub.issueTicket(app.clientId, body.subscriptions, body.ua, body.localIp);
    const accept = req.headers['accept'] ?? '';
    const reply = accept.includes('application/json') ? ok({ endpoint: deps.endpoint(), ticket }) : xmlReply(deps.endpoint(), ticket);
    return mode === 'delay' ? { ...reply, delayMs: deps.faults.settings.gatewayDelayMs } : reply;
  };
}
