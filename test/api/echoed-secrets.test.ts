import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { DingTalkError } from '../../src/api/errors';
import { OpenApiClient } from '../../src/api/http';
import { testConnection } from '../../src/app-config/test-connection';

/**
 * Something that is not DingTalk (a proxy, a debugging gateway) answers with a page that echoes the request it got,
 * access token and app secret included. The error messages quote that page; they must never carry a secret, not
 * even the first half of one cut off by the excerpt.
 */

const TOKEN = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const SECRET = 'echo-test-secret-0123456789abcdef';
const SIGNATURE = 'sig0123456789abcdef0123456789abcdef';
/** Any answer would do: the calls below fail before their answer is validated. */
const AnyAnswer = z.unknown();

/** Every piece of 8 characters of a secret: none may appear in what a user sees. */
function assertNoPieceOf(secret: string, text: string): void {
  for (let i = 0; i + 8 <= secret.length; i++) {
    const piece = secret.slice(i, i + 8);
    assert.ok(!text.includes(piece), `"${piece}" of a secret leaked into: ${text}`);
  }
}

/** Filler of n characters: each echo below is padded so that its secret starts around character 105 (200 for the download), where an excerpt cut after scrubbing would otherwise split it. */
const filler = (n: number): string => 'proxy debug trace '.repeat(20).slice(0, n);

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** Answers the token call properly unless told to echo it; echoes every other request as XML, HTML or text. */
function echoServer(opts: { echoTokenCall: boolean }): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    void readBody(req).then((body) => {
      const path = req.url ?? '/';
      if (path.startsWith('/v1.0/oauth2/accessToken') && !opts.echoTokenCall) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ accessToken: TOKEN, expireIn: 7200 }));
        return;
      }
      if (path.startsWith('/v1.0/oauth2/accessToken') || path.startsWith('/v1.0/gateway')) {
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end(`<html><body><h1>Bad gateway</h1><p>${filler(36)} upstream request body: ${body}</p></body></html>`);
        return;
      }
      if (path.startsWith('/file')) {
        res.writeHead(403, { 'content-type': 'text/plain' });
        res.end(`${filler(160)} denied: GET ${path} token=${TOKEN}`);
        return;
      }
      const token = String(req.headers['x-acs-dingtalk-access-token'] ?? '');
      res.writeHead(502, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0"?><Error><Code>Proxy</Code><Message>${filler(72)} x-acs-dingtalk-access-token: ${token}</Message></Error>`);
    });
  });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

async function failureOf(work: Promise<unknown>): Promise<DingTalkError> {
  try {
    await work;
  } catch (err) {
    assert.ok(err instanceof DingTalkError, String(err));
    return err;
  }
  throw new Error('expected the call to fail');
}

/** Everything of an error a user or a log could see. */
function visible(err: DingTalkError): string {
  return [err.message, err.detail ?? '', err.hint ?? '', err.code ?? '', err.endpoint, err.summary].join('\n');
}

describe('openapi client: secrets echoed in answers that are not JSON', function () {
  let server: Server;
  let apiBase: string;
  let api: OpenApiClient | undefined;

  afterEach(async () => {
    await api?.close();
    api = undefined;
    await close(server);
  });

  it('keeps the access token out of the error when an XML answer echoes it, and quotes only a short excerpt', async () => {
    server = echoServer({ echoTokenCall: false });
    apiBase = await listen(server);
    api = new OpenApiClient({ clientId: 'dingecho', clientSecret: SECRET, apiBase, maxRetries: 0 });
    const err = await failureOf(api.call({ method: 'POST', path: '/v1.0/robot/oToMessages/batchSend', body: {} }, AnyAnswer));
    assert.equal(err.code, 'NonJsonResponse');
    assert.match(err.message, /application\/xml instead of JSON/);
    assertNoPieceOf(TOKEN, visible(err));
    const quoted = /\("([^"]*)"\)/.exec(err.message)?.[1] ?? '';
    assert.ok(quoted.length > 0 && quoted.length <= 120, `excerpt of ${quoted.length} characters: ${quoted}`);
  });

  it('keeps the app secret out of the error when the token call is echoed as HTML', async () => {
    server = echoServer({ echoTokenCall: true });
    apiBase = await listen(server);
    api = new OpenApiClient({ clientId: 'dingecho', clientSecret: SECRET, apiBase, maxRetries: 0 });
    const err = await failureOf(api.getAccessToken());
    assert.equal(err.status, 502);
    assertNoPieceOf(SECRET, visible(err));
  });

  it("keeps a download URL's signature and the token out of a failed download's detail", async () => {
    server = echoServer({ echoTokenCall: false });
    apiBase = await listen(server);
    api = new OpenApiClient({ clientId: 'dingecho', clientSecret: SECRET, apiBase, maxRetries: 0 });
    await api.getAccessToken();
    const err = await failureOf(api.download(`${apiBase}/file?signature=${SIGNATURE}`, { maxBytes: 1024 }));
    assert.equal(err.status, 403);
    assertNoPieceOf(SIGNATURE, visible(err));
    assertNoPieceOf(TOKEN, visible(err));
    assert.ok((err.detail ?? '').length <= 120, err.detail);
  });

  it('"Test connection" shows neither the secret nor a token when both checks get an echo', async () => {
    server = echoServer({ echoTokenCall: true });
    apiBase = await listen(server);
    const result = await testConnection({ clientId: 'dingecho', clientSecret: SECRET, apiBase, timeoutMs: 2000 });
    assert.equal(result.ok, false);
    assert.equal(result.checks.length, 2);
    for (const check of result.checks) assert.equal(check.ok, false);
    assertNoPieceOf(SECRET, JSON.stringify(result));
  });
});
