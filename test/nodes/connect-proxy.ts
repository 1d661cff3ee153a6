import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A CONNECT-only forward proxy on 127.0.0.1, for the proxy tests of the Stream client, the app node and the admin
 * endpoint. With `login` it answers 407 to a tunnel request without exactly that Basic login, like a corporate proxy.
 * It is a test double, not a gateway to anywhere: it tunnels only to this machine (127.0.0.1, or `localhost` for a
 * certificate made out to that name) and refuses any other host with 403.
 */
export interface ConnectProxy {
  /** `http://127.0.0.1:<port>`, without a login. */
  origin: string;
  /** `127.0.0.1:<port>`, as typed without a scheme. */
  hostPort: string;
  /** Every target it was asked to tunnel to after the login check, including refused ones. */
  tunnels: string[];
  /** Every Proxy-Authorization header it was sent ('' when none). */
  auth: string[];
  close(): Promise<void>;
}

export async function startConnectProxy(login?: { user: string; password: string }): Promise<ConnectProxy> {
  const tunnels: string[] = [];
  const auth: string[] = [];
  const sockets = new Set<net.Socket>();
  const expected = login ? `Basic ${Buffer.from(`${login.user}:${login.password}`).toString('base64')}` : undefined;
  const server = http.createServer((_req, res) => {
    res.statusCode = 405;
    res.end('CONNECT only');
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    const given = req.headers['proxy-authorization'] ?? '';
    auth.push(given);
    if (expected !== undefined && given !== expected) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    if (host !== '127.0.0.1' && host !== 'localhost') {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    // Always the IPv4 loopback: `localhost` may resolve to ::1 first, where the test servers do not listen.
    const upstream = net.connect(Number(port), '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => {
      client.destroy();
      upstream.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    hostPort: `127.0.0.1:${port}`,
    tunnels,
    auth,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
