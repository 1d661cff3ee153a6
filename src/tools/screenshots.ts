/**
 * `npm run screenshots`: runs the playground (simulator mode, temp user dir, free ports), drives Debian's chromium
 * through a short session and writes the README's pictures to docs/screenshots/. An entry point, so it prints.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { SIM_DEFAULT_APPROVER } from '../simulator';
import { CHROMIUM_MISSING, chromiumAvailable, launchChromium } from './chromium';
import { freePort, launchPlayground, type PlaygroundProcess } from './playground-launcher';
import { REPO_ROOT } from './playground-userdir';

const OUT_DIR = join(REPO_ROOT, 'docs', 'screenshots');
const VIEWPORT = { width: 1280, height: 800 };

interface EditorGlobal {
  RED: {
    editor: { edit(node: unknown): void };
    nodes: { filterNodes(filter: { type: string }): unknown[] };
  };
}

async function shoot(page: Page, file: string, options: { fullPage?: boolean } = {}): Promise<void> {
  const path = join(OUT_DIR, file);
  await page.screenshot({ path, ...options });
  process.stdout.write(`wrote ${path}\n`);
}

async function editorShots(browser: Browser, editorUrl: string): Promise<void> {
  const page = await browser.newPage({ viewport: VIEWPORT, locale: 'en-US' });
  await page.goto(editorUrl);
  await page.locator('#red-ui-palette-container-DingTalk .red-ui-palette-node').first().waitFor();
  // Only the DingTalk category in the palette, the echo example in the workspace, its nodes connected.
  // The palette filter reacts to key strokes, not to a filled value.
  await page.locator('#red-ui-palette-search input').pressSequentially('dingtalk');
  await page.locator('#red-ui-palette-container-common').waitFor({ state: 'hidden' });
  await page.locator('.red-ui-flow-node-status-label', { hasText: 'connected' }).first().waitFor();
  await page.mouse.click(700, 650);
  await shoot(page, 'palette.png');

  await page.evaluate(() => {
    const { RED } = window as unknown as EditorGlobal;
    RED.editor.edit(RED.nodes.filterNodes({ type: 'dingtalk-robot-in' })[0]);
  });
  await page.locator('#node-dialog-ok').waitFor();
  await page.waitForTimeout(400); // the tray slides in
  await shoot(page, 'edit-dialog.png');

  await page.click('#node-input-btn-app-edit');
  await page.locator('#node-config-dingtalk-stream-app-test').click();
  await page.locator('#node-config-dingtalk-stream-app-test-result', { hasText: 'OK' }).waitFor();
  await page.waitForTimeout(400);
  // The click scrolls the form a little; from its top the picture shows every field from Name to Redis.
  await page.locator('#node-config-input-name').evaluate((field) => {
    for (let box = field.parentElement; box; box = box.parentElement) box.scrollTop = 0;
  });
  await shoot(page, 'app-config.png');
  await page.close();
}

async function simulatorShot(browser: Browser, simulatorUrl: string): Promise<void> {
  const page = await browser.newPage({ viewport: { width: 1360, height: 860 }, locale: 'zh-CN' });
  await page.goto(`${simulatorUrl}/`);
  await page.locator('#status.on').waitFor();
  // The chat's user is the simulator's approver, so the approval example's card shows in this chat too.
  await page.fill('#staff', SIM_DEFAULT_APPROVER);
  await page.locator('#staff').dispatchEvent('change');
  await page.fill('#chat-input', '你好，机器人');
  await page.press('#chat-input', 'Enter');
  await page.locator('#chat .msg.robot').first().waitFor();
  await page.fill('#chat-input', 'hello');
  await page.press('#chat-input', 'Enter');
  await page.locator('#chat .msg.robot .bubble', { hasText: 'said: hello' }).waitFor();
  // An expense claim over 500: the approval example sends the approver (this chat's user) a card, who approves it.
  await page.fill('#wf-amount', '2000');
  await page.fill('#wf-reason', '客户拜访');
  await page.click('#wf-submit');
  const card = page.locator('#cards .card').first();
  await card.locator('button[data-action="agree"]').click();
  await card.locator('.status', { hasText: '已同意' }).waitFor();
  await page.locator('#chat .bubble.cardref', { hasText: '已同意' }).waitFor();
  // The AI assistant example answers a leave-balance call: the panel shows its status, headers and body.
  await page.click('#ai-call');
  await page.locator('#ai-answer [data-ai-status="200"]').waitFor();
  await page.locator('#toast').evaluate((toast) => (toast.style.display = 'none'));
  // The middle column (events, approvals, AI assistant, cards) is taller than any viewport: the whole page.
  await page.evaluate(() => {
    (document.activeElement as HTMLElement | null)?.blur();
    window.scrollTo(0, 0);
  });
  await shoot(page, 'simulator.png', { fullPage: true });
  await page.close();
}

async function main(): Promise<void> {
  if (!chromiumAvailable()) throw new Error(CHROMIUM_MISSING);
  mkdirSync(OUT_DIR, { recursive: true });
  const userDir = mkdtempSync(join(tmpdir(), 'dingtalk-screenshots-'));
  let playground: PlaygroundProcess | undefined;
  let browser: Browser | undefined;
  try {
    [playground, browser] = await Promise.all([launchPlayground({ userDir, port: await freePort() }), launchChromium()]);
    await editorShots(browser, playground.editorUrl);
    await simulatorShot(browser, playground.simulatorUrl ?? '');
  } finally {
    await browser?.close();
    await playground?.stop();
    rmSync(userDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`screenshots failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
