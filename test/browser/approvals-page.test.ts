import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { type DingTalkSimulator, SIM_DEFAULT_APPROVER } from '../../src/simulator';
import { CHROMIUM_MISSING, chromiumAvailable, launchChromium } from '../../src/tools/chromium';
import { startSim } from '../simulator/helpers';

describe("the simulator page's approval engine panel in a real browser", function () {
  this.timeout(60_000);
  let sim: DingTalkSimulator;
  let browser: Browser | undefined;

  before(async function () {
    if (!chromiumAvailable()) {
      console.log(`      skipped: ${CHROMIUM_MISSING}`);
      this.skip();
    }
    sim = await startSim({ pingIntervalMs: 60_000 });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await sim?.stop();
  });

  it('submits an expense claim as any user, shows its form and task, and approves it as the approver', async () => {
    const page = await browser!.newPage();
    await page.goto(sim.apiBase);
    await page.fill('#wf-originator', 'user007');
    await page.fill('#wf-amount', '480');
    await page.fill('#wf-reason', '客户拜访');
    await page.click('#wf-submit');
    const card = page.locator('#wf-instances .card').first();
    await card.locator('text=金额: 480 · 事由: 客户拜访').waitFor();
    await card.locator(`text=${SIM_DEFAULT_APPROVER} · RUNNING`).waitFor();
    const instance = [...sim.workflow.instances.values()][0];
    assert.equal(instance?.originatorUserId, 'user007');
    await card.locator('button[data-wf-action="agree"]').click();
    await card.locator('text=COMPLETED · agree').waitFor();
    assert.deepEqual([instance?.status, instance?.result], ['COMPLETED', 'agree']);
    assert.ok(instance?.records.some((r) => r.type === 'EXECUTE_TASK_NORMAL' && r.userId === SIM_DEFAULT_APPROVER));
    await card.locator('text=EXECUTE_TASK_NORMAL AGREE').waitFor();
  });
});
