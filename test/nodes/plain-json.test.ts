import assert from 'node:assert/strict';
import { cardParamMap, streamChunk } from '../../src/msg/card-input';
import { fileRequest } from '../../src/msg/file-input';
import { replyContext } from '../../src/msg/reply-input';
import { sendMessage, sendTarget, type SendNodeOptions } from '../../src/msg/send-input';
import { MsgInputError, checkPlain, idList } from '../../src/msg/input-error';
import { JSON_MAX_DEPTH, plainCopy, plainJsonText } from '../../src/msg/plain-json';
import { buildRobotApiMessage, buildWebhookMessage, msgParamFrom } from '../../src/msg/outbound-message';
import { circular, nested, throwingToJson } from '../support/hostile-values';

/** What an input check threw: the MsgInputError's code and property, or the raw error's name (a failure here). */
function refusal(fn: () => unknown): { code: string; property: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof MsgInputError) return { code: e.code, property: e.property, message: e.message };
    assert.fail(`expected a MsgInputError, got a raw ${Object.prototype.toString.call(e)}`);
  }
  assert.fail('expected a MsgInputError, nothing was thrown');
}

const SEND: SendNodeOptions = { target: '', userIds: '', openConversationId: '', msgType: 'auto', msgKey: '', msgParam: '', title: '' };

/** msg values JSON cannot carry, at the boundary (src/msg), without Node-RED. */
describe('msg values that are not plain JSON', () => {
  it('names the exact place of a NaN, Infinity, BigInt or cycle, and says what to do', () => {
    const nan = refusal(() => plainJsonText({ a: [1, { b: Number.NaN }] }, 'msg.msgParam'));
    assert.deepEqual([nan.code, nan.property], ['notFinite', 'msg.msgParam.a.1.b']);
    assert.match(nan.message, /^msg\.msgParam\.a\.1\.b is NaN, which cannot be sent: JSON has no NaN or Infinity\. Check /);
    assert.equal(refusal(() => plainJsonText({ x: Number.NEGATIVE_INFINITY }, 'msg.payload')).property, 'msg.payload.x');
    const big = refusal(() => plainJsonText({ id: 12345678901234567890n }, 'msg.msgParam'));
    assert.deepEqual([big.code, big.property], ['bigint', 'msg.msgParam.id']);
    assert.match(big.message, /is a BigInt, which JSON cannot carry: convert msg\.msgParam to plain JSON first/);
    const cycle = refusal(() => plainJsonText(circular(), 'msg.msgParam'));
    assert.deepEqual([cycle.code, cycle.property], ['circular', 'msg.msgParam.inner.list.1']);
    assert.match(cycle.message, /circular reference .*: convert msg\.msgParam to plain JSON first/);
    const self: Record<string, unknown> = {};
    self['me'] = self;
    assert.equal(refusal(() => plainJsonText(self, 'msg.payload')).property, 'msg.payload.me');
    // The same object twice is not a cycle.
    const shared = { s: 1 };
    assert.equal(plainJsonText({ a: shared, b: [shared] }, 'msg.payload'), '{"a":{"s":1},"b":[{"s":1}]}');
  });

  it('turns a throwing toJSON or getter into a clear error, whatever was thrown', () => {
    for (const hostile of [
      throwingToJson(),
      {
        get g(): never {
          throw new Error('secret-looking detail');
        },
      },
      {
        a: new Proxy(
          {},
          {
            ownKeys: () => {
              throw Object.create(null);
            },
          },
        ),
      },
      {
        a: {
          toJSON: () => {
            throw new Proxy(
              {},
              {
                getPrototypeOf: () => {
                  throw new Error('x');
                },
              },
            );
          },
        },
      },
    ]) {
      const r = refusal(() => plainJsonText(hostile, 'msg.msgParam'));
      assert.equal(r.code, 'unreadable');
      assert.equal(r.property, 'msg.msgParam');
      assert.match(r.message, /toJSON\(\) method, getter or proxy in it threw\. Convert it to plain JSON first/);
      assert.ok(!r.message.includes('secret-looking'), 'what was thrown is not echoed');
    }
  });

  it(`refuses nesting past ${JSON_MAX_DEPTH} levels without overflowing the stack, even 20,000 deep`, () => {
    assert.doesNotThrow(() => plainJsonText(nested(JSON_MAX_DEPTH), 'msg.payload'));
    const deep = refusal(() => plainJsonText(nested(JSON_MAX_DEPTH + 1), 'msg.payload'));
    assert.deepEqual([deep.code, deep.property], ['tooDeep', 'msg.payload']);
    assert.equal(refusal(() => plainJsonText(nested(20_000), 'msg.payload')).code, 'tooDeep');
    let arrays: unknown = [];
    for (let i = 0; i < 20_000; i++) arrays = [arrays];
    assert.equal(refusal(() => plainJsonText(arrays, 'msg.payload')).code, 'tooDeep');
  });

  it('escapes hostile keys in the path it shows, and shortens long paths', () => {
    const r = refusal(() => plainJsonText({ ['\u202Eevil\nkey']: { k: Number.NaN } }, 'msg.payload'));
    assert.equal(r.property, 'msg.payload["\\u202eevil\\nkey"].k');
    const long = refusal(() => plainJsonText(nested(20, Number.NaN), 'msg.payload'));
    assert.equal(long.property, 'msg.payload.a.a.a….a.a.a');
  });

  it('every action-node input function refuses them with a MsgInputError naming the msg property', () => {
    const cases: Array<[string, () => unknown, string, string]> = [
      ['text NaN (reply)', () => buildWebhookMessage('text', Number.NaN, {}), 'notFinite', 'msg.payload'],
      ['text Infinity (send)', () => buildRobotApiMessage('auto', Number.POSITIVE_INFINITY, {}), 'notFinite', 'msg.payload'],
      ['raw circular', () => buildWebhookMessage('raw', { msgtype: 'text', text: circular() }, {}), 'circular', 'msg.payload.text.inner.list.1'],
      [
        'action card extra BigInt',
        () => buildWebhookMessage('actionCard', { title: 't', text: 'x', singleTitle: 'a', singleURL: 'https://a', n: 1n }, {}),
        'bigint',
        'msg.payload.n',
      ],
      ['markdown throwing toJSON', () => buildRobotApiMessage('markdown', { title: 't', ...throwingToJson() }, {}), 'unreadable', 'msg.payload'],
      ['msgParam circular', () => msgParamFrom(circular(), 'msg.msgParam'), 'circular', 'msg.msgParam.inner.list.1'],
      ['msgParam BigInt', () => sendMessage(SEND, { msgKey: 'sampleText', msgParam: { content: 10n } }), 'bigint', 'msg.msgParam.content'],
      ['msgParam NaN', () => sendMessage(SEND, { msgKey: 'sampleText', msgParam: { content: Number.NaN } }), 'notFinite', 'msg.msgParam.content'],
      ['msgParam toJSON', () => sendMessage(SEND, { msgKey: 'sampleText', msgParam: throwingToJson() }), 'unreadable', 'msg.msgParam'],
      [
        'msgParam JSON text 20,000 deep',
        () => msgParamFrom(`{"a":${'['.repeat(20_000)}${']'.repeat(20_000)}}`, 'msg.msgParam'),
        'tooDeep',
        'msg.msgParam',
      ],
      ['payload.msgParam deep', () => buildRobotApiMessage('auto', { msgKey: 'sampleText', msgParam: nested(20_000) }, {}), 'tooDeep', 'msg.payload'],
      ['card data NaN', () => cardParamMap({ score: Number.NaN }), 'notFinite', 'msg.payload.score'],
      ['card data circular', () => cardParamMap(circular()), 'circular', 'msg.payload.inner.list.1'],
      ['card data BigInt', () => cardParamMap({ id: 1n }), 'bigint', 'msg.payload.id'],
      ['card data toJSON', () => cardParamMap(throwingToJson()), 'unreadable', 'msg.payload'],
      ['card data deep', () => cardParamMap(nested(20_000)), 'tooDeep', 'msg.payload'],
      ['stream chunk NaN', () => streamChunk({ payload: Number.NaN }), 'notFinite', 'msg.payload'],
      ['userIds NaN', () => sendTarget(SEND, { userIds: ['u1', Number.NaN] }), 'notFinite', 'msg.userIds[1]'],
      // biome-ignore lint/correctness/noPrecisionLoss: the lost digits are the point of this case.
      ['userIds past 2^53', () => idList([12345678901234567890]), 'invalidProperty', 'msg.userIds[0]'],
      ['msgKey bidi', () => sendMessage(SEND, { msgKey: 'sample\u202EText' }), 'invisibleCharacter', 'msg.msgKey'],
      [
        'webhook bidi',
        () => replyContext({ sessionWebhook: 'https://oapi.dingtalk.com/robot/send\u202EBySession' }),
        'invisibleCharacter',
        'msg.dingtalk.sessionWebhook',
      ],
      [
        'dingtalk getter',
        () =>
          replyContext({
            get sessionWebhook(): never {
              throw Object.create(null);
            },
          }),
        'unreadable',
        'msg.dingtalk',
      ],
      ['downloadCode NaN', () => fileRequest({ downloadCode: Number.NaN }, 'r'), 'invalidProperty', 'msg.downloadCode'],
      ['downloadCode bidi', () => fileRequest({ downloadCode: 'code\u2066x' }, 'r'), 'invisibleCharacter', 'msg.downloadCode'],
    ];
    for (const [what, fn, code, property] of cases) {
      const r = refusal(fn);
      assert.deepEqual([r.code, r.property], [code, property], `${what}: ${r.message}`);
      assert.ok(r.message.startsWith(property), `${what}: ${r.message}`);
    }
    assert.throws(
      () => checkPlain('cid\u200Eabc', 'msg.openConversationId'),
      /msg\.openConversationId contains an invisible control character \(U\+200E at character 4\)\. Ids, codes and URLs are plain text: remove it/,
    );
  });

  it('copies plain data unchanged, and leaves non-objects to the caller', () => {
    const value = { a: 1, b: 'x', c: [true, null, { d: 2.5 }], e: undefined, f: () => 1, g: new Date(0) };
    assert.deepEqual(plainCopy(value, 'msg.payload'), { a: 1, b: 'x', c: [true, null, { d: 2.5 }], g: '1970-01-01T00:00:00.000Z' });
    const buf = Buffer.from('x');
    assert.equal(plainCopy(buf, 'msg.payload'), buf);
    assert.equal(plainCopy('s', 'msg.payload'), 's');
    assert.ok(Number.isNaN(plainCopy(Number.NaN, 'msg.payload') as number), "numbers are the caller's to check");
  });
});
