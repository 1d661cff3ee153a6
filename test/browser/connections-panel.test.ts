import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { DingTalkSimulator } from '../../src/simulator';
import { CHROMIUM_MISSING, chromiumAvailable, launchChromium } from '../../src/tools/chromium';
import { ROBOT_TOPIC, startSim, TestStreamClient } from '../simulator/helpers';

describe("the simulator page's connections panel in a real browser (several connections of one app)", function () {
  this.timeout(60_000);
  let sim: DingTalkSimulator;
  let browser: Browser | undefined;
  const clients: TestStreamClient[] = [];

  before(async function () {
    if (!chromiumAvailable()) {
      console.log(`      skipped: ${CHROMIUM_MISSING}`);
      this.skip();
    }
    sim = await startSim({ pingIntervalMs: 60_000, distribution: 'round-robin' });
    browser = await launchChromium();
  });
  after(async () => {
    for (const c of clients.splice(0)) c.close();
    await browser?.close();
    await sim?.stop();
  });

  it('shows how many pushes each connection got, and switches the distribution policy', async () => {
    const subs = [{ type: 'CALLBACK', topic: ROBOT_TOPIC }];
    clients.push(await TestStreamClient.open(sim, subs), await TestStreamClient.open(sim, subs));
    for (let i = 0; i < 3; i++) sim.robotMessage({ text: `p${i}` });
    await sim.waitFor(() => sim.deliveries.length === 3 || undefined);
    const page = await browser!.newPage();
    await page.goto(sim.apiBase);
    await page.click('#log-panel summary');
    const [first, second] = sim.connections.map((c) => c.id.slice(0, 8));
    const row = (id: string) => page.locator('#conns tr', { hasText: id }).locator('td.conn-pushes');
    await page.waitForFunction(() => document.querySelectorAll('#conns td.conn-pushes').length === 2);
    assert.equal(await row(first!).textContent(), '2');
    assert.equal(await row(second!).textContent(), '1');
    assert.equal(await page.inputValue('#dist'), 'round-robin');
    await page.selectOption('#dist', 'newest');
    for (let i = 0; i < 50 && sim.distribution !== 'newest'; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(sim.distribution, 'newest');
  });
});
