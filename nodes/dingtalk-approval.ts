import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red';
import {
  commentApprovalInstance,
  executeApprovalTask,
  getApprovalInstance,
  startApprovalInstance,
  terminateApprovalInstance,
} from '../src/api/workflow';
import type { OpenApiClient } from '../src/api/http';
import { approvalRequest, type ApprovalNodeSettings, type ApprovalRequest } from '../src/msg/approval-input';
import { approvalView, pendingTaskOf } from '../src/msg/approval-view';
import { ActionRunner, type ActionNodeDef } from './shared/action-runner';
import { doneStatus } from './shared/status';

const TYPE = 'dingtalk-approval';

interface ApprovalNodeDef extends ActionNodeDef, ApprovalNodeSettings {}

type Translate = ActionRunner['t'];

async function run(api: OpenApiClient, request: ApprovalRequest, msg: NodeMessageInFlow, t: Translate): Promise<string> {
  switch (request.operation) {
    case 'get': {
      const details = await getApprovalInstance(api, request.processInstanceId);
      msg.payload = approvalView(request.processInstanceId, details);
      msg['processInstanceId'] = request.processInstanceId;
      msg['dingtalkResponse'] = details;
      return details.status ?? t('status.got', 'read');
    }
    case 'approve':
    case 'refuse': {
      let taskId = request.taskId;
      if (taskId === undefined) {
        // The msg names the instance and the approver only: their pending task is read from DingTalk first.
        const details = await getApprovalInstance(api, request.processInstanceId);
        taskId = pendingTaskOf(request.processInstanceId, details, request.actionerUserId, request.actionerProperty);
      }
      const result = request.operation === 'approve' ? 'agree' : 'refuse';
      msg['dingtalkResponse'] = await executeApprovalTask(api, {
        processInstanceId: request.processInstanceId,
        taskId,
        result,
        actionerUserId: request.actionerUserId,
        ...(request.remark === undefined ? {} : { remark: request.remark }),
      });
      msg.payload = { processInstanceId: request.processInstanceId, taskId, result, actionerUserId: request.actionerUserId };
      msg['processInstanceId'] = request.processInstanceId;
      return result === 'agree' ? t('status.approved', 'approved') : t('status.refused', 'refused');
    }
    case 'start': {
      const { operation: _operation, ...body } = request;
      const processInstanceId = await startApprovalInstance(api, body);
      msg.payload = { processInstanceId };
      msg['processInstanceId'] = processInstanceId;
      msg['dingtalkResponse'] = { instanceId: processInstanceId };
      return t('status.started', 'started');
    }
    case 'comment': {
      const { operation: _operation, ...body } = request;
      msg['dingtalkResponse'] = await commentApprovalInstance(api, body);
      msg.payload = { processInstanceId: request.processInstanceId };
      msg['processInstanceId'] = request.processInstanceId;
      return t('status.commented', 'commented');
    }
    case 'terminate': {
      const { operation: _operation, ...body } = request;
      msg['dingtalkResponse'] = await terminateApprovalInstance(api, body);
      msg.payload = { processInstanceId: request.processInstanceId };
      msg['processInstanceId'] = request.processInstanceId;
      return t('status.terminated', 'revoked');
    }
  }
}

export = function (RED: NodeAPI): void {
  function DingTalkApprovalNode(this: Node, config: ApprovalNodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const runner = new ActionRunner(RED, node, config, TYPE);
    const settings: ApprovalNodeSettings = {
      operation: config.operation,
      processCode: config.processCode,
      actionerUserId: config.actionerUserId,
      originatorUserId: config.originatorUserId,
      deptId: config.deptId,
      remark: config.remark,
    };

    runner.listen(async (msg, app) => {
      const request = approvalRequest(msg as unknown as Record<string, unknown>, settings);
      const text = await run(app.getApi(), request, msg, runner.t);
      return { status: doneStatus(text) };
    });

    node.on('close', (_removed: boolean, done: () => void) => runner.leave(done));
  }

  RED.nodes.registerType(TYPE, DingTalkApprovalNode);
};
