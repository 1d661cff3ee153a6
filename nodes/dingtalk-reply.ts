import type { Node, NodeAPI } from 'node-red';
import { isSessionWebhookGone, replyBySessionWebhook, sendToGroup, sendToUsers } from '../src/api/robot';
import { uploadMediaMessage } from '../src/api/media';
import { isMediaPayload, markdownPictureError, mediaInput } from '../src/msg/media-input';
import { chooseReplyRoute, replyContext, robotApiRoute, webhookGoneError, type ReplyRoute } from '../src/msg/reply-input';
import { isNonEmptyString } from '../src/msg/input-error';
import { buildWebhookMessage, checkMsgParamSize, webhookToRobotApi, type ReplyType } from '../src/msg/outbound-message';
import { doneStatus } from './shared/status';
import { ActionRunner, type ActionNodeDef } from './shared/action-runner';

const TYPE = 'dingtalk-reply';
const REPLY_TYPES: readonly ReplyType[] = ['text', 'markdown', 'actionCard', 'raw'];

interface ReplyNodeDef extends ActionNodeDef {
  msgType?: string;
  title?: string;
  atSender?: boolean;
  fallbackToApi?: boolean;
}

export = function (RED: NodeAPI): void {
  function DingTalkReplyNode(this: Node, config: ReplyNodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const runner = new ActionRunner(RED, node, config, TYPE);
    const msgType: ReplyType = REPLY_TYPES.includes(config.msgType as ReplyType) ? (config.msgType as ReplyType) : 'text';
    const fallbackToApi = config.fallbackToApi === true;
    const atSender = config.atSender === true;

    runner.listen(async (msg, app) => {
      const ctx = replyContext(msg['dingtalk']);
      if (isMediaPayload(msg.payload)) {
        if (msgType === 'markdown') throw markdownPictureError();
        // Session webhooks carry no pictures or files (docs/protocol.md §6.3-b): a file goes through the robot API to
        // the same conversation, the sender of a 1:1 chat or the group (ADR 0014).
        const media = mediaInput(msg);
        const to = robotApiRoute(ctx);
        const api = app.getApi();
        const robotCode = ctx.robotCode || app.robotCode;
        const uploaded = await uploadMediaMessage(api, media);
        const { msgKey, msgParam } = uploaded.message;
        const answer =
          to.via === 'users'
            ? await sendToUsers(api, { robotCode, userIds: to.userIds, msgKey, msgParam })
            : await sendToGroup(api, { robotCode, openConversationId: to.openConversationId, msgKey, msgParam });
        msg['dingtalkResponse'] = { ...answer, mediaId: uploaded.mediaId, ...(uploaded.coverMediaId ? { coverMediaId: uploaded.coverMediaId } : {}) };
        return { status: doneStatus(runner.t('status.sentByApi', 'sent via robot API')) };
      }
      const title = isNonEmptyString(msg['title']) ? msg['title'] : config.title || undefined;
      const at = atSender && ctx.senderStaffId ? { atUserIds: [ctx.senderStaffId] } : undefined;
      const message = buildWebhookMessage(msgType, msg.payload, { ...(title ? { title } : {}), ...(at ? { at } : {}) });
      const api = app.getApi();
      let route: ReplyRoute = chooseReplyRoute(ctx, api.clock.now(), fallbackToApi);
      if (route.via === 'webhook') {
        try {
          msg['dingtalkResponse'] = await replyBySessionWebhook(api, {
            sessionWebhook: route.sessionWebhook,
            message: message as Parameters<typeof replyBySessionWebhook>[1]['message'],
            ...(ctx.sessionWebhookExpiredTime !== undefined ? { sessionWebhookExpiredTime: ctx.sessionWebhookExpiredTime } : {}),
          });
          return;
        } catch (err) {
          // DingTalk can end a session before its expiry time; it refused the reply, so nothing was delivered and the
          // robot API is as safe a route as after the expiry.
          if (!isSessionWebhookGone(err)) throw err;
          if (!fallbackToApi) throw webhookGoneError(`${err.code ?? 'no code'}${err.detail ? ` "${err.detail}"` : ''}`);
          route = robotApiRoute(ctx);
        }
      }
      const robotCode = ctx.robotCode || app.robotCode;
      const { msgKey, msgParam } = webhookToRobotApi(message);
      checkMsgParamSize(msgParam, 'msg.payload');
      msg['dingtalkResponse'] =
        route.via === 'users'
          ? await sendToUsers(api, { robotCode, userIds: route.userIds, msgKey, msgParam })
          : await sendToGroup(api, { robotCode, openConversationId: route.openConversationId, msgKey, msgParam });
      return { status: doneStatus(runner.t('status.sentByApi', 'sent via robot API')) };
    });

    node.on('close', (_removed: boolean, done: () => void) => runner.leave(done));
  }

  RED.nodes.registerType(TYPE, DingTalkReplyNode);
};
