import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { SIM_DEFAULT_APPROVER } from '../../src/simulator';
import { PLAYGROUND_APP_ID } from '../../src/tools/playground-flows';
import {
  closeEditDialog,
  declaredTypes,
  localeText,
  openEditDialog,
  openEditor,
  squash,
  testConnection,
  useBrowserPlayground,
  type EditorRed,
} from './support';

/** Adds one node of each type to the open flow, without the drag-to-place step of a real import. */
async function addNodes(page: Page, types: string[]): Promise<void> {
  await page.evaluate((list) => {
    const RED = (window as unknown as { RED: EditorRed }).RED;
    const z = RED.workspaces.active();
    const nodes = list.map((type, i) => ({
      id: `browsertest${i}`,
      type,
      name: '',
      x: 200 + (i % 2) * 300,
      y: 400 + Math.floor(i / 2) * 60,
      z,
      wires: [],
    }));
    RED.view.importNodes(nodes, { touchImport: true, applyNodeDefaults: true, generateIds: false, addFlow: false, notify: false });
  }, types);
}

/** Properties of a node type as the editor registered them. */
async function defaultsOf(page: Page, type: string): Promise<string[]> {
  return page.evaluate((t) => Object.keys((window as unknown as { RED: EditorRed }).RED.nodes.getType(t).defaults), type);
}

/**
 * Every data-i18n text of the open dialog that belongs to this package, as [key, shown text]. Node-RED 4.1 writes the
 * keys of a node's template as "[attr]<module>/<set>:<key>" (attr: placeholder, title, html…; several joined by ";").
 */
async function dialogTexts(page: Page): Promise<Array<[string, string]>> {
  return page.locator('.red-ui-tray form [data-i18n]').evaluateAll((elements) =>
    elements
      .flatMap((e) =>
        (e.getAttribute('data-i18n') ?? '').split(';').map((spec) => {
          const [, attr, key] = /^(?:\[(\w+)\])?(?:[^:]*:)?(.*)$/.exec(spec) ?? [];
          const shown = attr && attr !== 'html' ? e.getAttribute(attr) : e.textContent;
          return [key ?? '', (shown ?? '').trim()] as [string, string];
        }),
      )
      .filter(([key]) => key.startsWith('dingtalk-')),
  );
}

async function checkDialogs(page: Page, lang: 'en-US' | 'zh-CN'): Promise<void> {
  const { palette } = declaredTypes();
  await addNodes(page, palette);
  for (const [i, type] of palette.entries()) {
    await openEditDialog(page, `browsertest${i}`);
    // A field for every property (custom widgets included, e.g. node-input-dingtalk-msgtypes).
    for (const prop of await defaultsOf(page, type)) {
      const field = page.locator(`.red-ui-tray form [id^="node-input-"][id$="${prop}"]`);
      assert.ok((await field.count()) > 0, `${type}: no field for "${prop}" in the edit dialog`);
    }
    const texts = await dialogTexts(page);
    assert.ok(texts.length > 0, `${type}: the dialog has no translated labels`);
    for (const [key, shown] of texts) {
      const expected = localeText(lang, key);
      assert.ok(expected !== undefined, `${type}: ${key} is missing from locales/${lang}/${key.split('.')[0]}.json`);
      assert.equal(shown, expected.replace(/<[^>]+>/g, '').trim(), `${type}: ${key} in ${lang}`);
    }
    await closeEditDialog(page);
  }
}

describe('the playground (npm start) in a real browser', function () {
  this.timeout(90_000);
  const fx = useBrowserPlayground();
  let page: Page;
  // One English editor page for the tests below (loading the editor is the slow part); zh-CN gets its own.
  before(async function () {
    this.timeout(90_000);
    page = await openEditor(fx.browser, fx.editorUrl);
  });

  it('shows every node of the package in the DingTalk palette category', async () => {
    const category = page.locator('#red-ui-palette-container-DingTalk');
    assert.equal((await category.locator('.red-ui-palette-header').textContent())?.trim(), 'DingTalk');
    const shown = await category.locator('.red-ui-palette-node').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-palette-type')));
    assert.deepEqual([...shown].sort(), [...declaredTypes().palette].sort());
    for (const type of declaredTypes().palette) {
      const label = await category.locator(`.red-ui-palette-node[data-palette-type="${type}"] .red-ui-palette-label`).textContent();
      assert.equal(squash(label), localeText('en-US', `${type}.paletteLabel`));
    }
  });

  it("opens each node's edit dialog with a field for every property and its English labels", async () => {
    await checkDialogs(page, 'en-US');
  });

  it('shows the palette and the edit dialogs in Chinese when the browser language is zh-CN', async () => {
    // Node-RED 4.1 takes the editor language from navigator.language (or a language chosen in its settings).
    const zh = await openEditor(fx.browser, fx.editorUrl, 'zh-CN');
    try {
      for (const type of declaredTypes().palette) {
        const label = await zh
          .locator(`#red-ui-palette-container-DingTalk .red-ui-palette-node[data-palette-type="${type}"] .red-ui-palette-label`)
          .textContent();
        assert.equal(squash(label), localeText('zh-CN', `${type}.paletteLabel`));
      }
      await checkDialogs(zh, 'zh-CN');
    } finally {
      await zh.context().close();
    }
  });

  it('shows the deployed example flows connected to the simulator', async () => {
    const tabs = await page.locator('#red-ui-workspace-tabs .red-ui-tab-label').allTextContents();
    assert.deepEqual(
      tabs.map((t) => t.trim()),
      ['Echo robot', 'Approval automation', 'AI assistant action'],
    );
    const connected = localeText('en-US', 'dingtalk-stream-app.status.connected') ?? 'connected';
    // The robot-in node's status text, as the editor draws it under the node.
    await page.locator('.red-ui-flow-node-status-label', { hasText: connected }).first().waitFor();
    // Saved before a property existed (as every example file is): no example node may show the editor's "invalid" triangle
    // (the dialog tests above add unconfigured nodes of their own).
    const invalid = await page.evaluate(() => {
      type Drawn = { id: string; type: string; valid?: boolean };
      const nodes = (window as unknown as { RED: { nodes: { eachNode(cb: (n: Drawn) => void): void; eachConfig(cb: (n: Drawn) => void): void } } })
        .RED.nodes;
      const found: string[] = [];
      const check = (n: Drawn): void => {
        if (n.valid === false && n.id.startsWith('playground-')) found.push(`${n.type} ${n.id}`);
      };
      nodes.eachNode(check);
      nodes.eachConfig(check);
      return found;
    });
    assert.deepEqual(invalid, []);
  });

  it("tests the playground app's connection: success against the simulator, a clear failure with a wrong secret", async () => {
    // As a user would: the robot-in node's dialog, then the pencil next to its app.
    await page.evaluate((app) => {
      const RED = (window as unknown as { RED: EditorRed }).RED;
      const deployed = RED.nodes.filterNodes({ type: 'dingtalk-robot-in' }) as Array<{ app?: string }>;
      RED.editor.edit(deployed.find((n) => n.app === app));
    }, PLAYGROUND_APP_ID);
    await page.click('#node-input-btn-app-edit');
    await page.locator('#node-config-dingtalk-stream-app-test').waitFor();
    assert.equal(await page.inputValue('#node-config-input-apiBase'), fx.simulatorUrl);
    assert.equal(await testConnection(page), localeText('en-US', 'dingtalk-stream-app.test.ok'));

    const wrong = 'not-the-secret-4711';
    await page.fill('#node-config-input-clientSecret', wrong);
    const failure = await testConnection(page);
    assert.ok(failure.startsWith(localeText('en-US', 'dingtalk-stream-app.test.failed') ?? 'Failed'), failure);
    assert.match(failure, /ClientSecret/, 'says which credential to check');
    assert.ok(!failure.includes(wrong), 'never echoes the secret');
    await page.click('#node-config-dialog-cancel');
    await closeEditDialog(page);
  });

  it("runs the approval example from the simulator page: a large claim, the manager's card, 同意, the approval ends approved, the applicant is told", async () => {
    const sim = await fx.browser.newPage({ viewport: { width: 1360, height: 860 } });
    await sim.goto(`${fx.simulatorUrl}/`);
    await sim.locator('#status.on').waitFor();
    const applicant = `claimant${Date.now().toString(36)}`;
    await sim.fill('#wf-originator', applicant);
    await sim.fill('#wf-amount', '2000');
    await sim.fill('#wf-reason', '年会场地');
    await sim.click('#wf-submit');
    const instance = sim.locator('#wf-instances .card', { hasText: '金额: 2000 · 事由: 年会场地' });
    await instance.locator(`text=${SIM_DEFAULT_APPROVER} · RUNNING`).waitFor();

    // The flow read the form (2000 is not under 500) and sent the approver a card with the amount and the reason.
    const card = sim.locator('#cards .card', { hasText: '年会场地' });
    await card.locator('dd.status', { hasText: '待审批' }).waitFor();
    assert.match((await card.textContent()) ?? '', /2000/);
    await card.locator('button[data-action="agree"]').click();
    await sim.locator('#log .log-entry', { hasText: 'card click' }).locator('.ok', { hasText: '处理中' }).first().waitFor();
    await card.locator('dd.status', { hasText: '已同意' }).waitFor();
    await instance.locator('text=COMPLETED · agree').waitFor();
    await instance.locator('text=EXECUTE_TASK_NORMAL AGREE').waitFor();

    // The applicant's chat with the robot shows the result.
    await sim.fill('#staff', applicant);
    await sim.locator('#staff').dispatchEvent('change');
    await sim.locator('#chat .bubble', { hasText: '已通过' }).waitFor();
    await sim.close();
  });

  it("calls the AI assistant example from the simulator page: the deployed flow's leave balance comes back", async () => {
    const sim = await fx.browser.newPage({ viewport: { width: 1360, height: 860 } });
    await sim.goto(`${fx.simulatorUrl}/`);
    await sim.locator('#status.on').waitFor();
    // The panel's defaults are the example's action (POST /v1/actions/leave/:userId) for a user its table knows.
    await sim.click('#ai-call');
    const answer = sim.locator('#ai-answer .card');
    await answer.locator('[data-ai-status="200"]').waitFor();
    assert.deepEqual(JSON.parse((await answer.locator('[data-ai-body]').textContent()) ?? ''), {
      userId: 'manager4711',
      leaveType: 'annual',
      daysLeft: 8,
    });
    await sim.close();
  });

  it("moves a login written in an old app's Proxy URL into the credential fields; the deploy stores it as a credential", async () => {
    const legacy = {
      id: 'legacyproxyapp',
      type: 'dingtalk-stream-app',
      name: 'legacy proxy',
      apiBase: fx.simulatorUrl,
      robotCode: '',
      proxy: 'http://corp-user:c%40rp-pass@127.0.0.1:3128',
    };
    await page.evaluate((node) => {
      const RED = (window as unknown as { RED: EditorRed }).RED;
      RED.view.importNodes([node], { touchImport: true, applyNodeDefaults: true, generateIds: false, addFlow: false, notify: false });
      RED.editor.editConfig('', 'dingtalk-stream-app', 'legacyproxyapp');
    }, legacy);
    await page.locator('#node-config-input-proxyPassword').waitFor();
    assert.equal(await page.inputValue('#node-config-input-proxy'), 'http://127.0.0.1:3128');
    assert.equal(await page.inputValue('#node-config-input-proxyUser'), 'corp-user');
    assert.equal(await page.inputValue('#node-config-input-proxyPassword'), 'c@rp-pass');
    assert.ok(await page.locator('#node-config-dingtalk-stream-app-proxy-moved').isVisible(), 'the dialog says what it moved');
    await page.click('#node-config-dialog-ok');
    await page.locator('#node-config-dialog-ok').waitFor({ state: 'detached' });

    await page.click('#red-ui-header-button-deploy');
    // Nodes added by the dialog tests above are incomplete, so the editor asks to confirm the deploy.
    type Dirty = { RED: { nodes: { dirty(): boolean } } };
    await page.waitForFunction(
      () => document.querySelector('#red-ui-deploy-dialog-confirm-deploy-deploy') !== null || !(window as unknown as Dirty).RED.nodes.dirty(),
    );
    const confirm = page.locator('#red-ui-deploy-dialog-confirm-deploy-deploy');
    if ((await confirm.count()) > 0) await confirm.click();
    await page.waitForFunction(() => !(window as unknown as Dirty).RED.nodes.dirty());

    const flows = await (await fetch(`${fx.editorUrl.replace(/\/$/, '')}/flows`)).text();
    const saved = (JSON.parse(flows) as Array<Record<string, unknown>>).find((n) => n['id'] === 'legacyproxyapp');
    assert.equal(saved?.['proxy'], 'http://127.0.0.1:3128');
    assert.ok(!flows.includes('c@rp-pass') && !flows.includes('c%40rp-pass'), 'the flows no longer hold the proxy password');
    const creds = (await (await fetch(`${fx.editorUrl.replace(/\/$/, '')}/credentials/dingtalk-stream-app/legacyproxyapp`)).json()) as Record<
      string,
      unknown
    >;
    assert.equal(creds['proxyUser'], 'corp-user');
    assert.equal(creds['has_proxyPassword'], true);
  });
});
