import assert from 'node:assert/strict';
import { SIM_DEFAULT_APPROVER, SIM_EXPENSE_PROCESS_CODE, SIMULATOR_APP } from '../../src/simulator';
import { loadAction, useNodeRedWithSimulator, visibleText } from './support';

const approvalNode: unknown = require('../../nodes/dingtalk-approval');
const EXECUTE = '/v1.0/workflow/processInstances/execute';
const INSTANCES = '/v1.0/workflow/processInstances';

describe('dingtalk-approval node', function () {
  const env = useNodeRedWithSimulator();
  const to = (method: string, path: string) => env.sim.requests.filter((r) => r.method === method && r.path === path);
  const claim = (amount: string, originator = 'user001') => env.sim.startApproval({ originator, form: { 金额: amount, 事由: '打车' } });

  it('get instance: the form as { label: value } (values as DingTalk gives them, strings), its tasks, records and raw answer', async () => {
    const instance = claim('2000');
    const flow = await loadAction(approvalNode, env.sim, { type: 'dingtalk-approval', operation: 'get' });
    const { out, error } = await flow.send({ processInstanceId: instance.processInstanceId });
    assert.equal(error, undefined, error?.['error']?.message);
    const p = out!['payload'];
    assert.equal(p.id, instance.processInstanceId);
    assert.equal(p.status, 'RUNNING');
    assert.equal(p.originatorUserId, 'user001');
    assert.deepEqual(p.form, { 金额: '2000', 事由: '打车' });
    assert.equal(p.formComponents.length, 2);
    assert.equal(p.formComponents[0].componentType, 'MoneyField');
    assert.equal(p.tasks.length, 1);
    assert.equal(p.tasks[0].userId, SIM_DEFAULT_APPROVER);
    assert.equal(p.tasks[0].status, 'RUNNING');
    assert.equal(typeof p.tasks[0].taskId, 'number');
    assert.equal(p.records[0].type, 'START_PROCESS_INSTANCE');
    assert.equal(p.raw.title, instance.title);
    assert.equal(out!['processInstanceId'], instance.processInstanceId);
    const [req] = to('GET', INSTANCES);
    assert.equal(req!.query['processInstanceId'], instance.processInstanceId);
    assert.equal(flow.statuses.at(-1)?.fill, 'green');
  });

  it("get instance takes the id from an approval event's msg.payload.processInstanceId", async () => {
    const instance = claim('80');
    const flow = await loadAction(approvalNode, env.sim, { type: 'dingtalk-approval', operation: 'get' });
    const { out, error } = await flow.send({ payload: { processInstanceId: instance.processInstanceId, type: 'start' } });
    assert.equal(error, undefined, error?.['error']?.message);
    assert.equal(out!['payload'].form['金额'], '80');
  });

  it("approve without msg.taskId: finds the actioner's pending task, executes it with the remark, the instance completes", async () => {
    const instance = claim('300');
    const flow = await loadAction(approvalNode, env.sim, { type: 'dingtalk-approval', operation: 'approve', remark: 'ok from the node' });
    const { out, error } = await flow.send({ processInstanceId: instance.processInstanceId, actionerUserId: SIM_DEFAULT_APPROVER });
    assert.equal(error, undefined, error?.['error']?.message);
    const task = instance.tasks[0]!;
    assert.deepEqual(to('POST', EXECUTE)[0]!.body, {
      processInstanceId: instance.processInstanceId,
      taskId: task.taskId,
      result: 'agree',
      actionerUserId: SIM_DEFAULT_APPROVER,
      remark: 'ok from the node',
    });
    assert.deepEqual(out!['payload'], {
      processInstanceId: instance.processInstanceId,
      taskId: task.taskId,
      result: 'agree',
      actionerUserId: SIM_DEFAULT_APPROVER,
    });
    assert.deepEqual([instance.status, instance.result], ['COMPLETED', 'agree']);
    assert.equal(flow.statuses.at(-1)?.fill, 'green');
  });

  it('refuse with msg.taskId, msg.remark and the operation from msg: no lookup, the instance ends refused', async () => {
    const instance = claim('900');
    const flow = await loadAction(approvalNode, env.sim, { type: 'dingtalk-approval', operation: 'msg' });
    const taskId = String(instance.tasks[0]!.taskId);
    const { error } = await flow.send({
      operation: 'refuse',
      processInstanceId: instance.processInstanceId,
      actionerUserId: SIM_DEFAULT_APPROVER,
      taskId,
      remark: '超出预算',
    });
    assert.equal(error, undefined, error?.['error']?.message);
    assert.equal(to('GET', INSTANCES).length, 0, 'the task was given, so the instance was not read');
    assert.equal((to('POST', EXECUTE)[0]!.body as Record<string, unknown>)['taskId'], Number(taskId), 'taskId sent as a number');
    assert.deepEqual([instance.status, instance.result], ['COMPLETED', 'refuse']);
    assert.ok(instance.records.some((r) => r.type === 'EXECUTE_TASK_NORMAL' && r.remark === '超出预算'));
  });

  it('no pending task for the actioner: a catchable error naming who has one; nothing executed', async () => {
    const instance = claim('300');
    const flow = await loadAction(approvalNode, env.sim, { type: 'dingtalk-approval', operation: 'approve' });
    const { error } = await flow.send({ processInstanceId: instance.processInstanceId, actionerUserId: 'user999' });
    assert.ok(error, 'reached the Catch node');
    assert.match(error['error'].message, /msg\.actionerUserId "user999" has no pending task/);
    assert.match(error['error'].message, new RegExp(`pending tasks are with: ${SIM_DEFAULT_APPROVER}`));
    assert.equal(to('POST', EXECUTE).length, 0);
    assert.equal(instance.status, 'RUNNING');
  });

  it('a finished approval: the error says it is finished, nothing is executed', async () => {
    const instance = claim('300');
    const flow = await loadAction(approvalNode, env.sim, { type: 'dingtalk-approval', operation: 'refuse', actionerUserId: SIM_DEFAULT_APPROVER });
    assert.equal((await flow.send({ processInstanceId: instance.processInstanceId, operation: 'ignored' })).error, undefined);
    const { error } = await flow.send({ processInstanceId: instance.processInstanceId });
    assert.match(error!['error'].message, /is COMPLETED \(refuse\): there is no pending task left/);
    assert.equal(to('POST', EXECUTE).length, 1, 'only the first refusal was sent');
  });

  it('start: the form from a plain object (numbers sent as text), the originator and department from the node', async () => {
    const flow = await loadAction(approvalNode, env.sim, {
      type: 'dingtalk-approval',
      operation: 'start',
      processCode: SIM_EXPENSE_PROCESS_CODE,
      originatorUserId: 'user002',
      deptId: '-1',
    });
    const { out, error } = await flow.send({ payload: { 金额: 450, 事由: '客户拜访' } });
    assert.equal(error, undefined, error?.['error']?.message);
    const id = out!['payload'].processInstanceId;
    assert.equal(typeof id, 'string');
    assert.equal(out!['processInstanceId'], id);
    assert.deepEqual(to('POST', INSTANCES)[0]!.body, {
      processCode: SIM_EXPENSE_PROCESS_CODE,
      originatorUserId: 'user002',
      formComponentValues: [
        { name: '金额', value: '450' },
        { name: '事由', value: '客户拜访' },
      ],
      deptId: -1,
    });
    const instance = env.sim.workflow.get(id)!;
    assert.equal(instance.originatorUserId, 'user002');
    assert.deepEqual(
      instance.form.map((f) => [f.name, f.value]),
      [
        ['金额', '450'],
        ['事由', '客户拜访'],
      ],
    );
  });

  it('start with msg.approvers (no department needed) and revoke with no user named: as the system', async () => {
    env.sim.workflow.terminateMinAgeMs = 0;
    const flow = await loadAction(approvalNode, env.sim, { type: 'dingtalk-approval', operation: 'msg' });
    const started = await flow.send({
      operation: 'start',
      processCode: SIM_EXPENSE_PROCESS_CODE,
      originatorUserId: 'user004',
      approvers: ['lead01', { actionType: 'OR', userIds: ['cfo01', 'ceo01'] }],
      payload: { 金额: '5000', 事由: '设备' },
    });
    assert.equal(started.error, undefined, started.error?.['error']?.message);
    const body = to('POST', INSTANCES)[0]!.body as Record<string, unknown>;
    assert.deepEqual(body['approvers'], [
      { actionType: 'NONE', userIds: ['lead01'] },
      { actionType: 'OR', userIds: ['cfo01', 'ceo01'] },
    ]);
    assert.equal(body['deptId'], undefined);
    const instance = env.sim.workflow.get(started.out!['processInstanceId'])!;
    assert.equal(instance.tasks[0]!.userId, 'lead01');

    const revoked = await flow.send({ operation: 'terminate', processInstanceId: instance.processInstanceId });
    assert.equal(revoked.error, undefined, revoked.error?.['error']?.message);
    assert.deepEqual(to('POST', '/v1.0/workflow/processInstances/terminate')[0]!.body, {
      processInstanceId: instance.processInstanceId,
      isSystem: true,
    });
    assert.equal(instance.status, 'TERMINATED');
  });

  it('start: a form that does not fit the template fails with DingTalk code and what to fix', async () => {
    const flow = await loadAction(approvalNode, env.sim, {
      type: 'dingtalk-approval',
      operation: 'start',
      processCode: SIM_EXPENSE_PROCESS_CODE,
      originatorUserId: 'user002',
      deptId: '-1',
    });
    const { error } = await flow.send({ payload: { 金额: 'lots', 事由: 'x' } });
    assert.match(error!['error'].message, /formConverterError/);
    assert.match(error!['error'].message, /component label of the template/);
  });

  it('comment and revoke (terminate): the 15-second rule reads clearly, a revoke after it ends the approval', async () => {
    const instance = claim('120', 'user003');
    const flow = await loadAction(approvalNode, env.sim, { type: 'dingtalk-approval', operation: 'msg', actionerUserId: 'user003' });
    const comment = await flow.send({ operation: 'comment', processInstanceId: instance.processInstanceId, payload: '附发票' });
    assert.equal(comment.error, undefined, comment.error?.['error']?.message);
    assert.deepEqual(to('POST', '/v1.0/workflow/processInstances/comments')[0]!.body, {
      processInstanceId: instance.processInstanceId,
      commentUserId: 'user003',
      text: '附发票',
    });
    assert.ok(instance.records.some((r) => r.type === 'ADD_REMARK' && r.remark === '附发票' && r.userId === 'user003'));

    const revoke = { operation: 'terminate', processInstanceId: instance.processInstanceId, operatingUserId: 'user003', remark: '填错了' };
    const tooSoon = await flow.send(revoke);
    assert.match(tooSoon.error!['error'].message, /aflowProcessInstStatusException/);
    assert.match(tooSoon.error!['error'].message, /within 15 seconds of its start/);
    assert.equal(instance.status, 'RUNNING');

    env.sim.workflow.terminateMinAgeMs = 0;
    const { out, error } = await flow.send(revoke);
    assert.equal(error, undefined, error?.['error']?.message);
    assert.equal(out!['payload'].processInstanceId, instance.processInstanceId);
    assert.deepEqual(to('POST', '/v1.0/workflow/processInstances/terminate').at(-1)!.body, {
      processInstanceId: instance.processInstanceId,
      isSystem: false,
      operatingUserId: 'user003',
      remark: '填错了',
    });
    assert.equal(instance.status, 'TERMINATED');
  });

  it('a missing permission names it: Workflow.Instance.Read to read, Workflow.Instance.Write to approve', async () => {
    const instance = claim('300');
    env.sim.workflow.deniedScopes.add('Workflow.Instance.Read');
    const flow = await loadAction(approvalNode, env.sim, { type: 'dingtalk-approval', operation: 'msg', actionerUserId: SIM_DEFAULT_APPROVER });
    const read = await flow.send({ operation: 'get', processInstanceId: instance.processInstanceId });
    assert.match(read.error!['error'].message, /Workflow\.Instance\.Read/);
    assert.match(read.error!['error'].message, /developer console/);

    env.sim.workflow.deniedScopes.clear();
    env.sim.workflow.deniedScopes.add('Workflow.Instance.Write');
    const write = await flow.send({ operation: 'approve', taskId: instance.tasks[0]!.taskId, processInstanceId: instance.processInstanceId });
    assert.match(write.error!['error'].message, /Workflow\.Instance\.Write/);
    assert.equal(instance.status, 'RUNNING');
    assert.ok(!visibleText(flow).includes(SIMULATOR_APP.clientSecret));
  });

  it('approve after a 5xx: not sent again (DingTalk may have acted), the error says to check the approval first', async () => {
    const instance = claim('300');
    const flow = await loadAction(approvalNode, env.sim, { type: 'dingtalk-approval', operation: 'approve', actionerUserId: SIM_DEFAULT_APPROVER });
    env.sim.failNext({ path: EXECUTE, status: 502, code: 'ServiceUnavailable', message: 'bad gateway' });
    const { error } = await flow.send({ processInstanceId: instance.processInstanceId });
    assert.ok(error, 'reached the Catch node');
    assert.match(error['error'].message, /get instance/);
    assert.equal(to('POST', EXECUTE).length, 1, 'execute was sent once');
    assert.equal(to('GET', INSTANCES).length, 1, 'the pending task was read once');
  });

  it('an unknown instance: DingTalk code and a hint to check msg.processInstanceId', async () => {
    const flow = await loadAction(approvalNode, env.sim, { type: 'dingtalk-approval', operation: 'get' });
    const { error } = await flow.send({ processInstanceId: 'no-such-instance' });
    assert.match(error!['error'].message, /processInstanceNotExist/);
    assert.match(error!['error'].message, /check msg\.processInstanceId/);
    assert.equal(flow.statuses.at(-1)?.fill, 'red');
  });

  it('bad msg input: a catchable error naming the msg property, nothing sent', async () => {
    const flow = await loadAction(approvalNode, env.sim, { type: 'dingtalk-approval', operation: 'msg' });
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ operation: 'approve!', processInstanceId: 'x' }, /msg\.operation is "approve!": expected one of get, approve/],
      [{ operation: 'get' }, /msg\.processInstanceId is not set/],
      [{ operation: 'approve', processInstanceId: 'x' }, /msg\.actionerUserId is not set/],
      [{ operation: 'approve', processInstanceId: 'x', actionerUserId: 'u', taskId: 'abc' }, /msg\.taskId is not usable/],
      [{ operation: 'get', processInstanceId: { id: 1 } }, /msg\.processInstanceId is not usable/],
      [{ operation: 'refuse', processInstanceId: 'x', actionerUserId: 'u', remark: 'x'.repeat(1025) }, /msg\.remark is too long/],
      [{ operation: 'start', processCode: 'PROC-1', originatorUserId: 'u', deptId: 1, payload: 'text' }, /msg\.payload is not usable/],
      [{ operation: 'start', processCode: 'PROC-1', originatorUserId: 'u', payload: { a: '1' } }, /msg\.deptId is not set/],
      [{ operation: 'start', originatorUserId: 'u', deptId: 1, payload: { a: '1' } }, /msg\.processCode is not set/],
      [{ operation: 'start', processCode: 'PROC-1', originatorUserId: 'u', deptId: 'sales', payload: { a: '1' } }, /msg\.deptId is not usable/],
      [{ operation: 'comment', processInstanceId: 'x', actionerUserId: 'u' }, /msg\.remark is not set/],
    ];
    for (const [msg, expected] of cases) {
      const before = env.sim.requests.length;
      const { error } = await flow.send(msg);
      assert.ok(error, `${JSON.stringify(msg).slice(0, 80)} was accepted`);
      assert.match(error['error'].message, expected);
      assert.equal(env.sim.requests.length, before, 'nothing was sent');
    }
    assert.equal(flow.statuses.at(-1)?.fill, 'red');
  });
});
