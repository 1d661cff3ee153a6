import type { Node, NodeAPI } from 'node-red';
import { sendToGroup, sendToUsers } from '../src/api/robot';
import { sendMessage, sendTarget, type SendNodeOptions, type SendTargetOption } from '../src/msg/send-input';
import type { SendType } from '../src/msg/outbound-message';
import { doneStatus, partialStatus } from './shared/status';
import { ActionRunner, type ActionNodeDef } from './shared/action-runner';

const TYPE = 'dingtalk-send';
const SEND_TYPES: readonly SendType[] = ['auto', 'text', 'markdown', 'image', 'link', 'actionCard', 'custom'];
const TARGETS: readonly SendTargetOption[] = ['', 'users', 'group'];

interface SendNodeDef extends ActionNodeDef {
  target?: string;
  userIds?: string;
  openConversationId?: string;
  msgType?: string;
  msgKey?: string;
  msgParam?: string;
  title?: string;
}

function nodeOptions(config: SendNodeDef): SendNodeOptions {
  return {
    target: TARGETS.includes(config.target as SendTargetOption) ? (config.target as SendTargetOption) : '',
    userIds: config.userIds ?? '',
    openConversationId: config.openConversationId ?? '',
    msgType: SEND_TYPES.includes(config.msgType as SendType) ? (config.msgType as SendType) : 'auto',
    msgKey: config.msgKey ?? '',
    msgParam: config.msgParam ?? '',
    title: config.title ?? '',
  };
}

export = function (RED: NodeAPI): void {
  function DingTalkSendNode(this: Node, config: SendNodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const runner = new ActionRunner(RED, node, config, TYPE);
    const opts = nodeOptions(config);

    runner.listen(async (msg, app) => {
      const target = sendTarget(opts, msg);
      const { msgKey, msgParam } = sendMessage(opts, msg);
      const api = app.getApi();
      const robotCode = app.robotCode;
      if (target.to === 'group') {
        msg['dingtalkResponse'] = await sendToGroup(api, { robotCode, openConversationId: target.openConversationId, msgKey, msgParam });
        return;
      }
      const result = await sendToUsers(api, { robotCode, userIds: target.userIds, msgKey, msgParam });
      // DingTalk answers one processQueryKey per call; the api merges batches of 20 into a list.
      msg['dingtalkResponse'] = { processQueryKey: result.processQueryKeys[0], ...result };
      const invalid = result.invalidStaffIdList.length;
      const limited = result.flowControlledStaffIdList.length + result.filteredStaffIdList.length;
      if (invalid + limited > 0) {
        return {
          status: partialStatus(
            runner.t('status.partial', 'sent, __invalid__ invalid, __limited__ throttled', { invalid: String(invalid), limited: String(limited) }),
          ),
        };
      }
      return { status: doneStatus(runner.t('status.sentToUsers', 'sent to __count__', { count: String(target.userIds.length) })) };
    });

    node.on('close', (_removed: boolean, done: () => void) => runner.leave(done));
  }

  RED.nodes.registerType(TYPE, DingTalkSendNode);
};
