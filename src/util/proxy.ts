import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { Agent, ProxyAgent, type Dispatcher } from 'undici';
import { normalizeProxy } from './proxy-url';

/**
 * Outbound proxy support for the gateway call (undici) and the WebSocket (ws), so Node-RED behind a corporate proxy
 * can reach DingTalk (the official SDK cannot: dingtalk-stream-sdk-nodejs#24). Shared with the OpenAPI client.
 */

type Env = Record<string, string | undefined>;

/**
 * The proxy URL the environment asks for when talking to `targetUrl`, or undefined.
 * https/wss targets use HTTPS_PROXY (then https_proxy), http/ws targets HTTP_PROXY (then http_proxy), like curl;
 * NO_PROXY / no_proxy (comma or space separated: `host`, `.domain`, `*.domain`, `host:port`, `*`) wins over both.
 * `proxy.corp:3128` means http://proxy.corp:3128, as for curl; a value that cannot be used throws a
 * ProxySettingError naming the variable (never its password).
 */
export function proxyFromEnv(targetUrl: string, env: Env = process.env): string | undefined {
  const found = proxyVariable(targetUrl, env);
  return found ? normalizeProxy(found.value, found.name) : undefined;
}

function proxyVariable(targetUrl: string, env: Env): { name: string; value: string } | undefined {
  let target: URL;
  try {
    target = new URL(targetUrl);
  } catch {
    return undefined;
  }
  const secure = target.protocol === 'https:' || target.protocol === 'wss:';
  const names = secure ? ['HTTPS_PROXY', 'https_proxy'] : ['HTTP_PROXY', 'http_proxy'];
  const name = names.find((n) => env[n] !== undefined);
  const value = name === undefined ? undefined : env[name]?.trim();
  if (!name || !value) return undefined;
  const noProxy = env.NO_PROXY ?? env.no_proxy;
  if (noProxy && bypassesProxy(target, noProxy)) return undefined;
  return { name, value };
}

/** Whether `target` matches a NO_PROXY list. */
export function bypassesProxy(target: URL, noProxy: string): boolean {
  const host = stripBrackets(target.hostname.toLowerCase());
  const port = target.port || defaultPort(target.protocol);
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    const { name, port: entryPort } = splitHostPort(entry);
    if (entryPort && entryPort !== port) continue;
    const bare = name.replace(/^\*?\./, '');
    if (host === bare || host.endsWith(`.${bare}`)) return true;
  }
  return false;
}

/**
 * An explicit proxy option wins; otherwise the environment decides for this target. Both are read the same way
 * (`host:port` is http); one that cannot be used throws a ProxySettingError.
 */
export function resolveProxy(explicit: string | undefined, targetUrl: string, env: Env = process.env): string | undefined {
  return explicit?.trim() ? normalizeProxy(explicit) : proxyFromEnv(targetUrl, env);
}

export interface HttpDispatcherOptions {
  proxy?: string;
  ca?: string | Buffer;
  connectTimeoutMs?: number;
}

/** An undici dispatcher for HTTPS calls: a ProxyAgent when a proxy is given, else a plain Agent. */
export function createHttpDispatcher(options: HttpDispatcherOptions): Dispatcher {
  const tlsOptions = options.ca ? { ca: options.ca } : undefined;
  if (options.proxy) {
    return new ProxyAgent({
      uri: options.proxy,
      requestTls: tlsOptions,
      proxyTls: tlsOptions,
      connectTimeout: options.connectTimeoutMs,
    });
  }
  return new Agent({ connect: { ...tlsOptions, timeout: options.connectTimeoutMs } });
}

export interface TunnelAgentOptions {
  proxy: string;
  /** Scheme of the target, decides whether TLS is started inside the tunnel. */
  secure: boolean;
  ca?: string | Buffer;
  /** Bounds the CONNECT exchange, which `ws`'s handshakeTimeout does not cover (no socket exists yet). */
  timeoutMs: number;
}

type ConnectCallback = (err: Error | null, socket?: net.Socket) => void;
interface TunnelTarget {
  host?: string | null;
  hostname?: string | null;
  port?: number | string | null;
  servername?: string;
  rejectUnauthorized?: boolean;
}

/**
 * An agent for `ws` that reaches the target through an HTTP(S) proxy with `CONNECT host:port` and, for wss, starts TLS
 * inside the tunnel. Kept tiny on purpose: one CONNECT per socket, no keep-alive, Basic auth from the proxy URL.
 */
export function createTunnelAgent(options: TunnelAgentOptions): http.Agent {
  const proxy = new URL(options.proxy);
  const agent = options.secure ? new https.Agent({ keepAlive: false }) : new http.Agent({ keepAlive: false });
  // Node's Agent accepts an asynchronous createConnection: returning undefined makes it wait for the callback.
  const createConnection = (target: TunnelTarget, callback: ConnectCallback): undefined => {
    openTunnel(proxy, target, options, callback);
    return undefined;
  };
  Object.assign(agent, { createConnection });
  return agent;
}

function openTunnel(proxy: URL, target: TunnelTarget, options: TunnelAgentOptions, callback: ConnectCallback): void {
  const host = stripBrackets(target.hostname || target.host || 'localhost');
  const port = Number(target.port) || (options.secure ? 443 : 80);
  const proxyPort = Number(proxy.port) || (proxy.protocol === 'https:' ? 443 : 80);
  const proxyHost = stripBrackets(proxy.hostname);
  const socket: net.Socket =
    proxy.protocol === 'https:'
      ? tls.connect({ host: proxyHost, port: proxyPort, servername: net.isIP(proxyHost) ? undefined : proxyHost, ca: options.ca })
      : net.connect({ host: proxyHost, port: proxyPort });
  let settled = false;
  const fail = (message: string): void => {
    if (settled) return;
    settled = true;
    socket.destroy();
    // The proxy URL may carry credentials: only its host is named.
    callback(
      new Error(
        `Proxy ${proxyHost}:${proxyPort} could not open a tunnel to ${host}:${port}: ${message}. Check the proxy setting (or HTTPS_PROXY / NO_PROXY).`,
      ),
    );
  };
  const onError = (err: Error): void => fail(err.message);
  const onClose = (): void => fail('connection closed');
  socket.setTimeout(options.timeoutMs, () => fail(`no answer within ${options.timeoutMs} ms`));
  socket.on('error', onError);
  socket.on('close', onClose);

  const authority = net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
  let request = `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n`;
  if (proxy.username || proxy.password) {
    const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
    request += `Proxy-Authorization: Basic ${Buffer.from(credentials).toString('base64')}\r\n`;
  }
  socket.write(`${request}\r\n`);

  let head = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) {
      if (head.length > 16 * 1024) fail('oversized answer to CONNECT');
      return;
    }
    socket.off('data', onData);
    const statusLine = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
    const status = Number(statusLine.split(' ')[1]);
    if (status !== 200) return fail(`answered "${statusLine}"`);
    const rest = head.subarray(end + 4);
    if (rest.length > 0) socket.unshift(rest);
    settled = true;
    socket.setTimeout(0);
    socket.off('error', onError);
    socket.off('close', onClose);
    if (!options.secure) return callback(null, socket);
    const servername = target.servername || (net.isIP(host) ? undefined : host);
    const secured = tls.connect({ socket, servername, ca: options.ca, rejectUnauthorized: target.rejectUnauthorized });
    // An error on the raw tunnel must end the TLS socket (whose owner listens), never go unhandled.
    socket.on('error', (err) => secured.destroy(err));
    callback(null, secured);
  };
  socket.on('data', onData);
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function defaultPort(protocol: string): string {
  return protocol === 'https:' || protocol === 'wss:' ? '443' : '80';
}

function splitHostPort(entry: string): { name: string; port?: string } {
  if (entry.startsWith('[')) {
    const close = entry.indexOf(']');
    const rest = entry.slice(close + 1);
    return { name: entry.slice(1, close), port: rest.startsWith(':') ? rest.slice(1) : undefined };
  }
  const parts = entry.split(':');
  if (parts.length === 2) return { name: parts[0]!, port: parts[1] };
  return { name: entry };
}
