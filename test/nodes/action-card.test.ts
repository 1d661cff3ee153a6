import assert from 'node:assert/strict';
import { DINGTALK } from '../../src/contract';
import { SIMULATOR_APP } from '../../src/simulator';
import { type ActionFlow, helper, loadAction, useNodeRedWithSimulator, visibleText } from './support';

const cardNode: unknown = require('../../nodes/dingtalk-card');
const CREATE_AND_DELIVER = '/v1.0/card/instances/createAndDeliver';
const STREAMING = '/v1.0/card/streaming';

describe('dingtalk-card node', function () {
  const env = useNodeRedWithSimulator();

  /**
   * A card node whose operation comes from msg.operation, and an AI card created and delivered through it to stream
   * into (to user u1 unless `config` names another target).
   */
  async function streamingCard(config: Record<string, unknown> = {}): Promise<{ flow: ActionFlow; outTrackId: string }> {
    const target = config['target'] ? {} : { target: 'user', userId: 'u1' };
    const flow = await loadAction(cardNode, env.sim, { type: 'dingtalk-card', operation: '', cardTemplateId: 'ai.schema', ...target, ...config });
    const outTrackId = (await flow.send({ operation: 'createAndDeliver', payload: {} })).out!['outTrackId'] as string;
    return { flow, outTrackId };
  }

  it('creates and delivers a card to a group with callbackType STREAM, string card data, and outputs msg.outTrackId', async () => {
    const flow = await loadAction(cardNode, env.sim, { type: 'dingtalk-card', operation: 'createAndDeliver', cardTemplateId: 'tpl-1.schema' });
    const data = { title: 'Approve?', amount: 42, tags: ['a', 'b'] };
    const { out, error } = await flow.send({ payload: data, openConversationId: 'cidTeam' });
    assert.equal(error, undefined);
    const req = await env.sim.waitForRequest(CREATE_AND_DELIVER);
    const body = req.body as Record<string, any>;
    assert.equal(body['callbackType'], 'STREAM');
    assert.equal(body['cardTemplateId'], 'tpl-1.schema');
    assert.deepEqual(body['cardData'], { cardParamMap: { title: 'Approve?', amount: '42', tags: '["a","b"]' } });
    assert.equal(body['openSpaceId'], 'dtv1.card//IM_GROUP.cidTeam');
    assert.equal(body['imGroupOpenDeliverModel'].robotCode, SIMULATOR_APP.robotCode);
    assert.equal(typeof out!['outTrackId'], 'string');
    assert.equal(body['outTrackId'], out!['outTrackId']);
    assert.deepEqual(out!['payload'], data);
    assert.equal((out!['dingtalkResponse'] as { outTrackId: string }).outTrackId, out!['outTrackId']);
    // The simulator (like DingTalk) only calls back for STREAM cards: this must not throw.
    env.sim.cardCallback({ outTrackId: out!['outTrackId'] as string });
  });

  it('delivers to the 1:1 chat of the sender of msg.dingtalk when no target is given', async () => {
    const flow = await loadAction(cardNode, env.sim, { type: 'dingtalk-card', cardTemplateId: 'StandardCard' });
    const dingtalk = env.sim.robotMessage({ conversationType: '1', senderStaffId: 'staff9' }).data;
    const { out } = await flow.send({ payload: { text: 'hi' }, dingtalk, outTrackId: 'my-card-1' });
    const body = (await env.sim.waitForRequest(CREATE_AND_DELIVER)).body as Record<string, any>;
    assert.equal(body['openSpaceId'], 'dtv1.card//IM_ROBOT.staff9');
    assert.equal(body['outTrackId'], 'my-card-1');
    assert.equal(body['cardTemplateId'], 'StandardCard');
    assert.equal(out!['outTrackId'], 'my-card-1');
  });

  it('updates a card by key through msg.outTrackId', async () => {
    const flow = await loadAction(cardNode, env.sim, {
      type: 'dingtalk-card',
      operation: '',
      cardTemplateId: 'tpl.schema',
      target: 'user',
      userId: 'u1',
    });
    const created = await flow.send({ operation: 'createAndDeliver', payload: { status: 'pending', who: 'alice' } });
    const outTrackId = created.out!['outTrackId'] as string;
    const updated = await flow.send({ operation: 'update', outTrackId, payload: { status: 'approved' } });
    assert.equal(updated.error, undefined);
    const put = env.sim.requests.find((r) => r.method === 'PUT' && r.path === '/v1.0/card/instances');
    assert.deepEqual(put!.body, {
      outTrackId,
      cardData: { cardParamMap: { status: 'approved' } },
      cardUpdateOptions: { updateCardDataByKey: true, updatePrivateDataByKey: true },
    });
    assert.deepEqual(env.sim.card(outTrackId)!.cardParamMap, { status: 'approved', who: 'alice' });
  });

  it('streams chunks into an AI card at a bounded rate and finalizes on msg.complete', async () => {
    const { flow, outTrackId } = await streamingCard({ target: 'group', openConversationId: 'cidAI' });
    const chunks = ['The ', 'answer ', 'is ', '42', '.'];
    for (const c of chunks) {
      const completed = await flow.sendAndComplete({ operation: 'stream', outTrackId, payload: c });
      assert.equal(completed['payload'], c);
    }
    const last = await flow.send({ operation: 'stream', outTrackId, payload: '', complete: true });
    assert.equal(last.error, undefined);
    const card = env.sim.card(outTrackId)!;
    assert.equal(card.streams['content']!.content, 'The answer is 42.');
    assert.equal(card.streams['content']!.finalized, true);
    const updates = env.sim.requests.filter((r) => r.path === STREAMING);
    assert.ok(updates.length <= chunks.length + 1, `at most one update per chunk plus the final one (${updates.length} for ${chunks.length} chunks)`);
    assert.equal((updates.at(-1)!.body as { isFinalize: boolean }).isFinalize, true);
    assert.equal((last.out!['dingtalkResponse'] as { text: string }).text, 'The answer is 42.');
    // Only the finishing message goes on; the chunks were only buffered.
    assert.equal(flow.outputs.filter((m) => m['operation'] === 'stream').length, 1);
  });

  it('marks a stream failed on msg.error and refuses later chunks for it', async () => {
    const flow = await loadAction(cardNode, env.sim, {
      type: 'dingtalk-card',
      operation: '',
      cardTemplateId: 'ai.schema',
      target: 'user',
      userId: 'u1',
      streamKey: 'msg',
    });
    const outTrackId = 'ai-fail-1';
    await flow.send({ operation: 'createAndDeliver', outTrackId, payload: {} });
    await flow.sendAndComplete({ operation: 'stream', outTrackId, payload: 'partial' });
    const failed = await flow.send({ operation: 'stream', outTrackId, error: { message: 'LLM timed out' } });
    assert.equal(failed.error, undefined);
    const card = env.sim.card(outTrackId)!;
    assert.equal(card.streams['msg']!.failed, true);
    assert.match(card.streams['msg']!.content, /partial[\s\S]*LLM timed out/);
    assert.equal(flow.statuses.at(-1)?.fill, 'yellow');
    const late = await flow.send({ operation: 'stream', outTrackId, payload: 'late chunk' });
    assert.match(late.error!['error'].message, /already finished/);
  });

  it('finishes a stream that gets no chunk for the idle time, with a warning', async () => {
    const { flow, outTrackId } = await streamingCard({ streamIdleSec: 0.2 });
    const warnings: string[] = [];
    flow.node.on('call:warn', (call: { args: unknown[] }) => warnings.push(String(call.args[0])));
    await flow.sendAndComplete({ operation: 'stream', outTrackId, payload: 'the LLM went quiet' });
    const card = await env.sim.waitFor(() => (env.sim.card(outTrackId)?.streams['content']?.finalized ? env.sim.card(outTrackId) : undefined));
    assert.equal(card.streams['content']!.content, 'the LLM went quiet');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, new RegExp(outTrackId));
  });

  it('finalizes its open streams when the node is redeployed', async () => {
    const { flow, outTrackId } = await streamingCard();
    await flow.sendAndComplete({ operation: 'stream', outTrackId, payload: 'half an answer' });
    // A "modified nodes" deploy stops only this node; the app and its API client stay up.
    const changed = flow.definition.map((n) => (n['id'] === 'n1' ? { ...n, name: 'renamed' } : n));
    await helper.setFlows(changed, 'nodes', flow.credentials);
    const card = await env.sim.waitFor(() => (env.sim.card(outTrackId)?.streams['content']?.finalized ? env.sim.card(outTrackId) : undefined));
    assert.equal(card.streams['content']!.content, 'half an answer');
  });

  it('stops streaming without hanging when the whole flow stops', async () => {
    const { flow, outTrackId } = await streamingCard();
    await flow.sendAndComplete({ operation: 'stream', outTrackId, payload: 'cut short' });
    await helper.unload();
    // mocha exiting on its own after this file proves no timer or socket was left behind.
  });

  it('needs msg.outTrackId to update, names msg.operation when it is wrong, and the next message still flows', async () => {
    const flow = await loadAction(cardNode, env.sim, { type: 'dingtalk-card', operation: '' });
    const noId = await flow.send({ operation: 'update', payload: { a: 'b' } });
    assert.match(noId.error!['error'].message, /msg\.outTrackId/);
    const badOp = await flow.send({ operation: 'explode' });
    assert.match(badOp.error!['error'].message, /msg\.operation/);
    const badData = await flow.send({ operation: 'update', outTrackId: 'x', payload: 'not an object' });
    assert.match(badData.error!['error'].message, /msg\.payload/);
    assert.equal(env.sim.requests.filter((r) => r.path.startsWith('/v1.0/card')).length, 0);
  });

  it('surfaces a missing card permission with the permission to request, never the secret', async () => {
    const flow = await loadAction(cardNode, env.sim, {
      type: 'dingtalk-card',
      cardTemplateId: 'tpl.schema',
      target: 'group',
      openConversationId: 'cidX',
    });
    env.sim.failNext({ path: CREATE_AND_DELIVER, status: 403, code: 'Forbidden.AccessDenied.AccessTokenPermissionDenied', message: 'denied' });
    const { error } = await flow.send({ payload: {} });
    assert.match(error!['error'].message, /Card\.Instance\.Write/);
    assert.ok(!visibleText(flow).includes(SIMULATOR_APP.clientSecret));
  });

  it('a long LLM answer ends with a finalized card, a warning and a yellow status; the flow gets the whole text', async () => {
    const { flow, outTrackId } = await streamingCard({ target: 'group', openConversationId: 'cidAI' });
    const warnings: string[] = [];
    flow.node.on('call:warn', (call: { args: unknown[] }) => warnings.push(String(call.args[0])));
    // ~12 KB of English: four times what DingTalk takes for one streamed card.
    const sentence = 'The quick brown fox jumps over the lazy dog again and again. ';
    const chunks = Array.from({ length: 200 }, () => sentence);
    for (const c of chunks) {
      const completed = await flow.sendAndComplete({ operation: 'stream', outTrackId, payload: c });
      assert.equal(completed['error'], undefined);
    }
    // The card is finished as soon as the text no longer fits, without waiting for msg.complete.
    const card = await env.sim.waitFor(() => (env.sim.card(outTrackId)?.streams['content']?.finalized ? env.sim.card(outTrackId) : undefined));
    const shown = card.streams['content']!.content;
    assert.ok(Buffer.byteLength(shown) <= DINGTALK.cardStreamContentBytes);
    assert.ok(shown.startsWith(sentence));
    assert.match(shown, /…\n\n\(The answer is too long for one card; the rest is not shown\.\)$/);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, new RegExp(`${outTrackId}[\\s\\S]*msg\\.dingtalkResponse\\.text`));
    const last = await flow.send({ operation: 'stream', outTrackId, payload: 'The end.', complete: true });
    assert.equal(last.error, undefined);
    const response = last.out!['dingtalkResponse'] as { text: string; shownText: string; truncated: boolean };
    assert.equal(response.text, `${chunks.join('')}The end.`);
    assert.deepEqual([response.shownText, response.truncated], [shown, true]);
    assert.equal(flow.statuses.at(-1)?.fill, 'yellow');
    // DingTalk refused nothing: every update reached the card.
    const calls = env.sim.requests.filter((r) => r.path === STREAMING).length;
    assert.equal(env.sim.sent.filter((r) => r.kind === 'card' && r.action === 'streaming').length, calls);
  });

  it('never streams an empty update: a stream completed without text ends the card with "(no answer)"', async () => {
    const { flow, outTrackId } = await streamingCard();
    await flow.sendAndComplete({ operation: 'stream', outTrackId, payload: '' });
    await flow.sendAndComplete({ operation: 'stream', outTrackId, payload: ' ' });
    const last = await flow.send({ operation: 'stream', outTrackId, payload: '', complete: true });
    assert.equal(last.error, undefined);
    const stream = env.sim.card(outTrackId)!.streams['content']!;
    assert.deepEqual([stream.content, stream.finalized], ['(no answer)', true]);
    const contents = env.sim.requests.filter((r) => r.path === STREAMING).map((r) => (r.body as { content: string }).content);
    assert.deepEqual(contents, ['(no answer)']);
  });

  it('refuses to create a second card with the same msg.outTrackId, saying to use a new one or update', async () => {
    const flow = await loadAction(cardNode, env.sim, {
      type: 'dingtalk-card',
      operation: '',
      cardTemplateId: 'tpl.schema',
      target: 'user',
      userId: 'u1',
    });
    const first = await flow.send({ operation: 'createAndDeliver', outTrackId: 'leave-42', payload: { status: 'pending' } });
    assert.equal(first.error, undefined);
    const second = await flow.send({ operation: 'createAndDeliver', outTrackId: 'leave-42', payload: { status: 'again' } });
    const message = String(second.error?.['error']?.message);
    assert.match(message, /msg\.outTrackId already exists/);
    assert.match(message, /new outTrackId/);
    assert.match(message, /"update"/);
    assert.equal(flow.statuses.at(-1)?.fill, 'red');
    assert.deepEqual(env.sim.card('leave-42')!.cardParamMap, { status: 'pending' });
    // The next message still flows.
    assert.equal((await flow.send({ operation: 'update', outTrackId: 'leave-42', payload: { status: 'approved' } })).error, undefined);
  });
});
