import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { SIMULATOR_APP, type DingTalkSimulator } from '../../src/simulator';
import { StreamClient } from '../../src/stream/client';
import { CHROMIUM_MISSING, chromiumAvailable, launchChromium } from '../../src/tools/chromium';
import { startSim } from '../simulator/helpers';

/** A real Stream client as the app: it answers each action call with what it received, or 404 for other paths. */
function answeringApp(sim: DingTalkSimulator): StreamClient {
  const client = new StreamClient({ clientId: SIMULATOR_APP.clientId, clientSecret: SIMULATOR_APP.clientSecret, apiBase: sim.apiBase });
  client.onCallback('/v1.0/graph/api/invoke', (push) => {
    const request = push.data as { requestLine: { method: string; uri: string }; body: string };
    if (!request.requestLine.uri.startsWith('/v1/actions/leave/')) {
      return {
        statusLine: { code: 404, reasonPhrase: 'Not Found' },
        headers: { 'content-type': 'application/json' },
        body: '{"error":"no such action"}',
      };
    }
    const body = JSON.stringify({ got: request.requestLine, body: JSON.parse(request.body) as unknown, daysLeft: 8 });
    return { statusLine: { code: 200, reasonPhrase: 'OK' }, headers: { 'content-type': 'application/json', 'x-answered-by': 'test' }, body };
  });
  client.start();
  return client;
}

describe("the simulator page's AI assistant panel in a real browser", function () {
  this.timeout(60_000);
  let sim: DingTalkSimulator;
  let browser: Browser | undefined;
  let app: StreamClient | undefined;

  before(async function () {
    if (!chromiumAvailable()) {
      console.log(`      skipped: ${CHROMIUM_MISSING}`);
      this.skip();
    }
    sim = await startSim({ pingIntervalMs: 60_000 });
    app = answeringApp(sim);
    await sim.waitForConnection();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await sim?.stop();
  });

  it("calls the chosen action and shows the app's status, headers, body and time", async () => {
    const page = await browser!.newPage();
    await page.goto(sim.apiBase);
    await page.selectOption('#ai-method', 'POST');
    await page.fill('#ai-path', '/v1/actions/leave/user007?year=2026');
    await page.fill('#ai-body', '{"leaveType": "sick"}');
    await page.click('#ai-call');
    const answer = page.locator('#ai-answer .card');
    await answer.locator('[data-ai-status="200"]').waitFor();
    assert.equal(await answer.locator('.status').textContent(), '200 OK');
    assert.match((await answer.locator('[data-ai-elapsed]').textContent()) ?? '', /^\d+ ms$/);
    assert.deepEqual(JSON.parse((await answer.locator('[data-ai-headers]').textContent()) ?? ''), {
      'content-type': 'application/json',
      'x-answered-by': 'test',
    });
    assert.deepEqual(JSON.parse((await answer.locator('[data-ai-body]').textContent()) ?? ''), {
      got: { method: 'POST', uri: '/v1/actions/leave/user007?year=2026' },
      body: { leaveType: 'sick' },
      daysLeft: 8,
    });
  });

  it('shows an error answer as such', async () => {
    const page = await browser!.newPage();
    await page.goto(sim.apiBase);
    await page.selectOption('#ai-method', 'GET');
    await page.fill('#ai-path', '/v1/actions/expense/create');
    await page.click('#ai-call');
    const status = page.locator('#ai-answer .card [data-ai-status="404"]');
    await status.waitFor();
    assert.equal(await status.textContent(), '404 Not Found');
    assert.equal(await status.getAttribute('class'), 'status bad');
  });
});
