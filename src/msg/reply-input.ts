import { z } from 'zod';
import { MsgInputError, checkPlain, sizeError, unreadableError } from './input-error';
import { INPUT_LIMITS } from './limits';

/** The part of `msg.dingtalk` (from dingtalk-robot-in) that a reply needs. Everything else is kept but not checked. */
export const ReplyContextSchema = z.looseObject({
  sessionWebhook: z.string().min(1).max(INPUT_LIMITS.urlChars).optional(),
  sessionWebhookExpiredTime: z.number().optional(),
  senderStaffId: z.string().optional(),
  conversationType: z.string().optional(),
  conversationId: z.string().optional(),
  robotCode: z.string().optional(),
});
export type ReplyContext = z.infer<typeof ReplyContextSchema>;

const CONNECT_HINT = 'Connect this node after a dingtalk-robot-in node, or set msg.dingtalk.sessionWebhook.';

export function replyContext(value: unknown): ReplyContext {
  if (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MsgInputError('missingDingtalk', 'msg.dingtalk', `msg.dingtalk is missing: there is no message to reply to. ${CONNECT_HINT}`);
  }
  let parsed: ReturnType<typeof ReplyContextSchema.safeParse>;
  try {
    parsed = ReplyContextSchema.safeParse(value);
  } catch {
    throw unreadableError('msg.dingtalk');
  }
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const property = `msg.dingtalk.${issue?.path.map(String).join('.') ?? ''}`;
    const got = issue?.path.length === 1 ? (value as Record<string, unknown>)[String(issue.path[0])] : undefined;
    if (issue?.code === 'too_big' && typeof got === 'string') {
      throw sizeError(property, got.length, Number(issue.maximum), 'characters', 'Pass msg.dingtalk on as dingtalk-robot-in set it.');
    }
    throw new MsgInputError(
      'invalidProperty',
      property,
      `${property} is not usable (${issue?.message ?? 'invalid'}). Expected msg.dingtalk as set by dingtalk-robot-in.`,
      { property, reason: issue?.message ?? 'invalid', got: '', expected: 'msg.dingtalk as set by dingtalk-robot-in' },
    );
  }
  // Sent as a URL or as ids: an invisible character would make DingTalk (or the URL parser) refuse them obscurely.
  for (const key of ['sessionWebhook', 'senderStaffId', 'conversationId', 'robotCode'] as const) {
    const text = parsed.data[key];
    if (text !== undefined) checkPlain(text, `msg.dingtalk.${key}`);
  }
  return parsed.data;
}

export type ReplyRoute =
  | { via: 'webhook'; sessionWebhook: string }
  | { via: 'users'; userIds: string[] }
  | { via: 'group'; openConversationId: string };

/**
 * Chooses how to reply: the session webhook while it is valid, else (when the fallback is on) the robot API to the
 * sender (single chat) or to the group. Without the fallback an expired webhook is an error that says what to do.
 */
export function chooseReplyRoute(ctx: ReplyContext, now: number, fallbackToApi: boolean): ReplyRoute {
  const expired = ctx.sessionWebhookExpiredTime !== undefined && ctx.sessionWebhookExpiredTime <= now;
  if (ctx.sessionWebhook && !expired) return { via: 'webhook', sessionWebhook: ctx.sessionWebhook };
  if (!ctx.sessionWebhook && !fallbackToApi) {
    throw new MsgInputError('missingWebhook', 'msg.dingtalk.sessionWebhook', `msg.dingtalk.sessionWebhook is missing. ${CONNECT_HINT}`);
  }
  if (!fallbackToApi) {
    const at = new Date(ctx.sessionWebhookExpiredTime ?? now).toISOString();
    throw new MsgInputError(
      'webhookExpired',
      'msg.dingtalk.sessionWebhookExpiredTime',
      `The session webhook of this message expired at ${at}: DingTalk only accepts replies for about 90 minutes. ` +
        'Reply sooner, or enable "when the webhook has expired, send through the robot API instead".',
      { expiredAt: at },
    );
  }
  return robotApiRoute(ctx);
}

/** The robot API route back to the conversation of `ctx`: the group, or the sender of a single-chat message. */
export function robotApiRoute(ctx: ReplyContext): Exclude<ReplyRoute, { via: 'webhook' }> {
  if (ctx.conversationType === '2') {
    if (!ctx.conversationId) {
      throw new MsgInputError(
        'missingConversation',
        'msg.dingtalk.conversationId',
        'msg.dingtalk.conversationId is missing, so the group cannot be reached through the robot API.',
      );
    }
    return { via: 'group', openConversationId: ctx.conversationId };
  }
  if (!ctx.senderStaffId) {
    throw new MsgInputError(
      'missingSender',
      'msg.dingtalk.senderStaffId',
      'msg.dingtalk.senderStaffId is missing (external users have none, and DingTalk only sends it once the robot is published), so the sender cannot be reached through the robot API.',
    );
  }
  return { via: 'users', userIds: [ctx.senderStaffId] };
}

/**
 * DingTalk refused the session webhook as no longer valid although its expiry time has not passed (errcode 300001
 * "session 不存在"), and the fallback to the robot API is off. `answer` is DingTalk's code and message.
 */
export function webhookGoneError(answer: string): MsgInputError {
  return new MsgInputError(
    'webhookGone',
    'msg.dingtalk.sessionWebhook',
    `DingTalk no longer accepts replies through the session webhook of this message (${answer}), although its expiry time has not passed. ` +
      'Nothing was sent. Enable "when the webhook has expired, send through the robot API instead", or send with a dingtalk-send node.',
    { answer },
  );
}
