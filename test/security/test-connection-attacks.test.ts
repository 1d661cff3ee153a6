import assert from 'node:assert/strict';
import { DingTalkSimulator, SIMULATOR_APP } from '../../src/simulator';
import { ADMIN, startRuntime, tokenFor, type RunningRuntime } from './admin-client';
import { startForeignHost, type ForeignHost } from './foreign-host';

/**
 * "Test connection" used by someone who may edit flows to get at secrets of the server, through the real admin
 * endpoint of a real Node-RED (adminAuth on). A local server plays the foreign host the secrets would be sent to;
 * none of them may ever arrive there, and what it answers is never quoted back.
 */

const OTHER_SECRET = 'other-node-secret-3141';
const DB_PASSWORD = 'rt-db-password-2718';

interface Answer {
  status: number;
  text: string;
}

describe('"Test connection": the attacks of the review, through the real admin endpoint', function () {
  let sim: DingTalkSimulator;
  let foreign: ForeignHost;
  let runtime: RunningRuntime;
  let token: string;

  before(async () => {
    sim = new DingTalkSimulator();
    await sim.start();
    foreign = await startForeignHost();
    runtime = await startRuntime({
      apiBase: sim.apiBase,
      // Any node can hold credentials named clientId / clientSecret; this one even has an API base property.
      extraNodes: [{ id: 'other1', type: 'comment', z: 'tab1', name: 'not an app', info: '', apiBase: foreign.url }],
      extraCredentials: { other1: { clientId: 'dingother', clientSecret: OTHER_SECRET } },
      env: { RT_DB_PASSWORD: DB_PASSWORD },
    });
    token = await tokenFor(runtime.base, ADMIN, '*');
  });
  after(async () => {
    await runtime?.stop();
    await foreign?.close();
    await sim?.stop();
  });
  beforeEach(() => {
    foreign.received.length = 0;
  });

  async function post(body: string, contentType = 'application/json'): Promise<Answer> {
    const res = await fetch(`${runtime.base}/dingtalk-stream-app/test`, {
      method: 'POST',
      headers: { 'content-type': contentType, authorization: `Bearer ${token}` },
      body,
    });
    return { status: res.status, text: await res.text() };
  }
  const postJson = (body: Record<string, unknown>): Promise<Answer> => post(JSON.stringify(body));

  function assertNeverArrived(value: string): void {
    const leaked = foreign.received.filter((r) => r.includes(value));
    assert.deepEqual(leaked, [], 'the value reached the foreign host');
  }

  it('sends the saved secret only to the API base it was deployed with; another base needs it typed again', async () => {
    const res = await postJson({ id: 'app1', clientId: SIMULATOR_APP.clientId, clientSecret: '__PWRD__', apiBase: foreign.url });
    assertNeverArrived(SIMULATOR_APP.clientSecret);
    assert.equal(res.status, 400, res.text);
    assert.match(res.text, /type the Client secret again/);
    // The deployed API base still works with the saved secret.
    const same = await postJson({ id: 'app1', clientId: SIMULATOR_APP.clientId, clientSecret: '__PWRD__', apiBase: sim.apiBase });
    assert.equal((JSON.parse(same.text) as { ok: boolean }).ok, true, same.text);
  });

  it('uses no credentials of a node that is not a dingtalk-stream-app, whatever its properties', async () => {
    const res = await postJson({ id: 'other1', clientSecret: '__PWRD__', apiBase: foreign.url });
    assertNeverArrived(OTHER_SECRET);
    assert.equal(res.status, 400, res.text);
    assert.match(res.text, /not a DingTalk app configuration/);
  });

  it('resolves ${ENV_VAR} in the Client ID / secret only for DingTalk or the deployed API base', async () => {
    const asSecret = await postJson({ clientId: 'dingx', clientSecret: '${RT_DB_PASSWORD}', apiBase: foreign.url });
    const asId = await postJson({ id: 'app1', clientId: '${RT_DB_PASSWORD}', clientSecret: 'typed-secret', apiBase: foreign.url });
    assertNeverArrived(DB_PASSWORD);
    for (const res of [asSecret, asId]) {
      assert.equal(res.status, 400, res.text);
      assert.match(res.text, /only resolved for DingTalk itself/);
      assert.ok(!res.text.includes(DB_PASSWORD));
    }
  });

  it('refuses a form post (which a foreign web page can send without a CORS preflight) with 415', async () => {
    const form = new URLSearchParams({ clientId: 'dingx', clientSecret: '${RT_DB_PASSWORD}', apiBase: foreign.url }).toString();
    const res = await post(form, 'application/x-www-form-urlencoded');
    const plain = await post(JSON.stringify({ clientId: 'dingx', clientSecret: '${RT_DB_PASSWORD}', apiBase: foreign.url }), 'text/plain');
    assertNeverArrived(DB_PASSWORD);
    assert.equal(foreign.received.length, 0);
    for (const answer of [res, plain]) {
      assert.equal(answer.status, 415, answer.text);
      assert.match(answer.text, /only JSON requests \(Content-Type: application\/json\)/);
    }
  });

  it('summarises what a server that is not DingTalk answered (status, JSON or not), never quotes it', async () => {
    const typed = { clientId: 'dingx', clientSecret: 'typed-probe-secret', apiBase: foreign.url };
    foreign.answer = { status: 502, contentType: 'text/html', body: '<html><title>INTRANET-ONLY page</title><body>INTRANET-ONLY body</body></html>' };
    const html = await postJson(typed);
    assert.equal(html.status, 200, html.text);
    assert.ok(foreign.received.length >= 2, 'the test did reach the host the user typed');
    assert.ok(!html.text.includes('INTRANET'), html.text);
    assert.match(html.text, /answered HTTP 502 with a non-JSON body/);

    foreign.answer = {
      status: 401,
      contentType: 'application/json',
      body: JSON.stringify({ code: 'INTRANET-CODE', message: 'INTRANET-ONLY json', requestid: 'INTRANET-ID' }),
    };
    const json = await postJson(typed);
    assert.ok(!json.text.includes('INTRANET'), json.text);
    assert.match(json.text, /answered HTTP 401 with a JSON body/);
    assert.match(json.text, /not a DingTalk host/);
  });
});
