import assert from 'node:assert/strict';
import { PACKAGE_NAME } from '../../src/tools/playground-userdir';
import { localeText, openEditor, testConnection, useBrowserPlayground, type EditorRed } from './support';

describe('the echo example in a real browser: imported, deployed, answering on the simulator page', function () {
  this.timeout(90_000);
  // Node-RED starts with no flows: the user imports the example as from any installed package.
  const fx = useBrowserPlayground({ emptyFlows: true });

  it("imports echo-robot from the editor's examples, configures the app, deploys, and the page shows the robot's reply", async () => {
    const editor = await openEditor(fx.browser, fx.editorUrl);

    // Menu → Import → Examples → this package → echo-robot.
    await editor.click('#red-ui-header-button-sidemenu');
    await editor.click('#menu-item-import');
    await editor.click('#red-ui-tab-red-ui-clipboard-dialog-import-tab-examples');
    const tree = editor.locator('#red-ui-clipboard-dialog-import-tab-examples');
    await tree.locator('.red-ui-treeList-label-text', { hasText: PACKAGE_NAME }).click();
    await tree.locator('.red-ui-treeList-label-text', { hasText: /^echo-robot$/ }).click();
    await editor.click('#red-ui-clipboard-dialog-ok');
    // Imported nodes follow the mouse until dropped.
    await editor.mouse.move(500, 300);
    await editor.mouse.click(500, 300);

    // The example's app has no credentials: the environment references npm start provides, and the simulator.
    await editor.evaluate(() => {
      const RED = (window as unknown as { RED: EditorRed }).RED;
      RED.editor.edit(RED.nodes.filterNodes({ type: 'dingtalk-robot-in' })[0]);
    });
    await editor.click('#node-input-btn-app-edit');
    await editor.fill('#node-config-input-clientId', '${DINGTALK_CLIENT_ID}');
    await editor.fill('#node-config-input-clientSecret', '${DINGTALK_CLIENT_SECRET}');
    await editor.fill('#node-config-input-apiBase', fx.simulatorUrl);
    // Environment references only go to DingTalk itself or to the API base the app was deployed with (issue 16):
    // before the first deploy, the test says so and what to do.
    assert.match(await testConnection(editor), /deploy the app and test again/);
    await editor.click('#node-config-dialog-ok');
    await editor.click('#node-dialog-ok');

    await editor.click('#red-ui-header-button-deploy');
    const connected = localeText('en-US', 'dingtalk-stream-app.status.connected') ?? 'connected';
    await editor.locator('.red-ui-flow-node-status-label', { hasText: connected }).first().waitFor();
    // Deployed: the same test now passes.
    await editor.evaluate(() => {
      const RED = (window as unknown as { RED: EditorRed }).RED;
      RED.editor.edit(RED.nodes.filterNodes({ type: 'dingtalk-robot-in' })[0]);
    });
    await editor.click('#node-input-btn-app-edit');
    assert.equal(await testConnection(editor), localeText('en-US', 'dingtalk-stream-app.test.ok'));
    await editor.click('#node-config-dialog-cancel');
    await editor.click('#node-dialog-cancel');

    // The simulator page, as a DingTalk user writing to the robot.
    const chat = await editor.context().newPage();
    await chat.goto(`${fx.simulatorUrl}/`);
    await chat.locator('#status.on').waitFor();
    const nick = await chat.inputValue('#nick');
    await chat.fill('#chat-input', 'hello from the browser');
    await chat.press('#chat-input', 'Enter');
    await chat.locator('#chat .msg.user .bubble', { hasText: 'hello from the browser' }).waitFor();
    const reply = chat.locator('#chat .msg.robot .bubble', { hasText: 'said: hello from the browser' });
    await reply.waitFor();
    assert.match((await reply.textContent()) ?? '', new RegExp(`^${nick} said: hello from the browser`));
    // The activity log shows the push and the reply going out.
    await chat.locator('#log .log-entry', { hasText: `robot message from ${nick}: hello from the browser` }).waitFor();
    await chat.locator('#log .log-entry', { hasText: 'POST /robot/sendBySession' }).waitFor();

    // The same in a group: the message reaches the robot as an @mention, the reply lands in the group.
    await chat.click('#chat-tabs button[data-chat="2"]');
    await chat.fill('#chat-input', 'hello group');
    await chat.press('#chat-input', 'Enter');
    await chat.locator('#chat .msg.robot .bubble', { hasText: `${nick} said: hello group` }).waitFor();
    assert.equal(
      await chat.locator('#chat .msg.robot .bubble', { hasText: 'hello from the browser' }).count(),
      0,
      'the 1:1 reply is not in the group',
    );
    await editor.context().close();
  });
});
