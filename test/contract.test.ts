/**
 * One table, two sides: every documented number in src/contract.ts is checked at its boundary against both the client
 * (what it sends, or refuses to send) and the simulator (what it accepts as DingTalk would), so the two can never
 * drift apart. The source of each number is in docs/protocol.md and beside it in src/contract.ts.
 */
import { strict as assert } from 'node:assert';
import { z } from 'zod';
import { createAndDeliverCard, streamCard } from '../src/api/card';
import { CardStreamer } from '../src/api/card-streamer';
import { DingTalkError } from '../src/api/errors';
import { OpenApiClient } from '../src/api/http';
import { sendToGroup, sendToUsers } from '../src/api/robot';
import { DINGTALK, OURS } from '../src/contract';
import { INPUT_LIMITS } from '../src/msg/limits';
import { DingTalkSimulator, SIMULATOR_APP } from '../src/simulator';
import { DEFAULT_TIMING } from '../src/stream/client';

const GROUP_SEND = '/v1.0/robot/groupMessages/send';
const BATCH_SEND = '/v1.0/robot/oToMessages/batchSend';
const STREAMING = '/v1.0/card/streaming';

describe('the contract table (src/contract.ts): client and simulator keep the same numbers', function () {
  let sim: DingTalkSimulator;
  let api: OpenApiClient;
  beforeEach(async () => {
    sim = new DingTalkSimulator();
    await sim.start();
    api = new OpenApiClient({ clientId: SIMULATOR_APP.clientId, clientSecret: SIMULATOR_APP.clientSecret, apiBase: sim.apiBase, maxRetries: 0 });
  });
  afterEach(async () => {
    await api.close();
    await sim.stop();
  });

  /** What the simulator answers to a raw call, bypassing the client's own checks. */
  async function simAnswer(method: 'POST' | 'PUT', path: string, body: unknown): Promise<'ok' | string> {
    try {
      await api.call({ method, path, body }, z.unknown());
      return 'ok';
    } catch (err) {
      if (err instanceof DingTalkError) return err.code ?? `HTTP ${err.status}`;
      throw err;
    }
  }

  /** A text message whose msgParam is exactly `bytes` UTF-8 bytes. */
  function msgParamOf(bytes: number): string {
    const empty = JSON.stringify({ content: '' });
    return JSON.stringify({ content: 'x'.repeat(bytes - empty.length) });
  }

  it(`cardCallbackTimeoutMs (${DINGTALK.cardCallbackTimeoutMs} ms): the client acks every click by ${OURS.cardCallbackAckMs} ms`, () => {
    // The simulator's side (a later ack is a failed click) is test/simulator/stream.test.ts.
    assert.ok(OURS.cardCallbackAckMs + OURS.cardInMarginMs <= DINGTALK.cardCallbackTimeoutMs);
    assert.equal(DEFAULT_TIMING.callbackDeadlineMs, OURS.cardCallbackAckMs);
  });

  it(`robotMsgParamMaxBytes (${DINGTALK.robotMsgParamMaxBytes} bytes): the simulator takes exactly that, the client sends nothing over it`, async () => {
    const limit = DINGTALK.robotMsgParamMaxBytes;
    assert.equal(INPUT_LIMITS.msgParamBytes, limit);
    const send = { robotCode: SIMULATOR_APP.robotCode, openConversationId: 'cidG', msgKey: 'sampleText' };
    assert.equal(await simAnswer('POST', GROUP_SEND, { ...send, msgParam: msgParamOf(limit) }), 'ok');
    assert.equal(await simAnswer('POST', GROUP_SEND, { ...send, msgParam: msgParamOf(limit + 1) }), 'invalidParameter.msgParam.tooLong');

    const before = sim.requests.filter((r) => r.path === GROUP_SEND).length;
    await sendToGroup(api, { ...send, msgParam: msgParamOf(limit) });
    await assert.rejects(sendToGroup(api, { ...send, msgParam: msgParamOf(limit + 1) }), /15000|limit/);
    assert.equal(sim.requests.filter((r) => r.path === GROUP_SEND).length, before + 1, 'the oversized one never left');
  });

  it(`robotBatchSendMaxUsers (${DINGTALK.robotBatchSendMaxUsers}): the simulator refuses one more, the client splits`, async () => {
    const max = DINGTALK.robotBatchSendMaxUsers;
    const users = (n: number): string[] => Array.from({ length: n }, (_, i) => `user${i}`);
    const send = { robotCode: SIMULATOR_APP.robotCode, msgKey: 'sampleText', msgParam: msgParamOf(100) };
    assert.equal(await simAnswer('POST', BATCH_SEND, { ...send, userIds: users(max) }), 'ok');
    assert.equal(await simAnswer('POST', BATCH_SEND, { ...send, userIds: users(max + 1) }), 'invalidParameter.userIds.overMax');

    const before = sim.requests.filter((r) => r.path === BATCH_SEND).length;
    await sendToUsers(api, { ...send, userIds: users(max + 1) });
    const calls = sim.requests
      .filter((r) => r.path === BATCH_SEND)
      .slice(before)
      .map((r) => (r.body as { userIds: string[] }).userIds.length);
    assert.deepEqual(calls, [max, 1]);
  });

  it(`cardStreamContentBytes (${DINGTALK.cardStreamContentBytes}) and cardStreamAppendBytes (${DINGTALK.cardStreamAppendBytes}): the simulator refuses more, the client never sends more`, async () => {
    const { outTrackId } = await createAndDeliverCard(api, {
      cardTemplateId: 'ai.schema',
      cardData: { content: '' },
      callbackType: 'STREAM',
      robotCode: SIMULATOR_APP.robotCode,
      userId: 'u1',
    });
    const update = (content: string, isFull: boolean): Record<string, unknown> => ({
      outTrackId,
      guid: `g-${Math.random()}`,
      key: 'content',
      content,
      isFull,
      isFinalize: false,
      isError: false,
    });
    assert.equal(await simAnswer('PUT', STREAMING, update('a'.repeat(DINGTALK.cardStreamContentBytes), true)), 'ok');
    assert.equal(await simAnswer('PUT', STREAMING, update('a'.repeat(DINGTALK.cardStreamContentBytes + 1), true)), 'param.stream.content');
    assert.equal(await simAnswer('PUT', STREAMING, update('', true)), 'param.stream.contentEmpty');
    await assert.rejects(streamCard(api, { outTrackId, key: 'content', content: '', isFull: true, isFinalize: true }));

    // However long the answer, what the client streams stays within the whole-content limit.
    const streamer = new CardStreamer(api, { outTrackId, key: 'content', intervalMs: 0 });
    for (let i = 0; i < 40; i++) streamer.append('流式回答的一段文字。'.repeat(10));
    await streamer.finish();
    streamer.close();
    const sent = sim.requests
      .filter((r) => r.path === STREAMING)
      .slice(3)
      .map((r) => Buffer.byteLength(String((r.body as { content: unknown }).content)));
    assert.ok(sent.length > 0);
    for (const bytes of sent) assert.ok(bytes > 0 && bytes <= DINGTALK.cardStreamContentBytes, `streamed ${bytes} bytes`);
  });
});
