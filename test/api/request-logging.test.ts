import assert from 'node:assert/strict';
import { OpenApiClient, type RequestLogger } from '../../src/api/http';
import { DingTalkSimulator, SIMULATOR_APP } from '../../src/simulator';

function recordingLogger(debugEnabled: boolean | undefined): RequestLogger & { debugLines: string[]; asked: number } {
  const logger = {
    debugLines: [] as string[],
    asked: 0,
    debug: (message: string) => void logger.debugLines.push(message),
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    ...(debugEnabled === undefined
      ? {}
      : {
          isDebugEnabled: () => {
            logger.asked += 1;
            return debugEnabled;
          },
        }),
  };
  return logger;
}

describe('api client: per-request cost of logging', () => {
  let sim: DingTalkSimulator;
  const clients: OpenApiClient[] = [];
  beforeEach(async () => {
    sim = new DingTalkSimulator();
    await sim.start();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await sim.stop();
  });

  function client(logger: RequestLogger): OpenApiClient {
    const api = new OpenApiClient({ clientId: SIMULATOR_APP.clientId, clientSecret: SIMULATOR_APP.clientSecret, apiBase: sim.apiBase, logger });
    clients.push(api);
    return api;
  }

  it('builds no per-request debug line unless the logger says debug is on', async () => {
    const quiet = recordingLogger(false);
    await client(quiet).getAccessToken();
    assert.equal(quiet.asked, 1, 'asked once for the one request');
    assert.deepEqual(quiet.debugLines, []);

    const plain = recordingLogger(undefined);
    await client(plain).getAccessToken();
    assert.deepEqual(plain.debugLines, []);
  });

  it('logs method, endpoint and status (never the token) when debug is on', async () => {
    const verbose = recordingLogger(true);
    const token = await client(verbose).getAccessToken();
    assert.equal(verbose.debugLines.length, 1);
    assert.match(verbose.debugLines[0]!, /^POST \S+ -> 200 in \d+ ms$/);
    assert.ok(!verbose.debugLines[0]!.includes(token));
    assert.ok(!verbose.debugLines[0]!.includes(SIMULATOR_APP.clientSecret));
  });
});
