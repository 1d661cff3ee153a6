/**
 * Size limits on what the network sends the Stream client: the gateway's answer (read up to 64 KiB, then the
 * connection is dropped) and one WebSocket frame (1 MiB: refused from its header, the socket closed with 1009, and
 * the client reconnects and goes on).
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIMULATOR_APP } from '../../src/simulator';
import { StreamClient } from '../../src/stream/client';
import { MAX_FRAME_BYTES } from '../../src/stream/connection';
import { GATEWAY_PATH, MAX_GATEWAY_ANSWER_BYTES } from '../../src/stream/gateway';
import type { StateChange } from '../../src/stream/types';
import { FAST_TIMING, Harness, captureLogger, waitForState } from './helpers';

const MB = 1024 * 1024;
/** What the fake gateway offers to send: far more than the client may read. */
const OFFERED_BYTES = 64 * MB;

describe('stream client: size limits on what the network sends', function () {
  this.timeout(20_000);

  describe('the gateway answer', function () {
    let server: Server;
    let apiBase: string;
    let status = 200;
    let sent = 0;
    let finished = false;
    let answered: Promise<void>;
    let markAnswered: () => void;
    const clients: StreamClient[] = [];

    beforeEach(async () => {
      sent = 0;
      finished = false;
      answered = new Promise((resolve) => (markAnswered = resolve));
      server = createServer((req, res) => {
        req.resume();
        if (req.url !== GATEWAY_PATH) return void res.writeHead(404).end();
        res.writeHead(status, { 'content-type': status === 200 ? 'application/json' : 'text/html' });
        res.on('close', () => markAnswered());
        stream(res);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      apiBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((c) => c.close()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    /** Writes as fast as the client reads, until OFFERED_BYTES or the client hangs up. */
    function stream(res: ServerResponse): void {
      const chunk = Buffer.alloc(64 * 1024, status === 200 ? ' ' : '<');
      const pump = (): void => {
        while (!res.destroyed && sent < OFFERED_BYTES) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        if (!res.destroyed) {
          finished = true;
          res.end();
        }
      };
      pump();
    }

    function client(): StreamClient {
      const c = new StreamClient({
        clientId: SIMULATOR_APP.clientId,
        clientSecret: SIMULATOR_APP.clientSecret,
        apiBase,
        logger: captureLogger(),
        timing: { ...FAST_TIMING, gatewayTimeoutMs: 10_000, backoffBaseMs: 5_000 },
      });
      c.onRobotMessage(() => {});
      clients.push(c);
      return c;
    }

    async function firstFailure(c: StreamClient): Promise<StateChange> {
      const failed = waitForState(c, 'reconnecting', 15_000);
      c.start();
      return failed;
    }

    it(`refuses a 200 answer longer than ${MAX_GATEWAY_ANSWER_BYTES / 1024} KiB with a clear error, without reading the rest`, async () => {
      status = 200;
      const change = await firstFailure(client());
      assert.match(change.error?.message ?? '', /answered HTTP 200 with more than 64 KiB, which is not a ticket/);
      assert.match(change.error?.message ?? '', /API base URL/);
      await answered;
      assert.equal(finished, false, 'the client hung up before the server was done');
      assert.ok(sent < 16 * MB, `the server got to send ${Math.round(sent / MB)} MB`);
    });

    it('still reports the status of a long error page (a proxy), reading only its start', async () => {
      status = 502;
      const change = await firstFailure(client());
      assert.match(change.error?.message ?? '', /answered HTTP 502; will retry/);
      await answered;
      assert.equal(finished, false);
      assert.ok(sent < 16 * MB, `the server got to send ${Math.round(sent / MB)} MB`);
    });
  });

  describe('one WebSocket frame', function () {
    let h: Harness;
    beforeEach(async () => {
      h = new Harness();
      await h.start({ ackTimeoutMs: 60_000 });
    });
    afterEach(() => h.cleanup());

    it(`closes the socket on a frame over ${MAX_FRAME_BYTES / MB} MiB with a clear warning, reconnects and receives the next frame`, async () => {
      const client = h.client();
      const texts: string[] = [];
      client.onRobotMessage((push) => void texts.push(push.data.text?.content ?? ''));
      client.start();
      await waitForState(client, 'connected');
      const first = await h.sim.waitForConnection(1);

      // A legitimate large message (300 000 characters of text) fits and is delivered on the same socket.
      await h.sim.robotMessage({ text: 'y'.repeat(300_000) }).acked;

      const dropped = waitForState(client, 'reconnecting', 5_000, true);
      const filler = 'x'.repeat(MAX_FRAME_BYTES + 1);
      h.sim.pushRaw({ specVersion: '1.0', type: 'CALLBACK', headers: { topic: '/v1.0/im/bot/messages/get', messageId: 'too-big' }, data: filler });
      const change = await dropped;
      assert.match(change.error?.message ?? '', /DingTalk sent a frame larger than 1 MiB \(the limit for one Stream frame\)/);
      assert.match(change.error?.message ?? '', /reconnecting/);
      assert.ok(
        h.log.lines.some((l) => l.startsWith('warn: DingTalk sent a frame larger than 1 MiB')),
        h.log.lines.join('\n'),
      );
      await h.sim.waitFor(() => first.closedAt !== undefined, 5_000, 'the first socket to close');
      assert.equal(first.closeCode, 1009);

      await waitForState(client, 'connected', 5_000);
      await h.sim.waitForConnection(2);
      await h.sim.robotMessage({ text: 'after the big frame' }).acked;
      assert.deepEqual(texts.slice(1), ['after the big frame']);
      assert.equal(texts[0]?.length, 300_000);
      assert.equal(client.stats.reconnects, 1);
    });
  });
});
