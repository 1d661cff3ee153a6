/**
 * AI assistant actions end to end in a real Node-RED process (the package installed as a user has it) against the
 * simulator: what "done" means for issue 13, seen from DingTalk's side only.
 */
import { strict as assert } from 'node:assert';
import { DingTalkSimulator, SIMULATOR_APP } from '../../src/simulator';
import { startNodeRedProcess, type NodeRedProcess } from './node-red-process';

describe('AI assistant actions in a real Node-RED process', function () {
  this.timeout(90_000);
  let sim: DingTalkSimulator;
  let red: NodeRedProcess | undefined;

  before(async () => {
    sim = new DingTalkSimulator();
    await sim.start();
    const echo =
      'msg.payload = { params: msg.req.params, query: msg.req.query, body: msg.payload, method: msg.req.method };\nmsg.statusCode = 201;\nmsg.headers = { "x-flow": "leave" };\nreturn msg;';
    const flows = [
      { id: 'tab1', type: 'tab', label: 'ai' },
      { id: 'app1', type: 'dingtalk-stream-app', name: 'sim', apiBase: sim.apiBase, robotCode: '', proxy: '' },
      { id: 'in1', z: 'tab1', type: 'dingtalk-ai-in', app: 'app1', method: 'post', url: '/v1/actions/leave/:userId', timeout: '', wires: [['fn1']] },
      { id: 'fn1', z: 'tab1', type: 'function', func: echo, outputs: 1, wires: [['res1']] },
      { id: 'res1', z: 'tab1', type: 'dingtalk-ai-response', wires: [[]] },
      // A flow that never answers: the node's own 504 must come.
      { id: 'in2', z: 'tab1', type: 'dingtalk-ai-in', app: 'app1', method: 'get', url: '/v1/actions/slow', timeout: '0.3', wires: [[]] },
    ];
    red = await startNodeRedProcess(flows, { app1: { clientId: SIMULATOR_APP.clientId, clientSecret: SIMULATOR_APP.clientSecret } });
    await sim.waitForConnection(1, 30_000);
  });

  after(async () => {
    await red?.stop();
    await sim?.stop();
  });

  it('a call reaches the flow with method, path parameters, query and body, and its answer reaches DingTalk', async () => {
    const answer = await sim.aiInvoke({
      method: 'POST',
      path: '/v1/actions/leave/%E5%BC%A0%E4%B8%89',
      query: { year: '2026' },
      body: { leaveType: 'annual' },
    });
    assert.equal(answer.problem, undefined, answer.problem);
    assert.equal(answer.status, 201);
    assert.equal(answer.headers?.['x-flow'], 'leave');
    assert.equal(answer.headers?.['content-type'], 'application/json');
    assert.deepEqual(answer.json, { params: { userId: '张三' }, query: { year: '2026' }, body: { leaveType: 'annual' }, method: 'POST' });
  });

  it('an unanswered call, a malformed call and an unknown action each end in a clear answer, and the next call still works', async () => {
    const slow = await sim.aiInvoke({ method: 'GET', path: '/v1/actions/slow', timeoutMs: 20_000 });
    assert.equal(slow.status, 504);
    assert.equal((slow.json as { error: { code: string } }).error.code, 'flowDidNotAnswer');
    const malformed = await sim.aiInvoke({ path: '/', rawData: { body: '{}' } });
    assert.equal(malformed.status, 400);
    const badBody = await sim.aiInvoke({ path: '/v1/actions/leave/u1', body: 'not json' });
    assert.equal(badBody.status, 400);
    const unknown = await sim.aiInvoke({ path: '/v1/actions/nothing-here' });
    assert.equal(unknown.status, 404);
    const next = await sim.aiInvoke({ path: '/v1/actions/leave/u1', body: { leaveType: 'sick' } });
    assert.equal(next.status, 201);
    assert.equal(red!.exitCode(), null, `Node-RED exited:\n${red!.stderr()}`);
  });
});
