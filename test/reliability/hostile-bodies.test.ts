/**
 * Bodies shaped to make text scanning slow. A 502 page of 200 KB of `<` froze the event loop for 36 s in the old
 * error-body parser (its regexes backtracked: time grew with the body's length squared), and the client reads error
 * bodies up to 4 MB, which would have taken hours; a card answer's message of "robot not " repeated did the same to
 * the hint patterns (cubic). Each call must now fail with its clear error within 2 s. The bound is generous on
 * purpose: it only tells "linear" from "stuck"; these calls take 50-350 ms, mostly moving 4 MB over loopback.
 */
import { strict as assert } from 'node:assert';
import { performance } from 'node:perf_hooks';
import { updateCard } from '../../src/api/card';
import type { DingTalkError } from '../../src/api/errors';
import { OpenApiClient } from '../../src/api/http';
import { rejection, startLocalServer, type Handler, type LocalServer } from '../api/helpers';

const MB = 1024 * 1024;
const BOUND_MS = 2_000;
const SECRET = 'hostile-bodies-secret-42';

const repeat = (unit: string, bytes: number): string => unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes);

describe('reliability: hostile error bodies are read in linear time', function () {
  this.timeout(30_000);
  let server: LocalServer;
  const clients: OpenApiClient[] = [];

  before(async () => {
    server = await startLocalServer();
  });
  after(() => server.close());
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  function client(): OpenApiClient {
    const api = new OpenApiClient({ clientId: 'dinghostile', clientSecret: SECRET, apiBase: server.base, maxRetries: 0 });
    clients.push(api);
    return api;
  }

  const page =
    (status: number, body: string): Handler =>
    (_req, res) => {
      res.writeHead(status, { 'content-type': 'text/html' });
      res.end(body);
    };

  async function timed(p: Promise<unknown>): Promise<{ err: DingTalkError; ms: number }> {
    const started = performance.now();
    const err = await rejection(p);
    return { err, ms: performance.now() - started };
  }

  const shapes: Array<[string, number, string]> = [
    ['200 KB of "<" (the Test connection that froze for 36 s)', 502, repeat('<', 200 * 1024)],
    ['4 MB of "<" (the read limit)', 502, repeat('<', 4 * MB)],
    ['4 MB of "<title"', 502, repeat('<title', 4 * MB)],
    ['4 MB of "<title " ending in one ">"', 502, `${repeat('<title ', 4 * MB)}>`],
    ['"<title>" and 4 MB without a closing tag', 502, `<title>${repeat('a', 4 * MB)}`],
    ['4 MB of "<a" and "<b>"', 502, repeat('<a<a<a<b>', 4 * MB)],
    ['4 MB of "<title" with a 200 status', 200, repeat('<title', 4 * MB)],
  ];
  for (const [what, status, body] of shapes) {
    it(`token call answered HTTP ${status} with ${what}: a clear error within ${BOUND_MS} ms`, async () => {
      server.handle = page(status, body);
      const { err, ms } = await timed(client().getAccessToken());
      assert.match(err.message, new RegExp(`HTTP ${status}.*text/html instead of JSON`));
      assert.ok(err.message.length < 1_000, `the error quotes too much: ${err.message.length} chars`);
      assert.ok(ms < BOUND_MS, `took ${Math.round(ms)} ms`);
    });
  }

  it('still quotes the title of an ordinary error page, and its text when it has no title', async () => {
    server.handle = page(502, '<html><head><TITLE lang="en">502 Bad Gateway</TITLE></head><body>upstream down</body></html>');
    assert.match((await rejection(client().getAccessToken())).message, /instead of JSON \("502 Bad Gateway"\)/);
    server.handle = page(503, '<html><body><h1>Service</h1> <p>Unavailable</p></body></html>');
    assert.match((await rejection(client().getAccessToken())).message, /instead of JSON \("Service Unavailable"\)/);
  });

  it(`a card answer refusing with a 1 MB message of "robot not " repeated: a clear error within ${BOUND_MS} ms`, async () => {
    server.handle = (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url?.startsWith('/v1.0/oauth2/accessToken')) return void res.end(JSON.stringify({ accessToken: 'hostile-token', expireIn: 7200 }));
      res.end(JSON.stringify({ success: false, message: repeat('robot not ', MB) }));
    };
    const api = client();
    await api.getAccessToken();
    const { err, ms } = await timed(updateCard(api, { outTrackId: 'hostile-card', cardData: { a: '1' } }));
    assert.match(err.message, /robot not robot not/);
    assert.ok(ms < BOUND_MS, `took ${Math.round(ms)} ms`);
  });
});
