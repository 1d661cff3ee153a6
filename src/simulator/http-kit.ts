import { uuid } from './ids';

/** The request as routes see it: already read, parsed and recorded. */
export interface SimRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  /** The body's bytes, for routes that read multipart forms (media upload). */
  raw?: Buffer;
}

export interface SimReply {
  status: number;
  /** Serialised as JSON unless `raw` is set. */
  body?: unknown;
  raw?: Buffer | string;
  headers?: Record<string, string>;
  /** Drop the TCP connection without answering (a "refused" gateway). */
  destroy?: boolean;
  /** Answer only after this long. */
  delayMs?: number;
}

export type Route = (req: SimRequest) => SimReply | Promise<SimReply>;

export function ok(body: unknown): SimReply {
  return { status: 200, body };
}

/** New-style OpenAPI error body: `{requestid, code, message}` (lowercase requestid, as DingTalk sends it). */
export function dingError(status: number, code: string, message: string, headers?: Record<string, string>): SimReply {
  return { status, body: { requestid: uuid().toUpperCase(), code, message }, headers };
}

/** Legacy oapi body: HTTP 200 with a non-zero errcode. */
export function legacyError(errcode: number, errmsg: string): SimReply {
  return { status: 200, body: { errcode, errmsg } };
}

export class Router {
  private readonly exact = new Map<string, Route>();
  private readonly prefixes: Array<{ method: string; prefix: string; route: Route }> = [];

  add(method: string, path: string, route: Route): this {
    this.exact.set(`${method} ${path}`, route);
    return this;
  }

  addPrefix(method: string, prefix: string, route: Route): this {
    this.prefixes.push({ method, prefix, route });
    return this;
  }

  find(method: string, path: string): Route | undefined {
    return this.exact.get(`${method} ${path}`) ?? this.prefixes.find((p) => p.method === method && path.startsWith(p.prefix))?.route;
  }

  /** Whether some other method is routed at this path (for 405-ish answers). */
  knowsPath(path: string): boolean {
    for (const key of this.exact.keys()) if (key.slice(key.indexOf(' ') + 1) === path) return true;
    return false;
  }
}
