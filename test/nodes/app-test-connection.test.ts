import assert from 'node:assert/strict';
import { ALL_MODULES, FAST_TIMINGS, TAB, appConfig, helper, simCredentials, useNodeRedWithSimulator } from './support';

const SECRET = 'simulator-secret-not-real';

interface TestAnswer {
  ok: boolean;
  checks: Array<{ step: string; ok: boolean; message?: string }>;
}

async function postTest(body: Record<string, unknown>): Promise<{ status: number; body: TestAnswer; text: string }> {
  const res = await helper.request().post('/dingtalk-stream-app/test').send(body);
  return { status: res.status as number, body: res.body as TestAnswer, text: res.text as string };
}

describe('dingtalk-stream-app "Test connection" endpoint', function () {
  const env = useNodeRedWithSimulator(FAST_TIMINGS);

  beforeEach(async () => {
    // A deployed app (no triggers: no connection), so the endpoint is registered and saved credentials exist.
    await helper.load(ALL_MODULES, [TAB, appConfig(env.sim)], simCredentials());
  });

  it('reports OK for the typed credentials: a Stream ticket and an access token', async () => {
    const res = await postTest({ clientId: 'dingsimulatorapp0001', clientSecret: SECRET, apiBase: env.sim.apiBase });
    assert.equal(res.status, 200);
    assert.equal(res.body.ok, true, res.text);
    assert.deepEqual(
      res.body.checks.map((c) => [c.step, c.ok]),
      [
        ['gateway', true],
        ['token', true],
      ],
    );
    assert.ok(env.sim.requests.some((r) => r.path === '/v1.0/gateway/connections/open'));
    assert.ok(env.sim.requests.some((r) => r.path === '/v1.0/oauth2/accessToken'));
    assert.equal(env.sim.connections.length, 0, 'a test opens no socket');
  });

  it('reports a clear failure for a wrong secret, without echoing it', async () => {
    const wrong = 'typed-WRONG-secret-1234';
    const res = await postTest({ clientId: 'dingsimulatorapp0001', clientSecret: wrong, apiBase: env.sim.apiBase });
    assert.equal(res.body.ok, false);
    const gateway = res.body.checks.find((c) => c.step === 'gateway')!;
    assert.equal(gateway.ok, false);
    assert.match(String(gateway.message), /refused|401/);
    assert.match(String(gateway.message), /console/);
    assert.ok(!res.text.includes(wrong), 'the secret is not echoed');
  });

  it('uses the saved secret of the deployed node when the dialog sends the unchanged-password placeholder', async () => {
    const res = await postTest({ id: 'app1', clientId: 'dingsimulatorapp0001', clientSecret: '__PWRD__', apiBase: env.sim.apiBase });
    assert.equal(res.body.ok, true, res.text);
    assert.ok(!res.text.includes(SECRET));
  });

  it('resolves ${ENV_VAR} references typed in the dialog of a deployed app, for its API base', async () => {
    process.env['DT_TEST_SECRET'] = SECRET;
    try {
      const res = await postTest({ id: 'app1', clientId: 'dingsimulatorapp0001', clientSecret: '${DT_TEST_SECRET}', apiBase: env.sim.apiBase });
      assert.equal(res.body.ok, true, res.text);
    } finally {
      delete process.env['DT_TEST_SECRET'];
    }
  });

  it('resolves an ${ENV_VAR} API base, as the runtime does for the deployed node', async () => {
    process.env['DT_TEST_API_BASE'] = env.sim.apiBase;
    try {
      const res = await postTest({ clientId: 'dingsimulatorapp0001', clientSecret: SECRET, apiBase: '${DT_TEST_API_BASE}' });
      assert.equal(res.body.ok, true, res.text);
    } finally {
      delete process.env['DT_TEST_API_BASE'];
    }
  });

  it('says what is missing when no secret is known', async () => {
    const res = await postTest({ clientId: 'dingsimulatorapp0001', clientSecret: '', apiBase: env.sim.apiBase });
    assert.equal(res.body.ok, false);
    assert.match(String(res.body.checks[0]!.message), /clientSecret/);
  });

  it('says the gateway cannot be reached for a wrong API base', async () => {
    const res = await postTest({ clientId: 'dingsimulatorapp0001', clientSecret: SECRET, apiBase: 'http://127.0.0.1:1' });
    assert.equal(res.body.ok, false);
    assert.match(String(res.body.checks[0]!.message), /reach/i);
    assert.ok(!res.text.includes(SECRET));
  });
});
