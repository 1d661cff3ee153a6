import assert from 'node:assert/strict';
import { amrNote, mp4Clip } from '../support/media-samples';
import type { Browser, Page } from 'playwright-core';
import { makePng } from '../../src/simulator';
import { CHROMIUM_MISSING, chromiumAvailable, launchChromium } from '../../src/tools/chromium';
import { loadAction, useNodeRedWithSimulator } from '../nodes/support';

const sendNode: unknown = require('../../nodes/dingtalk-send');

/** What the page gets from a media URL, fetched from the page itself (same origin, as the player would). */
async function served(page: Page, url: string): Promise<{ status: number; type: string; bytes: number }> {
  return page.evaluate(async (u) => {
    const res = await fetch(u);
    return { status: res.status, type: res.headers.get('content-type') ?? '', bytes: (await res.arrayBuffer()).byteLength };
  }, url);
}

describe('the simulator page shows what a flow sent: pictures as pictures, files as links, voice notes and videos as players (issue 11)', function () {
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

  it('a voice note (amr) shows as an audio player and a video (mp4 with a cover) as a video player, both sources served with their type', async () => {
    const page = await browser!.newPage();
    await page.goto(env.sim.apiBase);
    const me = await page.inputValue('#staff');
    const flow = await loadAction(sendNode, env.sim, { type: 'dingtalk-send', target: 'users', userIds: me });

    const amr = amrNote();
    const voice = await flow.send({ payload: amr, filename: 'note.amr' });
    assert.equal(voice.error, undefined, voice.error?.['error']?.message);
    const audio = page.locator('#chat .msg.robot .bubble audio.sent-media');
    await audio.waitFor();
    assert.equal(await audio.evaluate((el) => (el as HTMLAudioElement).controls), true);
    const audioSrc = await audio.evaluate((el) => (el as HTMLAudioElement).src);
    assert.deepEqual(await served(page, audioSrc), { status: 200, type: 'audio/amr', bytes: amr.length });

    const clip = mp4Clip(3000);
    const cover = makePng(16, 9, [0x1e, 0x88, 0xe5]);
    const video = await flow.send({ payload: clip, filename: 'clip.mp4', cover });
    assert.equal(video.error, undefined, video.error?.['error']?.message);
    const player = page.locator('#chat .msg.robot .bubble video.sent-media');
    await player.waitFor();
    assert.equal(await player.evaluate((el) => (el as HTMLVideoElement).controls), true);
    const [videoSrc, poster] = await player.evaluate((el) => [(el as HTMLVideoElement).src, (el as HTMLVideoElement).poster]);
    assert.deepEqual(await served(page, videoSrc), { status: 200, type: 'video/mp4', bytes: clip.length });
    assert.deepEqual(await served(page, poster), { status: 200, type: 'image/png', bytes: cover.length });
    // The duration the send node read from the file is what the bubble says.
    await page.locator('#chat .msg.robot .bubble', { hasText: '[voice] 1 s' }).waitFor();
    await page.locator('#chat .msg.robot .bubble', { hasText: '[video] 3 s' }).waitFor();
    await page.close();
  });
});
