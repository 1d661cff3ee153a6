import assert from 'node:assert/strict';
import { MsgInputError } from '../../src/msg/input-error';
import type { DingTalkSimulator } from '../../src/simulator';
import { appConfig, helper, loadAction, recordStatuses, simCredentials, useNodeRedWithSimulator, type ActionFlow, type Status } from './support';
import { circular, nested, throwingToJson } from '../support/hostile-values';

const replyNode: unknown = require('../../nodes/dingtalk-reply');
const sendNode: unknown = require('../../nodes/dingtalk-send');
const cardNode: unknown = require('../../nodes/dingtalk-card');
const fileNode: unknown = require('../../nodes/dingtalk-file');
const appNode: unknown = require('../../nodes/dingtalk-stream-app');

const STREAMING = '/v1.0/card/streaming';

interface Refusal {
  code: string;
  property: string;
}

/**
 * A flow of app + node + output and no Catch node. Needed for values nested 20,000 deep: Node-RED deep-clones the
 * msg for a Catch node (lodash cloneDeep, recursive), which itself overflows the stack past ~2,000 levels. The
 * error is read where done(err) hands it to node.error().
 */
async function loadWithoutCatch(nodeModule: unknown, sim: DingTalkSimulator, config: Record<string, unknown>) {
  const flow = [
    { id: 'f1', type: 'tab', label: 'test' },
    appConfig(sim, 'app1', { name: 'sim' }),
    { id: 'n1', z: 'f1', name: '', app: 'app1', ...config, wires: [['out']] },
    { id: 'out', z: 'f1', type: 'helper' },
  ];
  await helper.load([appNode, nodeModule], flow, simCredentials('app1'));
  const node = helper.getNode('n1')!;
  const statuses = recordStatuses(node);
  let seq = 0;
  return {
    statuses,
    send(msg: Record<string, unknown>): Promise<{ out?: Record<string, unknown>; error?: Error }> {
      const tag = `deep${++seq}`;
      return new Promise((resolve) => {
        node.on('call:error', (call: { args: unknown[] }) => {
          if ((call.args[1] as Record<string, unknown> | undefined)?.['_tag'] === tag) resolve({ error: call.args[0] as Error });
        });
        helper.getNode('out')!.on('input', (m: Record<string, unknown>) => {
          if (m['_tag'] === tag) resolve({ out: m });
        });
        node.receive({ ...msg, _tag: tag });
      });
    },
  };
}

function lastIsRed(statuses: Status[]): void {
  assert.equal(statuses.at(-1)?.fill, 'red');
  assert.match(statuses.at(-1)?.text ?? '', /invalid/);
}

/**
 * Values JSON cannot carry (NaN, Infinity, cycles, BigInt, a throwing toJSON, 20,000 levels of nesting) and
 * invisible characters in ids, into each action node in a real Node-RED runtime against the simulator: each ends
 * as done(err) with a MsgInputError that names the msg property, nothing reaches DingTalk, and the node takes the
 * next good message.
 */
describe('action nodes refuse msg values that are not plain JSON', function () {
  const env = useNodeRedWithSimulator();

  async function expectRefused(flow: ActionFlow, msg: Record<string, unknown>, { code, property }: Refusal): Promise<void> {
    const before = env.sim.requests.length;
    const { out, error } = await flow.send(msg);
    assert.equal(out, undefined, `no output for ${property}`);
    const message = String(error?.['error']?.message);
    assert.equal(error?.['error']?.code, code, message);
    // Node-RED puts the error's name in front: a MsgInputError, not a raw TypeError/RangeError.
    assert.ok(message.startsWith(`MsgInputError: ${property} `), `names ${property}: ${message}`);
    assert.match(message, /\. (Check|Convert|Ids|Expected)|convert .* to plain JSON first/, `says what to do: ${message}`);
    assert.equal(env.sim.requests.length, before, `nothing was sent to DingTalk for ${property}`);
    lastIsRed(flow.statuses);
  }

  async function expectDeepRefused(
    nodeModule: unknown,
    config: Record<string, unknown>,
    msgs: Array<[Record<string, unknown>, Refusal]>,
    good: Record<string, unknown>,
  ): Promise<void> {
    const flow = await loadWithoutCatch(nodeModule, env.sim, config);
    for (const [msg, { code, property }] of msgs) {
      const before = env.sim.requests.length;
      const { out, error } = await flow.send(msg);
      assert.equal(out, undefined);
      assert.ok(error instanceof MsgInputError, `a MsgInputError, not ${String(error?.name)}`);
      assert.deepEqual([error.code, error.property], [code, property], error.message);
      assert.equal(env.sim.requests.length, before);
      lastIsRed(flow.statuses);
    }
    const { out, error } = await flow.send(good);
    assert.equal(error, undefined, error?.message);
    assert.ok(out);
  }

  it('dingtalk-reply: NaN/Infinity text and a webhook URL with a bidi override; then replies', async () => {
    const flow = await loadAction(replyNode, env.sim, { type: 'dingtalk-reply', msgType: 'text' });
    const dingtalk = (): Record<string, unknown> => env.sim.robotMessage({ text: 'hello' }).data as Record<string, unknown>;
    for (const payload of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      await expectRefused(flow, { payload, dingtalk: dingtalk() }, { code: 'notFinite', property: 'msg.payload' });
    }
    const webhook = String(dingtalk()['sessionWebhook']);
    await expectRefused(
      flow,
      { payload: 'hi', dingtalk: { ...dingtalk(), sessionWebhook: `${webhook}\u202E` } },
      { code: 'invisibleCharacter', property: 'msg.dingtalk.sessionWebhook' },
    );

    const { out, error } = await flow.send({ payload: 'Still working', dingtalk: dingtalk() });
    assert.equal(error, undefined);
    assert.ok(out);
    assert.match(JSON.stringify(await env.sim.waitForSent()), /Still working/);
  });

  it('dingtalk-reply (raw, action card): cycles, BigInt, a throwing toJSON; then replies', async () => {
    const flow = await loadAction(replyNode, env.sim, { type: 'dingtalk-reply', msgType: 'raw' });
    const dingtalk = env.sim.robotMessage({ text: 'hello' }).data as Record<string, unknown>;
    await expectRefused(
      flow,
      { payload: { msgtype: 'text', text: circular() }, dingtalk },
      { code: 'circular', property: 'msg.payload.text.inner.list.1' },
    );
    await expectRefused(
      flow,
      { payload: { msgtype: 'text', text: { content: 'x' }, n: 10n }, dingtalk },
      { code: 'bigint', property: 'msg.payload.n' },
    );
    await expectRefused(flow, { payload: { msgtype: 'text', text: throwingToJson() }, dingtalk }, { code: 'unreadable', property: 'msg.payload' });
    await expectRefused(
      flow,
      { payload: { msgtype: 'text', text: { content: Number.NaN } }, dingtalk },
      { code: 'notFinite', property: 'msg.payload.text.content' },
    );
    const ok = await flow.send({ payload: { msgtype: 'text', text: { content: 'small' } }, dingtalk });
    assert.equal(ok.error, undefined);

    await helper.unload();
    const card = await loadAction(replyNode, env.sim, { type: 'dingtalk-reply', msgType: 'actionCard' });
    const base = { title: 'T', text: 'x', singleTitle: 'Go', singleURL: 'https://example.com' };
    // Extra fields of an action card are sent on as they are: a cycle there used to escape as a raw TypeError.
    await expectRefused(
      card,
      { payload: { ...base, extra: circular() }, dingtalk },
      { code: 'circular', property: 'msg.payload.extra.inner.list.1' },
    );
    const sent = await card.send({ payload: base, dingtalk });
    assert.equal(sent.error, undefined);
  });

  it('dingtalk-reply: a message nested 20,000 levels deep; then replies', async () => {
    const dingtalk = env.sim.robotMessage({ text: 'hello' }).data as Record<string, unknown>;
    await expectDeepRefused(
      replyNode,
      { type: 'dingtalk-reply', msgType: 'raw' },
      [
        [
          { payload: { msgtype: 'text', text: nested(20_000) }, dingtalk },
          { code: 'tooDeep', property: 'msg.payload' },
        ],
      ],
      { payload: { msgtype: 'text', text: { content: 'ok' } }, dingtalk },
    );
  });

  it('dingtalk-send: NaN text, hostile msgParam, NaN user ids, bidi in ids; then sends', async () => {
    const flow = await loadAction(sendNode, env.sim, { type: 'dingtalk-send' });
    await expectRefused(flow, { payload: Number.NaN, userIds: 'alice' }, { code: 'notFinite', property: 'msg.payload' });
    await expectRefused(flow, { payload: Number.POSITIVE_INFINITY, openConversationId: 'cidG' }, { code: 'notFinite', property: 'msg.payload' });
    const custom = { msgKey: 'sampleText', userIds: 'alice' };
    await expectRefused(flow, { ...custom, msgParam: circular() }, { code: 'circular', property: 'msg.msgParam.inner.list.1' });
    await expectRefused(flow, { ...custom, msgParam: { content: 12345678901234567890n } }, { code: 'bigint', property: 'msg.msgParam.content' });
    await expectRefused(flow, { ...custom, msgParam: throwingToJson() }, { code: 'unreadable', property: 'msg.msgParam' });
    await expectRefused(flow, { ...custom, msgParam: { content: Number.NaN } }, { code: 'notFinite', property: 'msg.msgParam.content' });
    await expectRefused(
      flow,
      { ...custom, msgParam: `{"content":${'['.repeat(20_000)}${']'.repeat(20_000)}}` },
      { code: 'tooDeep', property: 'msg.msgParam' },
    );
    await expectRefused(
      flow,
      { payload: { msgKey: 'sampleText', msgParam: { content: 1n } }, userIds: 'alice' },
      { code: 'bigint', property: 'msg.payload.msgParam.content' },
    );
    await expectRefused(flow, { payload: 'hi', userIds: ['alice', Number.NaN] }, { code: 'notFinite', property: 'msg.userIds[1]' });
    await expectRefused(flow, { payload: 'hi', userIds: ['ali\u202Ece'] }, { code: 'invisibleCharacter', property: 'msg.userIds' });
    await expectRefused(
      flow,
      { payload: 'hi', openConversationId: 'cid\u2066G' },
      { code: 'invisibleCharacter', property: 'msg.openConversationId' },
    );
    await expectRefused(
      flow,
      { ...custom, msgKey: 'sample\u200FText', msgParam: { content: 'x' } },
      { code: 'invisibleCharacter', property: 'msg.msgKey' },
    );

    const { out, error } = await flow.send({ ...custom, msgParam: { content: 'Still working' } });
    assert.equal(error, undefined);
    assert.ok(out);
    assert.match(JSON.stringify(env.sim.requests.at(-1)?.body), /Still working/);
  });

  it('dingtalk-send: msgParam nested 20,000 levels deep; then sends', async () => {
    await expectDeepRefused(
      sendNode,
      { type: 'dingtalk-send' },
      [
        [
          { msgKey: 'sampleText', msgParam: { content: nested(20_000) }, userIds: 'alice' },
          { code: 'tooDeep', property: 'msg.msgParam' },
        ],
        [
          { payload: { msgtype: 'text', text: nested(20_000) }, userIds: 'alice' },
          { code: 'tooDeep', property: 'msg.payload' },
        ],
      ],
      { payload: 'ok', userIds: 'alice' },
    );
  });

  it('dingtalk-card: hostile card data on create and update, NaN stream chunks, bidi in ids; then streams', async () => {
    const flow = await loadAction(cardNode, env.sim, {
      type: 'dingtalk-card',
      operation: '',
      cardTemplateId: 'ai.schema',
      target: 'group',
      openConversationId: 'cidCards',
    });
    for (const operation of ['createAndDeliver', 'update']) {
      const base = { operation, outTrackId: 'card-1' };
      await expectRefused(flow, { ...base, payload: { score: Number.NaN } }, { code: 'notFinite', property: 'msg.payload.score' });
      await expectRefused(
        flow,
        { ...base, payload: { list: [{ n: Number.NEGATIVE_INFINITY }] } },
        { code: 'notFinite', property: 'msg.payload.list.0.n' },
      );
      await expectRefused(flow, { ...base, payload: circular() }, { code: 'circular', property: 'msg.payload.inner.list.1' });
      await expectRefused(flow, { ...base, payload: { id: 1n } }, { code: 'bigint', property: 'msg.payload.id' });
      await expectRefused(flow, { ...base, payload: throwingToJson() }, { code: 'unreadable', property: 'msg.payload' });
    }
    await expectRefused(
      flow,
      { operation: 'createAndDeliver', cardTemplateId: 'ai\u202E.schema', payload: {} },
      { code: 'invisibleCharacter', property: 'msg.cardTemplateId' },
    );
    await expectRefused(
      flow,
      { operation: 'update', outTrackId: 'card\u200E-1', payload: {} },
      { code: 'invisibleCharacter', property: 'msg.outTrackId' },
    );

    const created = await flow.send({ operation: 'createAndDeliver', payload: { title: 'ok' } });
    assert.equal(created.error, undefined);
    const outTrackId = created.out!['outTrackId'] as string;
    for (const payload of [Number.NaN, Number.POSITIVE_INFINITY]) {
      await expectRefused(flow, { operation: 'stream', outTrackId, payload }, { code: 'notFinite', property: 'msg.payload' });
    }
    await flow.sendAndComplete({ operation: 'stream', outTrackId, payload: 'The answer is ' });
    const last = await flow.send({ operation: 'stream', outTrackId, payload: 42, complete: true });
    assert.equal(last.error, undefined);
    assert.equal(env.sim.card(outTrackId)!.streams['content']!.content, 'The answer is 42');
    assert.ok(env.sim.requests.some((r) => r.path === STREAMING));
  });

  it('dingtalk-card: card data nested 20,000 levels deep on create and update; then delivers', async () => {
    const config = { type: 'dingtalk-card', operation: '', cardTemplateId: 'ai.schema', target: 'group', openConversationId: 'cidCards' };
    await expectDeepRefused(
      cardNode,
      config,
      [
        [
          { operation: 'createAndDeliver', payload: { list: nested(20_000) } },
          { code: 'tooDeep', property: 'msg.payload' },
        ],
        [
          { operation: 'update', outTrackId: 'card-1', payload: nested(20_000) },
          { code: 'tooDeep', property: 'msg.payload' },
        ],
      ],
      { operation: 'createAndDeliver', payload: { title: 'ok' } },
    );
  });

  it('dingtalk-file: a download code that is NaN, Infinity, a BigInt, an object or has a bidi override; then downloads', async () => {
    const flow = await loadAction(fileNode, env.sim, { type: 'dingtalk-file' });
    for (const downloadCode of [Number.NaN, Number.POSITIVE_INFINITY, 10n, throwingToJson(), circular()]) {
      await expectRefused(flow, { downloadCode }, { code: 'invalidProperty', property: 'msg.downloadCode' });
    }
    const code = (env.sim.robotMessage({ msgtype: 'file' }).data as Record<string, any>)['content'].downloadCode as string;
    await expectRefused(flow, { downloadCode: `\u202E${code}` }, { code: 'invisibleCharacter', property: 'msg.downloadCode' });
    const { out, error } = await flow.send({ downloadCode: code });
    assert.equal(error, undefined);
    assert.ok(Buffer.isBuffer(out!['payload']));
  });

  it('dingtalk-file: a download code nested 20,000 levels deep; then downloads', async () => {
    const code = (env.sim.robotMessage({ msgtype: 'file' }).data as Record<string, any>)['content'].downloadCode as string;
    await expectDeepRefused(
      fileNode,
      { type: 'dingtalk-file' },
      [[{ downloadCode: nested(20_000) }, { code: 'invalidProperty', property: 'msg.downloadCode' }]],
      { downloadCode: code },
    );
  });
});
