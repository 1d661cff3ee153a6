import assert from 'node:assert/strict';
import { cardActionPayload, parseCardAnswer } from '../../src/msg/inbound-card';
import { pickSecret, resolveEnvReference } from '../../src/app-config/credentials';
import { scrubSecrets } from '../../src/api/errors';
import { compileRobotFilter, downloadCodeOf, messageText } from '../../src/msg/inbound-robot';
import { shortReason, statusForStreamState } from '../../nodes/shared/status';
import type { RobotMessage } from '../../src/stream/frames';

function robot(overrides: Partial<RobotMessage> & Record<string, unknown>): RobotMessage {
  return { msgtype: 'text', msgId: 'm1', conversationId: 'cid1', conversationType: '1', ...overrides } as RobotMessage;
}

describe('trigger node shapes (no runtime)', () => {
  describe('robot message text', () => {
    it('keeps a leading @word in a single chat: only group mentions are stripped', () => {
      assert.equal(messageText(robot({ text: { content: ' @home is where ' } })), '@home is where');
      assert.equal(messageText(robot({ conversationType: '2', isInAtList: true, text: { content: '@Bot  hi' } })), 'hi');
      const bot = { chatbotUserId: '$:bot', atUsers: [{ dingtalkId: '$:bot' }] };
      assert.equal(messageText(robot({ ...bot, conversationType: '2', isInAtList: true, text: { content: '@Bot hi' } })), 'hi');
    });

    it('keeps a leading @name when other users are mentioned too: it may be theirs', () => {
      const message = robot({
        conversationType: '2',
        isInAtList: true,
        chatbotUserId: '$:bot',
        atUsers: [{ dingtalkId: '$:bot' }, { dingtalkId: '$:alice', staffId: 'alice01' }],
        text: { content: ' @Alice please check' },
      });
      assert.equal(messageText(message), '@Alice please check');
    });

    it('joins the text parts of rich text and reads the recognition of audio', () => {
      const rich = robot({
        msgtype: 'richText',
        content: { richText: [{ text: 'look ' }, { type: 'picture', downloadCode: 'dc1' }, { text: 'here' }] },
      });
      assert.equal(messageText(rich), 'look here');
      assert.equal(downloadCodeOf(rich), 'dc1');
      assert.equal(messageText(robot({ msgtype: 'audio', content: { downloadCode: 'dc2', recognition: '你好' } })), '你好');
    });

    it('tolerates a text message without text (over quota)', () => {
      assert.equal(messageText(robot({})), undefined);
      const filter = compileRobotFilter({ chat: 'both', msgtypes: [], keyword: 'x', keywordMode: 'contains' });
      assert.ok(filter.ok && !filter.matches(robot({}), undefined));
    });

    it('reports an invalid regular expression instead of throwing', () => {
      const filter = compileRobotFilter({ chat: 'both', msgtypes: [], keyword: '(', keywordMode: 'regex' });
      assert.equal(filter.ok, false);
      assert.ok(!filter.ok && filter.pattern === '(' && filter.reason.length > 0);
    });
  });

  describe('card answers', () => {
    it('turns a flat object into cardParamMap (numbers and booleans as strings), merged by key', () => {
      const parsed = parseCardAnswer({ status: 'done', count: 3, ok: true });
      assert.ok(parsed.ok);
      assert.deepEqual(parsed.ok && parsed.answer, {
        cardData: { cardParamMap: { status: 'done', count: '3', ok: 'true' } },
        cardUpdateOptions: { updateCardDataByKey: true, updatePrivateDataByKey: true },
      });
    });

    it('keeps explicit update options of a full answer', () => {
      const parsed = parseCardAnswer({ cardData: { cardParamMap: { a: '1' } }, cardUpdateOptions: { updateCardDataByKey: false } });
      assert.ok(parsed.ok && parsed.answer.cardUpdateOptions?.updateCardDataByKey === false);
      assert.ok(parsed.ok && parsed.answer.cardUpdateOptions?.updatePrivateDataByKey === true);
    });

    it('names the offending property', () => {
      const nested = parseCardAnswer({ cardData: { cardParamMap: { a: 1 } } });
      assert.ok(!nested.ok && /msg\.payload\.cardData\.cardParamMap\.a/.test(nested.reason));
      const notObject = parseCardAnswer('done');
      assert.ok(!notObject.ok && /expected an object, got string/.test(notObject.reason));
    });

    it('reads the action from `value` when `content` is missing or broken', () => {
      const value = JSON.stringify({ cardPrivateData: { actionIds: ['b1'], params: { k: 'v' } } });
      const payload = cardActionPayload({ outTrackId: 'o1', content: '{broken', value });
      assert.deepEqual([payload.actionIds, payload.params], [['b1'], { k: 'v' }]);
    });
  });

  describe('credentials for the Test-connection button', () => {
    it('resolves a whole-value ${ENV} reference like Node-RED does', () => {
      assert.equal(resolveEnvReference('${A_B}', { A_B: 'x' }), 'x');
      assert.equal(resolveEnvReference('pre-${A_B}', { A_B: 'x' }), 'pre-${A_B}');
      assert.equal(resolveEnvReference('${MISSING}', {}), '');
    });

    it('takes the saved secret for the unchanged-password placeholder', () => {
      assert.equal(pickSecret('__PWRD__', 'saved'), 'saved');
      assert.equal(pickSecret('', 'saved'), 'saved');
      assert.equal(pickSecret('typed', 'saved'), 'typed');
    });

    it('redacts secrets from texts', () => {
      assert.equal(scrubSecrets('bad secret s3cr3t here', ['s3cr3t']), 'bad secret *** here');
    });
  });

  describe('status', () => {
    const t = (key: string, subs?: Record<string, string>): string => `${key}${subs ? JSON.stringify(subs) : ''}`;

    it('shows DingTalk code and HTTP status of an auth failure, not the long explanation', () => {
      const error = Object.assign(new Error('DingTalk gateway answered HTTP 401 (authFailed): long advice...'), { status: 401, code: 'authFailed' });
      assert.equal(shortReason(error), 'authFailed, HTTP 401');
      const status = statusForStreamState({ state: 'auth-failed', error }, t);
      assert.equal(status.fill, 'red');
      assert.match(String(status.text), /authFailed, HTTP 401/);
    });

    it('maps every state to one colour', () => {
      assert.equal(statusForStreamState({ state: 'connected' }, t).fill, 'green');
      assert.equal(statusForStreamState({ state: 'connecting' }, t).fill, 'yellow');
      assert.equal(statusForStreamState({ state: 'reconnecting', error: new Error('socket closed') }, t).fill, 'yellow');
      assert.deepEqual(statusForStreamState({ state: 'closed' }, t), {});
    });
  });
});
