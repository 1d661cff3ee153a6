import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM_MISSING, chromiumAvailable, launchChromium } from '../../src/tools/chromium';
import { freePort, launchPlayground, type PlaygroundProcess } from '../../src/tools/playground-launcher';

export const REPO = join(__dirname, '..', '..', '..');

export interface BrowserPlayground {
  playground: PlaygroundProcess;
  browser: Browser;
  editorUrl: string;
  simulatorUrl: string;
}

/**
 * Mocha hooks for one playground (the `npm start` script, temp user dir, free ports, simulator mode) and one
 * headless Debian chromium, shared by the tests of a describe block. `emptyFlows` starts Node-RED with no flows
 * instead of the examples. Skips the block, saying why, only when /usr/bin/chromium is absent.
 */
export function useBrowserPlayground(options: { emptyFlows?: boolean } = {}): BrowserPlayground {
  const fixture = {} as BrowserPlayground;
  let userDir: string | undefined;
  before(async function () {
    if (!chromiumAvailable()) {
      console.log(`      skipped: ${CHROMIUM_MISSING}`);
      this.skip();
    }
    this.timeout(60_000);
    userDir = mkdtempSync(join(tmpdir(), 'dingtalk-browser-'));
    if (options.emptyFlows) writeFileSync(join(userDir, 'flows.json'), '[]\n');
    const [playground, browser] = await Promise.all([launchPlayground({ userDir, port: await freePort() }), launchChromium()]);
    fixture.playground = playground;
    fixture.browser = browser;
    fixture.editorUrl = playground.editorUrl;
    fixture.simulatorUrl = playground.simulatorUrl ?? '';
  });
  after(async () => {
    await fixture.browser?.close();
    await fixture.playground?.stop();
    if (userDir) rmSync(userDir, { recursive: true, force: true });
  });
  return fixture;
}

/** Opens the editor and waits until the palette has loaded the DingTalk nodes. */
export async function openEditor(browser: Browser, url: string, locale = 'en-US'): Promise<Page> {
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(url);
  await page.locator('#red-ui-palette-container-DingTalk .red-ui-palette-node').first().waitFor();
  return page;
}

type LocaleTree = { [key: string]: string | LocaleTree };

/** A message of one of our locale files by its full key, e.g. `dingtalk-robot-in.label.app`. */
export function localeText(lang: 'en-US' | 'zh-CN', key: string): string | undefined {
  const type = key.split('.')[0] ?? '';
  let tree: LocaleTree;
  try {
    tree = JSON.parse(readFileSync(join(REPO, 'locales', lang, `${type}.json`), 'utf8')) as LocaleTree;
  } catch {
    return undefined;
  }
  let node: string | LocaleTree | undefined = tree;
  for (const part of key.split('.')) node = typeof node === 'object' ? node[part] : undefined;
  return typeof node === 'string' ? node : undefined;
}

/** The node types the package declares, config node last. */
export function declaredTypes(): { palette: string[]; config: string } {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } };
  const types = Object.keys(pkg['node-red'].nodes);
  return { palette: types.filter((t) => t !== 'dingtalk-stream-app'), config: 'dingtalk-stream-app' };
}

/** The bits of the editor's global RED object these tests call. */
export interface EditorRed {
  workspaces: { active(): string };
  view: { importNodes(nodes: object[], options: object): void };
  editor: { edit(node: unknown): void; editConfig(name: string, type: string, id: string): void };
  nodes: {
    node(id: string): unknown;
    filterNodes(filter: { type: string }): unknown[];
    getType(type: string): { defaults: Record<string, unknown> };
  };
}

/** The palette breaks long labels over lines. */
export const squash = (text: string | null): string => (text ?? '').replace(/\s+/g, ' ').trim();

/** Clicks "Test connection" and waits for the answer (the dialog shows a "running" text meanwhile). */
export async function testConnection(page: Page): Promise<string> {
  const running = localeText('en-US', 'dingtalk-stream-app.test.running') ?? '';
  await page.locator('#node-config-dingtalk-stream-app-test-result').evaluate((e) => (e.textContent = ''));
  await page.click('#node-config-dingtalk-stream-app-test');
  const handle = await page.waitForFunction((busy) => {
    const text = document.querySelector('#node-config-dingtalk-stream-app-test-result')?.textContent?.trim();
    return text && text !== busy ? text : undefined;
  }, running);
  return String(await handle.jsonValue());
}

export async function openEditDialog(page: Page, id: string): Promise<void> {
  await page.evaluate((nodeId) => {
    const RED = (window as unknown as { RED: EditorRed }).RED;
    RED.editor.edit(RED.nodes.node(nodeId));
  }, id);
  await page.locator('#node-dialog-ok').waitFor();
}

export async function closeEditDialog(page: Page): Promise<void> {
  await page.click('#node-dialog-cancel');
  await page.locator('#node-dialog-cancel').waitFor({ state: 'detached' });
}
