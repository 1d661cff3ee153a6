/**
 * DingTalk's approval instance -> what dingtalk-approval puts on msg.payload, and the pending task an approve/refuse
 * acts on when the msg names only the instance and the approver.
 */
import type { ApprovalInstanceDetails, ApprovalTaskDetails } from '../api/workflow';
import { MsgInputError } from './input-error';

export interface ApprovalView {
  id: string;
  title?: string;
  /** RUNNING, COMPLETED or TERMINATED. */
  status?: string;
  /** agree / refuse once COMPLETED. */
  result?: string;
  originatorUserId?: string;
  /**
   * `{ label: value }`: each component's value as DingTalk gives it, always a string ("2000" for a money field,
   * JSON text for tables and multi-selects). A repeated label gets " (2)", " (3)"... so no value is lost.
   */
  form: Record<string, string>;
  /** `formComponentValues` as DingTalk sent them (id, name, value, componentType...). */
  formComponents: unknown[];
  /** Every task: taskId, userId, status (RUNNING while pending), result, activityId... */
  tasks: ApprovalTaskDetails[];
  /** `operationRecords`: who did what, when. */
  records: unknown[];
  /** DingTalk's whole `result` object. */
  raw: ApprovalInstanceDetails;
}

export function approvalView(processInstanceId: string, details: ApprovalInstanceDetails): ApprovalView {
  const form: Record<string, string> = {};
  for (const component of details.formComponentValues ?? []) {
    const label = component.name;
    if (label === undefined || label === '') continue;
    let key = label;
    for (let n = 2; Object.hasOwn(form, key); n++) key = `${label} (${n})`;
    form[key] = component.value ?? '';
  }
  return {
    id: processInstanceId,
    ...(details.title === undefined ? {} : { title: details.title }),
    ...(details.status === undefined ? {} : { status: details.status }),
    ...(details.result === undefined ? {} : { result: details.result }),
    ...(details.originatorUserId === undefined ? {} : { originatorUserId: details.originatorUserId }),
    form,
    formComponents: details.formComponentValues ?? [],
    tasks: details.tasks ?? [],
    records: details.operationRecords ?? [],
    raw: details,
  };
}

/** A task's id as the execute call takes it (a number), or undefined when it is not one. */
function numericTaskId(task: ApprovalTaskDetails): number | undefined {
  const id = typeof task.taskId === 'number' ? task.taskId : /^\d+$/.test(task.taskId) ? Number(task.taskId) : Number.NaN;
  return Number.isSafeInteger(id) ? id : undefined;
}

/**
 * The actioner's pending (RUNNING) task of the instance. None: a MsgInputError on the actioner's property that says
 * who does have a pending task, or that the approval has finished.
 */
export function pendingTaskOf(processInstanceId: string, details: ApprovalInstanceDetails, actionerUserId: string, property: string): number {
  const running = (details.tasks ?? []).filter((t) => t.status === 'RUNNING');
  const mine = running.find((t) => t.userId === actionerUserId);
  const taskId = mine ? numericTaskId(mine) : undefined;
  if (taskId !== undefined) return taskId;
  const params = { property, user: actionerUserId, instance: processInstanceId, status: details.status ?? '?', pending: '' };
  if (running.length === 0) {
    const state =
      details.status && details.status !== 'RUNNING' ? `${details.status}${details.result ? ` (${details.result})` : ''}` : 'without a pending task';
    params.status = state;
    throw new MsgInputError(
      'approvalFinished',
      property,
      `Approval ${processInstanceId} is ${state}: there is no pending task left to approve or refuse.`,
      params,
    );
  }
  params.pending = [...new Set(running.map((t) => t.userId ?? '?'))].join(', ');
  throw new MsgInputError(
    'noPendingTask',
    property,
    `${property} "${actionerUserId}" has no pending task in approval ${processInstanceId}; the pending tasks are with: ${params.pending}. Set ${property} to one of them (or msg.taskId to the task).`,
    params,
  );
}
