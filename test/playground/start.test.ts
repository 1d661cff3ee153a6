import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, launchPlayground, type PlaygroundProcess } from '../../src/tools/playground-launcher';
import { PLAYGROUND_APP_ID } from '../../src/tools/playground-flows';
import { DingTalkSimulator } from '../../src/simulator';

/** Polls a JSON endpoint until `pick` finds what it waits for (the child's simulator is only reachable over HTTP). */
async function pollJson<T>(url: string, pick: (body: unknown) => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const res = await fetch(url, { headers: { Accept: 'application/json' } });
    last = await res.json();
    const found = pick(last);
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}; last answer from ${url}: ${JSON.stringify(last).slice(0, 500)}`);
}

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

type SimState = {
  connections: Array<{ open: boolean }>;
  sent: Array<{ kind: string; conversationId?: string; body: { text?: { content?: string } } }>;
};

describe('npm start (the playground)', function () {
  this.timeout(40_000);
  let userDir: string;
  let playground: PlaygroundProcess | undefined;

  before(() => {
    userDir = mkdtempSync(join(tmpdir(), 'dingtalk-playground-'));
  });

  after(async () => {
    await playground?.stop();
    rmSync(userDir, { recursive: true, force: true });
  });

  it('starts Node-RED with the package and the examples against the simulator, echoes a robot message, and stops on Ctrl-C', async () => {
    const port = await freePort();
    playground = await launchPlayground({ userDir, port });
    const out = playground.output();
    assert.match(out, /mode:\s+simulator/);
    assert.equal(playground.editorUrl, `http://127.0.0.1:${port}/`);
    assert.ok(playground.simulatorUrl, 'the simulator URL is printed');
    const sim = playground.simulatorUrl;

    // The package is loaded from the working tree through the symlink, and the examples are deployed.
    const link = join(userDir, 'node_modules', '@seed-26f52f9c', 'node-red-dingtalk-stream');
    assert.ok(existsSync(join(link, 'package.json')));
    const editor = await fetch(playground.editorUrl);
    assert.equal(editor.status, 200);
    const nodes = (await (await fetch(new URL('nodes', playground.editorUrl), { headers: { Accept: 'application/json' } })).json()) as Array<{
      module: string;
      types: string[];
      enabled: boolean;
      err?: string;
    }>;
    const ours = nodes.filter((set) => set.module === '@seed-26f52f9c/node-red-dingtalk-stream');
    const declared = Object.keys(
      (JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { 'node-red': { nodes: object } })['node-red'].nodes,
    );
    assert.deepEqual(ours.flatMap((set) => set.types).sort(), declared.sort());
    for (const set of ours) assert.equal(set.err, undefined, `${set.types.join()} failed to load: ${set.err}`);

    const flows = (await (await fetch(new URL('flows', playground.editorUrl), { headers: { Accept: 'application/json' } })).json()) as Array<{
      id: string;
      type: string;
      label?: string;
      apiBase?: string;
    }>;
    assert.deepEqual(
      flows.filter((n) => n.type === 'tab').map((n) => n.label),
      ['Echo robot', 'Approval automation', 'AI assistant action'],
    );
    const apps = flows.filter((n) => n.type === 'dingtalk-stream-app');
    assert.deepEqual(
      apps.map((n) => [n.id, n.apiBase]),
      [[PLAYGROUND_APP_ID, sim]],
    );
    // Only environment references are stored, never a secret.
    assert.deepEqual(JSON.parse(readFileSync(join(userDir, 'flows_cred.json'), 'utf8')), {
      [PLAYGROUND_APP_ID]: { clientId: '${DINGTALK_CLIENT_ID}', clientSecret: '${DINGTALK_CLIENT_SECRET}' },
    });

    // The deployed app connects to the simulator; a robot message gets the echo example's reply.
    await pollJson(
      `${sim}/sim/state`,
      (s) => ((s as SimState).connections.some((c) => c.open) ? true : undefined),
      'the app to connect to the simulator',
    );
    const push = await fetch(`${sim}/sim/robot-message`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: 'ping from the test', senderNick: '测试', conversationId: 'cidStartTest==' }),
    });
    assert.equal(push.status, 200);
    const reply = await pollJson(
      `${sim}/sim/state`,
      (s) => (s as SimState).sent.find((r) => r.kind === 'webhook' && r.conversationId === 'cidStartTest=='),
      'the echo reply',
    );
    assert.equal(reply.body.text?.content, '测试 said: ping from the test');

    const { code, signal } = await playground.stop();
    assert.equal(signal, null);
    assert.equal(code, 0);
    assert.match(playground.output(), /stopped\.\n/);
    assert.ok(processGone(playground.pid), 'the start script is gone');
    assert.ok(processGone(playground.nodeRedPid), 'Node-RED is gone');
    await assert.rejects(fetch(playground.editorUrl), 'the editor port is closed');
    await assert.rejects(fetch(`${sim}/sim/state`), 'the simulator port is closed');
  });

  it("keeps the user's saved flows on the next start and points the playground app at the new simulator", async () => {
    const flowFile = join(userDir, 'flows.json');
    const saved = JSON.parse(readFileSync(flowFile, 'utf8')) as Array<{ id: string; name?: string; apiBase?: string }>;
    const echo = saved.find((n) => n.name === 'echo');
    assert.ok(echo, 'the echo function from the first start');
    echo.name = 'my edited echo';
    writeFileSync(flowFile, JSON.stringify(saved));

    playground = await launchPlayground({ userDir, port: await freePort() });
    const sim = playground.simulatorUrl;
    assert.match(playground.output(), /your saved flows/);
    assert.ok(playground.output().includes(`"Playground app" now points at ${sim}`), playground.output());
    const flows = JSON.parse(readFileSync(flowFile, 'utf8')) as Array<{ id: string; name?: string; apiBase?: string }>;
    assert.equal(flows.find((n) => n.id === echo.id)?.name, 'my edited echo');
    assert.equal(flows.find((n) => n.id === PLAYGROUND_APP_ID)?.apiBase, sim);
    await pollJson(
      `${sim}/sim/state`,
      (s) => ((s as SimState).connections.some((c) => c.open) ? true : undefined),
      'the app to connect to the new simulator',
    );
    assert.equal((await playground.stop()).code, 0);
  });

  it('with DINGTALK_CLIENT_ID/SECRET set, connects the same flows to that app and starts no simulator', async () => {
    // A simulator in this process stands in for DingTalk, with credentials only this test knows.
    const dingtalk = new DingTalkSimulator({ apps: [{ clientId: 'dingrealmodetest01', clientSecret: 'real-mode-secret-7f3a9c' }] });
    await dingtalk.start();
    const realDir = mkdtempSync(join(tmpdir(), 'dingtalk-playground-real-'));
    try {
      const port = await freePort();
      playground = await launchPlayground({
        userDir: realDir,
        port,
        env: { DINGTALK_CLIENT_ID: 'dingrealmodetest01', DINGTALK_CLIENT_SECRET: 'real-mode-secret-7f3a9c', DINGTALK_API_BASE: dingtalk.apiBase },
      });
      const out = playground.output();
      assert.match(out, /mode:\s+REAL DingTalk, app dingrealmodetest01/);
      assert.equal(playground.simulatorUrl, undefined, 'no simulator line');
      const connection = await dingtalk.waitForConnection(1, 10_000);
      assert.equal(connection.clientId, 'dingrealmodetest01');
      dingtalk.robotMessage({ text: 'real mode', senderNick: 'Ann' });
      const reply = await dingtalk.waitForSent((s) => s.kind === 'webhook', 10_000);
      assert.deepEqual(reply.body, { msgtype: 'text', text: { content: 'Ann said: real mode' } });
      assert.equal((await playground.stop()).code, 0);
      // The secret is in no file of the user dir and was never printed.
      assert.ok(!playground.output().includes('real-mode-secret-7f3a9c'));
      for (const file of ['flows.json', 'flows_cred.json', 'settings.js', 'package.json']) {
        assert.ok(!readFileSync(join(realDir, file), 'utf8').includes('real-mode-secret-7f3a9c'), file);
      }
    } finally {
      await dingtalk.stop();
      rmSync(realDir, { recursive: true, force: true });
    }
  });
});
