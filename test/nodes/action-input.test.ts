import assert from 'node:assert/strict';
import { chooseReplyRoute, replyContext } from '../../src/msg/reply-input';
import { cardParamMap, cardTarget, streamChunk } from '../../src/msg/card-input';
import { outputFileName } from '../../src/msg/file-input';
import { safeFileName } from '../../src/msg/file-name';
import { sendTarget, type SendNodeOptions } from '../../src/msg/send-input';
import { MsgInputError, idList } from '../../src/msg/input-error';
import { INPUT_LIMITS } from '../../src/msg/limits';
import { fileRequest } from '../../src/msg/file-input';
import { actionCardToRobotApi, buildRobotApiMessage, buildWebhookMessage, msgParamFrom, webhookToRobotApi } from '../../src/msg/outbound-message';

/** msg -> typed request mapping of the action nodes, without Node-RED. */
describe('action node msg input', () => {
  it('maps action cards to the robot API template that fits their buttons', () => {
    assert.equal(actionCardToRobotApi({ title: 't', text: 'x', singleTitle: 'Go', singleURL: 'https://g' }).msgKey, 'sampleActionCard');
    assert.equal(actionCardToRobotApi({ title: 't', text: 'x', btns: [{ title: 'A', actionURL: 'https://a' }] }).msgKey, 'sampleActionCard');
    const two = [
      { title: 'A', actionURL: 'https://a' },
      { title: 'B', actionURL: 'https://b' },
    ];
    assert.equal(actionCardToRobotApi({ title: 't', text: 'x', btns: two, btnOrientation: '1' }).msgKey, 'sampleActionCard6');
    assert.equal(actionCardToRobotApi({ title: 't', text: 'x', btns: two, btnOrientation: '0' }).msgKey, 'sampleActionCard2');
  });

  it('turns webhook bodies into robot API messages, and refuses what the API cannot send', () => {
    assert.deepEqual(webhookToRobotApi({ msgtype: 'link', link: { title: 'T', text: 'x', messageUrl: 'https://m' } }), {
      msgKey: 'sampleLink',
      msgParam: { title: 'T', text: 'x', messageUrl: 'https://m', picUrl: '' },
    });
    assert.throws(
      () => webhookToRobotApi({ msgtype: 'feedCard', feedCard: {} }),
      (e: unknown) => e instanceof MsgInputError && /feedCard/.test(e.message),
    );
  });

  it('builds markdown titles from the first line and explains a bad payload by its path', () => {
    assert.deepEqual(buildWebhookMessage('markdown', '## Build **ok**\nmore', {}), {
      msgtype: 'markdown',
      markdown: { title: 'Build **ok**', text: '## Build **ok**\nmore' },
    });
    assert.throws(
      () => buildWebhookMessage('markdown', { title: 'T' }, {}),
      (e: unknown) => e instanceof MsgInputError && e.property === 'msg.payload.text' && /expected/i.test(e.message),
    );
    assert.deepEqual(buildRobotApiMessage('auto', { msgKey: 'sampleText', msgParam: '{"content":"x"}' }, {}), {
      msgKey: 'sampleText',
      msgParam: { content: 'x' },
    });
    assert.throws(() => msgParamFrom('{not json', 'msg.msgParam'), /msg\.msgParam is a string but not JSON/);
  });

  it('reads user ids from arrays and comma strings, and picks the send target', () => {
    assert.deepEqual(idList(' a, b，c ;d '), ['a', 'b', 'c', 'd']);
    assert.deepEqual(idList([1, 'x']), ['1', 'x']);
    assert.equal(idList({}), undefined);
    const opts: SendNodeOptions = { target: '', userIds: '', openConversationId: '', msgType: 'auto', msgKey: '', msgParam: '', title: '' };
    assert.deepEqual(sendTarget(opts, { userIds: 'u1', openConversationId: 'cid1' }), { to: 'users', userIds: ['u1'] });
    assert.deepEqual(sendTarget(opts, { openConversationId: 'cid1' }), { to: 'group', openConversationId: 'cid1' });
    assert.deepEqual(sendTarget({ ...opts, target: 'group', openConversationId: 'cidNode' }, { openConversationId: 'cidMsg' }), {
      to: 'group',
      openConversationId: 'cidNode',
    });
  });

  it('chooses the reply route by webhook expiry and conversation type', () => {
    const ctx = replyContext({
      sessionWebhook: 'https://oapi.dingtalk.com/robot/sendBySession?session=x',
      sessionWebhookExpiredTime: 1000,
      conversationType: '1',
      senderStaffId: 's1',
      conversationId: 'cid1',
    });
    assert.deepEqual(chooseReplyRoute(ctx, 999, false), { via: 'webhook', sessionWebhook: ctx.sessionWebhook });
    assert.throws(() => chooseReplyRoute(ctx, 1000, false), /expired at 1970-01-01T00:00:01.000Z/);
    assert.deepEqual(chooseReplyRoute(ctx, 1000, true), { via: 'users', userIds: ['s1'] });
    assert.deepEqual(chooseReplyRoute({ ...ctx, conversationType: '2' }, 1000, true), { via: 'group', openConversationId: 'cid1' });
    assert.throws(() => replyContext('not an object'), /msg\.dingtalk is missing/);
  });

  it('turns card data into strings and finds the card target', () => {
    assert.deepEqual(cardParamMap({ a: 1, b: null, c: { d: true }, e: 's' }), { a: '1', b: '', c: '{"d":true}', e: 's' });
    assert.throws(() => cardParamMap(['x']), /msg\.payload/);
    const opts = { operation: '' as const, cardTemplateId: '', target: '' as const, userId: '', openConversationId: '' };
    assert.deepEqual(cardTarget(opts, { dingtalk: { conversationType: '2', conversationId: 'cidG' } }), {
      space: 'group',
      openConversationId: 'cidG',
    });
    assert.deepEqual(cardTarget(opts, { userId: 'u1', dingtalk: { conversationType: '2', conversationId: 'cidG' } }), {
      space: 'user',
      userId: 'u1',
    });
    assert.throws(() => cardTarget(opts, {}), /No one to deliver the card to/);
    assert.deepEqual(streamChunk({ payload: 'x', complete: true }), { kind: 'finish', text: 'x' });
    assert.deepEqual(streamChunk({ payload: 'x', isError: true, complete: true }), { kind: 'fail', text: 'x' });
    assert.throws(() => streamChunk({ payload: { token: 'x' } }), /string chunk/);
  });

  it('takes input exactly at each size limit and refuses one more, with a code per unit', () => {
    const L = INPUT_LIMITS;
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
        return undefined;
      } catch (e) {
        return e instanceof MsgInputError ? e.code : String(e);
      }
    };
    assert.equal(
      code(() => buildWebhookMessage('text', 'x'.repeat(L.textChars), {})),
      undefined,
    );
    assert.equal(
      code(() => buildWebhookMessage('text', 'x'.repeat(L.textChars + 1), {})),
      'tooLong',
    );
    assert.equal(
      code(() => buildWebhookMessage('markdown', 'ok', { title: 't'.repeat(L.titleChars) })),
      undefined,
    );
    assert.equal(
      code(() => buildWebhookMessage('markdown', 'ok', { title: 't'.repeat(L.titleChars + 1) })),
      'tooLong',
    );
    const keys = (n: number): Record<string, string> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
    assert.equal(
      code(() => cardParamMap(keys(L.cardParamKeys))),
      undefined,
    );
    assert.equal(
      code(() => cardParamMap(keys(L.cardParamKeys + 1))),
      'tooMany',
    );
    assert.equal(
      code(() => streamChunk({ payload: 'x'.repeat(L.streamChunkBytes) })),
      undefined,
    );
    // Bytes, not characters: 3 bytes per Chinese character in UTF-8.
    assert.equal(
      code(() => streamChunk({ payload: '长'.repeat(Math.floor(L.streamChunkBytes / 3) + 1) })),
      'tooLarge',
    );
    // DingTalk's 15,000 bytes for the msgParam JSON string: {"content":"…"} adds 14.
    assert.equal(
      code(() => msgParamFrom({ content: 'x'.repeat(L.msgParamBytes - 14) }, 'msg.msgParam')),
      undefined,
    );
    assert.equal(
      code(() => msgParamFrom({ content: 'x'.repeat(L.msgParamBytes - 13) }, 'msg.msgParam')),
      'msgParamTooLarge',
    );
    const opts: SendNodeOptions = { target: '', userIds: '', openConversationId: '', msgType: 'auto', msgKey: '', msgParam: '', title: '' };
    const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `u${i}`);
    assert.equal(
      code(() => sendTarget(opts, { userIds: ids(L.userIds) })),
      undefined,
    );
    assert.equal(
      code(() => sendTarget(opts, { userIds: ids(L.userIds + 1) })),
      'tooMany',
    );
    assert.equal(
      code(() => sendTarget({ ...opts, target: 'users', userIds: ids(L.userIds + 1).join(',') }, {})),
      'tooMany',
    );
    assert.equal(
      code(() => fileRequest({ downloadCode: 'c'.repeat(L.downloadCodeBytes) }, 'r')),
      undefined,
    );
    assert.equal(
      code(() => fileRequest({ downloadCode: 'c'.repeat(L.downloadCodeBytes + 1) }, 'r')),
      'tooLarge',
    );
    // The existing button maximum reads as a size error too.
    const btns = Array.from({ length: 6 }, (_, i) => ({ title: `b${i}`, actionURL: 'https://a' }));
    assert.throws(
      () => buildWebhookMessage('actionCard', { title: 't', text: 'x', btns }, {}),
      /msg\.payload\.btns has too many entries: 6, the limit is 5/,
    );
  });

  it('makes any name a single safe path segment', () => {
    for (const [input, expected] of [
      ['../../etc/passwd', 'passwd'],
      ['C:\\Windows\\evil.dll', 'evil.dll'],
      ['..', 'file'],
      ['', 'file'],
      ['...', 'file'],
      ['  .env  ', 'env'],
      ['a\u0000b\u001fc.txt', 'a_b_c.txt'],
      ['报告.xlsx', '报告.xlsx'],
    ] as const) {
      assert.equal(safeFileName(input), expected, JSON.stringify(input));
    }
    assert.ok(Buffer.byteLength(safeFileName(`${'长'.repeat(300)}.pdf`)) <= 400);
    assert.match(safeFileName(`${'长'.repeat(300)}.pdf`), /\.pdf$/);
    assert.equal(outputFileName({ downloadCode: 'code/+=1', robotCode: 'r' }, 'audio/amr'), 'code1.amr');
    assert.equal(outputFileName({ downloadCode: 'c', robotCode: 'r', fileName: '../x.pdf' }, 'application/pdf'), 'x.pdf');
  });
});
