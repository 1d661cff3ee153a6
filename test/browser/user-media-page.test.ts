import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { makePng } from '../../src/simulator';
import { CHROMIUM_MISSING, chromiumAvailable, launchChromium } from '../../src/tools/chromium';
import { requireFromRuntime } from '../nodes/runtime';
import {
  ACTION_MODULES,
  ALL_MODULES,
  FAST_TIMINGS,
  TAB,
  appConfig,
  helper,
  robotIn,
  simCredentials,
  useNodeRedWithSimulator,
} from '../nodes/support';

const TEMPLATE: unknown = requireFromRuntime('@node-red/nodes/core/function/80-template.js');

/**
 * The user side of the simulator page in chromium sends a picture; a real Node-RED runtime runs
 * robot-in -> dingtalk-file (Save to) -> reply, so the page shows the robot saying what it saved.
 */
describe('the simulator page: a user sends a picture, the flow downloads and saves it', function () {
  this.timeout(60_000);
  const env = useNodeRedWithSimulator(FAST_TIMINGS);
  let browser: Browser | undefined;
  let dir: string;

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
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dingtalk-page-media-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('picks a PNG in the page; the flow saves exactly its bytes and the reply shows in the chat', async () => {
    const flow = [
      TAB,
      appConfig(env.sim),
      robotIn('in', 'app1', { wires: [['file']] }),
      { id: 'file', z: TAB.id, type: 'dingtalk-file', name: '', app: 'app1', directory: dir, maxSizeMB: 20, wires: [['say']] },
      {
        id: 'say',
        z: TAB.id,
        type: 'template',
        field: 'payload',
        fieldType: 'msg',
        syntax: 'mustache',
        output: 'str',
        template: 'saved {{{filename}}} ({{size}} bytes, part {{parts.index}} of {{parts.count}})',
        wires: [['reply']],
      },
      { id: 'reply', z: TAB.id, type: 'dingtalk-reply', name: '', app: 'app1', msgType: 'text', wires: [[]] },
    ];
    await helper.load([...ALL_MODULES, ...ACTION_MODULES, TEMPLATE], flow, simCredentials());
    await env.sim.waitForConnection();

    const page = await browser!.newPage();
    await page.goto(env.sim.apiBase);
    const png = makePng(7, 5, [200, 30, 90]);
    await page.setInputFiles('#user-media-file', { name: 'chart.png', mimeType: 'image/png', buffer: png });
    await page.locator('#chat .msg.user .bubble', { hasText: '[picture]' }).waitFor();
    const reply = page.locator('#chat .msg.robot .bubble', { hasText: /^saved / });
    await reply.waitFor();
    const match = /saved (\S+) \((\d+) bytes, part 0 of 1\)/.exec((await reply.textContent()) ?? '');
    assert.ok(match, String(await reply.textContent()));
    assert.equal(Number(match[2]), png.length);
    assert.deepEqual(readFileSync(join(dir, match[1]!)), png, 'the file on disk is the one picked in the page');

    // With text in the box, the picture goes as rich text: words, then the picture.
    await page.fill('#chat-input', 'our numbers');
    const second = makePng(3, 3, [1, 2, 3]);
    await page.setInputFiles('#user-media-file', { name: 'b.png', mimeType: 'image/png', buffer: second });
    await page.locator('#chat .msg.user .bubble', { hasText: 'our numbers [picture]' }).waitFor();
    await page
      .locator('#chat .msg.robot .bubble', { hasText: /^saved / })
      .nth(1)
      .waitFor();
    const rich = env.sim.requests.filter((r) => r.path === '/v1.0/robot/messageFiles/download');
    assert.equal(rich.length, 2);
    assert.equal(await page.inputValue('#chat-input'), '', 'the text went with the picture');
  });
});
