import assert from 'node:assert/strict';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { StreamClient } from '../../src/stream/client';
import { selfSignedCert } from '../api/helpers';
import { startConnectProxy, type ConnectProxy } from '../nodes/connect-proxy';
import { deferred, waitForState } from './helpers';

/**
 * The `ca` option and the CONNECT tunnel over TLS (https gateway + wss socket), which the plain-HTTP simulator cannot
 * show. A throwaway self-signed certificate is made with openssl; without openssl the suite is skipped.
 */
describe('stream client: TLS with a private CA, direct and through a proxy', () => {
  let cert: Buffer;
  let key: Buffer;
  let server: https.Server;
  let wss: WebSocketServer;
  let proxy: ConnectProxy;
  const upgrades: string[] = [];
  const acks: string[] = [];
  let firstAck = deferred();

  before(function () {
    const made = selfSignedCert();
    if (!made) this.skip();
    ({ cert, key } = made);
  });

  beforeEach(async () => {
    upgrades.length = acks.length = 0;
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
    proxy = await startConnectProxy();
  });

  afterEach(async () => {
    await proxy.close();
    wss.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  for (const viaProxy of [false, true]) {
    it(`trusts the given ca for both the gateway and the WebSocket${viaProxy ? ' through a CONNECT proxy' : ''}`, async () => {
      const { port } = server.address() as AddressInfo;
      const client = new StreamClient({
        clientId: 'tls-app',
        clientSecret: 'tls-secret',
        apiBase: `https://localhost:${port}`,
        ca: cert,
        proxy: viaProxy ? proxy.origin : undefined,
      });
      try {
        client.onRobotMessage(() => {});
        client.start();
        await waitForState(client, 'connected');
        await firstAck.promise;
        assert.deepEqual(upgrades, ['/connect?ticket=tls-ticket']);
        assert.equal(JSON.parse(acks[0]!).headers.messageId, 'tls-ping');
        assert.deepEqual(proxy.tunnels, viaProxy ? [`localhost:${port}`, `localhost:${port}`] : []);
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
