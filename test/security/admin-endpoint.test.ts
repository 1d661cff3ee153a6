import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DingTalkSimulator, SIMULATOR_APP } from '../../src/simulator';
import { ADMIN, PACKAGE_ROOT, VIEWER, startRuntime, tokenFor, type RunningRuntime } from './admin-client';

/**
 * The editor's "Test connection" endpoint under a real Node-RED with adminAuth: only a user who may change the
 * app's configuration may make the runtime call DingTalk with its credentials, and the answer never holds the secret.
 */

const root = PACKAGE_ROOT;
const GATEWAY = '/v1.0/gateway/connections/open';
const TOKEN = '/v1.0/oauth2/accessToken';

async function postTest(base: string, body: Record<string, unknown>, token?: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${base}/dingtalk-stream-app/test`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

describe('admin endpoint "Test connection" under adminAuth', function () {
  let sim: DingTalkSimulator;
  let runtime: RunningRuntime;

  before(async () => {
    sim = new DingTalkSimulator();
    await sim.start();
    runtime = await startRuntime({ apiBase: sim.apiBase });
  });
  after(async () => {
    await runtime?.stop();
    await sim?.stop();
  });

  const dingtalkCalls = (): number => sim.requests.filter((r) => r.path === GATEWAY || r.path === TOKEN).length;
  const typed = (): Record<string, unknown> => ({ clientId: SIMULATOR_APP.clientId, clientSecret: SIMULATOR_APP.clientSecret, apiBase: sim.apiBase });

  it('refuses a request without a token (401) and never calls DingTalk', async () => {
    const before = dingtalkCalls();
    const res = await postTest(runtime.base, typed());
    assert.equal(res.status, 401);
    const saved = await postTest(runtime.base, { id: 'app1', clientSecret: '__PWRD__', apiBase: sim.apiBase });
    assert.equal(saved.status, 401, 'the saved secret cannot be used anonymously either');
    assert.equal(dingtalkCalls(), before, 'no gateway or token request reached the simulator');
    assert.ok(!res.text.includes(SIMULATOR_APP.clientSecret) && !saved.text.includes(SIMULATOR_APP.clientSecret));
  });

  it('refuses a token that is not valid', async () => {
    const before = dingtalkCalls();
    const res = await postTest(runtime.base, typed(), 'not-a-token');
    assert.equal(res.status, 401);
    assert.equal(dingtalkCalls(), before);
  });

  it('refuses a read-only user (Node-RED answers 401 for a missing permission) and never calls DingTalk', async () => {
    const token = await tokenFor(runtime.base, VIEWER, 'read');
    // The token itself is good: it reads the flows (flows.read), so a refusal below is about the permission.
    const flows = await fetch(`${runtime.base}/flows`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(flows.status, 200);
    await flows.arrayBuffer();
    const before = dingtalkCalls();
    const res = await postTest(runtime.base, { id: 'app1', clientSecret: '__PWRD__', apiBase: sim.apiBase }, token);
    // needsPermission() in @node-red/editor-api 4.1 answers a missing permission with 401, not 403
    // (its own flows.write routes do the same); 403 is accepted should a later Node-RED change that.
    assert.ok(res.status === 401 || res.status === 403, `status ${res.status}: ${res.text}`);
    assert.equal(dingtalkCalls(), before, 'no gateway or token request reached the simulator');
  });

  it('lets an admin test the saved credentials, and the answer never contains the secret', async () => {
    const token = await tokenFor(runtime.base, ADMIN, '*');
    const before = dingtalkCalls();
    const res = await postTest(runtime.base, { id: 'app1', clientSecret: '__PWRD__', apiBase: sim.apiBase }, token);
    assert.equal(res.status, 200, res.text);
    const body = JSON.parse(res.text) as { ok: boolean; checks: Array<{ step: string; ok: boolean }> };
    assert.equal(body.ok, true, res.text);
    assert.deepEqual(
      body.checks.map((c) => [c.step, c.ok]),
      [
        ['gateway', true],
        ['token', true],
      ],
    );
    assert.ok(dingtalkCalls() >= before + 2, 'the gateway and the token endpoint were called');
    assert.ok(!res.text.includes(SIMULATOR_APP.clientSecret), 'the saved secret is not in the answer');
  });

  it('does not echo a wrong secret typed by an admin', async () => {
    const token = await tokenFor(runtime.base, ADMIN, '*');
    const wrong = 'typed-WRONG-secret-9876';
    const res = await postTest(runtime.base, { ...typed(), clientSecret: wrong }, token);
    assert.equal(res.status, 200, res.text);
    const body = JSON.parse(res.text) as { ok: boolean };
    assert.equal(body.ok, false);
    assert.ok(!res.text.includes(wrong), 'the typed secret is not echoed');
  });
});

describe('admin routes of the nodes', () => {
  it('every RED.httpAdmin route in nodes/ is guarded by RED.auth.needsPermission', () => {
    const dir = join(root, 'nodes');
    const files = [...readdirSync(dir).map((f) => join(dir, f)), ...readdirSync(join(dir, 'shared')).map((f) => join(dir, 'shared', f))].filter((f) =>
      f.endsWith('.ts'),
    );
    let routes = 0;
    for (const file of files) {
      const src = readFileSync(file, 'utf8');
      for (const m of src.matchAll(/httpAdmin\.(get|post|put|patch|delete|use|all)\s*\(/g)) {
        routes++;
        // The guard must be among the route's first arguments, before the handler.
        const call = src.slice(m.index, m.index + 300);
        assert.match(
          call,
          /^httpAdmin\.\w+\(\s*['"`][^'"`]+['"`],\s*RED\.auth\.needsPermission\(\s*'[\w-]+\.(read|write)'\s*\)/,
          `${file}: ${call.split('\n')[0]}`,
        );
      }
    }
    assert.ok(routes >= 1, 'found the admin routes');
  });
});
