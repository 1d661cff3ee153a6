import { randomBytes } from 'node:crypto';
import { DINGTALK } from '../contract';

/**
 * A small approval (OA 审批) engine: templates, instances, tasks and operation records, and the bpms_* events each step
 * pushes. Shapes follow DingTalk's pages, cited where each one is built; what the pages do not say is marked
 * UNCONFIRMED. It knows nothing of HTTP: workflow-routes.ts maps its errors to DingTalk's error bodies.
 *
 * Sources (DingTalk's open platform docs, crawled in apolloyyu/kb-dingtalk-open-platform):
 * - get instance:  https://open.dingtalk.com/document/development/obtains-the-details-of-a-single-approval-instance-pop
 * - start:         https://open.dingtalk.com/document/development/create-an-approval-instance
 * - execute:       https://open.dingtalk.com/document/development/approve-or-reject-the-approval-task
 * - terminate:     https://open.dingtalk.com/document/development/revoke-an-approval-instance
 * - comment:       https://open.dingtalk.com/document/development/official-approval-adds-approval-comments
 * - events:        https://open.dingtalk.com/document/development/event-bpms-instance-change,
 *                  https://open.dingtalk.com/document/development/event-bpms-task-change (Stream examples), and
 *                  https://open.dingtalk.com/document/development/approval-events-1 (start / finish / terminate variants)
 */

export type FieldType = 'TextField' | 'TextareaField' | 'NumberField' | 'MoneyField' | 'DDSelectField' | 'DDDateField';

export interface TemplateField {
  /** The component's label: `formComponentValues[].name` must equal it (create-an-approval-instance, `name`). */
  label: string;
  type: FieldType;
  required?: boolean;
  /** DDSelectField only: the allowed values ("选项值应当被配置在选项列表中"). */
  options?: string[];
}

export type ActionType = 'AND' | 'OR' | 'NONE';
export type WorkflowScope = 'Workflow.Instance.Read' | 'Workflow.Instance.Write';

/** One approval step: `actionType` as in the start API's `approvers` (会签 AND, 或签 OR, 单人 NONE). */
export interface ApproverNode {
  actionType: ActionType;
  userIds: string[];
}

export interface ApprovalTemplate {
  processCode: string;
  name: string;
  fields: TemplateField[];
  /** The approver chain used when a start call gives no `approvers`. */
  approvers: ApproverNode[];
  bizCategoryId?: string;
}

export type InstanceStatus = 'RUNNING' | 'TERMINATED' | 'COMPLETED';
export type TaskStatus = 'NEW' | 'RUNNING' | 'CANCELED' | 'COMPLETED' | 'TERMINATED';

export interface ApprovalTask {
  taskId: number;
  userId: string;
  status: TaskStatus;
  /** AGREE / REFUSE once acted on; NONE while pending (UNCONFIRMED: the page lists no value for a pending task). */
  result: 'AGREE' | 'REFUSE' | 'REDIRECTED' | 'NONE';
  activityId: string;
  nodeIndex: number;
  createTime: number;
  finishTime?: number;
}

export interface OperationRecord {
  userId: string;
  date: number;
  type: 'START_PROCESS_INSTANCE' | 'EXECUTE_TASK_NORMAL' | 'TERMINATE_PROCESS_INSTANCE' | 'ADD_REMARK';
  result: 'AGREE' | 'REFUSE' | 'NONE';
  remark?: string;
  activityId?: string;
}

export interface FormComponentValue {
  id: string;
  name: string;
  value: string;
  componentType: FieldType;
}

export interface ApprovalInstance {
  processInstanceId: string;
  processCode: string;
  /** The app whose token started it: its events go to that app's Stream connections. */
  clientId: string;
  title: string;
  originatorUserId: string;
  originatorDeptId: string;
  status: InstanceStatus;
  result?: 'agree' | 'refuse';
  businessId: string;
  createTime: number;
  finishTime?: number;
  nodes: ApproverNode[];
  currentNode: number;
  form: FormComponentValue[];
  tasks: ApprovalTask[];
  records: OperationRecord[];
}

/** A refusal with DingTalk's documented code and message (HTTP 400 on every workflow page). */
export class WorkflowError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export interface StartInput {
  processCode: string;
  originatorUserId: string;
  deptId?: number | string;
  formComponentValues: Array<{ name: string; value: string }>;
  approvers?: ApproverNode[];
  clientId: string;
}

export interface ExecuteInput {
  processInstanceId: string;
  taskId: number;
  actionerUserId: string;
  result: 'agree' | 'refuse';
  remark?: string;
}

export interface TerminateInput {
  processInstanceId: string;
  isSystem?: boolean;
  operatingUserId?: string;
  remark?: string;
}

export interface WorkflowDeps {
  corpId: string;
  /** Pushes an EVENT frame to the app's Stream connections (the simulator's `event(...)`). */
  emit(eventType: 'bpms_instance_change' | 'bpms_task_change', data: Record<string, unknown>, clientId: string): void;
  now?: () => number;
}

/** The template seeded by default: an expense claim (报销) with an amount and a reason, one approver. */
export const SIM_EXPENSE_PROCESS_CODE = 'PROC-SIM0EXPN-5E1A-4C1A-9E5E-000000000001';
export const SIM_DEFAULT_APPROVER = 'manager01';

export function expenseTemplate(): ApprovalTemplate {
  return {
    processCode: SIM_EXPENSE_PROCESS_CODE,
    name: '报销',
    fields: [
      { label: '金额', type: 'MoneyField', required: true },
      { label: '事由', type: 'TextareaField', required: true },
    ],
    approvers: [{ actionType: 'NONE', userIds: [SIM_DEFAULT_APPROVER] }],
  };
}

const NUMERIC_TYPES: ReadonlySet<FieldType> = new Set(['NumberField', 'MoneyField']);

function alnum(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** The get-instance page's time format, e.g. "2022-08-31T11:52Z" (UTC here; the zone DingTalk uses is UNCONFIRMED). */
export function dingTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16)}Z`;
}

export class WorkflowEngine {
  readonly templates = new Map<string, ApprovalTemplate>();
  readonly instances = new Map<string, ApprovalInstance>();
  /** Revoking is refused this soon after the start (DINGTALK.workflowTerminateMinAgeMs); tests may lower it. */
  terminateMinAgeMs: number = DINGTALK.workflowTerminateMinAgeMs;
  /**
   * Permissions the app "has not been granted": the workflow APIs needing one answer 403 naming it. Each page's 权限要求:
   * `Workflow.Instance.Read` for get, `Workflow.Instance.Write` for start, execute, terminate and comment.
   */
  readonly deniedScopes = new Set<WorkflowScope>();
  private nextTaskId = 60_000_000_000 + Math.floor(Math.random() * 1_000_000_000);
  private readonly now: () => number;

  constructor(private readonly deps: WorkflowDeps) {
    this.now = deps.now ?? Date.now;
    this.addTemplate(expenseTemplate());
  }

  addTemplate(template: ApprovalTemplate): ApprovalTemplate {
    if (template.approvers.length === 0 || template.approvers.some((n) => n.userIds.length === 0)) {
      throw new Error(`approval template ${template.processCode}: every approver node needs at least one userId`);
    }
    this.templates.set(template.processCode, template);
    return template;
  }

  get(processInstanceId: string): ApprovalInstance | undefined {
    return this.instances.get(processInstanceId);
  }

  start(input: StartInput): ApprovalInstance {
    const template = this.templates.get(input.processCode);
    // create-an-approval-instance error table.
    if (!template) throw new WorkflowError('processCodeError', '获取审批模板失败或者模板已被删除');
    if (!input.approvers && input.deptId === undefined) {
      // The page: deptId "若approvers未传值时…则deptId需必填". The code DingTalk answers with is UNCONFIRMED; this one
      // is the page's "发起部门id错误" entry.
      throw new WorkflowError(
        'processInstanceInvalidParameter',
        '审批实例参数错误，具体可能为:发起人、审批人、抄送人的userid错误，发起部门id错误，发起人不在发起部门中',
      );
    }
    const form = this.checkForm(template, input.formComponentValues);
    const now = this.now();
    const instance: ApprovalInstance = {
      processInstanceId: alnum(22),
      processCode: template.processCode,
      clientId: input.clientId,
      // UNCONFIRMED: DingTalk titles it "<originator's name>提交的<template name>" (the page's example); we have no
      // names, so the userId stands in.
      title: `${input.originatorUserId}提交的${template.name}`,
      originatorUserId: input.originatorUserId,
      originatorDeptId: input.deptId === undefined ? '-1' : String(input.deptId),
      status: 'RUNNING',
      businessId: `${dingTime(now).replace(/\D/g, '')}${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`,
      createTime: now,
      nodes: (input.approvers ?? template.approvers).map((n) => ({ actionType: n.actionType, userIds: [...n.userIds] })),
      currentNode: 0,
      form,
      tasks: [],
      records: [{ userId: input.originatorUserId, date: now, type: 'START_PROCESS_INSTANCE', result: 'NONE' }],
    };
    this.instances.set(instance.processInstanceId, instance);
    // UNCONFIRMED: the order of the instance-start and first task-start events.
    this.emitInstance(instance, 'start');
    this.activateNode(instance, 0);
    return instance;
  }

  execute(input: ExecuteInput): void {
    const instance = this.instances.get(input.processInstanceId);
    // UNCONFIRMED: the execute page lists no "instance not found" code; this is the terminate/comment pages' one.
    if (!instance) throw new WorkflowError('aflowProcessInstNotExist', '审批实例不存在');
    if (instance.status !== 'RUNNING') throw new WorkflowError('aflowProcessInstStatusException', '审批单状态异常');
    const task = instance.tasks.find((t) => t.taskId === input.taskId);
    // UNCONFIRMED: an unknown or finished task, and an actioner other than the task's user, are answered with the
    // page's "审批状态异常，无法执行" here; DingTalk's exact answer for each is not documented.
    if (task?.status !== 'RUNNING' || task.userId !== input.actionerUserId) {
      throw new WorkflowError('aflowProcessInstCanNotBeExecuted', '审批状态异常，无法执行');
    }
    const now = this.now();
    task.status = 'COMPLETED';
    task.result = input.result === 'agree' ? 'AGREE' : 'REFUSE';
    task.finishTime = now;
    instance.records.push({
      userId: input.actionerUserId,
      date: now,
      type: 'EXECUTE_TASK_NORMAL',
      result: task.result,
      activityId: task.activityId,
      ...(input.remark ? { remark: input.remark } : {}),
    });
    this.emitTask(instance, task, 'finish', input.result, input.remark);
    const node = instance.nodes[task.nodeIndex];
    const pending = instance.tasks.filter((t) => t.nodeIndex === task.nodeIndex && t.status === 'RUNNING');
    // The execute page: one refusal ends the process; an agreement moves it to the next approver. An OR node (或签) is
    // done after one action, its other tasks get a "cancel" event (approval-events-1, 审批任务结束 type cancel).
    if (input.result === 'refuse' || node?.actionType === 'OR') {
      for (const other of pending) {
        other.status = 'CANCELED';
        other.finishTime = now;
        this.emitTask(instance, other, 'cancel');
      }
    }
    if (input.result === 'refuse') return this.finish(instance, 'refuse');
    if (pending.length > 0 && node?.actionType === 'AND') return;
    if (task.nodeIndex + 1 < instance.nodes.length) return this.activateNode(instance, task.nodeIndex + 1);
    this.finish(instance, 'agree');
  }

  terminate(input: TerminateInput): void {
    const instance = this.instances.get(input.processInstanceId);
    // revoke-an-approval-instance error table.
    if (!instance) throw new WorkflowError('aflowProcessInstNotExist', '审批实例不存在');
    if (input.isSystem === undefined && !input.operatingUserId) {
      // UNCONFIRMED: the page marks isSystem optional yet lists this error; refused only when nothing says who acts.
      throw new WorkflowError('invalidInstanceTerminateIsSystem', '撤销审批实例，是否通过系统操作参数不能为空');
    }
    if (input.isSystem !== true && !input.operatingUserId) {
      throw new WorkflowError('invalidInstanceTerminateOperatingUserId', '撤销审批实例，当isSystem为false时，操作人的userId不能为空');
    }
    if (input.isSystem !== true && input.operatingUserId !== instance.originatorUserId) {
      // The page: "需要传发起人才能撤销"; a non-originator fails with "您没有任务处理的权限" (its note on errcode 820008).
      // UNCONFIRMED: that the new API answers it as internalError.
      throw new WorkflowError('internalError', '您没有任务处理的权限');
    }
    // The page describes aflowProcessInstStatusException as "提交审批单后15秒内不能进行撤回、审批单已结束等"; the
    // message texts are UNCONFIRMED (the table gives "%s").
    if (instance.status !== 'RUNNING') throw new WorkflowError('aflowProcessInstStatusException', '审批单已结束');
    if (this.now() - instance.createTime < this.terminateMinAgeMs) {
      throw new WorkflowError('aflowProcessInstStatusException', '提交审批单后15秒内不能进行撤回');
    }
    const now = this.now();
    // UNCONFIRMED: pending tasks of a revoked instance are shown CANCELED, and no bpms_task_change is documented for them.
    for (const task of instance.tasks.filter((t) => t.status === 'RUNNING' || t.status === 'NEW')) {
      task.status = 'CANCELED';
      task.finishTime = now;
    }
    instance.records.push({
      userId: input.operatingUserId ?? instance.originatorUserId,
      date: now,
      type: 'TERMINATE_PROCESS_INSTANCE',
      result: 'NONE',
      ...(input.remark ? { remark: input.remark } : {}),
    });
    instance.status = 'TERMINATED';
    instance.finishTime = now;
    this.emitInstance(instance, 'terminate');
  }

  comment(processInstanceId: string, commentUserId: string, text: string): void {
    const instance = this.instances.get(processInstanceId);
    if (!instance) throw new WorkflowError('aflowProcessInstNotExist', '审批实例不存在');
    // UNCONFIRMED: whether DingTalk accepts comments on finished instances (allowed here) and pushes any event (none).
    instance.records.push({ userId: commentUserId, date: this.now(), type: 'ADD_REMARK', result: 'NONE', remark: text });
  }

  /** The `result` object of GET /v1.0/workflow/processInstances, shaped like the page's example. */
  view(instance: ApprovalInstance): Record<string, unknown> {
    return {
      title: instance.title,
      ...(instance.finishTime !== undefined ? { finishTime: dingTime(instance.finishTime) } : {}),
      originatorUserId: instance.originatorUserId,
      originatorDeptId: instance.originatorDeptId,
      originatorDeptName: instance.originatorDeptId === '-1' ? '根部门' : `部门${instance.originatorDeptId}`,
      status: instance.status,
      // The page: approverUserIds is returned for instances started by the API (all of them here).
      approverUserIds: [...new Set(instance.nodes.flatMap((n) => n.userIds))],
      ccUserIds: [],
      // UNCONFIRMED: the value while running or after a revoke (empty string here).
      result: instance.result ?? '',
      businessId: instance.businessId,
      operationRecords: instance.records.map((r) => ({
        userId: r.userId,
        date: dingTime(r.date),
        type: r.type,
        result: r.result,
        ...(r.remark !== undefined ? { remark: r.remark } : {}),
        ...(r.activityId !== undefined ? { activityId: r.activityId, showName: '审批人' } : {}),
      })),
      tasks: instance.tasks.map((t) => ({
        taskId: t.taskId,
        userId: t.userId,
        status: t.status,
        result: t.result,
        createTime: dingTime(t.createTime),
        ...(t.finishTime !== undefined ? { finishTime: dingTime(t.finishTime) } : {}),
        mobileUrl: this.url(instance, t.taskId),
        pcUrl: this.url(instance, t.taskId),
        processInstanceId: instance.processInstanceId,
        activityId: t.activityId,
      })),
      bizAction: 'NONE',
      formComponentValues: instance.form.map((f) => ({ ...f })),
      createTime: dingTime(instance.createTime),
    };
  }

  private checkForm(template: ApprovalTemplate, values: Array<{ name: string; value: string }>): FormComponentValue[] {
    // The page's formConverterError "表单数据校验失败，失败控件：%s". Which checks DingTalk makes is UNCONFIRMED; these are
    // the page's own rules (names match labels, select values from the option list, numbers for number/money fields).
    const fail = (name: string): never => {
      throw new WorkflowError('formConverterError', `表单数据校验失败，失败控件：${name}`);
    };
    const out: FormComponentValue[] = [];
    for (const { name, value } of values) {
      const field = template.fields.find((f) => f.label === name);
      if (!field || value.length > DINGTALK.workflowFormValueMaxChars) return fail(name);
      if (NUMERIC_TYPES.has(field.type) && (value.trim() === '' || !Number.isFinite(Number(value)))) return fail(name);
      if (field.type === 'DDSelectField' && field.options && !field.options.includes(value)) return fail(name);
      out.push({ id: `${field.type}-${fieldId(template.processCode, field.label)}`, name, value, componentType: field.type });
    }
    for (const field of template.fields) if (field.required && !out.some((f) => f.name === field.label)) fail(field.label);
    return out;
  }

  private activateNode(instance: ApprovalInstance, index: number): void {
    const node = instance.nodes[index];
    if (!node) return;
    instance.currentNode = index;
    const now = this.now();
    for (const userId of node.userIds) {
      const task: ApprovalTask = {
        taskId: this.nextTaskId++,
        userId,
        status: 'RUNNING',
        result: 'NONE',
        activityId: `node-${index + 1}`,
        nodeIndex: index,
        createTime: now,
      };
      instance.tasks.push(task);
      this.emitTask(instance, task, 'start');
    }
  }

  private finish(instance: ApprovalInstance, result: 'agree' | 'refuse'): void {
    instance.status = 'COMPLETED';
    instance.result = result;
    instance.finishTime = this.now();
    this.emitInstance(instance, 'finish');
  }

  private url(instance: ApprovalInstance, taskId?: number): string {
    // The events' url, e.g. "https://aflow.dingtalk.com/dingtalk/mobile/homepage.htm?corpid=…&dd_share=". The query
    // naming the instance/task is ours (UNCONFIRMED); nothing fetches it offline.
    const task = taskId === undefined ? '' : `&taskId=${taskId}`;
    return `https://aflow.dingtalk.com/dingtalk/mobile/homepage.htm?corpid=${this.deps.corpId}&dd_share=&procInsId=${instance.processInstanceId}${task}`;
  }

  /**
   * bpms_instance_change `data`, as in the Stream example of event-bpms-instance-change: processInstanceId,
   * createTime, finishTime, processCode, bizCategoryId, businessId, type, title, url, staffId (the originator),
   * result (finish only; "审批终止时没这个值"). UNCONFIRMED: the Stream example shows only a finish event; start and
   * terminate leave out finishTime/result as the HTTP examples of approval-events-1 do. `businessType` (in the
   * example, meaning undocumented) is not sent; corpId is in the frame headers (eventCorpId), not in `data`.
   */
  private emitInstance(instance: ApprovalInstance, type: 'start' | 'finish' | 'terminate'): void {
    const data: Record<string, unknown> = {
      processInstanceId: instance.processInstanceId,
      createTime: instance.createTime,
      ...(type !== 'start' && instance.finishTime !== undefined ? { finishTime: instance.finishTime } : {}),
      processCode: instance.processCode,
      ...this.category(instance),
      businessId: instance.businessId,
      type,
      title: instance.title,
      url: this.url(instance),
      staffId: instance.originatorUserId,
      ...(type === 'finish' && instance.result ? { result: instance.result } : {}),
    };
    this.deps.emit('bpms_instance_change', data, instance.clientId);
  }

  /**
   * bpms_task_change `data`, as in the Stream example of event-bpms-task-change: processInstanceId, createTime (the
   * instance's, "实例创建时间"), finishTime, processCode, bizCategoryId, businessId, remark, type, title, taskId (a
   * number), staffId (the approver), result. UNCONFIRMED: taskId on a start/cancel event (only the finish example
   * shows it) and the absence of result on cancel.
   */
  private emitTask(instance: ApprovalInstance, task: ApprovalTask, type: 'start' | 'finish' | 'cancel', result?: string, remark?: string): void {
    const data: Record<string, unknown> = {
      processInstanceId: instance.processInstanceId,
      createTime: instance.createTime,
      ...(type !== 'start' && task.finishTime !== undefined ? { finishTime: task.finishTime } : {}),
      processCode: instance.processCode,
      ...this.category(instance),
      businessId: instance.businessId,
      ...(remark ? { remark } : {}),
      type,
      title: instance.title,
      taskId: task.taskId,
      staffId: task.userId,
      ...(result ? { result } : {}),
    };
    this.deps.emit('bpms_task_change', data, instance.clientId);
  }

  private category(instance: ApprovalInstance): Record<string, string> {
    // UNCONFIRMED: what bizCategoryId DingTalk sends for a plain OA template; sent only when the template sets one.
    const id = this.templates.get(instance.processCode)?.bizCategoryId;
    return id ? { bizCategoryId: id } : {};
  }
}

function fieldId(processCode: string, label: string): string {
  let h = 0;
  for (const ch of `${processCode}/${label}`) h = (h * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
  return `K${h.toString(36).toUpperCase()}`;
}
