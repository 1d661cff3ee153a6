import { DINGTALK } from '../contract';
import { WEBHOOK_EXPIRED_HINT, isSessionGone } from '../dingtalk-says';
import { DingTalkError, LocalErrorCode, redactUrl } from './errors';
import type { OpenApiClient, WebhookResult } from './http';
import {
  BatchSendAnswerSchema,
  GroupSendAnswerSchema,
  parseInput,
  ReplyInputSchema,
  SendToGroupInputSchema,
  SendToUsersInputSchema,
  type BatchSendAnswer,
  type GroupSendAnswer,
  type ReplyInput,
  type SendToGroupInput,
  type SendToUsersInput,
} from './schemas';

export * from './messages';

/** Robot messages: replies through the session webhook and proactive sends (docs/protocol.md §6.3–6.4). */

const BATCH_SEND_PATH = '/v1.0/robot/oToMessages/batchSend';
const GROUP_SEND_PATH = '/v1.0/robot/groupMessages/send';
/** DingTalk documents 20 users per batchSend call (one error table says 100; 20 is safe either way). */
export const MAX_USERS_PER_BATCH = DINGTALK.robotBatchSendMaxUsers;

/**
 * Refuses a msgParam over DingTalk's 15,000 bytes before anything is sent: DingTalk would answer
 * `invalidParameter.msgParam.tooLong`, and for a list of users split over several calls a late refusal is worse.
 */
function checkMsgParamSize(msgParam: string, endpoint: string): void {
  const bytes = Buffer.byteLength(msgParam, 'utf8');
  if (bytes <= DINGTALK.robotMsgParamMaxBytes) return;
  throw new DingTalkError({
    status: 0,
    code: LocalErrorCode.InvalidInput,
    endpoint,
    message: `msgParam is ${bytes} bytes, over DingTalk's limit of ${DINGTALK.robotMsgParamMaxBytes} bytes for a robot message; nothing was sent`,
    hint: 'shorten the text (a Chinese character takes 3 bytes), split it over several messages, or send a file or link instead',
  });
}

/** The session webhook was refused as no longer valid (dingtalk-says.ts): nothing was delivered, so another route is safe. */
export function isSessionWebhookGone(err: unknown): err is DingTalkError {
  return err instanceof DingTalkError && isSessionGone(err.code);
}

/** Replies in the conversation a message came from. No token, no permission needed; valid ~90 min. */
export async function replyBySessionWebhook(api: OpenApiClient, input: ReplyInput): Promise<WebhookResult> {
  const endpoint = typeof input?.sessionWebhook === 'string' ? redactUrl(input.sessionWebhook) : '(sessionWebhook)';
  const parsed = parseInput(ReplyInputSchema, input, 'replyBySessionWebhook', endpoint);
  if (parsed.sessionWebhookExpiredTime !== undefined && api.clock.now() >= parsed.sessionWebhookExpiredTime) {
    throw new DingTalkError({
      status: 0,
      code: LocalErrorCode.WebhookExpired,
      endpoint,
      message: 'the sessionWebhook has expired, nothing was sent',
      hint: WEBHOOK_EXPIRED_HINT,
    });
  }
  return api.postWebhook(parsed.sessionWebhook, parsed.message);
}

export interface SendToUsersResult {
  /** One per batch of up to 20 users, to recall or query read status. */
  processQueryKeys: string[];
  invalidStaffIdList: string[];
  flowControlledStaffIdList: string[];
  filteredStaffIdList: string[];
}

/**
 * Sends to users' 1:1 chats with the robot. Lists longer than 20 are sent in batches of 20, one after the
 * other (the per-app QPS limit makes parallel batches pointless), and the answers merged.
 */
export async function sendToUsers(api: OpenApiClient, input: SendToUsersInput): Promise<SendToUsersResult> {
  const parsed = parseInput(SendToUsersInputSchema, input, 'sendToUsers', BATCH_SEND_PATH);
  checkMsgParamSize(parsed.msgParam, BATCH_SEND_PATH);
  const merged: SendToUsersResult = { processQueryKeys: [], invalidStaffIdList: [], flowControlledStaffIdList: [], filteredStaffIdList: [] };
  const userIds = [...new Set(parsed.userIds)];
  for (let start = 0; start < userIds.length; start += MAX_USERS_PER_BATCH) {
    const batch = userIds.slice(start, start + MAX_USERS_PER_BATCH);
    let answer: BatchSendAnswer;
    try {
      answer = await api.call(
        {
          method: 'POST',
          path: BATCH_SEND_PATH,
          body: { robotCode: parsed.robotCode, userIds: batch, msgKey: parsed.msgKey, msgParam: parsed.msgParam },
          // A resend after DingTalk acted would deliver the message twice.
          idempotent: false,
        },
        BatchSendAnswerSchema,
      );
    } catch (err) {
      if (start === 0 || !(err instanceof DingTalkError)) throw err;
      throw err.with({
        message: `${err.summary} (users ${start + 1}–${start + batch.length} of ${userIds.length}; the first ${start} were already sent)`,
      });
    }
    if (answer.processQueryKey) merged.processQueryKeys.push(answer.processQueryKey);
    merged.invalidStaffIdList.push(...(answer.invalidStaffIdList ?? []));
    merged.flowControlledStaffIdList.push(...(answer.flowControlledStaffIdList ?? []));
    merged.filteredStaffIdList.push(...(answer.filteredStaffIdList ?? []));
  }
  return merged;
}

/** Sends to a group the robot is a member of. */
export async function sendToGroup(api: OpenApiClient, input: SendToGroupInput): Promise<GroupSendAnswer> {
  const parsed = parseInput(SendToGroupInputSchema, input, 'sendToGroup', GROUP_SEND_PATH);
  checkMsgParamSize(parsed.msgParam, GROUP_SEND_PATH);
  const body: Record<string, string> = {
    robotCode: parsed.robotCode,
    openConversationId: parsed.openConversationId,
    msgKey: parsed.msgKey,
    msgParam: parsed.msgParam,
  };
  if (parsed.coolAppCode) body['coolAppCode'] = parsed.coolAppCode;
  return api.call({ method: 'POST', path: GROUP_SEND_PATH, body, idempotent: false }, GroupSendAnswerSchema);
}
