/**
 * Limits on what the network (or a runaway flow) can make the OpenAPI client hold: the overall deadline of a file
 * download that trickles, and the bound on calls waiting for a rate-limit slot.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { OpenApiClient, sampleText, sendToGroup } from '../../src/api';
import { MIN_DOWNLOAD_DEADLINE_MS, downloadDeadlineMs } from '../../src/api/download';
import { MAX_QUEUED_CALLS } from '../../src/api/rate-gate';
import { DingTalkSimulator, SIMULATOR_APP } from '../../src/simulator';
import { ManualClock, rejection } from './helpers';

describe('api: limits on what the client holds', function () {
  describe('download deadline', function () {
    let server: Server;
    let base: string;
    const trickling = new Set<ServerResponse>();
    const clients: OpenApiClient[] = [];

    before(async () => {
      // A byte every 50 ms: never idle long enough for the per-chunk timeout, never done.
      server = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '1000000' });
        trickling.add(res);
        const timer = setInterval(() => res.write('x'), 50);
        res.on('close', () => {
          clearInterval(timer);
          trickling.delete(res);
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
      await Promise.all(clients.splice(0).map((c) => c.close()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('cuts a download that trickles at its overall deadline, with a clear error, and does not retry it', async () => {
      const api = new OpenApiClient({
        clientId: 'dinglimits',
        clientSecret: 'limits-secret',
        apiBase: base,
        timeoutMs: 1_000,
        downloadTimeoutMs: 400,
      });
      clients.push(api);
      const started = performance.now();
      const err = await rejection(api.download(`${base}/slow.bin?sig=limits-signature`, { maxBytes: 2_000_000 }));
      const ms = performance.now() - started;
      assert.equal(err.code, 'Timeout');
      assert.match(err.message, /did not finish within 400 ms, the limit for one file/);
      assert.match(err.message, /slow\.bin/);
      assert.doesNotMatch(err.message, /limits-signature/);
      assert.ok(ms >= 350 && ms < 5_000, `cut after ${Math.round(ms)} ms`);
      for (let i = 0; i < 100 && trickling.size > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(trickling.size, 0, 'the connection to the trickling host was closed');
    });

    it('defaults to 5 minutes, longer for a size limit that needs more at 64 KiB/s', () => {
      assert.equal(MIN_DOWNLOAD_DEADLINE_MS, 300_000);
      assert.equal(downloadDeadlineMs(20 * 1024 * 1024), 320_000);
      assert.equal(downloadDeadlineMs(1024), 300_000);
    });
  });

  describe('rate-limit queue', function () {
    let sim: DingTalkSimulator;

    beforeEach(async () => {
      sim = new DingTalkSimulator();
      await sim.start();
    });
    afterEach(() => sim.stop());

    it(`fails calls at once, with an actionable error, once ${MAX_QUEUED_CALLS} calls to one API wait for a slot`, async () => {
      // A clock that never moves: every call past the first 20 waits for a slot for good.
      const clock = new ManualClock();
      const api = new OpenApiClient({
        clientId: SIMULATOR_APP.clientId,
        clientSecret: SIMULATOR_APP.clientSecret,
        apiBase: sim.apiBase,
        clock,
        maxRetries: 0,
      });
      await api.getAccessToken();
      const over = 25;
      const calls = Array.from({ length: 20 + MAX_QUEUED_CALLS + over }, (_, i) =>
        sendToGroup(api, { robotCode: SIMULATOR_APP.robotCode, openConversationId: 'cidGroupOfTheSimulator==', ...sampleText(`n${i}`) }).then(
          () => 'sent',
          (err: unknown) => err,
        ),
      );
      const early = await Promise.all(calls.slice(20 + MAX_QUEUED_CALLS));
      for (const err of early) {
        assert.ok(err instanceof Error, String(err));
        assert.match(err.message, /too many calls queued for DingTalk's rate limit: 2000 calls to this API are already waiting/);
        assert.match(err.message, /slow it down/);
      }
      const sent = await Promise.all(calls.slice(0, 20));
      assert.deepEqual(new Set(sent), new Set(['sent']));
      assert.equal(sim.requests.filter((r) => r.path === '/v1.0/robot/groupMessages/send').length, 20);
      // The queued ones end when the client closes.
      await api.close();
      const queued = await Promise.all(calls.slice(20, 20 + MAX_QUEUED_CALLS));
      assert.ok(queued.every((e) => e instanceof Error && /closed/.test(e.message)));
    });
  });
});
