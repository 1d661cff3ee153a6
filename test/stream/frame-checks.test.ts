import assert from 'node:assert/strict';
import { InboundFrameCheck, RobotMessageCheck, isValid } from '../../src/stream/frames';

/**
 * The hot-path checks are `z.compile`d and asked through `validate` (ADR 0008): they must accept and reject exactly
 * what zod's parse does, for valid frames and for every field broken in every way a hostile frame could.
 */
const envelope = (): Record<string, unknown> => ({
  specVersion: '1.0',
  type: 'CALLBACK',
  headers: { topic: '/v1.0/im/bot/messages/get', messageId: 'm1', appId: 'a', eventType: 'x', eventId: 'y' },
  data: '{}',
});
const robot = (): Record<string, unknown> => ({
  msgtype: 'text',
  msgId: 'msg1',
  conversationId: 'cid',
  conversationType: '2',
  senderNick: 'someone',
  text: { content: 'hi', extra: 1 },
  content: { richText: [] },
  atUsers: [
    { dingtalkId: 'd', staffId: 's' },
    { unionId: 'u', other: 2 },
  ],
});

const BAD_VALUES: unknown[] = [undefined, null, 0, 1.5, '', 'x', true, [], [1], {}, { content: 1 }, [{ dingtalkId: 1 }]];

function variants(base: () => Record<string, unknown>, nested: string[]): unknown[] {
  const out: unknown[] = [base(), null, 'frame', [], 42];
  const keys = [...Object.keys(base()), 'missing'];
  for (const key of keys) {
    const without = base();
    delete without[key];
    out.push(without);
    for (const value of BAD_VALUES) out.push({ ...base(), [key]: value });
  }
  for (const key of nested) {
    const inner = base()[key] as Record<string, unknown>;
    for (const innerKey of [...Object.keys(inner), 'topic', 'messageId', 'content']) {
      for (const value of BAD_VALUES) out.push({ ...base(), [key]: { ...inner, [innerKey]: value } });
    }
  }
  return out;
}

describe('stream: hot-path frame checks', () => {
  it('the envelope check answers as zod parse does', () => {
    let accepted = 0;
    for (const value of variants(envelope, ['headers'])) {
      const ok = isValid(InboundFrameCheck, value);
      assert.equal(ok, InboundFrameCheck.safeParse(value).success, JSON.stringify(value));
      if (ok) accepted += 1;
    }
    assert.ok(accepted > 1, 'some variants are valid');
  });

  it('the robot-message check answers as zod parse does', () => {
    let accepted = 0;
    const all = variants(robot, ['text', 'content']);
    for (const users of BAD_VALUES) all.push({ ...robot(), atUsers: [users] });
    for (const value of all) {
      const ok = isValid(RobotMessageCheck, value);
      assert.equal(ok, RobotMessageCheck.safeParse(value).success, JSON.stringify(value));
      if (ok) accepted += 1;
    }
    assert.ok(accepted > 1, 'some variants are valid');
  });

  it('rejects an empty messageId and an empty msgId', () => {
    const frame = envelope();
    (frame['headers'] as Record<string, unknown>)['messageId'] = '';
    assert.equal(isValid(InboundFrameCheck, frame), false);
    assert.equal(isValid(RobotMessageCheck, { ...robot(), msgId: '' }), false);
  });
});
