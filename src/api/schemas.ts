import { z } from 'zod';
import { DingTalkError, LocalErrorCode } from './errors';

/**
 * Inputs of the typed OpenAPI calls and the answers we rely on (docs/protocol.md §6). Inputs are checked before any
 * request is made, so a flow with a missing field gets an error naming that field, not DingTalk's generic 400.
 * Answers are loose: DingTalk adds fields over time, we only check the ones we read.
 */

/** Validates `input`, or throws a DingTalkError naming every bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, operation: string, endpoint: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : 'input'}: ${issue.message}`);
  throw new DingTalkError({
    status: 0,
    code: LocalErrorCode.InvalidInput,
    endpoint,
    message: `${operation}: invalid input — ${problems.join('; ')}`,
    hint: 'fix the message fields named above (nothing was sent)',
  });
}

const nonEmpty = z.string().trim().min(1, 'must be a non-empty string');

/** A JSON-encoded object, as DingTalk wants `msgParam`; an object is encoded for you. */
const MsgParamSchema = z
  .union([
    z.record(z.string(), z.unknown()),
    z.string().refine((s) => {
      try {
        const v: unknown = JSON.parse(s);
        return typeof v === 'object' && v !== null && !Array.isArray(v);
      } catch {
        return false;
      }
    }, 'must be an object or a JSON-encoded object'),
  ])
  .transform((v) => (typeof v === 'string' ? v : JSON.stringify(v)));

// ---- robot messages ------------------------------------------------------------------------------------------

export const AtSchema = z.looseObject({
  atUserIds: z.array(nonEmpty).optional(),
  atMobiles: z.array(nonEmpty).optional(),
  isAtAll: z.boolean().optional(),
});
export type At = z.infer<typeof AtSchema>;

const TextBodySchema = z.looseObject({
  msgtype: z.literal('text'),
  text: z.looseObject({ content: nonEmpty }),
  at: AtSchema.optional(),
});
const MarkdownBodySchema = z.looseObject({
  msgtype: z.literal('markdown'),
  markdown: z.looseObject({ title: nonEmpty, text: nonEmpty }),
  at: AtSchema.optional(),
});
export const ActionCardButtonSchema = z.looseObject({ title: nonEmpty, actionURL: nonEmpty });
const ActionCardBodySchema = z.looseObject({
  msgtype: z.literal('actionCard'),
  actionCard: z
    .looseObject({
      title: nonEmpty,
      text: nonEmpty,
      singleTitle: nonEmpty.optional(),
      singleURL: nonEmpty.optional(),
      btnOrientation: z.enum(['0', '1']).optional(),
      btns: z.array(ActionCardButtonSchema).min(1).optional(),
    })
    .refine((c) => (c.singleTitle !== undefined && c.singleURL !== undefined) || c.btns !== undefined, {
      message: 'needs singleTitle + singleURL, or btns',
    }),
});
const LinkBodySchema = z.looseObject({
  msgtype: z.literal('link'),
  link: z.looseObject({ title: nonEmpty, text: nonEmpty, messageUrl: nonEmpty, picUrl: z.string().optional() }),
});
const FeedCardBodySchema = z.looseObject({
  msgtype: z.literal('feedCard'),
  feedCard: z.looseObject({
    links: z.array(z.looseObject({ title: nonEmpty, messageURL: nonEmpty, picURL: z.string().optional() })).min(1),
  }),
});

/** Body of a session-webhook reply: text, markdown, actionCard, link or feedCard (docs/protocol.md §6.3). */
export const WebhookMessageSchema = z.discriminatedUnion('msgtype', [
  TextBodySchema,
  MarkdownBodySchema,
  ActionCardBodySchema,
  LinkBodySchema,
  FeedCardBodySchema,
]);
export type WebhookMessage = z.infer<typeof WebhookMessageSchema>;

export const ReplyInputSchema = z.object({
  sessionWebhook: nonEmpty,
  message: WebhookMessageSchema,
  /** `sessionWebhookExpiredTime` of the message (ms epoch): past it we fail without sending. */
  sessionWebhookExpiredTime: z.number().optional(),
});
export type ReplyInput = z.input<typeof ReplyInputSchema>;

export const SendToUsersInputSchema = z.object({
  robotCode: nonEmpty,
  userIds: z.array(nonEmpty).min(1, 'needs at least one user id'),
  msgKey: nonEmpty,
  msgParam: MsgParamSchema,
});
export type SendToUsersInput = z.input<typeof SendToUsersInputSchema>;

export const SendToGroupInputSchema = z.object({
  robotCode: nonEmpty,
  openConversationId: nonEmpty,
  msgKey: nonEmpty,
  msgParam: MsgParamSchema,
  coolAppCode: nonEmpty.optional(),
});
export type SendToGroupInput = z.input<typeof SendToGroupInputSchema>;

export const BatchSendAnswerSchema = z.looseObject({
  processQueryKey: z.string().optional(),
  invalidStaffIdList: z.array(z.string()).optional(),
  flowControlledStaffIdList: z.array(z.string()).optional(),
  filteredStaffIdList: z.array(z.string()).optional(),
});
export type BatchSendAnswer = z.infer<typeof BatchSendAnswerSchema>;

export const GroupSendAnswerSchema = z.looseObject({ processQueryKey: z.string() });
export type GroupSendAnswer = z.infer<typeof GroupSendAnswerSchema>;

// ---- files ---------------------------------------------------------------------------------------------------

export const DownloadFileInputSchema = z.object({
  downloadCode: nonEmpty,
  robotCode: nonEmpty,
  maxBytes: z.number().int().positive(),
});
export type DownloadFileInput = z.input<typeof DownloadFileInputSchema>;

export const DownloadUrlAnswerSchema = z.looseObject({ downloadUrl: z.string().min(1) });

// ---- cards ---------------------------------------------------------------------------------------------------

/** `cardParamMap` values must be strings; numbers, booleans and objects are converted (objects as JSON). */
export const CardParamMapSchema = z.record(z.string(), z.unknown()).transform((map) => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(map)) {
    out[k] = typeof v === 'string' ? v : v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return out;
});

const PrivateDataSchema = z.record(z.string(), CardParamMapSchema);
const OutTrackIdSchema = z.string().trim().min(1).max(64, 'must be at most 64 characters');
const UserIdTypeSchema = z.union([z.literal(1), z.literal(2)]);
const OpenSpaceModelSchema = z.record(z.string(), z.unknown());

const CardCreateFields = {
  cardTemplateId: nonEmpty,
  /** Generated when absent; at most 64 characters. */
  outTrackId: OutTrackIdSchema.optional(),
  cardData: CardParamMapSchema.optional(),
  privateData: PrivateDataSchema.optional(),
  /** STREAM (default) delivers clicks on the Stream connection; HTTP needs a registered callback URL. */
  callbackType: z.enum(['STREAM', 'HTTP']).default('STREAM'),
  callbackRouteKey: nonEmpty.optional(),
  userIdType: UserIdTypeSchema.default(1),
  /** Override the default `{supportForward: true}` space models. */
  imGroupOpenSpaceModel: OpenSpaceModelSchema.optional(),
  imRobotOpenSpaceModel: OpenSpaceModelSchema.optional(),
};

export const CreateCardInputSchema = z.object(CardCreateFields);
export type CreateCardInput = z.input<typeof CreateCardInputSchema>;

const DeliverFields = {
  robotCode: nonEmpty,
  /** Group chat: the conversationId (openConversationId) of the group. */
  conversationId: nonEmpty.optional(),
  /** 1:1 chat with the robot: the user's userId (senderStaffId). */
  userId: nonEmpty.optional(),
  /** Group only: users to @, `{userId: nick}` or `{"@ALL": "@ALL"}`. */
  atUserIds: z.record(z.string(), z.string()).optional(),
  /** Group only: show the card to these users only. */
  recipients: z.array(nonEmpty).optional(),
};

const exactlyOneTarget = (v: { conversationId?: string; userId?: string }): boolean => (v.conversationId === undefined) !== (v.userId === undefined);
const targetMessage = { message: 'give exactly one of conversationId (group) or userId (1:1 chat)', path: ['conversationId'] };

export const DeliverCardInputSchema = z
  .object({ outTrackId: OutTrackIdSchema, userIdType: UserIdTypeSchema.default(1), ...DeliverFields })
  .refine(exactlyOneTarget, targetMessage);
export type DeliverCardInput = z.input<typeof DeliverCardInputSchema>;

export const CreateAndDeliverCardInputSchema = z.object({ ...CardCreateFields, ...DeliverFields }).refine(exactlyOneTarget, targetMessage);
export type CreateAndDeliverCardInput = z.input<typeof CreateAndDeliverCardInputSchema>;

export const UpdateCardInputSchema = z
  .object({
    outTrackId: OutTrackIdSchema,
    cardData: CardParamMapSchema.optional(),
    privateData: PrivateDataSchema.optional(),
    userIdType: UserIdTypeSchema.optional(),
    /** Merge the given keys into the card (default) instead of replacing all its data. */
    updateByKey: z.boolean().default(true),
  })
  .refine((v) => v.cardData !== undefined || v.privateData !== undefined, { message: 'give cardData or privateData', path: ['cardData'] });
export type UpdateCardInput = z.input<typeof UpdateCardInputSchema>;

export const StreamCardInputSchema = z.object({
  outTrackId: OutTrackIdSchema,
  /** The template variable being streamed. */
  key: nonEmpty,
  /** DingTalk refuses an empty update with `param.stream.contentEmpty` (its streaming page), leaving the card typing. */
  content: z.string().min(1, 'must not be empty (DingTalk refuses an empty streaming update: param.stream.contentEmpty)'),
  /** true (default) replaces the variable with `content`; false appends. Markdown variables need true. */
  isFull: z.boolean().default(true),
  isFinalize: z.boolean().default(false),
  isError: z.boolean().default(false),
  /** Unique per request; generated when absent. */
  guid: nonEmpty.optional(),
});
export type StreamCardInput = z.input<typeof StreamCardInputSchema>;

export const CardAnswerSchema = z.looseObject({ success: z.boolean().optional(), result: z.unknown().optional() });
export type CardAnswer = z.infer<typeof CardAnswerSchema>;

const DeliverResultSchema = z.looseObject({
  spaceType: z.string().optional(),
  spaceId: z.string().optional(),
  success: z.boolean().optional(),
  errorMsg: z.string().optional(),
  carrierId: z.string().optional(),
});
export type DeliverResult = z.infer<typeof DeliverResultSchema>;

export const DeliverAnswerSchema = z.looseObject({
  success: z.boolean().optional(),
  result: z
    .union([
      z.looseObject({ outTrackId: z.string().optional(), deliverResults: z.array(DeliverResultSchema).optional() }),
      z.array(DeliverResultSchema),
    ])
    .optional(),
});
