import assert from 'node:assert/strict';
import { APP_ID, FLOW_ID, appConfig, appModule, helper, simCredentials, useNodeRedWithSimulator } from './support';

const robotInNode: unknown = require('../../nodes/dingtalk-robot-in');
const replyNode: unknown = require('../../nodes/dingtalk-reply');
const fileNode: unknown = require('../../nodes/dingtalk-file');
const cardNode: unknown = require('../../nodes/dingtalk-card');

/**
 * The action nodes behind a real dingtalk-robot-in, over the Stream connection: msg.dingtalk as the trigger
 * node really produces it, and actions chained one after the other on the same msg.
 */
describe('action nodes chained after dingtalk-robot-in', function () {
  const env = useNodeRedWithSimulator();

  async function load(nodes: Array<Record<string, unknown>>): Promise<void> {
    const flow = [
      { id: FLOW_ID, type: 'tab', label: 'chain' },
      appConfig(env.sim, APP_ID, { name: 'sim' }),
      {
        id: 'in',
        z: FLOW_ID,
        type: 'dingtalk-robot-in',
        app: APP_ID,
        chat: 'both',
        msgtypes: '',
        keyword: '',
        keywordMode: 'contains',
        wires: [['a1']],
      },
      ...nodes.map((n) => ({ z: FLOW_ID, app: APP_ID, ...n })),
      { id: 'out', z: FLOW_ID, type: 'helper' },
    ];
    await helper.load([appModule, robotInNode, replyNode, fileNode, cardNode], flow, simCredentials(APP_ID));
    await env.sim.waitFor(() => env.sim.openConnections.length > 0, 5000, 'the app to connect');
  }

  it('replies to a group message twice in a row, the second action reading the msg the first passed on', async () => {
    await load([
      { id: 'a1', type: 'dingtalk-reply', msgType: 'text', atSender: true, wires: [['a2']] },
      { id: 'a2', type: 'dingtalk-reply', msgType: 'markdown', title: 'Echo', wires: [['out']] },
    ]);
    const firstOutput = new Promise<Record<string, any>>((resolve) => helper.getNode('out')!.on('input', resolve));
    const push = env.sim.robotMessage({ text: 'status?', conversationType: '2', senderStaffId: 'staff1' });
    const conversationId = (push.data as { conversationId: string }).conversationId;
    const out = await firstOutput;
    const replies = env.sim.sent.filter((s) => s.kind === 'webhook');
    assert.equal(replies.length, 2);
    assert.ok(replies.every((r) => r.conversationId === conversationId));
    assert.match((replies[0]!.body as { text: { content: string } }).text.content, /^status\? @staff1$/);
    assert.deepEqual(replies[1]!.body, { msgtype: 'markdown', markdown: { title: 'Echo', text: 'status?' } });
    assert.equal(out['payload'], 'status?');
    assert.deepEqual(out['dingtalkResponse'], { errcode: 0, errmsg: 'ok' });
  });

  it('downloads the file a user sent, keeping msg.dingtalk for the next action', async () => {
    await load([{ id: 'a1', type: 'dingtalk-file', maxSizeMB: 1, wires: [['out']] }]);
    const firstOutput = new Promise<Record<string, any>>((resolve) => helper.getNode('out')!.on('input', resolve));
    const push = env.sim.robotMessage({ msgtype: 'file', conversationType: '1' });
    const out = await firstOutput;
    assert.ok(Buffer.isBuffer(out['payload']));
    assert.equal(out['filename'], 'report.txt');
    assert.equal(out['dingtalk'].msgId, (push.data as { msgId: string }).msgId);
  });
});
