/**
 * The approval (OA 审批) calls of `dingtalk-approval`: DingTalk's `/v1.0/workflow/processInstances*` API, one function per
 * call, each with the schema of DingTalk's answer (docs/protocol.md §6.9; each page is cited where its call is built).
 * The answers are checked only for what the node reads; everything else DingTalk sends is kept.
 */
import { z } from 'zod';
import { DingTalkError } from './errors';
import type { OpenApiClient } from './http';

export const WORKFLOW_PATHS = {
  instances: '/v1.0/workflow/processInstances',
  execute: '/v1.0/workflow/processInstances/execute',
  terminate: '/v1.0/workflow/processInstances/terminate',
  comments: '/v1.0/workflow/processInstances/comments',
} as const;

/** After a failure DingTalk may have acted on: the advice names the approval, not a chat. */
export const WORKFLOW_OUTCOME_UNKNOWN_HINT = 'check the approval in DingTalk (dingtalk-approval, operation get instance) before trying again';

/** A form component: `name` is the label, `value` always a string ("2000" for a money field), as the page's example shows. */
const FormComponentSchema = z.looseObject({
  id: z.string().optional(),
  name: z.string().optional(),
  value: z.string().nullable().optional(),
  componentType: z.string().optional(),
});

/** A task: its `taskId` is a number (Long) in the page's example; a string is read too, in case. */
const TaskSchema = z.looseObject({
  taskId: z.union([z.number(), z.string()]),
  userId: z.string().optional(),
  status: z.string().optional(),
  result: z.string().optional(),
  activityId: z.string().optional(),
});

/**
 * GET /v1.0/workflow/processInstances (obtains-the-details-of-a-single-approval-instance-pop): `{result: {...}, success}`.
 * `success` is the string "true" in the page's example.
 */
export const InstanceAnswerSchema = z.looseObject({
  result: z.looseObject({
    title: z.string().optional(),
    status: z.string().optional(),
    result: z.string().optional(),
    originatorUserId: z.string().optional(),
    formComponentValues: z.array(FormComponentSchema).optional(),
    tasks: z.array(TaskSchema).optional(),
    operationRecords: z.array(z.looseObject({})).optional(),
  }),
});
export type ApprovalInstanceDetails = z.infer<typeof InstanceAnswerSchema>['result'];
export type ApprovalTaskDetails = z.infer<typeof TaskSchema>;

/** POST /v1.0/workflow/processInstances (create-an-approval-instance): `{instanceId}`. */
export const StartAnswerSchema = z.looseObject({ instanceId: z.string().min(1) });

/** execute / terminate / comments: `{result: boolean, success: boolean}` on their pages. */
export const ActionAnswerSchema = z.looseObject({ result: z.boolean().optional(), success: z.union([z.boolean(), z.string()]).optional() });
export type ActionAnswer = z.infer<typeof ActionAnswerSchema>;

export interface StartInstanceBody {
  processCode: string;
  originatorUserId: string;
  /** Required by DingTalk when `approvers` is not given; -1 is the root department. */
  deptId?: number;
  formComponentValues: Array<{ name: string; value: string }>;
  approvers?: Array<{ actionType: 'AND' | 'OR' | 'NONE'; userIds: string[] }>;
}

export interface ExecuteTaskBody {
  processInstanceId: string;
  /** A JSON number, as the SDKs send it (Long). */
  taskId: number;
  result: 'agree' | 'refuse';
  actionerUserId: string;
  remark?: string;
}

export interface TerminateBody {
  processInstanceId: string;
  /** true: revoked by the system; false: by `operatingUserId`, who must be the originator. */
  isSystem: boolean;
  operatingUserId?: string;
  remark?: string;
}

export interface CommentBody {
  processInstanceId: string;
  text: string;
  commentUserId: string;
}

/** Marks a write whose outcome is unknown with advice about approvals; everything else passes as it is. */
function explainWrite(err: unknown): never {
  if (err instanceof DingTalkError && err.outcomeUnknown) throw err.with({ hint: WORKFLOW_OUTCOME_UNKNOWN_HINT });
  throw err;
}

/** The instance's details (permission `Workflow.Instance.Read`). A GET: resent after a 5xx or network failure. */
export async function getApprovalInstance(api: OpenApiClient, processInstanceId: string): Promise<ApprovalInstanceDetails> {
  const answer = await api.call(
    { method: 'GET', path: WORKFLOW_PATHS.instances, query: { processInstanceId }, idempotent: true },
    InstanceAnswerSchema,
  );
  return answer.result;
}

/** Starts an instance and returns its processInstanceId (permission `Workflow.Instance.Write`). Never resent blindly. */
export async function startApprovalInstance(api: OpenApiClient, body: StartInstanceBody): Promise<string> {
  const answer = await api.call({ method: 'POST', path: WORKFLOW_PATHS.instances, body, idempotent: false }, StartAnswerSchema).catch(explainWrite);
  return answer.instanceId;
}

/** Agrees or refuses one task (approve-or-reject-the-approval-task; permission `Workflow.Instance.Write`). */
export function executeApprovalTask(api: OpenApiClient, body: ExecuteTaskBody): Promise<ActionAnswer> {
  return api.call({ method: 'POST', path: WORKFLOW_PATHS.execute, body, idempotent: false }, ActionAnswerSchema).catch(explainWrite);
}

/** Revokes an instance (revoke-an-approval-instance; refused within 15 s of its start). */
export function terminateApprovalInstance(api: OpenApiClient, body: TerminateBody): Promise<ActionAnswer> {
  return api.call({ method: 'POST', path: WORKFLOW_PATHS.terminate, body, idempotent: false }, ActionAnswerSchema).catch(explainWrite);
}

/** Adds a comment (official-approval-adds-approval-comments). */
export function commentApprovalInstance(api: OpenApiClient, body: CommentBody): Promise<ActionAnswer> {
  return api.call({ method: 'POST', path: WORKFLOW_PATHS.comments, body, idempotent: false }, ActionAnswerSchema).catch(explainWrite);
}
