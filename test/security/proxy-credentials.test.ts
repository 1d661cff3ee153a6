import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DingTalkSimulator, SIMULATOR_APP } from '../../src/simulator';
import { startConnectProxy, type ConnectProxy } from '../nodes/connect-proxy';
import { ADMIN, VIEWER, startRuntime, tokenFor, type RunningRuntime } from './admin-client';
import { startForeignHost, type ForeignHost } from './foreign-host';

/**
 * The proxy login is a credential: deployed through the admin API like the editor does, it makes the app reach
 * DingTalk through a proxy that asks for it, and neither a read-only user's GET /flows nor flows.json holds it.
 */

const LOGIN = { user: 'corp-user', password: 'corp-proxy-pass-1618' };
const basic = `Basic ${Buffer.from(`${LOGIN.user}:${LOGIN.password}`).toString('base64')}`;

describe('proxy login under adminAuth: stored as a credential, hidden from read-only users', function () {
  let sim: DingTalkSimulator;
  let proxy: ConnectProxy;
  let foreign: ForeignHost;
  let runtime: RunningRuntime;

  before(async () => {
    sim = new DingTalkSimulator();
    await sim.start();
    proxy = await startConnectProxy(LOGIN);
    foreign = await startForeignHost();
    runtime = await startRuntime({ apiBase: sim.apiBase });
    // What the editor sends on deploy: the login in the node's credentials, the Proxy field without it.
    const admin = await tokenFor(runtime.base, ADMIN, '*');
    const flows = [
      { id: 'tab1', type: 'tab', label: 'security' },
      {
        id: 'app1',
        type: 'dingtalk-stream-app',
        name: 'sim',
        apiBase: sim.apiBase,
        robotCode: '',
        proxy: proxy.origin,
        credentials: {
          clientId: SIMULATOR_APP.clientId,
          clientSecret: SIMULATOR_APP.clientSecret,
          proxyUser: LOGIN.user,
          proxyPassword: LOGIN.password,
        },
      },
      {
        id: 'r1',
        z: 'tab1',
        type: 'dingtalk-robot-in',
        name: '',
        app: 'app1',
        chat: 'both',
        msgtypes: '',
        keyword: '',
        keywordMode: 'contains',
        wires: [[]],
      },
    ];
    const res = await fetch(`${runtime.base}/flows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}`, 'node-red-deployment-type': 'full' },
      body: JSON.stringify(flows),
    });
    assert.ok(res.status === 200 || res.status === 204, `deploy: ${res.status} ${await res.text()}`);
  });
  after(async () => {
    await runtime?.stop();
    await foreign?.close();
    await proxy?.close();
    await sim?.stop();
  });

  it('reaches DingTalk through the proxy with the stored login', async () => {
    await sim.waitForConnection(1, 10_000);
    const target = new URL(sim.apiBase).host;
    assert.ok(proxy.tunnels.length >= 2 && proxy.tunnels.every((t) => t === target), JSON.stringify(proxy.tunnels));
    assert.ok(proxy.auth.length > 0 && proxy.auth.every((a) => a === basic), 'every tunnel carried the login');
  });

  it("keeps the password out of a read-only user's GET /flows, its credentials view and flows.json", async () => {
    const viewer = await tokenFor(runtime.base, VIEWER, 'read');
    const flows = await fetch(`${runtime.base}/flows`, { headers: { authorization: `Bearer ${viewer}` } });
    assert.equal(flows.status, 200);
    const text = await flows.text();
    assert.ok(text.includes(proxy.origin), 'the flow with the proxy was read');
    assert.ok(!text.includes(LOGIN.password), 'GET /flows holds no proxy password');
    const creds = await fetch(`${runtime.base}/credentials/dingtalk-stream-app/app1`, { headers: { authorization: `Bearer ${viewer}` } });
    const credsText = await creds.text();
    assert.ok(!credsText.includes(LOGIN.password), credsText);
    assert.ok(!readFileSync(join(runtime.userDir, 'flows.json'), 'utf8').includes(LOGIN.password), 'flows.json holds no proxy password');
  });

  it('"Test connection" sends the saved proxy password only to the proxy it was saved with', async () => {
    const admin = await tokenFor(runtime.base, ADMIN, '*');
    const send = (proxyUrl: string): Promise<Response> =>
      fetch(`${runtime.base}/dingtalk-stream-app/test`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
        body: JSON.stringify({
          id: 'app1',
          clientId: SIMULATOR_APP.clientId,
          clientSecret: 'typed-client-secret',
          apiBase: sim.apiBase,
          proxy: proxyUrl,
          proxyUser: LOGIN.user,
          proxyPassword: '__PWRD__',
        }),
      });
    const moved = await send(foreign.url);
    const text = await moved.text();
    assert.equal(moved.status, 400, text);
    assert.match(text, /saved proxy password/);
    assert.ok(!foreign.received.some((r) => r.includes(basic) || r.includes(LOGIN.password)), JSON.stringify(foreign.received));
    // Through the proxy it was saved with, the saved password is used (the test then fails only on the typed secret).
    const before = proxy.auth.length;
    const same = await send(proxy.origin);
    assert.equal(same.status, 200, await same.text());
    assert.ok(proxy.auth.length > before && proxy.auth.slice(before).every((a) => a === basic));
  });
});
