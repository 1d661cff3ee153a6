import { OURS } from '../../src/contract';
import { type AiAnswer, errorAnswer } from '../../src/msg/ai-answer';
import { matchPath, type PathPattern } from '../../src/msg/ai-path';
import { type AiRequest, parseAiRequest } from '../../src/msg/ai-request';
import { type FrameHeaders, TOPIC_GRAPH_API } from '../../src/stream/frames';
import type { StreamClientApi, Unsubscribe } from '../../src/stream/types';

/**
 * One subscription to AI assistant actions per app, shared by its `dingtalk-ai-in` nodes: each call goes to the
 * first node whose method and path match, in the order the nodes were deployed, so two nodes never both answer one
 * call. A call no node matches, or one that is malformed, is answered here at once (docs/protocol.md §2.5, ADR 0013).
 */

export interface AiCall {
  request: AiRequest;
  params: Record<string, string>;
  headers: FrameHeaders;
}

export interface AiRoute {
  /** Upper-case method, or '' for any. */
  method: string;
  pattern: PathPattern;
  take(call: AiCall): Promise<AiAnswer>;
  /** A log line for a call no node took or could read; the table asks its first route, as the app has no logger of its own. */
  warn(kind: 'noRoute' | 'badRequest', detail: Record<string, string>): void;
}

interface RouteTable {
  routes: AiRoute[];
  unsubscribe: Unsubscribe;
}

const tables = new WeakMap<StreamClientApi, RouteTable>();

/** The Stream client's own fallback: after the longest wait any node may have, plus a margin (src/contract.ts). */
const FALLBACK_MS = OURS.aiActionMaxMs + OURS.aiActionFallbackMarginMs;

function dispatch(table: RouteTable, data: unknown, headers: FrameHeaders): AiAnswer | Promise<AiAnswer> | undefined {
  const first = table.routes[0];
  if (first === undefined) return undefined;
  const parsed = parseAiRequest(data);
  if (!parsed.ok) {
    first.warn('badRequest', { reason: parsed.reason, messageId: headers.messageId });
    return errorAnswer('badRequest', `The action call could not be read: ${parsed.reason}.`);
  }
  const { request } = parsed;
  for (const route of table.routes) {
    if (route.method !== '' && route.method !== request.method) continue;
    const params = matchPath(route.pattern, request.path);
    if (params !== undefined) return route.take({ request, params, headers });
  }
  first.warn('noRoute', { method: request.method, path: request.path.slice(0, 200) });
  return errorAnswer('noRoute', `No flow answers ${request.method} ${request.path.slice(0, 200)}: add a dingtalk-ai-in node for it.`);
}

export function addAiRoute(stream: StreamClientApi, route: AiRoute): Unsubscribe {
  let table = tables.get(stream);
  if (table === undefined) {
    const created: RouteTable = { routes: [], unsubscribe: () => undefined };
    created.unsubscribe = stream.onCallback(TOPIC_GRAPH_API, (push) => dispatch(created, push.data, push.headers), { deadlineMs: FALLBACK_MS });
    tables.set(stream, created);
    table = created;
  }
  const owner = table;
  owner.routes.push(route);
  return () => {
    const at = owner.routes.indexOf(route);
    if (at >= 0) owner.routes.splice(at, 1);
    if (owner.routes.length === 0 && tables.get(stream) === owner) {
      tables.delete(stream);
      owner.unsubscribe();
    }
  };
}
