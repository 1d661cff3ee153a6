import assert from 'node:assert/strict';
import { CardStreamer, createAndDeliverCard, createCard, DingTalkError, OpenApiClient, streamCard } from '../../src/api';
import { DINGTALK } from '../../src/contract';
import { DingTalkSimulator, SIMULATOR_APP } from '../../src/simulator';
import { postJson } from '../simulator/helpers';
import { rejection } from './helpers';

const TOKEN_PATH = '/v1.0/oauth2/accessToken';
const STREAMING = '/v1.0/card/streaming';
const NOTE = '(too long: the rest is in the flow)';

/**
 * DingTalk's documented answers for cards and tokens (src/contract.ts; sources in the simulator's cards.ts and
 * openapi.ts), as the simulator gives them and as the client reports and copes with them.
 */
describe('api: DingTalk card and token limits against the simulator', function () {
  let sim: DingTalkSimulator;
  const clients: OpenApiClient[] = [];

  function client(clientSecret = SIMULATOR_APP.clientSecret): OpenApiClient {
    const api = new OpenApiClient({ clientId: SIMULATOR_APP.clientId, clientSecret, apiBase: sim.apiBase, timeoutMs: 5000 });
    clients.push(api);
    return api;
  }

  let token: string | undefined;
  async function rawCall(path: string, body: unknown, method = 'PUT') {
    token ??= await client().getAccessToken();
    return postJson(`${sim.apiBase}${path}`, body, { 'x-acs-dingtalk-access-token': token }, method);
  }

  const streamingCalls = () => sim.requests.filter((r) => r.path === STREAMING);
  const acceptedStreaming = () => sim.sent.filter((s) => s.kind === 'card' && s.action === 'streaming');
  const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

  beforeEach(async () => {
    token = undefined;
    sim = new DingTalkSimulator();
    await sim.start();
  });

  afterEach(async () => {
    for (const api of clients.splice(0)) await api.close();
    await sim.stop();
  });

  describe('token', () => {
    it('wrong app credentials: HTTP 400 invalidClientIdOrSecret, reported with the credentials hint', async () => {
      const raw = await postJson(`${sim.apiBase}${TOKEN_PATH}`, { appKey: SIMULATOR_APP.clientId, appSecret: 'nope' });
      assert.equal(raw.status, 400);
      assert.equal(raw.body.code, 'invalidClientIdOrSecret');
      assert.equal(raw.body.message, '无效的clientId或者clientSecret');
      const err = await rejection(client('wrong-secret').getAccessToken());
      assert.equal(err.code, 'invalidClientIdOrSecret');
      assert.match(err.hint ?? '', /ClientID \(AppKey\) and ClientSecret/);
    });
  });

  describe('card create', () => {
    it('a second card with the same outTrackId is refused (param.cardAlreadyExist), with what to do; the first card is kept', async () => {
      const api = client();
      await createCard(api, { cardTemplateId: 'tpl.schema', outTrackId: 'order-1', cardData: { status: 'first' } });
      const err = await rejection(createCard(api, { cardTemplateId: 'tpl.schema', outTrackId: 'order-1', cardData: { status: 'second' } }));
      assert.equal(err.status, 400);
      assert.equal(err.code, 'param.cardAlreadyExist');
      assert.match(err.message, /new outTrackId/);
      assert.match(err.message, /update/);
      const again = await rejection(
        createAndDeliverCard(api, { cardTemplateId: 'tpl.schema', outTrackId: 'order-1', robotCode: SIMULATOR_APP.robotCode, userId: 'u1' }),
      );
      assert.equal(again.code, 'param.cardAlreadyExist');
      assert.deepEqual(sim.card('order-1')!.cardParamMap, { status: 'first' });
    });
  });

  describe('streaming rules of the simulator', () => {
    it("refuses empty and oversized updates, a missing isFull and an unknown card with DingTalk's codes", async () => {
      await createCard(client(), { cardTemplateId: 'ai.schema', outTrackId: 'ai-1' });
      const update = (fields: Record<string, unknown>) =>
        rawCall(STREAMING, { outTrackId: 'ai-1', guid: `g${Math.random()}`, key: 'content', isFull: true, ...fields });
      const expect = async (fields: Record<string, unknown>, code: string, message: string) => {
        const res = await update(fields);
        assert.equal(res.status, 400, JSON.stringify(fields).slice(0, 80));
        assert.deepEqual([res.body.code, res.body.message], [code, message]);
      };
      await expect({ content: '' }, 'param.stream.contentEmpty', 'param.stream.contentEmpty');
      await expect({ content: 'x'.repeat(DINGTALK.cardStreamContentBytes + 1) }, 'param.stream.content', 'content is too large');
      // Bytes, not characters: 1,001 Chinese characters are 3,003 UTF-8 bytes.
      await expect({ content: '长'.repeat(1_001) }, 'param.stream.content', 'content is too large');
      await expect({ content: 'y'.repeat(DINGTALK.cardStreamAppendBytes + 1), isFull: false }, 'param.stream.content', 'content is too large');
      await expect({ content: 'x', isFull: undefined }, 'param.stream.isFull', 'streaming update the parameter isFull is null');
      const unknown = await rawCall(STREAMING, { outTrackId: 'no-such-card', guid: 'g', key: 'content', content: 'x', isFull: true });
      assert.deepEqual([unknown.status, unknown.body.code, unknown.body.message], [400, 'param.stream.outTrackId', 'card is not exist']);
      assert.equal(sim.card('ai-1')!.streams['content'], undefined, 'nothing refused reached the card');

      assert.equal((await update({ content: 'x'.repeat(DINGTALK.cardStreamContentBytes) })).status, 200);
      // Appended pieces within 1 K each are refused once the whole content passes 3 K.
      for (let i = 0; i < 3; i++)
        await expect({ content: 'z'.repeat(DINGTALK.cardStreamAppendBytes), isFull: false }, 'param.stream.content', 'content is too large');
    });

    it('streamCard refuses empty content itself, before sending', async () => {
      const api = client();
      const { outTrackId } = await createCard(api, { cardTemplateId: 'ai.schema' });
      const err = await rejection(streamCard(api, { outTrackId, key: 'content', content: '' }));
      assert.equal(err.code, 'InvalidInput');
      assert.match(err.message, /param\.stream\.contentEmpty/);
      assert.equal(streamingCalls().length, 0);
    });
  });

  describe('CardStreamer within the limits', () => {
    it('a text past the card limit ends the card finalized with its start and "…", never stuck typing', async () => {
      const api = client();
      const { outTrackId } = await createCard(api, { cardTemplateId: 'ai.schema' });
      const truncations: Array<{ shownText: string; totalChars: number }> = [];
      const streamer = new CardStreamer(api, {
        outTrackId,
        key: 'content',
        intervalMs: 20,
        truncatedNote: NOTE,
        onTruncated: (info) => truncations.push(info),
      });
      // An LLM answer of ~9 KB in Chinese, token by token.
      const tokens = Array.from({ length: 600 }, (_, i) => `第${i}段回答。`);
      for (const token of tokens) {
        streamer.append(token);
        await new Promise((r) => setImmediate(r));
      }
      const card = await sim.waitFor(() => (sim.card(outTrackId)?.streams['content']?.finalized ? sim.card(outTrackId) : undefined));
      const shown = card.streams['content']!.content;
      assert.ok(bytes(shown) <= DINGTALK.cardStreamContentBytes, `${bytes(shown)} bytes shown`);
      assert.ok(shown.startsWith('第0段回答。第1段回答。'));
      assert.ok(shown.endsWith(`…\n\n${NOTE}`), shown.slice(-60));
      assert.equal(truncations.length, 1);
      assert.equal(streamer.truncated, true);
      // Chunks after the end are collected, not sent; finishing does not send again.
      const sentBefore = streamingCalls().length;
      streamer.append('还有更多');
      await streamer.finish();
      assert.equal(streamer.text, `${tokens.join('')}还有更多`);
      assert.equal(streamer.shownText, shown);
      assert.equal(streamingCalls().length, sentBefore);
      assert.equal(acceptedStreaming().length, streamingCalls().length, 'DingTalk refused no update');
    });

    it('fail() with a text past the limit keeps the error text visible and marks the card failed', async () => {
      const api = client();
      const { outTrackId } = await createCard(api, { cardTemplateId: 'ai.schema' });
      const streamer = new CardStreamer(api, { outTrackId, key: 'content', intervalMs: 20 });
      // Fits alone; with the error text after it, it does not.
      streamer.append('a '.repeat(DINGTALK.cardStreamContentBytes / 2 - 5));
      await streamer.fail('The model timed out.');
      const stream = sim.card(outTrackId)!.streams['content']!;
      assert.deepEqual([stream.finalized, stream.failed], [true, true]);
      assert.ok(stream.content.endsWith('…\n\nThe model timed out.'));
      assert.ok(bytes(stream.content) <= DINGTALK.cardStreamContentBytes);
    });

    it('never sends an empty update: blank chunks wait, and a stream without text ends with the empty-answer text', async () => {
      const api = client();
      const { outTrackId } = await createCard(api, { cardTemplateId: 'ai.schema' });
      const streamer = new CardStreamer(api, { outTrackId, key: 'content', intervalMs: 20, emptyText: '(nothing to say)' });
      streamer.append('');
      streamer.append('  \n');
      await new Promise((r) => setTimeout(r, 60));
      assert.equal(streamingCalls().length, 0);
      await streamer.finish();
      const stream = sim.card(outTrackId)!.streams['content']!;
      assert.deepEqual([stream.content, stream.finalized], ['(nothing to say)', true]);
      assert.ok(streamingCalls().every((r) => (r.body as { content: string }).content.trim() !== ''));
    });

    it('when DingTalk refuses the size anyway (where it refuses is UNCONFIRMED), the card is still finalized within the 1 K reading', async () => {
      const api = client();
      const { outTrackId } = await createCard(api, { cardTemplateId: 'ai.schema' });
      const streamer = new CardStreamer(api, { outTrackId, key: 'content', intervalMs: 20, truncatedNote: NOTE });
      sim.failNext({ path: STREAMING, status: 400, code: 'param.stream.content', message: 'content is too large' });
      await streamer.finish('word '.repeat(500));
      const stream = sim.card(outTrackId)!.streams['content']!;
      assert.equal(stream.finalized, true);
      assert.ok(bytes(stream.content) <= DINGTALK.cardStreamAppendBytes, `${bytes(stream.content)} bytes`);
      assert.ok(stream.content.startsWith('word word'));
      assert.ok(stream.content.endsWith(NOTE));
      assert.equal(streamer.truncated, true);
    });

    it("a refusal that is not about size still fails finish() with DingTalk's code", async () => {
      const api = client();
      const { outTrackId } = await createCard(api, { cardTemplateId: 'ai.schema' });
      const streamer = new CardStreamer(api, { outTrackId, key: 'content', intervalMs: 20 });
      sim.failNext({ path: STREAMING, status: 400, code: 'param.stream.keyEmpty', message: 'param.stream.keyEmpty' });
      const err = await rejection(streamer.finish('short'));
      assert.ok(err instanceof DingTalkError && err.code === 'param.stream.keyEmpty');
    });
  });
});
