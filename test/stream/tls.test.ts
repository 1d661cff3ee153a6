import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { StreamClient } from '../../src/stream/client';
import { deferred, waitForState } from './helpers';

/**
 * The `ca` option and the CONNECT tunnel over TLS (https gateway + wss socket), which the plain-HTTP simulator cannot
 * show. A throwaway self-signed certificate is made with openssl; without openssl the suite is skipped.
 */
describe('stream client: TLS with a private CA, direct and through a proxy', () => {
  let dir: string;
  let cert: Buffer;
  let key: Buffer;
  let server: https.Server;
  let wss: WebSocketServer;
  let proxy: http.Server;
  const tunnels: string[] = [];
  const upgrades: string[] = [];
  const acks: string[] = [];
  let firstAck = deferred();
  const open = new Set<net.Socket>();

  before(function () {
    dir = mkdtempSync(join(tmpdir(), 'stream-tls-'));
    try {
      execFileSync(
        'openssl',
        ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1',
          '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'],
        { stdio: 'ignore' },
      );
    } catch {
      this.skip();
    }
    cert = readFileSync(join(dir, 'cert.pem'));
    key = readFileSync(join(dir, 'key.pem'));
  });

  beforeEach(async () => {
    tunnels.length = upgrades.length = acks.length = 0;
    firstAck = deferred();
    wss = new WebSocketServer({ noServer: true });
    server = https.createServer({ cert, key }, (req, res) => {
      req.resume();
      req.on('end', () => {
        const { port } = server.address() as AddressInfo;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ endpoint: `wss://localhost:${port}/connect`, ticket: 'tls-ticket' }));
      });
    });
    server.on('upgrade', (req, socket, head) =>
      wss.handleUpgrade(req, socket, head, (ws) => {
        upgrades.push(req.url ?? '');
        ws.on('message', (m) => {
          acks.push(String(m));
          firstAck.resolve();
        });
        ws.send(JSON.stringify({ specVersion: '1.0', type: 'SYSTEM', headers: { topic: 'ping', messageId: 'tls-ping' }, data: '{"opaque":"o"}' }));
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    proxy = http.createServer();
    proxy.on('connect', (req: http.IncomingMessage, client: net.Socket) => {
      tunnels.push(req.url ?? '');
      const port = Number((req.url ?? '').split(':')[1]);
      // Whatever host was asked for, the test proxy only ever dials this machine.
      const upstream = net.connect(port, '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.pipe(client);
        client.pipe(upstream);
      });
      for (const s of [client, upstream]) {
        open.add(s);
        s.on('close', () => open.delete(s));
        s.on('error', () => (s === client ? upstream : client).destroy());
      }
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  });

  afterEach(async () => {
    for (const s of open) s.destroy();
    wss.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await new Promise<void>((r) => proxy.close(() => r()));
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const viaProxy of [false, true]) {
    it(`trusts the given ca for both the gateway and the WebSocket${viaProxy ? ' through a CONNECT proxy' : ''}`, async () => {
      const { port } = server.address() as AddressInfo;
      const client = new StreamClient({
        clientId: 'tls-app',
        clientSecret: 'tls-secret',
        apiBase: `https://localhost:${port}`,
        ca: cert,
        proxy: viaProxy ? `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` : undefined,
      });
      try {
        client.onRobotMessage(() => {});
        client.start();
        await waitForState(client, 'connected');
        await firstAck.promise;
        assert.deepEqual(upgrades, ['/connect?ticket=tls-ticket']);
        assert.equal(JSON.parse(acks[0]!).headers.messageId, 'tls-ping');
        assert.deepEqual(tunnels, viaProxy ? [`localhost:${port}`, `localhost:${port}`] : []);
      } finally {
        await client.close();
      }
    });
  }

  it('refuses a certificate it was not told to trust, as a transient error naming the host', async () => {
    const { port } = server.address() as AddressInfo;
    const client = new StreamClient({ clientId: 'tls-app', clientSecret: 'tls-secret', apiBase: `https://localhost:${port}` });
    try {
      client.onRobotMessage(() => {});
      client.start();
      const change = await waitForState(client, 'reconnecting');
      assert.match(change.error?.message ?? '', /localhost/);
      assert.match(change.error?.message ?? '', /certificate/i);
    } finally {
      await client.close();
    }
  });
});
