import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { OpenApiClient } from '../../src/api/http';
import { SIMULATOR_APP, type DingTalkSimulator } from '../../src/simulator';
import { ALL_MODULES, FAST_TIMINGS, Inbox, TAB, ackData, appConfig, helper, simCredentials, useNodeRedWithSimulator } from './support';

const CARD_TOPIC = '/v1.0/card/instances/callback';

/** Creates a card in the simulator the way a flow would (dingtalk-card), so a click can update it. */
async function createCard(sim: DingTalkSimulator, outTrackId: string, cardParamMap: Record<string, string>): Promise<void> {
  const api = new OpenApiClient({ clientId: SIMULATOR_APP.clientId, clientSecret: SIMULATOR_APP.clientSecret, apiBase: sim.apiBase });
  try {
    await api.call(
      {
        method: 'POST',
        path: '/v1.0/card/instances',
        body: {
          cardTemplateId: 'tpl.schema',
          outTrackId,
          cardData: { cardParamMap },
          callbackType: 'STREAM',
          imRobotOpenSpaceModel: { supportForward: true },
        },
      },
      z.looseObject({}),
    );
  } finally {
    await api.close();
  }
}

interface CardFlow {
  clicks: Inbox;
  answered: Inbox;
  errors: Inbox;
  /** Sends a message into the card-response node, as the end of a flow would. */
  answer(msg: Record<string, unknown>): void;
}

/**
 * [app, card-in -> clicks -> card-response -> answered], with a Catch node for card-response errors. The helper node
 * `clicks` passes nothing on: the test answers by sending into card-response itself, as the flow's end would. With
 * `withResponse: false` nothing after card-in can answer.
 */
async function loadCardFlow(sim: DingTalkSimulator, deadline: number | string = '', withResponse = true): Promise<CardFlow> {
  const flow = [
    TAB,
    appConfig(sim),
    { id: 'cardin', z: TAB.id, type: 'dingtalk-card-in', app: 'app1', deadline, wires: [['clicks']] },
    { id: 'clicks', z: TAB.id, type: 'helper', wires: [withResponse ? ['respond'] : []] },
    { id: 'respond', z: TAB.id, type: 'dingtalk-card-response', wires: [['answered']] },
    { id: 'answered', z: TAB.id, type: 'helper' },
    { id: 'catcher', z: TAB.id, type: 'catch', scope: ['respond'], uncaught: false, wires: [['errors']] },
    { id: 'errors', z: TAB.id, type: 'helper' },
  ];
  await helper.load(ALL_MODULES, flow, simCredentials());
  const flowApi: CardFlow = {
    clicks: new Inbox(helper.getNode('clicks')!),
    answered: new Inbox(helper.getNode('answered')!),
    errors: new Inbox(helper.getNode('errors')!),
    answer: (msg) => helper.getNode('respond')!.receive(msg),
  };
  await sim.waitForConnection();
  return flowApi;
}

describe('dingtalk-card-in and dingtalk-card-response', function () {
  const env = useNodeRedWithSimulator(FAST_TIMINGS);

  it('subscribes to the card callback topic only', async () => {
    await loadCardFlow(env.sim);
    const subs = env.sim.openConnections[0]!.subscriptions.filter((s) => s.type !== 'SYSTEM');
    assert.deepEqual(
      subs.map((s) => `${s.type} ${s.topic}`),
      [`CALLBACK ${CARD_TOPIC}`],
    );
  });

  it('delivers a click with outTrackId, user, action ids and params, and headers in msg.dingtalk', async () => {
    const { clicks } = await loadCardFlow(env.sim);
    const push = env.sim.cardCallback({ outTrackId: 'card-1', userId: 'user-7', actionIds: ['btn_accept'], params: { action: 'accept', id: 42 } });
    const msg = await clicks.nth(1);
    assert.equal(msg['topic'], 'card-1');
    assert.equal(msg['payload'].outTrackId, 'card-1');
    assert.equal(msg['payload'].userId, 'user-7');
    assert.deepEqual(msg['payload'].actionIds, ['btn_accept']);
    assert.deepEqual(msg['payload'].params, { action: 'accept', id: 42 });
    assert.equal(msg['dingtalk'].messageId, push.messageId);
    assert.equal(msg['dingtalk'].topic, CARD_TOPIC);
    assert.equal(typeof msg['_dingtalkCard'].respond, 'function');
  });

  it('answers with the card response node: the card is updated by key, other fields are kept', async () => {
    await createCard(env.sim, 'card-2', { status: 'open', title: 'Leave request', approver: 'Li' });
    const flow = await loadCardFlow(env.sim);
    const push = env.sim.cardCallback({ outTrackId: 'card-2', userId: 'user-1', params: { action: 'accept' } });
    const click = await flow.clicks.nth(1);
    flow.answer({ ...click, payload: { status: 'accepted' } });
    const ack = await push.acked;
    const response = ackData(ack.ack)['response'];
    assert.deepEqual(response.cardData, { cardParamMap: { status: 'accepted' } });
    assert.equal(response.cardUpdateOptions.updateCardDataByKey, true);
    assert.equal(response.cardUpdateOptions.updatePrivateDataByKey, true);
    await flow.answered.nth(1);
    assert.deepEqual(env.sim.card('card-2')!.cardParamMap, { status: 'accepted', title: 'Leave request', approver: 'Li' });
  });

  it('takes a full answer with private data for the clicking user', async () => {
    await createCard(env.sim, 'card-3', { status: 'open' });
    const flow = await loadCardFlow(env.sim);
    const push = env.sim.cardCallback({ outTrackId: 'card-3', userId: 'user-9' });
    const click = await flow.clicks.nth(1);
    flow.answer({ ...click, payload: { cardData: { cardParamMap: { status: 'seen' } }, userPrivateData: { cardParamMap: { mine: 'yes' } } } });
    await push.acked;
    const card = env.sim.card('card-3')!;
    assert.equal(card.cardParamMap['status'], 'seen');
    assert.deepEqual(card.privateData['user-9'], { mine: 'yes' });
  });

  it("turns privateData of the clicking user into userPrivateData, the format of DingTalk's answer", async () => {
    await createCard(env.sim, 'card-3b', { status: 'open' });
    const flow = await loadCardFlow(env.sim);
    const push = env.sim.cardCallback({ outTrackId: 'card-3b', userId: 'user-9' });
    const click = await flow.clicks.nth(1);
    flow.answer({
      ...click,
      payload: { cardData: { cardParamMap: { status: 'seen' } }, privateData: { 'user-9': { cardParamMap: { mine: 'yes' } } } },
    });
    const response = ackData((await push.acked).ack)['response'];
    assert.equal('privateData' in response, false);
    assert.deepEqual(response.userPrivateData, { cardParamMap: { mine: 'yes' } });
    await flow.answered.nth(1);
    assert.deepEqual(env.sim.card('card-3b')!.privateData['user-9'], { mine: 'yes' });
    assert.deepEqual(env.sim.card('card-3b')!.notes, []);
  });

  it('refuses privateData for other users with done(err) saying what to do, and keeps waiting for a valid answer', async () => {
    await createCard(env.sim, 'card-3c', { status: 'open' });
    const flow = await loadCardFlow(env.sim);
    const push = env.sim.cardCallback({ outTrackId: 'card-3c', userId: 'user-9' });
    const click = await flow.clicks.nth(1);
    for (const privateData of [
      { 'user-2': { cardParamMap: { x: '1' } } },
      { 'user-9': { cardParamMap: { x: '1' } }, 'user-2': { cardParamMap: { x: '2' } } },
    ]) {
      flow.answer({ ...click, payload: { privateData } });
    }
    // Both the clicking user's entry and userPrivateData: which one is meant is not clear.
    flow.answer({ ...click, payload: { privateData: { 'user-9': { cardParamMap: { x: '1' } } }, userPrivateData: { cardParamMap: { x: '3' } } } });
    for (let i = 1; i <= 3; i++) assert.match(String((await flow.errors.nth(i))['error'].message), /errors\.privateData/);
    for (const lang of ['en-US', 'zh-CN']) {
      const catalog = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'locales', lang, 'dingtalk-card-response.json'), 'utf8'));
      const text = String(catalog['dingtalk-card-response'].errors.privateData);
      for (const must of ['userPrivateData', '__userId__', '__users__', 'PUT /v1.0/card/instances'])
        assert.ok(text.includes(must), `${lang}: ${must}`);
    }
    flow.answer({ ...click, payload: { userPrivateData: { cardParamMap: { x: 'mine' } } } });
    assert.deepEqual(ackData((await push.acked).ack)['response'].userPrivateData, { cardParamMap: { x: 'mine' } });
    assert.deepEqual(env.sim.card('card-3c')!.privateData, { 'user-9': { x: 'mine' } });
  });

  it('answers an empty success when no card response comes in time, and the card is unchanged', async () => {
    await createCard(env.sim, 'card-4', { status: 'open' });
    await loadCardFlow(env.sim, 0.1);
    const push = env.sim.cardCallback({ outTrackId: 'card-4', userId: 'u' });
    const ack = await push.acked;
    const data = ackData(ack.ack);
    assert.ok(data['response'] === null || data['response'] === undefined || Object.keys(data['response']).length === 0, JSON.stringify(data));
    assert.deepEqual(env.sim.card('card-4')!.cardParamMap, { status: 'open' });
  });

  it('fails with done(err) when the deadline passed, naming what to do instead', async () => {
    const flow = await loadCardFlow(env.sim, 0.05);
    const push = env.sim.cardCallback({ outTrackId: 'card-5' });
    const click = await flow.clicks.nth(1);
    await push.acked;
    flow.answer({ ...click, payload: { status: 'late' } });
    const err = await flow.errors.nth(1);
    assert.match(String(err['error'].message), /tooLate/);
  });

  it("answers every click within DingTalk's 2 s when the flow never answers (default deadline)", async () => {
    await createCard(env.sim, 'card-slow', { status: 'open' });
    await loadCardFlow(env.sim);
    const push = env.sim.cardCallback({ outTrackId: 'card-slow', userId: 'u1' });
    const ack = await push.acked;
    assert.equal(ack.timedOut, undefined, `DingTalk counted the click as failed: ${ack.reason ?? ''}`);
    const response = ackData(ack.ack)['response'];
    assert.ok(response === null || response === undefined || Object.keys(response).length === 0, JSON.stringify(response));
    assert.deepEqual(env.sim.card('card-slow')!.cardParamMap, { status: 'open' });
  });

  it('acks at once when no card response node follows card in, and still delivers the click', async () => {
    const flow = await loadCardFlow(env.sim, '', false);
    const push = env.sim.cardCallback({ outTrackId: 'card-none', userId: 'u1', params: { action: 'accept' } });
    const ack = await push.acked;
    const click = await flow.clicks.nth(1);
    assert.deepEqual(click['payload'].params, { action: 'accept' });
    // Not waiting for the 1.25 s deadline: nothing after card-in can answer.
    const pushedAt = Number(push.frame.headers['time']);
    assert.ok(ack.at - pushedAt < 1000, `acked ${ack.at - pushedAt} ms after the push`);
    assert.equal(ack.timedOut, undefined);
    flow.answer({ ...click, payload: { status: 'late' } });
    assert.match(String((await flow.errors.nth(1))['error'].message), /tooLate/);
  });

  it('answers once: a second answer for the same click fails', async () => {
    const flow = await loadCardFlow(env.sim);
    const push = env.sim.cardCallback({ outTrackId: 'card-6' });
    const click = await flow.clicks.nth(1);
    flow.answer({ ...click, payload: { status: 'first' } });
    await flow.answered.nth(1);
    flow.answer({ ...click, payload: { status: 'second' } });
    const err = await flow.errors.nth(1);
    assert.match(String(err['error'].message), /tooLate/);
    assert.deepEqual(ackData((await push.acked).ack)['response'].cardData, { cardParamMap: { status: 'first' } });
  });

  it('rejects an answer that is not an object of strings with done(err) and keeps waiting for a valid one', async () => {
    const flow = await loadCardFlow(env.sim);
    const push = env.sim.cardCallback({ outTrackId: 'card-7' });
    const click = await flow.clicks.nth(1);
    flow.answer({ ...click, payload: { status: { nested: true } } });
    const err = await flow.errors.nth(1);
    assert.match(String(err['error'].message), /invalidAnswer/);
    flow.answer({ ...click, payload: { status: 'ok' } });
    assert.deepEqual(ackData((await push.acked).ack)['response'].cardData, { cardParamMap: { status: 'ok' } });
  });

  it('caps a deadline longer than DingTalk allows, with a warning, and the click is answered within 2 s', async () => {
    await loadCardFlow(env.sim, 3);
    const warned = helper
      .log()
      .args.map((a) => a[0] as Record<string, unknown>)
      .some((e) => e['level'] === 30 && /deadlineCapped/.test(String(e['msg'])));
    assert.ok(warned);
    const push = env.sim.cardCallback({ outTrackId: 'card-8' });
    const ack = await push.acked;
    const response = ackData(ack.ack)['response'];
    assert.ok(response === null || response === undefined || Object.keys(response).length === 0);
    assert.equal(ack.timedOut, undefined, `DingTalk counted the click as failed: ${ack.reason ?? ''}`);
  });

  it('fails with done(err) for a message that did not come from card in', async () => {
    const flow = await loadCardFlow(env.sim);
    flow.answer({ payload: { status: 'x' } });
    const err = await flow.errors.nth(1);
    assert.match(String(err['error'].message), /noCallback/);
  });
});
