import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Harness, waitForState } from './helpers';

/** A minimal CONNECT-only forward proxy on 127.0.0.1 that records what it tunnelled and whether it saw credentials. */
async function startConnectProxy(): Promise<{ url: string; tunnels: string[]; auth: string[]; close(): Promise<void> }> {
  const tunnels: string[] = [];
  const auth: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((_req, res) => {
    res.statusCode = 405;
    res.end('CONNECT only');
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    tunnels.push(req.url ?? '');
    auth.push(req.headers['proxy-authorization'] ?? '');
    const [host, port] = (req.url ?? '').split(':');
    // Only ever to this machine: the proxy is a test double, not a gateway to anywhere.
    if (host !== '127.0.0.1') {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://proxyuser:p%40ss@127.0.0.1:${port}`,
    tunnels,
    auth,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('stream client: through an HTTP proxy', () => {
  let h: Harness;
  let proxy: Awaited<ReturnType<typeof startConnectProxy>>;
  beforeEach(async () => {
    h = new Harness();
    await h.start();
    proxy = await startConnectProxy();
  });
  afterEach(async () => {
    await h.cleanup();
    await proxy.close();
  });

  it('tunnels both the gateway call and the WebSocket with CONNECT, sending the proxy credentials', async () => {
    const client = h.client({ proxy: proxy.url });
    client.onRobotMessage(() => {});
    client.start();
    await waitForState(client, 'connected');
    await h.sim.robotMessage({ text: 'via proxy' }).acked;
    const target = new URL(h.sim.apiBase).host;
    assert.ok(proxy.tunnels.length >= 2, `gateway + websocket tunnels, saw ${proxy.tunnels.length}`);
    assert.ok(proxy.tunnels.every((t) => t === target));
    const expected = `Basic ${Buffer.from('proxyuser:p@ss').toString('base64')}`;
    assert.ok(proxy.auth.every((a) => a === expected));
  });

  it('reports a proxy that refuses the tunnel without leaking its credentials, and keeps retrying', async () => {
    await proxy.close();
    const client = h.client({ proxy: proxy.url });
    client.onRobotMessage(() => {});
    client.start();
    const change = await waitForState(client, 'reconnecting');
    assert.ok(change.error);
    assert.equal(change.error.message.includes('p%40ss'), false);
    assert.equal(change.error.message.includes('p@ss'), false);
  });
});
