import type { Node, NodeAPI } from 'node-red';
import { sendToGroup, sendToUsers } from '../src/api/robot';
import { uploadMediaMessage } from '../src/api/media';
import { sendMedia, sendMessage, sendTarget, type SendNodeOptions, type SendTargetOption } from '../src/msg/send-input';
import type { SendType } from '../src/msg/outbound-message';
import { doneStatus, partialStatus } from './shared/status';
import { ActionRunner, type ActionNodeDef } from './shared/action-runner';

const TYPE = 'dingtalk-send';
const SEND_TYPES: readonly SendType[] = ['auto', 'text', 'markdown', 'image', 'file', 'voice', 'video', 'link', 'actionCard', 'custom'];
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
      // Every check, the file's included, before anything is uploaded.
      const media = sendMedia(opts, msg);
      const api = app.getApi();
      const uploaded = media ? await uploadMediaMessage(api, media) : undefined;
      const { msgKey, msgParam } = uploaded ? uploaded.message : sendMessage(opts, msg);
      const mediaIds = uploaded ? { mediaId: uploaded.mediaId, ...(uploaded.coverMediaId ? { coverMediaId: uploaded.coverMediaId } : {}) } : {};
      const robotCode = app.robotCode;
      if (target.to === 'group') {
        const answer = await sendToGroup(api, { robotCode, openConversationId: target.openConversationId, msgKey, msgParam });
        msg['dingtalkResponse'] = { ...answer, ...mediaIds };
        return;
      }
      const result = await sendToUsers(api, { robotCode, userIds: target.userIds, msgKey, msgParam });
      // DingTalk answers one processQueryKey per call; the api merges batches of 20 into a list.
      msg['dingtalkResponse'] = { processQueryKey: result.processQueryKeys[0], ...result, ...mediaIds };
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
