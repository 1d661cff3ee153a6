import { z } from 'zod';
import { DINGTALK } from '../contract';
import { dingError, ok, type Route, type Router, type SimReply, type SimRequest } from './http-kit';
import type { SimulatorApp } from './types';
import {
  type ApprovalInstance,
  type ApproverNode,
  SIM_EXPENSE_PROCESS_CODE,
  type WorkflowEngine,
  WorkflowError,
  type WorkflowScope,
} from './workflow';

/**
 * The approval APIs (`/v1.0/workflow/processInstances*`) and their `/sim/approvals*` control twins. Body checks answer
 * with the codes each DingTalk page lists for the missing field (sources in workflow.ts).
 */

type AuthedRoute = (req: SimRequest, app: Required<SimulatorApp>) => SimReply;
export type WithToken = (route: AuthedRoute) => Route;

const text = z.string().min(1);
const Approvers = z
  .array(z.object({ actionType: z.enum(['AND', 'OR', 'NONE']).default('NONE'), userIds: z.array(text).min(1) }))
  .min(1)
  .max(DINGTALK.workflowMaxApprovers);
const StartBody = z.object({
  processCode: text,
  originatorUserId: text,
  deptId: z.union([z.number().int(), z.string().regex(/^-?\d+$/)]).optional(),
  approvers: Approvers.optional(),
  formComponentValues: z.array(z.looseObject({ name: z.string(), value: z.string() })).max(DINGTALK.workflowMaxFormComponents),
});
const remark = z.string().max(DINGTALK.workflowRemarkMaxChars).optional();
// The SDKs send taskId as a JSON number (Long); a numeric string is accepted too (UNCONFIRMED whether DingTalk does).
const TaskId = z.union([z.number().int().positive(), z.string().regex(/^\d+$/).transform(Number)]);

function fail(code: string, message: string): SimReply {
  return dingError(400, code, message);
}

function run(action: () => unknown): SimReply {
  try {
    return ok(action());
  } catch (err) {
    if (err instanceof WorkflowError) return dingError(err.status, err.code, err.message);
    throw err;
  }
}

function body(req: SimRequest): Record<string, unknown> {
  return typeof req.body === 'object' && req.body !== null && !Array.isArray(req.body) ? (req.body as Record<string, unknown>) : {};
}

const missing = (v: unknown): boolean => v === undefined || v === null || v === '';

/**
 * A missing permission: HTTP 403 `Forbidden.AccessDenied.AccessTokenPermissionDenied` "没有调用该接口的权限" with the
 * scope under `accessdenieddetail.requiredScopes` (add-api-permission page; the raw key casing is UNCONFIRMED,
 * docs/protocol.md 6.1-e). Checked after the token, as DingTalk can only know the app from it.
 */
function scoped(engine: WorkflowEngine, withToken: WithToken, scope: WorkflowScope, route: AuthedRoute): Route {
  return withToken((req, app) => {
    if (!engine.deniedScopes.has(scope)) return route(req, app);
    const reply = dingError(
      403,
      'Forbidden.AccessDenied.AccessTokenPermissionDenied',
      `没有调用该接口的权限，接口权限申请参考：https://open.dingtalk.com/document/orgapp/add-api-permission (requiredScopes: ${scope})`,
    );
    return { ...reply, body: { ...(reply.body as object), accessdenieddetail: { requiredScopes: [scope] } } };
  });
}

export function registerWorkflowRoutes(router: Router, engine: WorkflowEngine, anyToken: WithToken): void {
  const read = (route: AuthedRoute): Route => scoped(engine, anyToken, 'Workflow.Instance.Read', route);
  const write = (route: AuthedRoute): Route => scoped(engine, anyToken, 'Workflow.Instance.Write', route);
  router.add(
    'GET',
    '/v1.0/workflow/processInstances',
    read((req) => {
      const id = req.query.processInstanceId;
      // Error table of obtains-the-details-of-a-single-approval-instance-pop.
      if (!id) return fail('invalidParameter', '获取单个审批实例详情参数错误');
      const instance = engine.get(id);
      if (!instance) return fail('processInstanceNotExist', '审批实例不存在');
      // The page's example answers `"success" : "true"`, a string (its table says String too).
      return ok({ result: engine.view(instance), success: 'true' });
    }),
  );

  router.add(
    'POST',
    '/v1.0/workflow/processInstances',
    write((req, app) => {
      const b = body(req);
      if (b.formComponentValues === undefined) return fail('illegalComponent', '表单组件入参错误'); // UNCONFIRMED code
      const parsed = StartBody.safeParse(b);
      if (!parsed.success) {
        if (parsed.error.issues.some((i) => i.path[0] === 'formComponentValues')) return fail('illegalComponent', '表单组件入参错误');
        return fail('invalidParameter', '发起审批参数错误。具体可能为：企业ID、审批模板code等参数错误，或发起人已离职');
      }
      const { approvers, ...rest } = parsed.data;
      return run(() => ({
        instanceId: engine.start({ ...rest, ...(approvers ? { approvers: approvers as ApproverNode[] } : {}), clientId: app.clientId })
          .processInstanceId,
      }));
    }),
  );

  router.add(
    'POST',
    '/v1.0/workflow/processInstances/execute',
    write((req) => {
      const b = body(req);
      // Error table of approve-or-reject-the-approval-task, one code per missing field.
      if (missing(b.processInstanceId)) return fail('invalidInstanceId', '审批实例ID不能为空');
      if (missing(b.actionerUserId)) return fail('invalidInstanceExecuteActionerUserId', '同意拒绝审批任务，操作人的userId不能为空');
      const taskId = TaskId.safeParse(b.taskId);
      if (!taskId.success) return fail('invalidInstanceExecuteTaskId', '同意拒绝审批任务，任务节点id不能为空');
      const parsedResult = z.enum(['agree', 'refuse']).safeParse(b.result);
      if (!parsedResult.success) {
        return fail('invalidInstanceExecuteResult', '同意拒绝审批任务，审批操作取值必填 且值必须为agree/refuse');
      }
      const result = parsedResult.data;
      const r = remark.safeParse(b.remark);
      if (!r.success || typeof b.processInstanceId !== 'string' || typeof b.actionerUserId !== 'string') {
        return fail('invalidParameter', '同意或拒绝审批任务参数错误');
      }
      const input = { processInstanceId: b.processInstanceId, taskId: taskId.data, actionerUserId: b.actionerUserId, result };
      return run(() => {
        engine.execute({ ...input, ...(r.data ? { remark: r.data } : {}) });
        // The page's answer: result true for agree, false for refuse.
        return { result: result === 'agree', success: true };
      });
    }),
  );

  router.add(
    'POST',
    '/v1.0/workflow/processInstances/terminate',
    write((req) => {
      const b = body(req);
      if (missing(b.processInstanceId) || typeof b.processInstanceId !== 'string') return fail('invalidInstanceId', '审批实例ID不能为空');
      const r = remark.safeParse(b.remark);
      const isSystem = z.boolean().optional().safeParse(b.isSystem);
      const operatingUserId = z.string().optional().safeParse(b.operatingUserId);
      if (!r.success || !isSystem.success || !operatingUserId.success) return fail('invalidParameter', '撤销审批实例参数错误');
      const processInstanceId = b.processInstanceId;
      return run(() => {
        engine.terminate({ processInstanceId, isSystem: isSystem.data, operatingUserId: operatingUserId.data || undefined, remark: r.data });
        return { result: true, success: true };
      });
    }),
  );

  router.add(
    'POST',
    '/v1.0/workflow/processInstances/comments',
    write((req) => {
      const b = body(req);
      // Error table of official-approval-adds-approval-comments.
      if (missing(b.processInstanceId) || typeof b.processInstanceId !== 'string') return fail('invalidInstanceId', '审批实例ID不能为空');
      if (missing(b.text) || typeof b.text !== 'string') return fail('invalidInstanceCommentText', '审批实例评论内容不能为空');
      if (missing(b.commentUserId) || typeof b.commentUserId !== 'string') {
        return fail('invalidInstanceCommentUserId', '审批实例评论人userId不能为空');
      }
      if (b.text.length > DINGTALK.workflowRemarkMaxChars) return fail('invalidParameter', '添加审批评论参数错误');
      const { processInstanceId, commentUserId, text: comment } = b;
      return run(() => {
        engine.comment(processInstanceId, commentUserId, comment);
        return { result: true, success: true };
      });
    }),
  );
}

/** `/sim/approvals*`: start and act on approvals as any user, for the playground and curl. Not DingTalk's API. */
const SimStartBody = z.object({
  processCode: z.string().min(1).default(SIM_EXPENSE_PROCESS_CODE),
  originator: z.string().min(1),
  form: z.record(z.string(), z.union([z.string(), z.number()])),
  deptId: z.union([z.number().int(), z.string()]).optional(),
  approvers: Approvers.optional(),
  clientId: z.string().optional(),
});
export type SimStartApproval = z.input<typeof SimStartBody>;

const SimExecuteBody = z.object({
  processInstanceId: z.string().min(1),
  taskId: TaskId.optional(),
  actionerUserId: z.string().min(1),
  result: z.enum(['agree', 'refuse']),
  remark: z.string().optional(),
});
const SimTerminateBody = z.object({ processInstanceId: z.string().min(1), operatingUserId: z.string().optional(), remark: z.string().optional() });
const SimCommentBody = z.object({ processInstanceId: z.string().min(1), commentUserId: z.string().min(1), text: z.string().min(1) });

/** Starts an approval from a plain `{ label: value }` form, as `sim.startApproval` and `POST /sim/approvals` do. */
export function startFromSim(engine: WorkflowEngine, input: SimStartApproval, defaultClientId: string): ApprovalInstance {
  const parsed = SimStartBody.parse(input);
  return engine.start({
    processCode: parsed.processCode,
    originatorUserId: parsed.originator,
    deptId: parsed.deptId ?? -1,
    formComponentValues: Object.entries(parsed.form).map(([name, value]) => ({ name, value: String(value) })),
    ...(parsed.approvers ? { approvers: parsed.approvers as ApproverNode[] } : {}),
    clientId: parsed.clientId ?? defaultClientId,
  });
}

export function registerWorkflowControl(router: Router, engine: WorkflowEngine, defaultClientId: () => string): void {
  const simRoute =
    <S extends z.ZodType>(schema: S, action: (value: z.infer<S>) => unknown): Route =>
    (req) => {
      const parsed = schema.safeParse(req.body ?? {});
      if (!parsed.success)
        return dingError(
          400,
          'invalidParameter',
          `Invalid parameter: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        );
      return run(() => action(parsed.data));
    };
  router.add('GET', '/sim/approvals', () =>
    ok({
      templates: [...engine.templates.values()],
      instances: [...engine.instances.values()].map((i) => ({
        processInstanceId: i.processInstanceId,
        processCode: i.processCode,
        ...engine.view(i),
      })),
    }),
  );
  router.add(
    'POST',
    '/sim/approvals',
    simRoute(SimStartBody, (b) => {
      const instance = startFromSim(engine, b, defaultClientId());
      return { processInstanceId: instance.processInstanceId, instance: engine.view(instance) };
    }),
  );
  // Acting as the approver: without taskId, the actioner's pending task of the instance.
  router.add(
    'POST',
    '/sim/approvals/execute',
    simRoute(SimExecuteBody, (b) => {
      const taskId =
        b.taskId ?? engine.get(b.processInstanceId)?.tasks.find((t) => t.userId === b.actionerUserId && t.status === 'RUNNING')?.taskId ?? -1;
      engine.execute({
        processInstanceId: b.processInstanceId,
        taskId,
        actionerUserId: b.actionerUserId,
        result: b.result,
        ...(b.remark ? { remark: b.remark } : {}),
      });
      return { done: true };
    }),
  );
  router.add(
    'POST',
    '/sim/approvals/terminate',
    simRoute(SimTerminateBody, (b) => {
      engine.terminate({
        processInstanceId: b.processInstanceId,
        isSystem: b.operatingUserId === undefined,
        operatingUserId: b.operatingUserId,
        remark: b.remark,
      });
      return { done: true };
    }),
  );
  // Permissions the app lacks: {deny: ['Workflow.Instance.Write']} makes those APIs answer 403; {deny: []} grants all.
  router.add(
    'POST',
    '/sim/approvals/permissions',
    simRoute(z.object({ deny: z.array(z.enum(['Workflow.Instance.Read', 'Workflow.Instance.Write'])) }), (b) => {
      engine.deniedScopes.clear();
      for (const scope of b.deny) engine.deniedScopes.add(scope);
      return { denied: [...engine.deniedScopes] };
    }),
  );
  router.add(
    'POST',
    '/sim/approvals/comment',
    simRoute(SimCommentBody, (b) => {
      engine.comment(b.processInstanceId, b.commentUserId, b.text);
      return { done: true };
    }),
  );
}
