import assert from 'node:assert/strict';
import { DingTalkError } from '../../src/api/errors';
import {
  actionCardMessage,
  linkMessage,
  markdownMessage,
  sampleActionCard,
  sampleActionCardButtons,
  sampleMarkdown,
  sampleText,
  textMessage,
} from '../../src/api/messages';
import {
  CardParamMapSchema,
  CreateAndDeliverCardInputSchema,
  parseInput,
  SendToUsersInputSchema,
  UpdateCardInputSchema,
  WebhookMessageSchema,
} from '../../src/api/schemas';
import { downloadRefusal, redirectRefusal, webhookRefusal } from '../../src/api/url-policy';

function invalid(fn: () => unknown): DingTalkError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DingTalkError);
    return err;
  }
  assert.fail('expected a DingTalkError');
}

describe('api/inputs: validation and message builders', () => {
  it('names the bad field and sends nothing', () => {
    const err = invalid(() =>
      parseInput(SendToUsersInputSchema, { robotCode: 'r', userIds: [], msgKey: 'sampleText', msgParam: {} }, 'sendToUsers', '/p'),
    );
    assert.equal(err.code, 'InvalidInput');
    assert.equal(err.status, 0);
    assert.match(err.message, /sendToUsers: invalid input — userIds: needs at least one user id/);
    const missing = invalid(() => parseInput(SendToUsersInputSchema, { userIds: ['u'], msgKey: 'k', msgParam: {} }, 'sendToUsers', '/p'));
    assert.match(missing.message, /robotCode/);
  });

  it('turns a msgParam object into a JSON string and checks a string is a JSON object', () => {
    const ok = parseInput(SendToUsersInputSchema, { robotCode: 'r', userIds: ['u'], ...sampleText('hi') }, 'x', '/p');
    assert.equal(ok.msgParam, '{"content":"hi"}');
    const bad = invalid(() => parseInput(SendToUsersInputSchema, { robotCode: 'r', userIds: ['u'], msgKey: 'k', msgParam: '[1]' }, 'x', '/p'));
    assert.match(bad.message, /msgParam/);
  });

  it('coerces cardParamMap values to strings', () => {
    const map = CardParamMapSchema.parse({ a: 'x', n: 3, b: false, o: { k: 1 }, z: null });
    assert.deepEqual(map, { a: 'x', n: '3', b: 'false', o: '{"k":1}', z: '' });
  });

  it('asks for exactly one card target and some data to update', () => {
    const base = { cardTemplateId: 't.schema', robotCode: 'r' };
    assert.match(
      invalid(() => parseInput(CreateAndDeliverCardInputSchema, base, 'createAndDeliverCard', '/p')).message,
      /exactly one of conversationId/,
    );
    assert.match(
      invalid(() => parseInput(CreateAndDeliverCardInputSchema, { ...base, conversationId: 'c', userId: 'u' }, 'x', '/p')).message,
      /exactly one/,
    );
    const parsed = parseInput(CreateAndDeliverCardInputSchema, { ...base, userId: 'u' }, 'x', '/p');
    assert.equal(parsed.callbackType, 'STREAM');
    assert.match(invalid(() => parseInput(UpdateCardInputSchema, { outTrackId: 'o' }, 'updateCard', '/p')).message, /cardData or privateData/);
    assert.match(invalid(() => parseInput(UpdateCardInputSchema, { outTrackId: 'x'.repeat(65), cardData: {} }, 'u', '/p')).message, /outTrackId/);
  });

  it('builds webhook bodies that pass validation, adding missing @mentions to the text', () => {
    const text = textMessage('hello', { atUserIds: ['u1'] });
    assert.deepEqual(text, { msgtype: 'text', text: { content: 'hello @u1' }, at: { atUserIds: ['u1'] } });
    assert.deepEqual(textMessage('hi @u1', { atUserIds: ['u1'] }).text, { content: 'hi @u1' });
    for (const body of [
      text,
      markdownMessage('t', '### x'),
      actionCardMessage({ title: 't', text: 'x', singleTitle: 'go', singleURL: 'https://e.example' }),
      actionCardMessage({
        title: 't',
        text: 'x',
        buttons: [
          { title: 'a', actionURL: 'https://a' },
          { title: 'b', actionURL: 'https://b' },
        ],
      }),
      linkMessage({ title: 't', text: 'x', messageUrl: 'https://e.example' }),
    ]) {
      assert.equal(WebhookMessageSchema.safeParse(body).success, true, JSON.stringify(body));
    }
    assert.equal(WebhookMessageSchema.safeParse({ msgtype: 'actionCard', actionCard: { title: 't', text: 'x' } }).success, false);
    assert.equal(WebhookMessageSchema.safeParse({ msgtype: 'image' }).success, false);
  });

  it('builds msgKey/msgParam pairs', () => {
    assert.deepEqual(sampleMarkdown('T', 'x'), { msgKey: 'sampleMarkdown', msgParam: { title: 'T', text: 'x' } });
    assert.equal(sampleActionCard({ title: 't', text: 'x', singleTitle: 's', singleURL: 'u' }).msgKey, 'sampleActionCard');
    const three = sampleActionCardButtons(
      't',
      'x',
      [1, 2, 3].map((i) => ({ title: `b${i}`, actionURL: `u${i}` })),
    );
    assert.equal(three.msgKey, 'sampleActionCard3');
    assert.equal(three.msgParam['actionURL3'], 'u3');
    const side = sampleActionCardButtons(
      't',
      'x',
      [
        { title: 'a', actionURL: 'ua' },
        { title: 'b', actionURL: 'ub' },
      ],
      true,
    );
    assert.deepEqual(side.msgParam, { title: 't', text: 'x', buttonTitle1: 'a', buttonUrl1: 'ua', buttonTitle2: 'b', buttonUrl2: 'ub' });
    assert.throws(() => sampleActionCardButtons('t', 'x', [{ title: 'a', actionURL: 'u' }]), RangeError);
  });
});

describe('api/url-policy', () => {
  const policy = { apiOrigin: 'http://127.0.0.1:5555', allowedHosts: ['hooks.example.com', 'http://10.1.2.3:8080'] };

  it('allows DingTalk https hosts, the API base origin and configured hosts', () => {
    assert.equal(webhookRefusal('https://oapi.dingtalk.com/robot/sendBySession?session=x', policy), undefined);
    assert.equal(webhookRefusal('http://127.0.0.1:5555/robot/sendBySession?session=x', policy), undefined);
    assert.equal(webhookRefusal('https://hooks.example.com/x', policy), undefined);
    assert.equal(webhookRefusal('http://10.1.2.3:8080/x', policy), undefined);
  });

  it('refuses other hosts, plain http to DingTalk, look-alike hosts and credentials', () => {
    assert.match(webhookRefusal('https://evil.example/robot?session=x', policy) ?? '', /refusing to post to evil\.example/);
    assert.match(webhookRefusal('https://dingtalk.com.evil.example/', policy) ?? '', /refusing/);
    assert.match(webhookRefusal('https://evil.example/.dingtalk.com', policy) ?? '', /refusing/);
    assert.match(webhookRefusal('http://oapi.dingtalk.com/robot', policy) ?? '', /only https/);
    assert.match(webhookRefusal('http://hooks.example.com/x', policy) ?? '', /only https/);
    assert.match(webhookRefusal('http://127.0.0.1:6666/x', policy) ?? '', /only https/);
    assert.match(webhookRefusal('https://u:p@oapi.dingtalk.com/', policy) ?? '', /user name or password/);
    assert.match(webhookRefusal('nonsense', policy) ?? '', /not a valid URL/);
    assert.doesNotMatch(webhookRefusal('https://evil.example/robot?session=topsecret', policy) ?? '', /topsecret/);
  });

  it('fetches downloads over http(s) only', () => {
    assert.equal(downloadRefusal('https://oss.example/x?sig=1'), undefined);
    assert.match(downloadRefusal('file:///etc/passwd') ?? '', /only http\(s\)/);
    assert.match(downloadRefusal('ftp://x/y') ?? '', /only http\(s\)/);
  });

  it('follows download redirects only within the origin DingTalk named, to the API base or to its file storage over https', () => {
    const from = (first: string) => ({ first, from: first, apiOrigin: 'http://127.0.0.1:3000' });
    const sim = from('http://127.0.0.1:3000/sim/files/a.file');
    assert.equal(redirectRefusal('http://127.0.0.1:3000/sim/files/b.file', sim), undefined);
    assert.match(redirectRefusal('http://127.0.0.1:3001/latest/meta-data/', sim) ?? '', /redirect to 127\.0\.0\.1:3001/);
    assert.match(redirectRefusal('http://169.254.169.254/latest/meta-data/', sim) ?? '', /redirect to 169\.254\.169\.254/);
    assert.match(redirectRefusal('https://127.0.0.1:3443/x', sim) ?? '', /refusing/, 'an https port of the same loopback host is another service');
    const down = from('https://down.dingtalk.com/ddmedia/x?sig=1');
    assert.equal(redirectRefusal('https://static.dingtalk.com/x', down), undefined);
    assert.equal(redirectRefusal('https://bucket.oss-cn-hangzhou.aliyuncs.com/x?Signature=s', down), undefined);
    assert.match(redirectRefusal('http://bucket.oss-cn-hangzhou.aliyuncs.com/x', down) ?? '', /from https to http/);
    assert.match(redirectRefusal('https://aliyuncs.com.evil.example/x', down) ?? '', /refusing/);
    assert.match(redirectRefusal('https://evil.example/x?sig=topsecret', down) ?? '', /redirect to evil\.example/);
    assert.doesNotMatch(redirectRefusal('https://evil.example/x?sig=topsecret', down) ?? '', /topsecret/);
    assert.equal(redirectRefusal('https://files.example/x', from('http://files.example/x')), undefined, 'an upgrade of the same host to https');
    assert.match(redirectRefusal('gopher://x/', down) ?? '', /only http\(s\)/);
  });
});
