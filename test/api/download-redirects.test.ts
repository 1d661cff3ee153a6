/**
 * Where a file download may be redirected (src/api/url-policy.ts redirectRefusal). The download URL comes from
 * DingTalk's answer; a redirect is only what the file host says, and the request goes out from inside the user's
 * network, so a redirect to another service on it (a cloud metadata endpoint, an intranet page) or from https down to
 * http must be refused, naming the host but never the URL's query (its signature).
 *
 * Local servers stand in for DingTalk's file host: the simulator serves its files directly, without redirects.
 */
import assert from 'node:assert/strict';
import * as https from 'node:https';
import { OpenApiClient, type OpenApiClientOptions } from '../../src/api';
import { rejection, selfSignedCert, startLocalServer, type Handler, type LocalServer } from './helpers';

const SIGNATURE = 'signature-in-the-redirect-query-1234';

const redirect =
  (location: string): Handler =>
  (_req, res) => {
    res.writeHead(302, { location });
    res.end();
  };

const file =
  (body: string): Handler =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(body);
  };

describe('api/download: redirects', function () {
  let api: LocalServer;
  let files: LocalServer;
  let intranet: LocalServer;
  const clients: OpenApiClient[] = [];

  function client(opts: Partial<OpenApiClientOptions> = {}): OpenApiClient {
    const c = new OpenApiClient({ clientId: 'dingredirects', clientSecret: 'redirect-secret-value', apiBase: api.base, maxRetries: 0, ...opts });
    clients.push(c);
    return c;
  }

  beforeEach(async () => {
    api = await startLocalServer();
    files = await startLocalServer();
    intranet = await startLocalServer();
    intranet.handle = file('{"AccessKeyId":"metadata-credentials"}');
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all([api.close(), files.close(), intranet.close()]);
  });

  it('follows a redirect within the host DingTalk named', async () => {
    files.handle = (req, res) => (req.url?.startsWith('/real') ? file('the file')(req, res) : redirect('/real/report.txt?sig=2')(req, res));
    const got = await client().download(`${files.base}/f/report.txt?sig=1`, { maxBytes: 1024 });
    assert.equal(got.data.toString(), 'the file');
    assert.deepEqual(files.requests, ['/f/report.txt?sig=1', '/real/report.txt?sig=2']);
  });

  it('follows a redirect to the configured API base (where the simulator serves files)', async () => {
    files.handle = redirect(`${api.base}/sim/files/x.file`);
    api.handle = file('from the api base');
    const got = await client().download(`${files.base}/f`, { maxBytes: 1024 });
    assert.equal(got.data.toString(), 'from the api base');
  });

  it('refuses a redirect to another port of the same loopback host (a metadata service), naming the host but not the query', async () => {
    files.handle = redirect(`http://127.0.0.1:${intranet.port}/latest/meta-data/?sig=${SIGNATURE}`);
    const err = await rejection(client().download(`${files.base}/f/report.txt?sig=${SIGNATURE}`, { maxBytes: 1024 }));
    assert.equal(err.code, 'UrlRefused');
    assert.equal(err.status, 302);
    assert.match(err.message, new RegExp(`redirect to 127\\.0\\.0\\.1:${intranet.port}`));
    assert.match(err.message, new RegExp(`within 127\\.0\\.0\\.1:${files.port}`));
    assert.doesNotMatch(err.message, new RegExp(SIGNATURE));
    assert.doesNotMatch(err.message, /meta-data/);
    assert.deepEqual(intranet.requests, [], 'nothing was sent to the refused host');
  });

  it('refuses a redirect chain that leaves the host on a later hop', async () => {
    files.handle = (req, res) =>
      req.url === '/hop1'
        ? redirect('/hop2')(req, res)
        : req.url === '/hop2'
          ? redirect(`http://localhost:${intranet.port}/admin`)(req, res)
          : redirect('/hop1')(req, res);
    const err = await rejection(client().download(`${files.base}/start`, { maxBytes: 1024 }));
    assert.equal(err.code, 'UrlRefused');
    assert.match(err.message, new RegExp(`localhost:${intranet.port}`));
    assert.deepEqual(files.requests, ['/start', '/hop1', '/hop2']);
    assert.deepEqual(intranet.requests, []);
  });

  it('refuses a redirect to a non-http scheme', async () => {
    files.handle = redirect('file:///etc/passwd');
    const err = await rejection(client().download(`${files.base}/f`, { maxBytes: 1024 }));
    assert.equal(err.code, 'UrlRefused');
    assert.match(err.message, /only http\(s\)/);
  });

  describe('from https', function () {
    let tls: LocalServer;
    let cert: Buffer;
    let key: Buffer;

    before(function () {
      const made = selfSignedCert();
      if (!made) this.skip();
      ({ cert, key } = made);
    });

    beforeEach(async () => {
      tls = await startLocalServer(https.createServer({ cert, key }), 'localhost');
    });
    afterEach(() => tls.close());

    it('never downgrades to http, not even to an allowed origin (the API base)', async () => {
      tls.handle = redirect(`${api.base}/file?sig=${SIGNATURE}`);
      api.handle = file('sent in clear');
      const err = await rejection(client({ ca: cert }).download(`${tls.base}/f?sig=${SIGNATURE}`, { maxBytes: 1024 }));
      assert.equal(err.code, 'UrlRefused');
      assert.match(err.message, /from https to http \(127\.0\.0\.1:\d+\)/);
      assert.doesNotMatch(err.message, new RegExp(SIGNATURE));
      assert.deepEqual(api.requests, []);
    });

    it('still follows an https redirect within the same origin', async () => {
      tls.handle = (req, res) => (req.url === '/real' ? file('over tls')(req, res) : redirect('/real')(req, res));
      const got = await client({ ca: cert }).download(`${tls.base}/f`, { maxBytes: 1024 });
      assert.equal(got.data.toString(), 'over tls');
    });
  });
});
