import { z } from 'zod';
import type { PushHandle, RecordedAck } from './types';

/**
 * The AI assistant side of actions (`/v1.0/graph/api/invoke`, docs/protocol.md §2.5): builds the call as DingTalk
 * sends it, `{ requestLine: { method, uri }, headers, body: "<JSON text>" }`, and reads the ack's `response` the way
 * the official SDKs write it, `{ statusLine: { code, reasonPhrase }, headers, body: "<text>" }`.
 */

export interface AiInvokeOptions {
  /** Default POST. DingTalk documents GET, POST, PUT and DELETE. */
  method?: string;
  /** The action's path, e.g. `/v1/actions/leave/u1`; a query may be given here or in `query`. */
  path: string;
  query?: Record<string, string | string[]>;
  /** Default `{ "content-type": "application/json" }`. */
  headers?: Record<string, string>;
  /** An object is sent as JSON text, a string verbatim; default `{}` as in DingTalk's examples. */
  body?: unknown;
  /** Sent as the whole `data` instead of the built request, for malformed calls. */
  rawData?: unknown;
  clientId?: string;
  /** How long to wait for the answer; default 60 s. */
  timeoutMs?: number;
}

export interface AiInvokeResult {
  messageId: string;
  /** The `data` that was pushed. */
  request: unknown;
  /** An ack came back within `timeoutMs`. */
  answered: boolean;
  /** Milliseconds from the push to the ack (or to giving up). */
  elapsedMs: number;
  /** The ack frame's own code (200 unless the client refused the frame). */
  ackCode?: number;
  status?: number;
  reasonPhrase?: string;
  headers?: Record<string, string>;
  body?: string;
  /** `body` parsed, when it is JSON. */
  json?: unknown;
  /** What was wrong with the answer, as DingTalk would see it; undefined when it was a well-formed answer. */
  problem?: string;
}

const GraphResponseSchema = z.looseObject({
  statusLine: z.looseObject({ code: z.number().int().min(100).max(599), reasonPhrase: z.string().optional() }),
  headers: z.record(z.string(), z.string()).nullish(),
  body: z.string().nullish(),
});

export function buildAiRequest(opts: AiInvokeOptions): unknown {
  if (opts.rawData !== undefined) return opts.rawData;
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(opts.query ?? {})) {
    for (const one of Array.isArray(value) ? value : [value]) search.append(name, one);
  }
  const query = search.toString();
  const uri = query === '' ? opts.path : `${opts.path}${opts.path.includes('?') ? '&' : '?'}${query}`;
  return {
    requestLine: { method: (opts.method ?? 'POST').toUpperCase(), uri },
    headers: opts.headers ?? { 'content-type': 'application/json' },
    body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body ?? {}),
  };
}

function readAck(ack: RecordedAck): Omit<AiInvokeResult, 'messageId' | 'request' | 'answered' | 'elapsedMs'> {
  const frame = ack.ack as { code?: unknown; data?: unknown };
  const ackCode = typeof frame.code === 'number' ? frame.code : undefined;
  let response: unknown;
  try {
    response = (JSON.parse(String(frame.data)) as { response?: unknown }).response;
  } catch {
    return { ackCode, problem: 'the ack data is not JSON' };
  }
  const parsed = GraphResponseSchema.safeParse(response);
  if (!parsed.success)
    return {
      ackCode,
      problem: `the ack's response is not {statusLine: {code, reasonPhrase}, headers, body} (got ${JSON.stringify(response) ?? 'nothing'})`,
    };
  const { statusLine, headers, body } = parsed.data;
  let json: unknown;
  try {
    json = body ? (JSON.parse(body) as unknown) : undefined;
  } catch {
    json = undefined;
  }
  return { ackCode, status: statusLine.code, reasonPhrase: statusLine.reasonPhrase, headers: headers ?? {}, body: body ?? '', json };
}

/** Waits for the push's first valid ack and reads it as an action's answer. */
export async function awaitAiAnswer(handle: PushHandle, request: unknown, timeoutMs: number): Promise<AiInvokeResult> {
  const startedAt = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
    // A caller that stops waiting (a stopped simulator, an ended test) must not keep the process alive.
    timer.unref();
  });
  const ack = await Promise.race([handle.acked, timedOut]);
  clearTimeout(timer);
  const base = { messageId: handle.messageId, request };
  if (ack === undefined) {
    return { ...base, answered: false, elapsedMs: Date.now() - startedAt, problem: `no answer within ${timeoutMs} ms` };
  }
  return { ...base, answered: true, elapsedMs: Math.max(0, ack.at - startedAt), ...readAck(ack) };
}
