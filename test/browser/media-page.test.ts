import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { makePng } from '../../src/simulator';
import { CHROMIUM_MISSING, chromiumAvailable, launchChromium } from '../../src/tools/chromium';
import { loadAction, useNodeRedWithSimulator } from '../nodes/support';

const sendNode: unknown = require('../../nodes/dingtalk-send');

describe('the simulator page shows what a flow sent: pictures as pictures, files as links (issue 11)', function () {
  this.timeout(60_000);
  const env = useNodeRedWithSimulator();
  let browser: Browser | undefined;

  before(async function () {
    if (!chromiumAvailable()) {
      console.log(`      skipped: ${CHROMIUM_MISSING}`);
      this.skip();
    }
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  it('a PNG sent by dingtalk-send to the page user shows as an image, and a PDF as a download link with its name', async () => {
    const page = await browser!.newPage();
    await page.goto(env.sim.apiBase);
    const me = await page.inputValue('#staff');
    const flow = await loadAction(sendNode, env.sim, { type: 'dingtalk-send', target: 'users', userIds: me });
    const png = makePng(30, 20, [0xe5, 0x39, 0x35]);
    const picture = await flow.send({ payload: png, filename: 'chart.png' });
    assert.equal(picture.error, undefined, picture.error?.['error']?.message);

    const img = page.locator('#chat .msg.robot .bubble img.sent-media');
    await img.waitFor();
    // Loaded from the simulator's store, as the bytes the flow sent: the browser decoded a 30 x 20 picture.
    await page.waitForFunction(() => (document.querySelector('#chat img.sent-media') as HTMLImageElement | null)?.complete === true);
    assert.deepEqual(await img.evaluate((el) => [(el as HTMLImageElement).naturalWidth, (el as HTMLImageElement).naturalHeight]), [30, 20]);

    const pdf = Buffer.from('%PDF-1.4\n%%EOF\n', 'latin1');
    const file = await flow.send({ payload: pdf, filename: 'report.pdf' });
    assert.equal(file.error, undefined, file.error?.['error']?.message);
    const link = page.locator('#chat .msg.robot .bubble a.sent-media', { hasText: 'report.pdf' });
    await link.waitFor();
    const href = (await link.getAttribute('href')) ?? '';
    const served = await page.evaluate(async (url) => new Uint8Array(await (await fetch(url)).arrayBuffer()).length, href);
    assert.equal(served, pdf.length);
    await page.close();
  });
});
