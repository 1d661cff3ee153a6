import assert from 'node:assert/strict';
import type { DingTalkSimulator } from '../../src/simulator';
import { ALL_MODULES, FAST_TIMINGS, Inbox, TAB, appConfig, helper, loggedText, simCredentials, useNodeRedWithSimulator } from './support';

const AI_TOPIC = '/v1.0/graph/api/invoke';
const aiInModule: unknown = require('../../nodes/dingtalk-ai-in');
const aiResponseModule: unknown = require('../../nodes/dingtalk-ai-response');
const MODULES = [...ALL_MODULES, aiInModule, aiResponseModule];

interface AiFlow {
  calls: Inbox;
  answered: Inbox;
  errors: Inbox;
  /** Sends a message into the AI response node, as the end of a flow would. */
  answer(msg: Record<string, unknown>): void;
}

/**
 * [app, ai-in -> calls, respond -> answered] with a Catch node for the response node's errors. The test answers by
 * sending into `respond` itself, so it decides when (or whether) the flow answers.
 */
async function loadAiFlow(sim: DingTalkSimulator, aiIn: Record<string, unknown> = {}): Promise<AiFlow> {
  const flow = [
    TAB,
    appConfig(sim),
    {
      id: 'aiin',
      z: TAB.id,
      type: 'dingtalk-ai-in',
      app: 'app1',
      method: 'post',
      url: '/v1/actions/leave/:userId',
      timeout: '',
      ...aiIn,
      wires: [['calls']],
    },
    { id: 'calls', z: TAB.id, type: 'helper' },
    { id: 'respond', z: TAB.id, type: 'dingtalk-ai-response', wires: [['answered']] },
    { id: 'answered', z: TAB.id, type: 'helper' },
    { id: 'catcher', z: TAB.id, type: 'catch', scope: ['respond'], uncaught: false, wires: [['errors']] },
    { id: 'errors', z: TAB.id, type: 'helper' },
  ];
  await helper.load(MODULES, flow, simCredentials());
  const result: AiFlow = {
    calls: new Inbox(helper.getNode('calls')!),
    answered: new Inbox(helper.getNode('answered')!),
    errors: new Inbox(helper.getNode('errors')!),
    answer: (msg) => helper.getNode('respond')!.receive(msg),
  };
  await sim.waitForConnection();
  return result;
}

describe('dingtalk-ai-in and dingtalk-ai-response (AI assistant actions)', function () {
  const env = useNodeRedWithSimulator(FAST_TIMINGS);

  it('subscribes to the graph API topic', async () => {
    await loadAiFlow(env.sim);
    const subs = env.sim.openConnections[0]!.subscriptions.filter((s) => s.type !== 'SYSTEM');
    assert.deepEqual(
      subs.map((s) => `${s.type} ${s.topic}`),
      [`CALLBACK ${AI_TOPIC}`],
    );
  });

  it('a call reaches the flow with method, path parameters, query, headers and body; the answer reaches DingTalk', async () => {
    const flow = await loadAiFlow(env.sim);
    const call = env.sim.aiInvoke({
      method: 'POST',
      path: '/v1/actions/leave/user%20007',
      query: { year: '2026', tag: ['a', 'b'] },
      headers: { 'content-type': 'application/json', 'X-Ability-Key': 'leave' },
      body: { leaveType: 'annual', days: 2 },
    });
    const msg = await flow.calls.nth(1);
    assert.equal(msg['req'].method, 'POST');
    assert.equal(msg['req'].path, '/v1/actions/leave/user%20007');
    assert.deepEqual(msg['req'].params, { userId: 'user 007' });
    assert.deepEqual(msg['req'].query, { year: '2026', tag: ['a', 'b'] });
    assert.equal(msg['req'].headers['x-ability-key'], 'leave');
    assert.deepEqual(msg['payload'], { leaveType: 'annual', days: 2 });
    assert.equal(msg['topic'], '/v1/actions/leave/user%20007');
    assert.equal(msg['dingtalk'].topic, AI_TOPIC);
    flow.answer({ ...msg, payload: { userId: 'user 007', annualDaysLeft: 8 }, statusCode: 201, headers: { 'X-Source': 'hr' } });
    const answer = await call;
    assert.equal(answer.answered, true);
    assert.equal(answer.problem, undefined);
    assert.equal(answer.ackCode, 200);
    assert.equal(answer.status, 201);
    assert.equal(answer.reasonPhrase, 'Created');
    assert.deepEqual(answer.headers, { 'content-type': 'application/json', 'x-source': 'hr' });
    assert.deepEqual(answer.json, { userId: 'user 007', annualDaysLeft: 8 });
    assert.equal((await flow.answered.nth(1))['payload'].annualDaysLeft, 8);
    assert.equal(answer.messageId, msg['dingtalk'].messageId);
  });

  it('answers a string payload as text with status 200 by default', async () => {
    const flow = await loadAiFlow(env.sim);
    const call = env.sim.aiInvoke({ path: '/v1/actions/leave/u1' });
    const msg = await flow.calls.nth(1);
    assert.deepEqual(msg['payload'], {});
    flow.answer({ ...msg, payload: 'eight days left' });
    const answer = await call;
    assert.equal(answer.status, 200);
    assert.equal(answer.body, 'eight days left');
    assert.match(answer.headers!['content-type']!, /^text\/plain/);
  });

  it('an unanswered call gets a 504 with a JSON error before the deadline and a log line; a late answer is a catchable error; the next call works', async () => {
    const flow = await loadAiFlow(env.sim, { timeout: 0.2 });
    const first = env.sim.aiInvoke({ path: '/v1/actions/leave/u1', timeoutMs: 10_000 });
    const late = await flow.calls.nth(1);
    const answer = await first;
    assert.equal(answer.answered, true);
    assert.equal(answer.status, 504);
    assert.equal((answer.json as { error: { code: string } }).error.code, 'flowDidNotAnswer');
    assert.match(loggedText(), /warn\.noAnswer|No answer to the AI action call POST \/v1\/actions\/leave\/u1/);

    flow.answer({ ...late, payload: { too: 'late' } });
    const err = await flow.errors.nth(1);
    assert.match(String(err['error'].message), /tooLate|already answered/);

    const second = env.sim.aiInvoke({ path: '/v1/actions/leave/u2' });
    const msg = await flow.calls.nth(2);
    flow.answer({ ...msg, payload: { ok: true } });
    assert.equal((await second).status, 200);
  });

  it('a malformed call is answered 400 with a log line, and the next call still works', async () => {
    const flow = await loadAiFlow(env.sim);
    const noLine = await env.sim.aiInvoke({ path: '/', rawData: { headers: {}, body: '{}' } });
    assert.equal(noLine.status, 400);
    assert.match(String((noLine.json as { error: { message: string } }).error.message), /requestLine/);
    const badBody = await env.sim.aiInvoke({ path: '/v1/actions/leave/u1', body: '{"days": 2' });
    assert.equal(badBody.status, 400);
    assert.match(String((badBody.json as { error: { message: string } }).error.message), /body.*JSON/);
    assert.match(loggedText(), /warn\.badRequest|could not be read/);
    assert.equal(flow.calls.messages.length, 0);

    const good = env.sim.aiInvoke({ path: '/v1/actions/leave/u3', body: { days: 1 } });
    const msg = await flow.calls.nth(1);
    flow.answer({ ...msg, payload: { ok: true } });
    assert.equal((await good).status, 200);
  });

  it('a call no node matches (path or method) is answered 404 at once and logged', async () => {
    const flow = await loadAiFlow(env.sim);
    const other = await env.sim.aiInvoke({ path: '/v1/actions/expense/create' });
    assert.equal(other.status, 404);
    assert.equal((other.json as { error: { code: string } }).error.code, 'noRoute');
    const wrongMethod = await env.sim.aiInvoke({ method: 'GET', path: '/v1/actions/leave/u1' });
    assert.equal(wrongMethod.status, 404);
    assert.match(loggedText(), /warn\.noRoute|matches no AI in node/);
    assert.equal(flow.calls.messages.length, 0);
  });

  it('with several AI in nodes, only the first that matches gets the call', async () => {
    const flow = [
      TAB,
      appConfig(env.sim),
      { id: 'specific', z: TAB.id, type: 'dingtalk-ai-in', app: 'app1', method: 'get', url: '/v1/actions/leave/:userId', wires: [['a']] },
      { id: 'catchall', z: TAB.id, type: 'dingtalk-ai-in', app: 'app1', method: 'any', url: '', wires: [['b']] },
      { id: 'a', z: TAB.id, type: 'helper' },
      { id: 'b', z: TAB.id, type: 'helper' },
      { id: 'respond', z: TAB.id, type: 'dingtalk-ai-response' },
    ];
    await helper.load(MODULES, flow, simCredentials());
    const a = new Inbox(helper.getNode('a')!);
    const b = new Inbox(helper.getNode('b')!);
    await env.sim.waitForConnection();
    const respond = (msg: Record<string, any>, payload: unknown): void => helper.getNode('respond')!.receive({ ...msg, payload });

    const leave = env.sim.aiInvoke({ method: 'GET', path: '/v1/actions/leave/u1', query: { year: '2026' } });
    respond(await a.nth(1), { from: 'specific' });
    assert.deepEqual((await leave).json, { from: 'specific' });
    const other = env.sim.aiInvoke({ method: 'POST', path: '/v1/actions/leave/u1' });
    respond(await b.nth(1), { from: 'catchall' });
    assert.deepEqual((await other).json, { from: 'catchall' });
    assert.equal(a.messages.length, 1);
    assert.equal(b.messages.length, 1);
  });

  it('an invalid answer is refused with a catchable error and the call stays open for a valid one', async () => {
    const flow = await loadAiFlow(env.sim);
    const call = env.sim.aiInvoke({ path: '/v1/actions/leave/u1' });
    const msg = await flow.calls.nth(1);
    flow.answer({ ...msg, payload: { ok: true }, statusCode: 700 });
    assert.match(String((await flow.errors.nth(1))['error'].message), /invalidAnswer|msg\.statusCode/);
    flow.answer({ ...msg, payload: { ok: true } });
    assert.equal((await call).status, 200);
  });

  it('an AI response without an AI in message fails with a catchable error', async () => {
    const flow = await loadAiFlow(env.sim);
    flow.answer({ payload: { ok: true } });
    assert.match(String((await flow.errors.nth(1))['error'].message), /noCall|_dingtalkAi/);
  });

  it('a call still pending when the flow is stopped is answered 503', async () => {
    const flow = await loadAiFlow(env.sim, { timeout: 30 });
    const call = env.sim.aiInvoke({ path: '/v1/actions/leave/u1', timeoutMs: 10_000 });
    await flow.calls.nth(1);
    await helper.unload();
    const answer = await call;
    assert.equal(answer.answered, true);
    assert.equal(answer.status, 503);
    assert.equal((answer.json as { error: { code: string } }).error.code, 'shuttingDown');
  });

  it('refuses a path pattern it cannot use, with a red status and an error', async () => {
    await helper.load(
      MODULES,
      [TAB, appConfig(env.sim), { id: 'aiin', z: TAB.id, type: 'dingtalk-ai-in', app: 'app1', url: 'v1/no-slash', wires: [[]] }],
      simCredentials(),
    );
    assert.match(loggedText(), /errors\.badPath|cannot be used/);
  });
});
