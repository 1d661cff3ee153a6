import assert from 'node:assert/strict';
import { GatewayError } from '../../src/stream/gateway';
import { DingTalkError, LocalErrorCode } from '../../src/api/errors';
import { foreignAnswerSummary } from '../../src/app-config/test-connection';
import { planConnectionTest, type SavedApp, type TestPlan } from '../../src/app-config/test-request';

/** Where "Test connection" may send which values (src/app-config/test-request.ts), rule by rule. */

const SIM = 'http://127.0.0.1:3000';
const FOREIGN = 'http://10.0.0.5:8080';
const SAVED: SavedApp = {
  apiBase: SIM,
  proxyOrigin: '',
  clientId: 'dingsaved',
  clientSecret: 'saved-secret-1234',
  proxyPassword: '',
};
const ENV = { DB_PASSWORD: 'db-password-5678', DT_SECRET: 'env-secret-9012', DT_BASE: SIM };

function refused(plan: TestPlan): string {
  assert.equal(plan.ok, false, JSON.stringify(plan));
  return plan.ok ? '' : plan.error;
}

function input(plan: TestPlan): Extract<TestPlan, { ok: true }>['input'] {
  assert.ok(plan.ok, plan.ok ? '' : plan.error);
  return plan.input;
}

describe('"Test connection" request planning', () => {
  it('uses the saved secret with the API base the app was deployed with', () => {
    const run = input(planConnectionTest({ id: 'app1', clientId: 'dingsaved', clientSecret: '__PWRD__', apiBase: `${SIM}/` }, SAVED, ENV));
    assert.equal(run.clientSecret, SAVED.clientSecret);
  });

  it('refuses the saved secret for any other API base, and says to type it again', () => {
    const error = refused(planConnectionTest({ id: 'app1', clientId: 'dingsaved', clientSecret: '__PWRD__', apiBase: FOREIGN }, SAVED, ENV));
    assert.match(error, /type the Client secret again/);
    assert.match(error, /10\.0\.0\.5:8080/);
    assert.ok(!error.includes(SAVED.clientSecret));
    // Even DingTalk's own host: the secret goes only where it was saved for.
    refused(planConnectionTest({ id: 'app1', clientSecret: '__PWRD__', apiBase: 'https://api.dingtalk.com' }, SAVED, ENV));
    // An empty secret field means the saved one, too.
    refused(planConnectionTest({ id: 'app1', clientId: 'x', clientSecret: '', apiBase: FOREIGN }, SAVED, ENV));
  });

  it('refuses the saved secret over http through a proxy other than the deployed one', () => {
    const error = refused(planConnectionTest({ id: 'app1', clientSecret: '__PWRD__', apiBase: SIM, proxy: 'http://10.0.0.9:3128' }, SAVED, ENV));
    assert.match(error, /proxy was changed/);
  });

  it('lets a typed secret go anywhere the user points it', () => {
    const run = input(
      planConnectionTest({ id: 'app1', clientId: 'dingx', clientSecret: 'typed-secret', apiBase: FOREIGN, proxy: 'proxy.corp:3128' }, SAVED, ENV),
    );
    assert.deepEqual(run, { clientId: 'dingx', clientSecret: 'typed-secret', apiBase: FOREIGN, proxy: 'http://proxy.corp:3128' });
  });

  it('resolves ${ENV} in the Client ID / secret only for DingTalk itself or the deployed API base', () => {
    for (const field of ['clientId', 'clientSecret'] as const) {
      const req = { clientId: 'dingx', clientSecret: 'typed', apiBase: FOREIGN, [field]: '${DB_PASSWORD}' };
      const error = refused(planConnectionTest(req, undefined, ENV));
      assert.match(error, /only resolved for DingTalk itself/);
      assert.ok(!error.includes(ENV.DB_PASSWORD));
      refused(planConnectionTest({ ...req, id: 'app1' }, SAVED, ENV));
    }
    assert.equal(
      input(planConnectionTest({ clientId: 'dingx', clientSecret: '${DT_SECRET}', apiBase: 'https://api.dingtalk.com' }, undefined, ENV))
        .clientSecret,
      ENV.DT_SECRET,
    );
    assert.equal(
      input(planConnectionTest({ id: 'app1', clientId: 'dingx', clientSecret: '${DT_SECRET}', apiBase: SIM }, SAVED, ENV)).clientSecret,
      ENV.DT_SECRET,
    );
    // An https host that merely looks like DingTalk is not DingTalk.
    refused(
      planConnectionTest({ clientId: 'dingx', clientSecret: '${DT_SECRET}', apiBase: 'https://api.dingtalk.com.evil.example' }, undefined, ENV),
    );
    refused(planConnectionTest({ clientId: 'dingx', clientSecret: '${DT_SECRET}', apiBase: 'http://api.dingtalk.com' }, undefined, ENV));
  });

  it('resolves ${ENV} in the API base and the proxy, without quoting a value that is no URL', () => {
    assert.equal(input(planConnectionTest({ clientId: 'dingx', clientSecret: 'typed', apiBase: '${DT_BASE}' }, undefined, ENV)).apiBase, SIM);
    const base = refused(planConnectionTest({ clientId: 'dingx', clientSecret: 'typed', apiBase: '${DB_PASSWORD}' }, undefined, ENV));
    assert.ok(!base.includes(ENV.DB_PASSWORD) && base.includes('${DB_PASSWORD}'), base);
    const proxy = refused(
      planConnectionTest({ clientId: 'dingx', clientSecret: 'typed', apiBase: SIM, proxy: '${DB_PASSWORD}' }, undefined, {
        ...ENV,
        DB_PASSWORD: 'http://[x',
      }),
    );
    assert.ok(!proxy.includes('[x') && proxy.includes('${DB_PASSWORD}'), proxy);
  });

  it('sends the saved proxy password only to the proxy it was saved with', () => {
    const saved: SavedApp = { ...SAVED, proxyOrigin: 'http://127.0.0.1:3128', proxyPassword: 'proxy-pass-3456' };
    const same = input(
      planConnectionTest(
        { id: 'app1', clientSecret: '__PWRD__', apiBase: SIM, proxy: 'http://127.0.0.1:3128', proxyUser: 'bob', proxyPassword: '__PWRD__' },
        saved,
        ENV,
      ),
    );
    assert.equal(same.proxy, 'http://bob:proxy-pass-3456@127.0.0.1:3128');
    const error = refused(
      planConnectionTest(
        {
          id: 'app1',
          clientId: 'x',
          clientSecret: 'typed',
          apiBase: SIM,
          proxy: 'http://10.0.0.9:3128',
          proxyUser: 'bob',
          proxyPassword: '__PWRD__',
        },
        saved,
        ENV,
      ),
    );
    assert.match(error, /saved proxy password/);
    const env = refused(
      planConnectionTest(
        { clientId: 'x', clientSecret: 'typed', apiBase: SIM, proxy: 'http://10.0.0.9:3128', proxyPassword: '${DB_PASSWORD}' },
        undefined,
        ENV,
      ),
    );
    assert.ok(!env.includes(ENV.DB_PASSWORD));
  });

  it('takes a user and password written in the proxy URL (older flows) unless the fields are filled', () => {
    const run = input(planConnectionTest({ clientId: 'x', clientSecret: 'typed', apiBase: SIM, proxy: 'bob:p%40ss@127.0.0.1:3128' }, undefined, ENV));
    assert.equal(run.proxy, 'http://bob:p%40ss@127.0.0.1:3128');
    const fields = input(
      planConnectionTest(
        { clientId: 'x', clientSecret: 'typed', apiBase: SIM, proxy: 'bob:p%40ss@127.0.0.1:3128', proxyUser: 'eve', proxyPassword: 'pw' },
        undefined,
        ENV,
      ),
    );
    assert.equal(fields.proxy, 'http://eve:pw@127.0.0.1:3128');
    const broken = refused(
      planConnectionTest({ clientId: 'x', clientSecret: 'typed', apiBase: SIM, proxy: 'http://bob:p%zz@127.0.0.1:3128' }, undefined, ENV),
    );
    assert.ok(!broken.includes('p%zz') && /%-escape/.test(broken), broken);
  });
});

describe('"Test connection" answers of servers that are not DingTalk', () => {
  it('says status and body type only', () => {
    const html = new DingTalkError({
      status: 502,
      code: LocalErrorCode.NonJson,
      endpoint: '/v1.0/oauth2/accessToken',
      message: 'answered HTTP 502 with text/html ("INTRANET PAGE")',
    });
    const text = foreignAnswerSummary(html, 'http://10.0.0.5:8080')!;
    assert.match(text, /^The server at 10\.0\.0\.5:8080 answered HTTP 502 with a non-JSON body\./);
    assert.ok(!text.includes('INTRANET'));
    const json = foreignAnswerSummary(
      new GatewayError('x (Forbidden: INTRANET JSON)', 403, true, 'Forbidden', undefined, true),
      'http://10.0.0.5:8080',
    )!;
    assert.match(json, /HTTP 403 with a JSON body/);
    assert.match(json, /ClientSecret/);
    assert.ok(!json.includes('INTRANET') && !json.includes('Forbidden'));
    assert.equal(foreignAnswerSummary(new GatewayError('Could not reach ...', undefined, false), 'http://10.0.0.5:8080'), undefined);
  });
});
