import assert from 'node:assert/strict';
import { AckFrameSchema, ackFrame } from '../../src/stream/frames';
import { EMPTY_CALLBACK_ACK_DATA, ROBOT_ACK_DATA, callbackAckData, encodeAck, encodeRobotAck, eventAckData } from '../../src/stream/acks';

describe('stream: ack encoding', () => {
  it('writes the same text as JSON.stringify(ackFrame()), for awkward ids and data too', () => {
    const cases: Array<[string, string, number, string]> = [
      ['0a1b2c3d_1_18a0000000_1', '{"opaque":"5f3e"}', 200, 'OK'],
      ['id "with" quotes\\ and \u2028 unicode 钉钉', '{"response":null}', 404, 'no handler'],
      ['x', '', 500, 'error'],
    ];
    for (const [id, data, code, message] of cases) {
      const text = encodeAck(id, data, code, message);
      assert.equal(text, JSON.stringify(ackFrame(id, data, code, message)));
      const parsed = AckFrameSchema.parse(JSON.parse(text));
      assert.equal(parsed.headers.messageId, id);
      assert.equal(parsed.data, data);
    }
  });

  it('writes the robot ack exactly as encodeAck does', () => {
    for (const id of ['0a1b2c3d_1_18a0000000_1', 'id "with" quotes\\ and \u2028 unicode 钉钉', 'x']) {
      assert.equal(encodeRobotAck(id), encodeAck(id, ROBOT_ACK_DATA));
      assert.equal(encodeRobotAck(id), JSON.stringify(ackFrame(id, ROBOT_ACK_DATA)));
    }
  });

  it('has the data strings the protocol expects', () => {
    assert.deepEqual(JSON.parse(ROBOT_ACK_DATA), { response: null });
    assert.deepEqual(JSON.parse(EMPTY_CALLBACK_ACK_DATA), { response: {} });
    assert.deepEqual(JSON.parse(eventAckData('SUCCESS')), { status: 'SUCCESS', message: 'success' });
    assert.equal(JSON.parse(eventAckData('LATER')).status, 'LATER');
    assert.deepEqual(JSON.parse(callbackAckData({ cardData: { cardParamMap: { a: 'b' } } })), {
      response: { cardData: { cardParamMap: { a: 'b' } } },
    });
    assert.deepEqual(JSON.parse(callbackAckData(undefined)), { response: null });
  });
});
