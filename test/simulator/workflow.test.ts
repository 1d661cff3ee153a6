import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SIM_DEFAULT_APPROVER, SIM_EXPENSE_PROCESS_CODE, SIMULATOR_APP, type DingTalkSimulator } from '../../src/simulator';
import { type Frame, TestStreamClient, postJson, startSim } from './helpers';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'dingtalk');
function fixture(name: string): Record<string, any> {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));
}

describe('simulator: approvals (workflow)', () => {
  let sim: DingTalkSimulator;
  let token: string;
  let events: TestStreamClient;
  const base = '/v1.0/workflow/processInstances';
  const call = (path: string, body: unknown, method = 'POST') =>
    postJson(`${sim.apiBase}${path}`, body, { 'x-acs-dingtalk-access-token': token }, method);
  const get = async (id: string) => {
    const res = await fetch(`${sim.apiBase}${base}?processInstanceId=${encodeURIComponent(id)}`, {
      headers: { 'x-acs-dingtalk-access-token': token },
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const claim = (amount: string, reason = '差旅') => ({
    processCode: SIM_EXPENSE_PROCESS_CODE,
    originatorUserId: 'user001',
    deptId: -1,
    formComponentValues: [
      { name: '金额', value: amount },
      { name: '事由', value: reason },
    ],
  });
  const eventOf = (type: string, match: (d: Record<string, unknown>) => boolean) => async (): Promise<Record<string, unknown>> => {
    const frame: Frame = await events.next((f) => f.type === 'EVENT' && f.headers.eventType === type && match(JSON.parse(f.data)));
    events.ack(frame, { status: 'SUCCESS', message: 'ok' });
    return JSON.parse(frame.data);
  };
  const start = async (amount = '120'): Promise<string> => {
    const res = await call(base, claim(amount));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.instanceId;
  };
  const pendingTask = async (id: string): Promise<number> => (await get(id)).body.result.tasks.find((t: any) => t.status === 'RUNNING').taskId;

  beforeEach(async () => {
    sim = await startSim({ pingIntervalMs: 60_000 });
    const res = await postJson(`${sim.apiBase}/v1.0/oauth2/accessToken`, { appKey: SIMULATOR_APP.clientId, appSecret: SIMULATOR_APP.clientSecret });
    token = res.body.accessToken;
    events = await TestStreamClient.open(sim, [{ type: 'EVENT', topic: '*' }]);
  });
  afterEach(async () => {
    events.close();
    await sim.stop();
  });

  it('start pushes the instance start and task start events, shaped like the documented Stream payloads', async () => {
    const id = await start();
    const instanceStart = await eventOf('bpms_instance_change', (d) => d.processInstanceId === id)();
    const taskStart = await eventOf('bpms_task_change', (d) => d.processInstanceId === id)();
    assert.equal(instanceStart.type, 'start');
    assert.equal(instanceStart.staffId, 'user001');
    assert.equal(instanceStart.processCode, SIM_EXPENSE_PROCESS_CODE);
    assert.equal(instanceStart.result, undefined);
    assert.equal(typeof instanceStart.createTime, 'number');
    assert.equal(taskStart.type, 'start');
    assert.equal(taskStart.staffId, SIM_DEFAULT_APPROVER);
    assert.equal(typeof taskStart.taskId, 'number');
    // Every field we send appears, with the same JSON type, in DingTalk's own example (the fixtures).
    const docInstance = fixture('bpms_instance_change.stream.json').data;
    const docTask = fixture('bpms_task_change.stream.json').data;
    for (const [key, value] of Object.entries(instanceStart)) assert.equal(typeof value, typeof docInstance[key], `instance field ${key}`);
    for (const [key, value] of Object.entries(taskStart)) assert.equal(typeof value, typeof docTask[key], `task field ${key}`);
    // The frame headers carry the corp and app, as in the fixture's outer object.
    const frame = events.frames.find((f) => f.headers.eventType === 'bpms_instance_change');
    assert.equal(frame?.headers.eventCorpId, sim.corpId);
  });

  it('get instance returns the form values, tasks and operation records in the documented shape', async () => {
    const id = await start('88.5');
    const res = await get(id);
    assert.equal(res.status, 200);
    assert.equal(res.body.success, 'true');
    const result = res.body.result;
    assert.equal(result.status, 'RUNNING');
    assert.equal(result.originatorUserId, 'user001');
    assert.deepEqual(
      result.formComponentValues.map((f: any) => [f.name, f.value, f.componentType]),
      [
        ['金额', '88.5', 'MoneyField'],
        ['事由', '差旅', 'TextareaField'],
      ],
    );
    assert.equal(result.tasks.length, 1);
    assert.equal(result.tasks[0].userId, SIM_DEFAULT_APPROVER);
    assert.equal(result.tasks[0].status, 'RUNNING');
    assert.equal(result.operationRecords[0].type, 'START_PROCESS_INSTANCE');
    assert.match(result.createTime, /^\d{4}-\d\d-\d\dT\d\d:\d\dZ$/);
    const doc = fixture('workflow-get-instance.response.json').result;
    for (const key of Object.keys(result)) assert.ok(key in doc, `field ${key} is in DingTalk's example`);
    for (const key of Object.keys(result.tasks[0])) assert.ok(key in doc.tasks[0], `task field ${key}`);
    for (const key of Object.keys(result.formComponentValues[0])) assert.ok(key in doc.formComponentValues[0], `form field ${key}`);
  });

  it('execute agree completes the instance with result agree and pushes the finish events', async () => {
    const id = await start();
    const taskId = await pendingTask(id);
    const res = await call(`${base}/execute`, {
      processInstanceId: id,
      taskId,
      result: 'agree',
      actionerUserId: SIM_DEFAULT_APPROVER,
      remark: '同意',
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { result: true, success: true });
    const taskFinish = await eventOf('bpms_task_change', (d) => d.type === 'finish')();
    assert.equal(taskFinish.result, 'agree');
    assert.equal(taskFinish.taskId, taskId);
    assert.equal(taskFinish.remark, '同意');
    const finish = await eventOf('bpms_instance_change', (d) => d.type === 'finish')();
    assert.equal(finish.result, 'agree');
    assert.equal(typeof finish.finishTime, 'number');
    const after = (await get(id)).body.result;
    assert.equal(after.status, 'COMPLETED');
    assert.equal(after.result, 'agree');
    assert.equal(after.tasks[0].status, 'COMPLETED');
    assert.equal(after.tasks[0].result, 'AGREE');
    const record = after.operationRecords.find((r: any) => r.type === 'EXECUTE_TASK_NORMAL');
    assert.deepEqual([record.userId, record.result, record.remark], [SIM_DEFAULT_APPROVER, 'AGREE', '同意']);
    // The task is no longer pending: a second execute is refused.
    const again = await call(`${base}/execute`, { processInstanceId: id, taskId, result: 'agree', actionerUserId: SIM_DEFAULT_APPROVER });
    assert.equal(again.status, 400);
    assert.equal(again.body.code, 'aflowProcessInstStatusException');
  });

  it('execute refuse completes the instance with result refuse', async () => {
    const id = await start();
    const taskId = await pendingTask(id);
    const res = await call(`${base}/execute`, { processInstanceId: id, taskId, result: 'refuse', actionerUserId: SIM_DEFAULT_APPROVER });
    assert.deepEqual(res.body, { result: false, success: true });
    assert.equal((await eventOf('bpms_task_change', (d) => d.type === 'finish')()).result, 'refuse');
    assert.equal((await eventOf('bpms_instance_change', (d) => d.type === 'finish')()).result, 'refuse');
    const after = (await get(id)).body.result;
    assert.deepEqual([after.status, after.result, after.tasks[0].result], ['COMPLETED', 'refuse', 'REFUSE']);
  });

  it('a chain of approvers: agree moves to the next one; the last agreement completes it', async () => {
    const res = await call(base, {
      ...claim('900'),
      approvers: [
        { actionType: 'NONE', userIds: ['lead01'] },
        { actionType: 'NONE', userIds: ['finance01'] },
      ],
    });
    const id = res.body.instanceId;
    await call(`${base}/execute`, { processInstanceId: id, taskId: await pendingTask(id), result: 'agree', actionerUserId: 'lead01' });
    const second = await eventOf('bpms_task_change', (d) => d.type === 'start' && d.staffId === 'finance01')();
    assert.equal((await get(id)).body.result.status, 'RUNNING');
    await call(`${base}/execute`, { processInstanceId: id, taskId: second.taskId, result: 'agree', actionerUserId: 'finance01' });
    const after = (await get(id)).body.result;
    assert.deepEqual([after.status, after.result], ['COMPLETED', 'agree']);
    assert.deepEqual(after.approverUserIds, ['lead01', 'finance01']);
  });

  it('an OR node is done after one approver (the others get a cancel task event); an AND node needs everyone', async () => {
    const or = await call(base, { ...claim('10'), approvers: [{ actionType: 'OR', userIds: ['a1', 'a2'] }] });
    const orId = or.body.instanceId;
    const orTasks = (await get(orId)).body.result.tasks;
    await call(`${base}/execute`, { processInstanceId: orId, taskId: orTasks[0].taskId, result: 'agree', actionerUserId: 'a1' });
    const cancel = await eventOf('bpms_task_change', (d) => d.processInstanceId === orId && d.type === 'cancel')();
    assert.deepEqual([cancel.staffId, cancel.taskId], ['a2', orTasks[1].taskId]);
    assert.deepEqual(
      (await get(orId)).body.result.tasks.map((t: any) => t.status),
      ['COMPLETED', 'CANCELED'],
    );
    assert.equal((await get(orId)).body.result.status, 'COMPLETED');

    const and = await call(base, { ...claim('10'), approvers: [{ actionType: 'AND', userIds: ['b1', 'b2'] }] });
    const andId = and.body.instanceId;
    const andTasks = (await get(andId)).body.result.tasks;
    await call(`${base}/execute`, { processInstanceId: andId, taskId: andTasks[0].taskId, result: 'agree', actionerUserId: 'b1' });
    assert.equal((await get(andId)).body.result.status, 'RUNNING');
    await call(`${base}/execute`, { processInstanceId: andId, taskId: andTasks[1].taskId, result: 'agree', actionerUserId: 'b2' });
    assert.deepEqual([(await get(andId)).body.result.status, (await get(andId)).body.result.result], ['COMPLETED', 'agree']);
  });

  it('terminate (revoke) is refused within 15 s of the start, then ends the instance TERMINATED without a result', async () => {
    const id = await start();
    const early = await call(`${base}/terminate`, { processInstanceId: id, isSystem: false, operatingUserId: 'user001' });
    assert.equal(early.status, 400);
    assert.equal(early.body.code, 'aflowProcessInstStatusException');
    sim.workflow.terminateMinAgeMs = 0;
    const notOriginator = await call(`${base}/terminate`, { processInstanceId: id, isSystem: false, operatingUserId: 'someoneElse' });
    assert.equal(notOriginator.status, 400);
    const missingUser = await call(`${base}/terminate`, { processInstanceId: id, isSystem: false });
    assert.equal(missingUser.body.code, 'invalidInstanceTerminateOperatingUserId');
    const res = await call(`${base}/terminate`, { processInstanceId: id, isSystem: false, operatingUserId: 'user001', remark: '不报了' });
    assert.deepEqual(res.body, { result: true, success: true });
    const ended = await eventOf('bpms_instance_change', (d) => d.type === 'terminate')();
    assert.equal(ended.result, undefined);
    assert.equal(ended.processInstanceId, id);
    const after = (await get(id)).body.result;
    assert.equal(after.status, 'TERMINATED');
    assert.equal(after.tasks[0].status, 'CANCELED');
    assert.ok(after.operationRecords.some((r: any) => r.type === 'TERMINATE_PROCESS_INSTANCE' && r.remark === '不报了'));
    const twice = await call(`${base}/terminate`, { processInstanceId: id, isSystem: true });
    assert.equal(twice.body.code, 'aflowProcessInstStatusException');
  });

  it('comment adds an ADD_REMARK operation record', async () => {
    const id = await start();
    const res = await call(`${base}/comments`, { processInstanceId: id, text: '请补发票', commentUserId: 'finance01' });
    assert.deepEqual(res.body, { result: true, success: true });
    const record = (await get(id)).body.result.operationRecords.at(-1);
    assert.deepEqual([record.type, record.userId, record.remark, record.result], ['ADD_REMARK', 'finance01', '请补发票', 'NONE']);
  });

  it('bad inputs get the error codes DingTalk documents, in its error body', async () => {
    const id = await start();
    const taskId = await pendingTask(id);
    const cases: Array<[string, unknown, string]> = [
      [`${base}/execute`, { taskId, result: 'agree', actionerUserId: SIM_DEFAULT_APPROVER }, 'invalidInstanceId'],
      [`${base}/execute`, { processInstanceId: id, result: 'agree', actionerUserId: SIM_DEFAULT_APPROVER }, 'invalidInstanceExecuteTaskId'],
      [`${base}/execute`, { processInstanceId: id, taskId, result: 'agree' }, 'invalidInstanceExecuteActionerUserId'],
      [`${base}/execute`, { processInstanceId: id, taskId, result: 'yes', actionerUserId: SIM_DEFAULT_APPROVER }, 'invalidInstanceExecuteResult'],
      [`${base}/execute`, { processInstanceId: 'nope', taskId, result: 'agree', actionerUserId: SIM_DEFAULT_APPROVER }, 'aflowProcessInstNotExist'],
      [`${base}/execute`, { processInstanceId: id, taskId, result: 'agree', actionerUserId: 'notTheApprover' }, 'aflowProcessInstCanNotBeExecuted'],
      [
        `${base}/execute`,
        { processInstanceId: id, taskId: taskId + 1, result: 'agree', actionerUserId: SIM_DEFAULT_APPROVER },
        'aflowProcessInstCanNotBeExecuted',
      ],
      [
        `${base}/execute`,
        { processInstanceId: id, taskId, result: 'agree', actionerUserId: SIM_DEFAULT_APPROVER, remark: 'x'.repeat(1025) },
        'invalidParameter',
      ],
      [base, { ...claim('1'), processCode: 'PROC-NOPE' }, 'processCodeError'],
      [base, claim('not a number'), 'formConverterError'],
      [base, { ...claim('1'), formComponentValues: [{ name: '金额', value: '1' }] }, 'formConverterError'],
      [base, { ...claim('1'), deptId: undefined }, 'processInstanceInvalidParameter'],
      [base, { ...claim('1'), originatorUserId: undefined }, 'invalidParameter'],
      [`${base}/terminate`, { processInstanceId: 'nope', isSystem: true }, 'aflowProcessInstNotExist'],
      [`${base}/terminate`, {}, 'invalidInstanceId'],
      [`${base}/comments`, { processInstanceId: id, commentUserId: 'u' }, 'invalidInstanceCommentText'],
      [`${base}/comments`, { processInstanceId: id, text: 't' }, 'invalidInstanceCommentUserId'],
      [`${base}/comments`, { processInstanceId: 'nope', text: 't', commentUserId: 'u' }, 'aflowProcessInstNotExist'],
    ];
    for (const [path, body, code] of cases) {
      const res = await call(path, body);
      assert.equal(res.status, 400, `${path} ${JSON.stringify(body).slice(0, 80)}`);
      assert.equal(res.body.code, code, `${path} ${JSON.stringify(body).slice(0, 80)}: ${JSON.stringify(res.body)}`);
      assert.equal(typeof res.body.requestid, 'string');
      assert.equal(typeof res.body.message, 'string');
    }
    const unknown = await get('nope');
    assert.deepEqual([unknown.status, unknown.body.code], [400, 'processInstanceNotExist']);
    // Nothing moved: the instance is still pending its one task.
    assert.equal((await get(id)).body.result.status, 'RUNNING');
    const noToken = await postJson(`${sim.apiBase}${base}/execute`, {
      processInstanceId: id,
      taskId,
      result: 'agree',
      actionerUserId: SIM_DEFAULT_APPROVER,
    });
    assert.deepEqual([noToken.status, noToken.body.code], [400, 'InvalidAuthentication']);
  });

  it('a missing permission answers 403 naming it: Workflow.Instance.Write for execute, Workflow.Instance.Read for get', async () => {
    const id = await start();
    const taskId = await pendingTask(id);
    const denied = await postJson(`${sim.apiBase}/sim/approvals/permissions`, { deny: ['Workflow.Instance.Write'] });
    assert.equal(denied.status, 200);
    const res = await call(`${base}/execute`, { processInstanceId: id, taskId, result: 'agree', actionerUserId: SIM_DEFAULT_APPROVER });
    assert.equal(res.status, 403);
    assert.equal(res.body.code, 'Forbidden.AccessDenied.AccessTokenPermissionDenied');
    assert.deepEqual(res.body.accessdenieddetail.requiredScopes, ['Workflow.Instance.Write']);
    assert.match(res.body.message, /Workflow\.Instance\.Write/);
    assert.equal((await get(id)).status, 200);
    assert.equal((await call(base, claim('1'))).status, 403);
    sim.workflow.deniedScopes.clear();
    sim.workflow.deniedScopes.add('Workflow.Instance.Read');
    const read = await get(id);
    assert.deepEqual([read.status, read.body.accessdenieddetail.requiredScopes], [403, ['Workflow.Instance.Read']]);
    assert.equal((await get(id)).status, 403);
    sim.workflow.deniedScopes.clear();
    assert.equal((await get(id)).body.result.status, 'RUNNING');
  });

  it('the control API and sim.startApproval start claims from a plain form; /sim/approvals/execute acts as the approver', async () => {
    const viaSim = sim.startApproval({ originator: 'user002', form: { 金额: 300, 事由: '培训' } });
    assert.equal(viaSim.status, 'RUNNING');
    const res = await postJson(`${sim.apiBase}/sim/approvals`, { originator: 'user003', form: { 金额: '50', 事由: '打车' } });
    assert.equal(res.status, 200);
    const id = res.body.processInstanceId;
    await eventOf('bpms_task_change', (d) => d.processInstanceId === id && d.type === 'start')();
    const click = await postJson(`${sim.apiBase}/sim/approvals/execute`, {
      processInstanceId: id,
      actionerUserId: SIM_DEFAULT_APPROVER,
      result: 'agree',
    });
    assert.equal(click.status, 200, JSON.stringify(click.body));
    assert.equal((await eventOf('bpms_instance_change', (d) => d.processInstanceId === id && d.type === 'finish')()).result, 'agree');
    const list = await fetch(`${sim.apiBase}/sim/approvals`).then((r) => r.json() as Promise<any>);
    assert.equal(list.instances.length, 2);
    const bad = await postJson(`${sim.apiBase}/sim/approvals`, { originator: 'user003', form: { 金额: 'abc', 事由: 'x' } });
    assert.deepEqual([bad.status, bad.body.code], [400, 'formConverterError']);
  });
});
