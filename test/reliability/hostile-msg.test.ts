/**
 * Hostile msg values against every action node and dingtalk-card-response, each in a flow with a Catch node, in a
 * real Node-RED runtime against the simulator: nothing escapes a handler (Node-RED ends the process on an unhandled
 * rejection), every message ends exactly once (passed on or reported to Catch), and the next good message still
 * works. Plus the attack from the adversarial review, end to end in a Node-RED process of its own: an unauthenticated
 * `http in` request nested 20,000 levels deep that used to end the process.
 */
import { strict as assert } from 'node:assert';
import { request } from 'undici';
import { DingTalkSimulator, SIMULATOR_APP } from '../../src/simulator';
import { Inbox, TAB, appConfig, appModule, helper, loadAction, simCredentials, useNodeRedWithSimulator, type ActionFlow } from '../nodes/support';
import { startNodeRedProcess, type NodeRedProcess } from './node-red-process';
import { CrashGuard } from './support';
import { circular, throwingToJson } from '../support/hostile-values';

const replyNode: unknown = require('../../nodes/dingtalk-reply');
const sendNode: unknown = require('../../nodes/dingtalk-send');
const cardNode: unknown = require('../../nodes/dingtalk-card');
const fileNode: unknown = require('../../nodes/dingtalk-file');
const apiNode: unknown = require('../../nodes/dingtalk-api');
const approvalNode: unknown = require('../../nodes/dingtalk-approval');
const cardResponseNode: unknown = require('../../nodes/dingtalk-card-response');

const DEPTH = 20_000;

/** What `http in` makes of the attack body: JSON.parse copes with any depth, a recursive copy does not. */
function deeplyNested(): unknown {
  return JSON.parse(`{"text":${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}}`);
}

/** Every trap throws a value that is not an Error and has no prototype: even String() of it throws. */
function hostileProxy(): unknown {
  const boom = (): never => {
    throw Object.create(null);
  };
  return new Proxy({}, { get: boom, ownKeys: boom, getOwnPropertyDescriptor: boom, has: boom, getPrototypeOf: boom });
}

/** Each hostile value, made fresh for every use (some are consumed or mutated by a node). */
const HOSTILE: Array<[string, () => unknown]> = [
  ['nested 20,000 levels deep', deeplyNested],
  ['a toJSON that throws a non-Error', throwingToJson],
  ['circular', circular],
  ['a BigInt', () => ({ n: 10n })],
  ['a bare BigInt', () => 12345678901234567890n],
  ['NaN', () => NaN],
  ['Infinity', () => Infinity],
  ['bidi controls', () => '\u202Egnp.exe\u202C \u2066hidden\u2069'],
  ['a long multi-byte name', () => `${'长'.repeat(93)}.docx`],
  ['a Proxy whose every trap throws', hostileProxy],
  ['a function', () => () => 'x'],
  ['a symbol', () => Symbol('s')],
];

interface Case {
  node: string;
  module: unknown;
  config: Record<string, unknown>;
  /** A msg carrying the hostile value in one property. */
  msgs: (value: () => unknown, sim: DingTalkSimulator) => Array<Record<string, unknown>>;
  /** A message that must still work afterwards. */
  good: (sim: DingTalkSimulator) => Record<string, unknown>;
}

const robotMsg = (sim: DingTalkSimulator): Record<string, unknown> =>
  sim.robotMessage({ text: 'hi', conversationType: '2' }).data as Record<string, unknown>;
const fileMsg = (sim: DingTalkSimulator): Record<string, unknown> => sim.robotMessage({ msgtype: 'file' }).data as Record<string, unknown>;

/** A responder as dingtalk-card-in makes it, but one whose answer throws something unprintable. */
const throwingResponder = {
  messageId: 'm-1',
  respond: (): boolean => {
    throw Object.create(null);
  },
};

const CASES: Case[] = [
  {
    node: 'dingtalk-reply',
    module: replyNode,
    config: { type: 'dingtalk-reply', msgType: 'text' },
    msgs: (v, sim) => [
      { payload: v(), dingtalk: robotMsg(sim) },
      { payload: 'ok', dingtalk: v() },
      { payload: 'ok', dingtalk: robotMsg(sim), title: v() },
    ],
    good: (sim) => ({ payload: 'still here', dingtalk: robotMsg(sim) }),
  },
  {
    node: 'dingtalk-send',
    module: sendNode,
    config: { type: 'dingtalk-send', target: 'users', userIds: 'alice' },
    msgs: (v) => [{ payload: v() }, { payload: 'x', msgKey: 'sampleText', msgParam: v() }, { payload: 'x', userIds: v(), openConversationId: v() }],
    good: () => ({ payload: 'still here' }),
  },
  {
    node: 'dingtalk-card (create)',
    module: cardNode,
    config: { type: 'dingtalk-card', operation: 'createAndDeliver', cardTemplateId: 'tpl-1.schema', target: 'user', userId: 'alice' },
    msgs: (v) => [{ payload: v() }, { payload: { a: '1' }, outTrackId: v(), cardTemplateId: v() }],
    good: () => ({ payload: { status: 'ok' } }),
  },
  {
    node: 'dingtalk-card (update, operation from msg)',
    module: cardNode,
    config: { type: 'dingtalk-card', operation: '', cardTemplateId: 'tpl-1.schema', target: 'user', userId: 'alice' },
    msgs: (v) => [
      { operation: 'update', outTrackId: 'card-1', payload: v() },
      { operation: 'update', outTrackId: v(), payload: { a: '1' } },
      { operation: v(), payload: { a: '1' } },
    ],
    good: () => ({ operation: 'createAndDeliver', payload: { status: 'ok' } }),
  },
  {
    node: 'dingtalk-card (stream, operation from msg)',
    module: cardNode,
    config: { type: 'dingtalk-card', operation: '', cardTemplateId: 'tpl-1.schema', target: 'user', userId: 'alice' },
    msgs: (v) => [
      { operation: 'stream', outTrackId: 'ai-1', payload: v() },
      { operation: 'stream', outTrackId: 'ai-2', payload: 'x', complete: true, error: v() },
      { operation: 'stream', outTrackId: v(), payload: 'x' },
    ],
    good: () => ({ operation: 'createAndDeliver', payload: { status: 'ok' } }),
  },
  {
    node: 'dingtalk-file',
    module: fileNode,
    config: { type: 'dingtalk-file' },
    msgs: (v, sim) => [{ dingtalk: v() }, { downloadCode: v(), dingtalk: fileMsg(sim) }, { dingtalk: fileMsg(sim), filename: v(), maxSizeMB: v() }],
    good: (sim) => ({ dingtalk: fileMsg(sim) }),
  },
  {
    node: 'dingtalk-api',
    module: apiNode,
    config: { type: 'dingtalk-api', method: 'POST', path: '/topapi/v2/user/get' },
    msgs: (v) => [
      { payload: v() },
      { path: v(), payload: { userid: 'user001' } },
      { method: v(), path: '/v1.0/todo/users/{unionId}/tasks', params: { unionId: 'u1' }, payload: { subject: 'x' } },
      { path: '/v1.0/todo/users/{unionId}/tasks', params: v(), query: v(), payload: { subject: 'x' } },
    ],
    good: () => ({ payload: { userid: 'user001' } }),
  },
  {
    node: 'dingtalk-approval',
    module: approvalNode,
    config: { type: 'dingtalk-approval', operation: 'msg' },
    msgs: (v) => [
      { operation: v(), processInstanceId: 'p1' },
      { operation: 'get', processInstanceId: v(), payload: v() },
      { operation: 'approve', processInstanceId: 'p1', actionerUserId: v(), taskId: v(), remark: v() },
      { operation: 'start', processCode: v(), originatorUserId: 'u1', deptId: v(), approvers: v(), payload: { 金额: '1' } },
      { operation: 'start', processCode: 'PROC-1', originatorUserId: 'u1', deptId: -1, payload: v() },
      { operation: 'start', processCode: 'PROC-1', originatorUserId: 'u1', deptId: -1, payload: { 金额: v() } },
      { operation: 'terminate', processInstanceId: 'p1', operatingUserId: v(), remark: v() },
    ],
    good: (sim) => ({
      operation: 'get',
      processInstanceId: sim.startApproval({ originator: 'u1', form: { 金额: '1', 事由: 'x' } }).processInstanceId,
    }),
  },
  {
    node: 'dingtalk-card-response',
    module: cardResponseNode,
    config: { type: 'dingtalk-card-response' },
    msgs: (v) => [
      { payload: v(), _dingtalkCard: { messageId: 'm-1', respond: () => true } },
      { payload: { a: '1' }, _dingtalkCard: v() },
      { payload: { a: '1' }, _dingtalkCard: throwingResponder },
    ],
    good: () => ({ payload: { a: '1' }, _dingtalkCard: { messageId: 'm-2', respond: () => true } }),
  },
];

describe('hostile msg values never escape a node, and every message ends exactly once', function () {
  this.timeout(60_000);
  const env = useNodeRedWithSimulator();
  let guard: CrashGuard;
  beforeEach(() => {
    guard = new CrashGuard().install();
  });
  afterEach(() => guard.uninstall());

  /** Waits until `tag` has ended (passed on or caught), then checks it ended once: no message lost or doubled. */
  async function endsOnce(flow: ActionFlow, tag: string, what: string): Promise<void> {
    // done() reaches the Complete node, done(err) the Catch node; a streamed chunk is not passed on, and a msg
    // Node-RED cannot copy never reaches the Complete node, so a pass-on counts as a done() too.
    const count = (list: Array<Record<string, unknown>>): number => list.filter((m) => m['_tag'] === tag).length;
    const ended = (): number => count(flow.errors) + Math.max(count(flow.completions), count(flow.outputs));
    const deadline = Date.now() + 10_000;
    while (ended() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    // Anything that would end it a second time is already on its way: give it a few turns to arrive.
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(ended(), 1, `${what}: done() was called ${ended()} times, expected exactly once`);
  }

  for (const testCase of CASES) {
    it(`${testCase.node}: ${HOSTILE.length} hostile values in each msg property it reads`, async () => {
      const flow = await loadAction(testCase.module, env.sim, testCase.config);
      let n = 0;
      for (const [name, make] of HOSTILE) {
        for (const [i, msg] of testCase.msgs(make, env.sim).entries()) {
          const tag = `h${++n}`;
          flow.node.receive({ ...msg, _tag: tag });
          await endsOnce(flow, tag, `${name} (msg shape ${i + 1})`);
        }
      }
      assert.equal(guard.escaped.length, 0, `escaped a handler:\n${guard.describe()}`);
      for (const error of flow.errors) {
        const text = String((error['error'] as { message?: unknown } | undefined)?.message ?? '');
        assert.ok(text.length > 0, 'every error reaching Catch has a message');
        assert.doesNotMatch(text, new RegExp(SIMULATOR_APP.clientSecret), 'no secret in errors');
      }
      const { out, error } = await flow.send(testCase.good(env.sim));
      assert.equal(error, undefined, `the next good message failed: ${JSON.stringify(error?.['error'])}`);
      assert.ok(out, 'the next good message is passed on');
    });
  }

  it('reports an error about a msg Node-RED cannot copy to Catch, with the properties that copy', async () => {
    const flow = await loadAction(sendNode, env.sim, { type: 'dingtalk-send', target: 'users', userIds: 'alice' });
    const { error } = await flow.send({ payload: deeplyNested(), topic: 'kept' });
    assert.ok(error, 'the Catch node got the failure');
    assert.equal(error['topic'], 'kept');
    assert.match(String(error['payload']), /not copyable: payload/);
    assert.equal(guard.escaped.length, 0, guard.describe());
  });
});

describe('a msg Node-RED cannot copy for a second wire', function () {
  const env = useNodeRedWithSimulator();

  it('ends in done(err) that says so, not in an exception, after DingTalk got the message', async () => {
    const guard = new CrashGuard().install();
    try {
      await helper.load(
        [appModule, sendNode],
        [
          TAB,
          appConfig(env.sim),
          { id: 'send', z: TAB.id, type: 'dingtalk-send', app: 'app1', target: 'users', userIds: 'alice', wires: [['a', 'b']] },
          { id: 'a', z: TAB.id, type: 'helper' },
          { id: 'b', z: TAB.id, type: 'helper' },
          { id: 'catcher', z: TAB.id, type: 'catch', scope: null, uncaught: false, wires: [['errs']] },
          { id: 'errs', z: TAB.id, type: 'helper' },
        ],
        simCredentials(),
      );
      const errors = new Inbox(helper.getNode('errs')!);
      // Only the msg's own extra property is deep: the send itself is valid, copying the msg for wire "b" is not.
      helper.getNode('send')!.receive({ payload: 'hello', extra: deeplyNested() });
      const caught = await errors.nth(1);
      assert.match(String(caught['error'].message), /Could not pass the message on/);
      assert.equal(env.sim.requests.filter((r) => r.path === '/v1.0/robot/oToMessages/batchSend').length, 1);
      assert.equal(guard.escaped.length, 0, guard.describe());
    } finally {
      guard.uninstall();
    }
  });
});

describe('an unauthenticated http in request cannot end Node-RED', function () {
  this.timeout(90_000);
  let sim: DingTalkSimulator;
  let red: NodeRedProcess | undefined;

  before(async () => {
    sim = new DingTalkSimulator();
    await sim.start();
    const flows = [
      { id: 'tab1', type: 'tab', label: 'hostile' },
      { id: 'app1', type: 'dingtalk-stream-app', name: 'sim', apiBase: sim.apiBase, robotCode: '', proxy: '' },
      { id: 'in1', z: 'tab1', type: 'http in', url: '/send', method: 'post', upload: false, wires: [['send1']] },
      { id: 'ready1', z: 'tab1', type: 'http in', url: '/ready', method: 'get', upload: false, wires: [['res1']] },
      { id: 'send1', z: 'tab1', type: 'dingtalk-send', app: 'app1', target: 'users', userIds: 'alice', msgType: 'text', wires: [['res1']] },
      { id: 'res1', z: 'tab1', type: 'http response', statusCode: '', headers: {}, wires: [] },
      { id: 'catch1', z: 'tab1', type: 'catch', scope: null, uncaught: false, wires: [['fail1']] },
      {
        id: 'fail1',
        z: 'tab1',
        type: 'change',
        rules: [
          { t: 'set', p: 'statusCode', pt: 'msg', to: '500', tot: 'num' },
          { t: 'set', p: 'payload', pt: 'msg', to: 'error.message', tot: 'msg' },
        ],
        wires: [['res1']],
      },
    ];
    red = await startNodeRedProcess(flows, { app1: { clientId: SIMULATOR_APP.clientId, clientSecret: SIMULATOR_APP.clientSecret } });
    // The runtime answers HTTP before its flows have registered their routes: wait for the flow's own endpoint.
    for (let i = 0; i < 200; i++) {
      const res = await request(`${red.url}/ready`).catch(() => undefined);
      const status = res?.statusCode;
      await res?.body.dump();
      if (status === 200) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the flows did not start within 20 s:\n${red.stderr()}`);
  });

  after(async () => {
    await red?.stop();
    await sim?.stop();
  });

  async function post(body: string, type = 'application/json'): Promise<{ status: number; text: string }> {
    const res = await request(`${red!.url}/send`, {
      method: 'POST',
      headers: { 'content-type': type },
      body,
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    return { status: res.statusCode, text: await res.body.text() };
  }

  it('answers a 40 KB body nested 20,000 levels deep through the Catch path, and keeps serving', async () => {
    const attack = `{"text":${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}}`;
    assert.ok(attack.length > 40_000);
    const answer = await post(attack).catch((err: unknown) => ({ status: 0, text: String(err) }));
    assert.equal(red!.exitCode(), null, `Node-RED exited:\n${red!.stderr()}`);
    assert.equal(answer.status, 500, `the Catch node answered the request: ${answer.text}`);
    assert.ok(answer.text.length > 0);
    const good = await post('hello', 'text/plain');
    assert.equal(good.status, 200, good.text);
    assert.equal(red!.exitCode(), null);
  });
});
