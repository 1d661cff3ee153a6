import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FaultPlan } from './faults';
import { dingError, legacyError, type Router, type SimReply, type SimRequest } from './http-kit';
import type { FailRule, RecordedRequest } from './types';
import type { TimerSet } from './timers';

const MAX_BODY = 5 * 1024 * 1024;
/** Uploads may be larger: up to DingTalk's 20 MB and a little over, so that the route can answer the size error. */
const MAX_UPLOAD_BODY = 25 * 1024 * 1024;

export interface SimServerDeps {
  router: Router;
  faults: FaultPlan;
  timers: TimerSet;
  /** Called for every non-control request, before faults are applied. */
  record(req: RecordedRequest): void;
  /** WebSocket upgrade on /connect with the ticket from the query. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, ticket: string | null): void;
}

/** Control-API calls are the test's own traffic, not DingTalk's: they are not recorded. File downloads are. */
function isControlPath(path: string): boolean {
  if (path === '/') return true;
  return path.startsWith('/sim/') && !path.startsWith('/sim/files/');
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  // Recorded in sim.requests: the size, not megabytes of file as text. Routes read `raw`.
  if (contentType?.toLowerCase().startsWith('multipart/')) return { multipart: true, bytes: raw.length };
  const text = raw.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Permission (scope) an endpoint needs, for default permission-denied messages. */
function scopeFor(path: string): string {
  if (path === '/v1.0/card/streaming') return 'Card.Streaming.Write';
  if (path.startsWith('/v1.0/card/')) return 'Card.Instance.Write';
  return 'qyapi_robot_sendmsg';
}

/** Default messages for the error codes tests inject most, worded like DingTalk's. */
function defaultMessage(path: string, code: string | undefined): string {
  if (code === 'Forbidden.AccessDenied.AccessTokenPermissionDenied') {
    return `没有调用该接口的权限，接口权限申请参考：https://open.dingtalk.com/document/orgapp/add-api-permission (requiredScopes: ${scopeFor(path)})`;
  }
  if (code?.startsWith('Forbidden.AccessDenied.Qp')) return '调用该接口超过限流值，请降低调用频率';
  return 'simulated failure';
}

/** The failure a `failNext` rule produces: legacy body for the session webhook, new-style elsewhere. */
function faultReply(path: string, rule: FailRule): SimReply {
  const message = rule.message ?? defaultMessage(path, rule.code);
  // Legacy oapi endpoints answer `{errcode, errmsg}` (usually under HTTP 200), not the new API's `{code, message}`.
  if (path.startsWith('/robot/') || path.startsWith('/topapi/') || path.startsWith('/media/')) {
    const errcode = Number(rule.code);
    const reply = legacyError(Number.isFinite(errcode) && rule.code ? errcode : rule.status, message);
    return { status: rule.status, body: { ...(reply.body as object), ...rule.extra }, headers: rule.headers };
  }
  const reply = dingError(rule.status, rule.code ?? `simulated.${rule.status}`, message, rule.headers);
  return { ...reply, body: { ...(reply.body as object), ...rule.extra } };
}

function send(res: ServerResponse, reply: SimReply): void {
  if (reply.destroy) {
    res.socket?.destroy();
    return;
  }
  const headers: Record<string, string> = { ...reply.headers };
  let payload: Buffer | string;
  if (reply.raw !== undefined) {
    payload = reply.raw;
  } else {
    payload = reply.body === undefined ? '' : JSON.stringify(reply.body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json;charset=utf-8';
  }
  headers['Content-Length'] = String(Buffer.byteLength(payload));
  res.writeHead(reply.status, headers);
  res.end(payload);
}

export function createSimServer(deps: SimServerDeps): Server {
  const server = createServer((req, res) => {
    void handle(deps, req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, dingError(500, 'ServiceUnavailable', `simulator error: ${String(err)}`));
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query = Object.fromEntries(url.searchParams);
    deps.record({ method: 'GET', path: url.pathname, query, headers: flatHeaders(req), body: undefined, at: Date.now() });
    socket.on('error', () => socket.destroy());
    if (url.pathname !== '/connect') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const rule = deps.faults.take('GET', url.pathname);
    if (rule) {
      const body = JSON.stringify({ code: rule.code ?? `simulated.${rule.status}`, message: rule.message ?? 'simulated failure' });
      socket.end(
        `HTTP/1.1 ${rule.status} Simulated\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      return;
    }
    deps.upgrade(req, socket, head, url.searchParams.get('ticket'));
  });
  return server;
}

async function handle(deps: SimServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const method = (req.method ?? 'GET').toUpperCase();
  const raw = await readBody(req, url.pathname === '/media/upload' ? MAX_UPLOAD_BODY : MAX_BODY);
  const headers = flatHeaders(req);
  const simReq: SimRequest = {
    method,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers,
    body: parseBody(raw, headers['content-type']),
    raw,
  };
  if (!isControlPath(simReq.path)) {
    const { raw: _raw, ...recorded } = simReq;
    deps.record({ ...recorded, at: Date.now() });
  }

  const rule = isControlPath(simReq.path) ? undefined : deps.faults.take(method, simReq.path);
  let reply: SimReply;
  if (rule && !rule.afterHandling) {
    reply = faultReply(simReq.path, rule);
  } else {
    const route = deps.router.find(method, simReq.path);
    reply = route
      ? await route(simReq)
      : dingError(404, 'InvalidAction.NotFound', `Specified api is not found, please check your url and method. (${method} ${simReq.path})`);
    if (rule) reply = faultReply(simReq.path, rule);
  }
  if (rule?.dropConnection) reply = { status: 0, destroy: true };
  if (reply.delayMs) {
    await new Promise<void>((resolve) => deps.timers.later(resolve, reply.delayMs ?? 0));
    if (res.destroyed) return;
  }
  send(res, reply);
}
