import assert from 'node:assert/strict';
import { DINGTALK } from '../../src/contract';
import { INPUT_LIMITS } from '../../src/msg/limits';
import { loadAction, useNodeRedWithSimulator, type ActionFlow } from './support';

const replyNode: unknown = require('../../nodes/dingtalk-reply');
const sendNode: unknown = require('../../nodes/dingtalk-send');
const cardNode: unknown = require('../../nodes/dingtalk-card');
const fileNode: unknown = require('../../nodes/dingtalk-file');

const BATCH = '/v1.0/robot/oToMessages/batchSend';
const GROUP = '/v1.0/robot/groupMessages/send';
const CREATE_AND_DELIVER = '/v1.0/card/instances/createAndDeliver';
const STREAMING = '/v1.0/card/streaming';
const DOWNLOAD = '/v1.0/robot/messageFiles/download';

const fmt = (n: number): string => n.toLocaleString('en-US');
const chars = (n: number, c = 'x'): string => c.repeat(n);

/**
 * Oversized msg fields into each action node, through a real Node-RED runtime against the simulator: the error
 * (seen by a Catch node) names the property, the size received and the limit and says what to do; nothing reaches
 * DingTalk; and the node takes the next good message as if nothing had happened.
 */
describe('action nodes refuse oversized msg fields', function () {
  const env = useNodeRedWithSimulator();

  /** Sends `msg`, expects a Catch-node error about `property` with the sizes, and that the simulator saw nothing. */
  async function expectRefused(flow: ActionFlow, msg: Record<string, unknown>, property: string, size: string, limit: number): Promise<void> {
    const before = env.sim.requests.length;
    const { out, error } = await flow.send(msg);
    assert.equal(out, undefined, `no output for oversized ${property}`);
    const message = String(error?.['error']?.message);
    // Node-RED puts the error's name in front of the message on the Catch msg.
    assert.ok(message.replace(/^MsgInputError: /, '').startsWith(`${property} `), `names ${property}: ${message}`);
    assert.ok(message.includes(size), `says the size received (${size}): ${message}`);
    assert.ok(message.includes(`the limit is ${fmt(limit)}`), `says the limit (${fmt(limit)}): ${message}`);
    assert.match(message, /\. (Shorten|Send|Split|Stream|Use|Put|Expected|Pass)\b/, `says what to do: ${message}`);
    assert.ok(message.length < 400, 'does not echo the oversized value');
    assert.equal(env.sim.requests.length, before, `nothing was sent to DingTalk for oversized ${property}`);
    assert.equal(flow.statuses.at(-1)?.fill, 'red');
    assert.match(flow.statuses.at(-1)?.text ?? '', /invalid/);
  }

  it('dingtalk-reply: text, markdown title and body, webhook URL; then replies normally', async () => {
    const flow = await loadAction(replyNode, env.sim, { type: 'dingtalk-reply', msgType: 'markdown' });
    const dingtalk = (): Record<string, unknown> => env.sim.robotMessage({ text: 'hello' }).data as Record<string, unknown>;
    const max = INPUT_LIMITS.textChars;
    await expectRefused(flow, { payload: chars(max + 1), dingtalk: dingtalk() }, 'msg.payload', `${fmt(max + 1)} characters`, max);
    await expectRefused(
      flow,
      { payload: { title: 'T', text: chars(max + 5) }, dingtalk: dingtalk() },
      'msg.payload.text',
      `${fmt(max + 5)} characters`,
      max,
    );
    const title = INPUT_LIMITS.titleChars;
    await expectRefused(
      flow,
      { payload: '## ok', title: chars(title + 1), dingtalk: dingtalk() },
      'msg.title',
      `${fmt(title + 1)} characters`,
      title,
    );
    const url = INPUT_LIMITS.urlChars;
    await expectRefused(
      flow,
      { payload: '## ok', dingtalk: { ...dingtalk(), sessionWebhook: `${env.sim.apiBase}/robot/sendBySession?session=${chars(url)}` } },
      'msg.dingtalk.sessionWebhook',
      'characters',
      url,
    );

    const { out, error } = await flow.send({ payload: '## Still working', dingtalk: dingtalk() });
    assert.equal(error, undefined);
    assert.ok(out);
    const sent = await env.sim.waitForSent();
    assert.match(JSON.stringify(sent), /Still working/);
    assert.equal(flow.statuses.at(-1)?.fill, 'green');
  });

  it('dingtalk-reply: a raw message object over the JSON size limit', async () => {
    const flow = await loadAction(replyNode, env.sim, { type: 'dingtalk-reply', msgType: 'raw' });
    const dingtalk = env.sim.robotMessage({ text: 'hello' }).data as Record<string, unknown>;
    const payload = { msgtype: 'text', text: { content: chars(INPUT_LIMITS.messageBytes) } };
    await expectRefused(flow, { payload, dingtalk }, 'msg.payload', 'bytes', INPUT_LIMITS.messageBytes);
    const ok = await flow.send({ payload: { msgtype: 'text', text: { content: 'small' } }, dingtalk });
    assert.equal(ok.error, undefined);
  });

  it('dingtalk-send: text, recipients, msgParam, raw message, group id; then sends normally', async () => {
    const flow = await loadAction(sendNode, env.sim, { type: 'dingtalk-send' });
    const max = INPUT_LIMITS.textChars;
    // Chinese text: characters, not bytes, are what is counted.
    await expectRefused(flow, { payload: chars(max + 1, '长'), userIds: 'alice' }, 'msg.payload', `${fmt(max + 1)} characters`, max);
    const users = Array.from({ length: INPUT_LIMITS.userIds + 1 }, (_, i) => `user${i}`);
    await expectRefused(flow, { payload: 'hi', userIds: users }, 'msg.userIds', `${fmt(users.length)},`, INPUT_LIMITS.userIds);
    const bigParam = { content: chars(INPUT_LIMITS.msgParamBytes) };
    await expectRefused(flow, { msgKey: 'sampleText', msgParam: bigParam, userIds: 'alice' }, 'msg.msgParam', 'bytes', INPUT_LIMITS.msgParamBytes);
    await expectRefused(
      flow,
      { payload: { msgKey: 'sampleText', msgParam: JSON.stringify(bigParam) }, userIds: 'alice' },
      'msg.payload.msgParam',
      'bytes',
      INPUT_LIMITS.msgParamBytes,
    );
    await expectRefused(
      flow,
      { payload: { msgtype: 'text', text: { content: chars(INPUT_LIMITS.messageBytes) } }, userIds: 'alice' },
      'msg.payload',
      'bytes',
      INPUT_LIMITS.messageBytes,
    );
    const id = INPUT_LIMITS.idChars;
    await expectRefused(flow, { payload: 'hi', openConversationId: `cid${chars(id)}` }, 'msg.openConversationId', `${fmt(id + 3)} characters`, id);

    const { out, error } = await flow.send({ payload: 'Still working', userIds: users.slice(0, 21) });
    assert.equal(error, undefined);
    assert.ok(out);
    const batches = env.sim.requests.filter((r) => r.path === BATCH);
    assert.equal(batches.length, 2, 'the good message went out in batches of 20');
    const group = await flow.send({ payload: 'to the group', openConversationId: 'cidOk' });
    assert.equal(group.error, undefined);
    assert.equal(env.sim.requests.filter((r) => r.path === GROUP).length, 1);
  });

  it('dingtalk-card: card data keys and size, template id, streamed chunk; then delivers and streams normally', async () => {
    const flow = await loadAction(cardNode, env.sim, {
      type: 'dingtalk-card',
      operation: '',
      cardTemplateId: 'ai.schema',
      target: 'group',
      openConversationId: 'cidCards',
    });
    const keys = INPUT_LIMITS.cardParamKeys;
    const many = Object.fromEntries(Array.from({ length: keys + 1 }, (_, i) => [`k${i}`, 'v']));
    await expectRefused(flow, { operation: 'createAndDeliver', payload: many }, 'msg.payload', `${fmt(keys + 1)},`, keys);
    const bytes = INPUT_LIMITS.cardDataBytes;
    await expectRefused(flow, { operation: 'createAndDeliver', payload: { body: chars(bytes) } }, 'msg.payload', 'bytes', bytes);
    await expectRefused(
      flow,
      { operation: 'update', outTrackId: 'card-1', payload: { body: { nested: chars(bytes) } } },
      'msg.payload',
      'bytes',
      bytes,
    );
    const id = INPUT_LIMITS.idChars;
    await expectRefused(
      flow,
      { operation: 'createAndDeliver', cardTemplateId: chars(id + 1), payload: {} },
      'msg.cardTemplateId',
      `${fmt(id + 1)} characters`,
      id,
    );

    const created = await flow.send({ operation: 'createAndDeliver', payload: { title: 'ok' } });
    assert.equal(created.error, undefined);
    const outTrackId = created.out!['outTrackId'] as string;
    assert.equal(env.sim.requests.filter((r) => r.path === CREATE_AND_DELIVER).length, 1);

    const chunk = INPUT_LIMITS.streamChunkBytes;
    await expectRefused(flow, { operation: 'stream', outTrackId, payload: chars(chunk + 1) }, 'msg.payload', `${fmt(chunk + 1)} bytes`, chunk);
    await flow.sendAndComplete({ operation: 'stream', outTrackId, payload: 'The answer ' });
    const last = await flow.send({ operation: 'stream', outTrackId, payload: 'is 42.', complete: true });
    assert.equal(last.error, undefined);
    assert.equal(env.sim.card(outTrackId)!.streams['content']!.content, 'The answer is 42.');
    assert.ok(env.sim.requests.some((r) => r.path === STREAMING));
  });

  it('dingtalk-card: the whole text streamed into one card is capped; the stream stays usable', async () => {
    const flow = await loadAction(cardNode, env.sim, {
      type: 'dingtalk-card',
      operation: '',
      cardTemplateId: 'ai.schema',
      target: 'group',
      openConversationId: 'cidCards',
    });
    const created = await flow.send({ operation: 'createAndDeliver', payload: { title: 'ok' } });
    const outTrackId = created.out!['outTrackId'] as string;
    const half = INPUT_LIMITS.streamTextChars / 2;
    await flow.sendAndComplete({ operation: 'stream', outTrackId, payload: chars(half) });
    await flow.sendAndComplete({ operation: 'stream', outTrackId, payload: chars(half) });
    const over = await flow.send({ operation: 'stream', outTrackId, payload: 'x' });
    const message = String(over.error?.['error']?.message);
    assert.match(message, /msg\.payload is too long: 100,001 characters, the limit is 100,000\./);
    assert.match(message, /continue in a new card/);
    const last = await flow.send({ operation: 'stream', outTrackId, payload: '', complete: true });
    assert.equal(last.error, undefined);
    // The flow gets the whole text; the card shows what DingTalk takes, ending with "…" (ADR 0011).
    assert.equal((last.out!['dingtalkResponse'] as { text: string }).text.length, INPUT_LIMITS.streamTextChars);
    assert.ok(Buffer.byteLength(env.sim.card(outTrackId)!.streams['content']!.content) <= DINGTALK.cardStreamContentBytes);
    assert.ok(env.sim.card(outTrackId)!.finalized);
  });

  it('dingtalk-file: an oversized download code is refused, a long file name is shortened; then downloads normally', async () => {
    const flow = await loadAction(fileNode, env.sim, { type: 'dingtalk-file' });
    const code = INPUT_LIMITS.downloadCodeBytes;
    await expectRefused(flow, { downloadCode: chars(code + 1) }, 'msg.downloadCode', `${fmt(code + 1)} bytes`, code);
    const dingtalk = env.sim.robotMessage({ msgtype: 'file' }).data as Record<string, any>;
    // A very long name from DingTalk is shortened (keeping its extension), never a reason to lose the file.
    const longName = { ...dingtalk, content: { ...dingtalk['content'], fileName: `${chars(300)}.txt` } };
    const shortened = await flow.send({ dingtalk: longName });
    assert.equal(shortened.error, undefined);
    const filename = String(shortened.out!['filename']);
    assert.ok(Buffer.byteLength(filename) <= 200 && filename.endsWith('.txt'), filename);

    const { out, error } = await flow.send({ dingtalk });
    assert.equal(error, undefined);
    assert.ok(Buffer.isBuffer(out!['payload']));
    assert.equal(env.sim.requests.filter((r) => r.path === DOWNLOAD).length, 2);
  });
});
