import * as http from 'node:http';
import type * as net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A server on 127.0.0.1 playing a host that is not DingTalk (an attacker's, or an intranet service): it records every
 * request it gets, as plain requests or as proxy CONNECTs, and answers with what the test sets.
 */
export interface ForeignHost {
  url: string;
  /** Method, URL, headers and body of everything received, as one text per request, for leak checks. */
  received: string[];
  answer: { status: number; contentType: string; body: string };
  close(): Promise<void>;
}

export async function startForeignHost(): Promise<ForeignHost> {
  const received: string[] = [];
  const sockets = new Set<net.Socket>();
  const host: ForeignHost = {
    url: '',
    received,
    answer: { status: 502, contentType: 'text/html', body: '<html><title>INTRANET-ONLY page</title><body>INTRANET-ONLY body</body></html>' },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push(`${req.method} ${req.url} ${JSON.stringify(req.headers)} ${Buffer.concat(chunks).toString('utf8')}`);
      res.writeHead(host.answer.status, { 'content-type': host.answer.contentType });
      res.end(host.answer.body);
    });
  });
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket) => {
    received.push(`CONNECT ${req.url} ${JSON.stringify(req.headers)}`);
    client.on('error', () => client.destroy());
    client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return host;
}
