/**
 * msg -> one approval call, for dingtalk-approval: which operation, which instance, who acts, and a start's form from
 * a plain `{ label: value }` object. Every value comes from its msg property or else the node's setting, and a missing
 * or malformed one is a MsgInputError naming where it was looked for. Limits are DingTalk's (src/contract.ts).
 */
import { z } from 'zod';
import { DINGTALK } from '../contract';
import { MsgInputError, checkId, checkLength, checkPlain, describeValue, parseMsgProperty, sizeError } from './input-error';
import { plainCopy } from './plain-json';

export const APPROVAL_OPERATIONS = ['get', 'approve', 'refuse', 'start', 'comment', 'terminate'] as const;
export type ApprovalOperation = (typeof APPROVAL_OPERATIONS)[number];

/** Ours: DingTalk's ids are far shorter (an instance id has 22 characters, a userId at most 64). */
const ID_MAX_CHARS = 256;

export interface ApprovalNodeSettings {
  /** One of APPROVAL_OPERATIONS, or "msg" for msg.operation. */
  operation?: string;
  processCode?: string;
  /** Who approves, refuses, comments or revokes, when msg.actionerUserId is not set. */
  actionerUserId?: string;
  /** Who starts an approval, when msg.originatorUserId is not set. */
  originatorUserId?: string;
  /** The originator's department for a start (text in the editor), when msg.deptId is not set. */
  deptId?: string;
  /** The remark of an approve/refuse/revoke, or a comment's text, when the msg gives none. */
  remark?: string;
}

export type ApprovalRequest =
  | { operation: 'get'; processInstanceId: string }
  | {
      operation: 'approve' | 'refuse';
      processInstanceId: string;
      /** Undefined: the actioner's pending task, found from the instance. */
      taskId?: number;
      actionerUserId: string;
      actionerProperty: string;
      remark?: string;
    }
  | {
      operation: 'start';
      processCode: string;
      originatorUserId: string;
      deptId?: number;
      formComponentValues: Array<{ name: string; value: string }>;
      approvers?: Array<{ actionType: 'AND' | 'OR' | 'NONE'; userIds: string[] }>;
    }
  | { operation: 'comment'; processInstanceId: string; commentUserId: string; text: string }
  | { operation: 'terminate'; processInstanceId: string; isSystem: boolean; operatingUserId?: string; remark?: string };

type Msg = Record<string, unknown>;

const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '';
const setting = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim());

function missing(property: string, what: string): MsgInputError {
  return new MsgInputError('missingApprovalValue', property, `${property} is not set: ${what}`, { property, what });
}

/** A text id from `msg.<key>` or else the node's setting; undefined when neither gives one. */
function idFrom(msg: Msg, key: string, fallback: string | undefined): { value: string; property: string } | undefined {
  const raw = msg[key];
  if (present(raw)) {
    const property = `msg.${key}`;
    if (typeof raw !== 'string' && !(typeof raw === 'number' && Number.isSafeInteger(raw))) {
      throw new MsgInputError('invalidProperty', property, `${property} is not usable (got ${describeValue(raw)}). Expected a string id.`, {
        property,
        reason: 'not a string',
        got: describeValue(raw),
        expected: 'a string id',
      });
    }
    const value = String(raw).trim();
    checkId(value, property, ID_MAX_CHARS);
    return { value, property };
  }
  if (fallback === undefined) return undefined;
  checkId(fallback, key, ID_MAX_CHARS);
  return { value: fallback, property: key };
}

function operationOf(msg: Msg, settings: ApprovalNodeSettings): ApprovalOperation {
  const fromMsg = settings.operation === undefined || settings.operation === '' || settings.operation === 'msg';
  const raw = fromMsg ? msg['operation'] : settings.operation;
  const property = fromMsg ? 'msg.operation' : 'operation';
  if (typeof raw === 'string' && (APPROVAL_OPERATIONS as readonly string[]).includes(raw.trim())) return raw.trim() as ApprovalOperation;
  throw new MsgInputError(
    'invalidOperation',
    property,
    `${property} is ${raw === undefined ? 'not set' : `"${String(raw).slice(0, 40)}"`}: expected one of ${APPROVAL_OPERATIONS.join(', ')}.`,
    { property, expected: APPROVAL_OPERATIONS.join(', ') },
  );
}

/** msg.processInstanceId, or the processInstanceId of an approval event's msg.payload (what dingtalk-event-in gives). */
function instanceIdOf(msg: Msg): string {
  const own = idFrom(msg, 'processInstanceId', undefined);
  if (own) return own.value;
  const payload = msg['payload'];
  if (payload !== null && typeof payload === 'object' && !Array.isArray(payload)) {
    const fromEvent = (payload as Msg)['processInstanceId'];
    if (typeof fromEvent === 'string' && fromEvent.trim() !== '') {
      checkId(fromEvent.trim(), 'msg.payload.processInstanceId', ID_MAX_CHARS);
      return fromEvent.trim();
    }
  }
  throw missing(
    'msg.processInstanceId',
    'set it to the approval instance id (an approval event gives it as msg.payload.processInstanceId, the start operation as msg.payload.processInstanceId).',
  );
}

function remarkOf(msg: Msg, settings: ApprovalNodeSettings): string | undefined {
  const raw = msg['remark'];
  if (present(raw)) {
    const remark = parseMsgProperty(z.string(), raw, 'msg.remark', 'a text');
    checkLength(remark, 'msg.remark', DINGTALK.workflowRemarkMaxChars, 'DingTalk takes at most 1,024 characters: shorten it.');
    return remark;
  }
  const fallback = setting(settings.remark);
  if (fallback !== undefined) checkLength(fallback, 'remark', DINGTALK.workflowRemarkMaxChars);
  return fallback;
}

const TaskIdSchema = z.union([
  z.number().int().positive().refine(Number.isSafeInteger, 'too large to be exact: give it as a string'),
  z
    .string()
    .regex(/^\d{1,19}$/, 'digits only')
    .transform(Number)
    .refine(Number.isSafeInteger, 'too large for DingTalk to read exactly'),
]);

function actionerOf(msg: Msg, settings: ApprovalNodeSettings, key = 'actionerUserId'): { value: string; property: string } | undefined {
  return idFrom(msg, key, undefined) ?? idFrom(msg, 'actionerUserId', setting(settings.actionerUserId));
}

function executeRequest(msg: Msg, settings: ApprovalNodeSettings, operation: 'approve' | 'refuse'): ApprovalRequest {
  const processInstanceId = instanceIdOf(msg);
  const actioner = actionerOf(msg, settings);
  if (!actioner) {
    throw missing('msg.actionerUserId', "set it (or the node's Actioner) to the userId of the approver whose task is approved or refused.");
  }
  const taskId = present(msg['taskId'])
    ? parseMsgProperty(TaskIdSchema, msg['taskId'], 'msg.taskId', 'the task id (a number) from the instance')
    : undefined;
  const remark = remarkOf(msg, settings);
  return {
    operation,
    processInstanceId,
    actionerUserId: actioner.value,
    actionerProperty: actioner.property,
    ...(taskId === undefined ? {} : { taskId }),
    ...(remark === undefined ? {} : { remark }),
  };
}

const ApproversSchema = z
  .array(
    z.union([z.string().min(1), z.object({ actionType: z.enum(['AND', 'OR', 'NONE']).default('NONE'), userIds: z.array(z.string().min(1)).min(1) })]),
  )
  .min(1)
  .max(DINGTALK.workflowMaxApprovers);

/** A form value as DingTalk takes it: always a string (numbers as text; lists and objects as JSON text). */
function formValue(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function formOf(msg: Msg): Array<{ name: string; value: string }> {
  const form = plainCopy(msg['payload'], 'msg.payload');
  if (form === null || typeof form !== 'object' || Array.isArray(form)) {
    throw new MsgInputError(
      'invalidProperty',
      'msg.payload',
      `msg.payload is not usable (got ${describeValue(msg['payload'])}). Expected the form as an object of { label: value }, e.g. { "金额": "300", "事由": "打车" }.`,
      { property: 'msg.payload', reason: 'not an object', got: describeValue(msg['payload']), expected: 'an object of { label: value }' },
    );
  }
  const entries = Object.entries(form as Msg);
  if (entries.length > DINGTALK.workflowMaxFormComponents) {
    throw sizeError('msg.payload', entries.length, DINGTALK.workflowMaxFormComponents, 'items', 'DingTalk takes at most 150 form components.');
  }
  const out: Array<{ name: string; value: string }> = [];
  for (const [name, raw] of entries) {
    const property = `msg.payload.${name}`;
    checkPlain(name, property);
    const value = formValue(raw);
    if (value === undefined) continue;
    checkLength(value, property, DINGTALK.workflowFormValueMaxChars);
    out.push({ name, value });
  }
  if (out.length === 0) {
    throw missing('msg.payload', 'give the form as an object of { label: value } with the labels of the approval template, e.g. { "金额": "300" }.');
  }
  return out;
}

function deptIdOf(msg: Msg, settings: ApprovalNodeSettings): number | undefined {
  const fromMsg = present(msg['deptId']);
  const raw = fromMsg ? msg['deptId'] : setting(settings.deptId);
  if (raw === undefined) return undefined;
  const property = fromMsg ? 'msg.deptId' : 'deptId';
  return parseMsgProperty(
    z.union([
      z.number().int().refine(Number.isSafeInteger),
      z
        .string()
        .trim()
        .regex(/^-?\d{1,18}$/)
        .transform(Number),
    ]),
    raw,
    property,
    'a department id (a whole number; -1 is the root department)',
  );
}

function startRequest(msg: Msg, settings: ApprovalNodeSettings): ApprovalRequest {
  const processCode = idFrom(msg, 'processCode', setting(settings.processCode));
  if (!processCode) {
    throw missing(
      'msg.processCode',
      "set it (or the node's Template setting) to the template's processCode (PROC-...), shown in the approval admin's URL.",
    );
  }
  const originator = idFrom(msg, 'originatorUserId', setting(settings.originatorUserId));
  if (!originator) throw missing('msg.originatorUserId', "set it (or the node's Originator) to the userId of who starts the approval.");
  const approversRaw = msg['approvers'];
  const approvers = present(approversRaw)
    ? parseMsgProperty(
        ApproversSchema,
        plainCopy(approversRaw, 'msg.approvers'),
        'msg.approvers',
        'a list of userIds, or of { actionType, userIds }',
      ).map((a) => (typeof a === 'string' ? { actionType: 'NONE' as const, userIds: [a] } : a))
    : undefined;
  const deptId = deptIdOf(msg, settings);
  // create-an-approval-instance: deptId "若approvers未传值时…需必填".
  if (deptId === undefined && approvers === undefined) {
    throw missing(
      'msg.deptId',
      "DingTalk needs the originator's department when no approvers are given: set msg.deptId (or the node's Department; -1 is the root department), or msg.approvers.",
    );
  }
  return {
    operation: 'start',
    processCode: processCode.value,
    originatorUserId: originator.value,
    formComponentValues: formOf(msg),
    ...(deptId === undefined ? {} : { deptId }),
    ...(approvers === undefined ? {} : { approvers }),
  };
}

function commentRequest(msg: Msg, settings: ApprovalNodeSettings): ApprovalRequest {
  const processInstanceId = instanceIdOf(msg);
  const user = actionerOf(msg, settings, 'commentUserId');
  if (!user) throw missing('msg.commentUserId', "set it, msg.actionerUserId or the node's Actioner to the userId who comments.");
  const payload = msg['payload'];
  const text = remarkOf(msg, settings) ?? (typeof payload === 'string' && payload.trim() !== '' ? payload : undefined);
  if (text === undefined) throw missing('msg.remark', 'give the comment text in msg.remark (or as a text msg.payload).');
  checkLength(text, 'msg.payload', DINGTALK.workflowRemarkMaxChars, 'DingTalk takes at most 1,024 characters: shorten it.');
  return { operation: 'comment', processInstanceId, commentUserId: user.value, text };
}

function terminateRequest(msg: Msg, settings: ApprovalNodeSettings): ApprovalRequest {
  const processInstanceId = instanceIdOf(msg);
  const user = actionerOf(msg, settings, 'operatingUserId');
  const remark = remarkOf(msg, settings);
  // revoke-an-approval-instance: isSystem true revokes as the system; otherwise the operating user must be the originator.
  return {
    operation: 'terminate',
    processInstanceId,
    isSystem: user === undefined,
    ...(user === undefined ? {} : { operatingUserId: user.value }),
    ...(remark === undefined ? {} : { remark }),
  };
}

/** The call a msg asks for; throws a MsgInputError naming the msg property (or node setting) at fault. */
export function approvalRequest(msg: Msg, settings: ApprovalNodeSettings): ApprovalRequest {
  const operation = operationOf(msg, settings);
  switch (operation) {
    case 'get':
      return { operation, processInstanceId: instanceIdOf(msg) };
    case 'approve':
    case 'refuse':
      return executeRequest(msg, settings, operation);
    case 'start':
      return startRequest(msg, settings);
    case 'comment':
      return commentRequest(msg, settings);
    case 'terminate':
      return terminateRequest(msg, settings);
  }
}
