/**
 * Answers DingTalk (or a proxy, captive portal or broken load balancer in front of it) should never give, and which
 * the simulator cannot produce: a garbage token answer, bodies cut off mid-way, HTML with a 200. Each must end as
 * one DingTalkError that says what happened, with nothing thrown unhandled and no secret in it.
 * (HTML-instead-of-JSON and empty bodies on the token call are in test/api/client.sim.test.ts already.)
 */
import { strict as assert } from 'node:assert';
import { z } from 'zod';
import type { DingTalkError } from '../../src/api/errors';
import { OpenApiClient } from '../../src/api/http';
import { rejection, startLocalServer, type Handler, type LocalServer } from '../api/helpers';
import { CrashGuard } from './support';

const SECRET = 'reliability-secret-value-42';
const TOKEN = 'reliability-token-abcdef-123';

function assertClean(err: DingTalkError): void {
  const everything = `${err.message} ${err.hint ?? ''} ${err.code ?? ''} ${err.stack ?? ''}`;
  assert.doesNotMatch(everything, new RegExp(SECRET));
  assert.doesNotMatch(everything, new RegExp(TOKEN));
  assert.ok(err.message.length > 20, `too terse: ${err.message}`);
}

describe('reliability: bad answers from DingTalk to the OpenAPI client', function () {
  let server: LocalServer;
  const guard = new CrashGuard();
  const clients: OpenApiClient[] = [];

  before(async () => {
    server = await startLocalServer();
  });
  after(() => server.close());
  beforeEach(() => guard.install());
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    // Let any stray socket error surface before judging.
    await new Promise((resolve) => setImmediate(resolve));
    guard.uninstall();
    assert.equal(guard.escaped.length, 0, `escaped:\n${guard.describe()}`);
  });

  function client(maxRetries = 0): OpenApiClient {
    const api = new OpenApiClient({
      clientId: 'dingreliability',
      clientSecret: SECRET,
      apiBase: server.base,
      maxRetries,
      retry: { baseDelayMs: 5, maxDelayMs: 10 },
    });
    clients.push(api);
    return api;
  }

  const json =
    (status: number, body: unknown): Handler =>
    (_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };

  /** Token answers that are JSON but not a token. */
  const garbageTokens: Array<[string, unknown]> = [
    ['an object without accessToken', { foo: 'bar' }],
    ['an empty accessToken', { accessToken: '', expireIn: 7200 }],
    ['a numeric accessToken', { accessToken: 12345, expireIn: 7200 }],
    ['a negative expireIn', { accessToken: TOKEN, expireIn: -1 }],
    ['expireIn as a string', { accessToken: TOKEN, expireIn: '7200' }],
    ['an array', [TOKEN]],
    ['a bare string', TOKEN],
    ['null', null],
  ];
  for (const [what, body] of garbageTokens) {
    it(`token endpoint answering 200 with ${what}: a clear DingTalkError, no token leaked`, async () => {
      server.handle = json(200, body);
      const err = await rejection(client().getAccessToken());
      assert.match(err.message, /accessToken|unexpected|answer|JSON/i);
      assertClean(err);
    });
  }

  it('token endpoint answering 200 in XML (what DingTalk does without Accept: application/json): the token in it is not echoed', async () => {
    server.handle = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0"?><result><accessToken>${TOKEN}</accessToken><expireIn>7200</expireIn></result>`);
    };
    const err = await rejection(client().getAccessToken());
    assert.match(err.message, /instead of JSON/);
    assertClean(err);
  });

  it('an API call answered 200 with an HTML login page (captive portal): a clear error, the token never echoed', async () => {
    server.handle = (req, res) => {
      if (req.url?.startsWith('/v1.0/oauth2/accessToken')) return json(200, { accessToken: TOKEN, expireIn: 7200 })(req, res);
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<html><head><title>Wi-Fi login</title></head><body>token ${TOKEN}</body></html>`);
    };
    const err = await rejection(client().call({ method: 'POST', path: '/v1.0/robot/groupMessages/send', body: {} }, z.looseObject({})));
    assert.match(err.message, /instead of JSON/);
    assertClean(err);
  });

  it('a JSON answer cut off before Content-Length was reached: a network DingTalkError after the retries', async () => {
    let calls = 0;
    server.handle = (_req, res) => {
      calls++;
      const body = JSON.stringify({ accessToken: TOKEN, expireIn: 7200 });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length + 50) });
      res.write(body.slice(0, 10));
      setImmediate(() => res.socket?.destroy());
    };
    const err = await rejection(client(2).getAccessToken());
    assert.equal(calls, 3, 'the token call is idempotent, so it is retried');
    assertClean(err);
  });

  it('a JSON answer that is syntactically truncated (complete HTTP, half a JSON document)', async () => {
    server.handle = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"accessToken":"${TOKEN.slice(0, 8)}`);
    };
    const err = await rejection(client().getAccessToken());
    assert.match(err.message, /instead of JSON/);
    assertClean(err);
  });

  it('a download cut off mid-body (Content-Length not reached): a DingTalkError, no partial file returned', async () => {
    let calls = 0;
    server.handle = (_req, res) => {
      calls++;
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': '100000' });
      res.write(Buffer.alloc(30_000, 1));
      setTimeout(() => res.socket?.destroy(), 5);
    };
    const err = await rejection(client(1).download(`${server.base}/files/abc.png?signature=${TOKEN}`, { maxBytes: 1_000_000 }));
    assert.equal(calls, 2, 'a download is idempotent and retried once');
    assert.match(err.message, /files\/abc\.png/);
    assertClean(err);
  });

  it('a chunked download whose connection drops before the last chunk: a DingTalkError', async () => {
    server.handle = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(Buffer.alloc(10_000, 2));
      setTimeout(() => res.socket?.destroy(), 5);
    };
    const err = await rejection(client().download(`${server.base}/files/cut.bin`, { maxBytes: 1_000_000 }));
    assertClean(err);
  });

  it('a session webhook answered with HTML and status 502 (gateway in between): a DingTalkError naming the status', async () => {
    server.handle = (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><title>502 Bad Gateway</title></html>');
    };
    const api = new OpenApiClient({ clientId: 'dingreliability', clientSecret: SECRET, apiBase: server.base, maxRetries: 0 });
    clients.push(api);
    const err = await rejection(api.postWebhook(`${server.base}/robot/sendBySession?session=${TOKEN}`, { msgtype: 'text', text: { content: 'x' } }));
    assert.match(err.message, /502/);
    assertClean(err);
  });
});
