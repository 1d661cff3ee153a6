import assert from 'node:assert/strict';
import { z } from 'zod';
import { OpenApiClient } from '../../src/api/http';
import { DingTalkError } from '../../src/api/errors';
import { DINGTALK } from '../../src/contract';
import { DingTalkSimulator, SIMULATOR_APP } from '../../src/simulator';

/** Legacy oapi calls: where they go and where the token goes (contract.ts `legacyApiBase`). */
describe('api/legacy oapi calls', function () {
  let sim: DingTalkSimulator;
  let api: OpenApiClient;
  beforeEach(async () => {
    sim = new DingTalkSimulator();
    await sim.start();
    api = new OpenApiClient({ clientId: SIMULATOR_APP.clientId, clientSecret: SIMULATOR_APP.clientSecret, apiBase: sim.apiBase });
  });
  afterEach(async () => {
    await api.close();
    await sim.stop();
  });

  it("sends legacy calls to oapi.dingtalk.com when the API base is DingTalk's own, and to the API base otherwise", async () => {
    const real = new OpenApiClient({ clientId: 'id', clientSecret: 'secret' });
    const custom = new OpenApiClient({ clientId: 'id', clientSecret: 'secret', apiBase: 'https://gateway.example.com/dingtalk/' });
    assert.equal(real.legacyBase, DINGTALK.legacyApiBase);
    assert.equal(custom.legacyBase, 'https://gateway.example.com/dingtalk');
    assert.equal(api.legacyBase, sim.apiBase);
    await Promise.all([real.close(), custom.close()]);
  });

  it('puts the token in access_token of the query, never in the header, and drops an access_token given in the query', async () => {
    const answer = await api.call(
      { method: 'POST', path: '/topapi/v2/user/get', query: { access_token: 'not-mine' }, body: { userid: 'user001' }, tokenIn: 'query' },
      z.looseObject({ errcode: z.literal(0) }),
    );
    assert.equal(answer.errcode, 0);
    const req = sim.requests.find((r) => r.path === '/topapi/v2/user/get')!;
    assert.notEqual(req.query['access_token'], 'not-mine');
    assert.equal(req.headers['x-acs-dingtalk-access-token'], undefined);
  });

  it('a legacy call without the token in the query is refused with errcode 40014, read as a failure', async () => {
    const error = await api.call({ method: 'POST', path: '/topapi/v2/user/get', body: { userid: 'user001' } }, z.unknown()).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof DingTalkError);
    assert.equal(error.code, '40014');
  });

  it('refuses a path that would leave the API host, sending nothing', async () => {
    const error = await api.call({ method: 'GET', path: '@evil.example/x' }, z.unknown()).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof DingTalkError);
    assert.equal(error.code, 'UrlRefused');
    assert.equal(sim.requests.length, 0);
  });
});
