import { z } from 'zod';

/**
 * Wire shapes of the Stream protocol (see docs/protocol.md §2-§3). This is the one place a frame is validated;
 * the rest of the code uses the inferred types.
 *
 * Headers are "loose": DingTalk adds keys over time and we keep them. Only the keys we route on are
 * checked, so validation stays cheap on the per-frame hot path.
 */

export const TOPIC_ROBOT_MESSAGE = '/v1.0/im/bot/messages/get';
export const TOPIC_CARD_CALLBACK = '/v1.0/card/instances/callback';
/** AI assistant actions ("Graph API"): an HTTP-like request in, an HTTP-like answer in the ack (docs/protocol.md §2.5). */
export const TOPIC_GRAPH_API = '/v1.0/graph/api/invoke';
export const SYSTEM_TOPIC_PING = 'ping';
export const SYSTEM_TOPIC_DISCONNECT = 'disconnect';

export const FrameTypeSchema = z.enum(['SYSTEM', 'EVENT', 'CALLBACK']);

export const FrameHeadersSchema = z.looseObject({
  topic: z.string(),
  messageId: z.string().min(1),
  contentType: z.string().optional(),
  time: z.string().optional(),
  appId: z.string().optional(),
  connectionId: z.string().optional(),
  eventType: z.string().optional(),
  eventId: z.string().optional(),
  eventBornTime: z.string().optional(),
  eventCorpId: z.string().optional(),
  eventUnifiedAppId: z.string().optional(),
});
export type FrameHeaders = z.infer<typeof FrameHeadersSchema>;

/** A frame pushed by DingTalk. `data` is a JSON-encoded string: it is parsed once, by whoever routes the frame. */
export const InboundFrameSchema = z.object({
  specVersion: z.string().optional(),
  type: z.string(),
  headers: FrameHeadersSchema,
  data: z.string(),
});
export type InboundFrame = z.infer<typeof InboundFrameSchema>;

/**
 * The envelope check of the per-frame hot path: zod checks what the router reads (type, topic, messageId, the event
 * headers it routes and dedupes on, data), in zod's default "strip" mode so nothing is copied. The router keeps the
 * JSON.parse result itself, so DingTalk's other header keys pass through untouched, as the loose schema would keep
 * them. Checking every declared optional header on each frame cost more than everything else the router does
 * (ADR 0008); they are strings DingTalk documents and that no code here dereferences.
 */
export const InboundFrameCheck = z.compile(
  z.object({
    type: z.string(),
    headers: z.object({
      topic: z.string(),
      messageId: z.string().min(1),
      eventType: z.string().optional(),
      eventId: z.string().optional(),
    }),
    data: z.string(),
  }),
);

/** The ack the client sends back for every pushed frame, on the socket that delivered it. */
export const AckFrameSchema = z.object({
  code: z.number().int(),
  headers: z.looseObject({ contentType: z.string(), messageId: z.string() }),
  message: z.string(),
  data: z.string(),
});
export type AckFrame = z.infer<typeof AckFrameSchema>;

export type EventAckStatus = 'SUCCESS' | 'LATER';

/** One subscription entry sent to `/v1.0/gateway/connections/open`. */
export const SubscriptionSchema = z.object({ type: FrameTypeSchema, topic: z.string().min(1) });
export type Subscription = z.infer<typeof SubscriptionSchema>;

export const GatewayOpenResponseSchema = z.object({
  endpoint: z.string().min(1),
  ticket: z.string().min(1),
});
export type GatewayOpenResponse = z.infer<typeof GatewayOpenResponseSchema>;

/** Robot message payload (docs/protocol.md §5). Only what we read is checked; everything else is kept. */
const atUserShape = {
  dingtalkId: z.string().optional(),
  staffId: z.string().optional(),
  unionId: z.string().optional(),
};
export const AtUserSchema = z.looseObject(atUserShape);

export const RobotMessageSchema = z.looseObject({
  msgtype: z.string(),
  msgId: z.string().min(1),
  conversationId: z.string(),
  conversationType: z.string(),
  conversationTitle: z.string().optional(),
  senderId: z.string().optional(),
  senderStaffId: z.string().optional(),
  senderNick: z.string().optional(),
  senderCorpId: z.string().optional(),
  senderUnionId: z.string().optional(),
  senderPlatform: z.string().optional(),
  isAdmin: z.boolean().optional(),
  chatbotUserId: z.string().optional(),
  chatbotCorpId: z.string().optional(),
  robotCode: z.string().optional(),
  sessionWebhook: z.string().optional(),
  sessionWebhookExpiredTime: z.number().optional(),
  createAt: z.number().optional(),
  isInAtList: z.boolean().optional(),
  atUsers: z.array(AtUserSchema).optional(),
  text: z.looseObject({ content: z.string() }).optional(),
  content: z.looseObject({}).optional(),
});
export type RobotMessage = z.infer<typeof RobotMessageSchema>;
/**
 * The robot-message check of the hot path (see InboundFrameCheck, ADR 0008): the fields the router and the nodes
 * route on or dereference (msgId, msgtype, conversation, text.content, content, atUsers); the other fields are
 * passed through as DingTalk sent them.
 */
export const RobotMessageCheck = z.compile(
  z.object({
    msgtype: z.string(),
    msgId: z.string().min(1),
    conversationId: z.string(),
    conversationType: z.string(),
    text: z.object({ content: z.string() }).optional(),
    content: z.object({}).optional(),
    atUsers: z.array(z.object(atUserShape)).optional(),
  }),
);

/**
 * Narrows `value` to what `check` checked when it passes; the value itself is kept (with its unknown keys), never
 * zod's copy.
 *
 * `validate` (not `safeParse`): the two hot-path checks above are `z.compile`d, and zod then answers `validate` with
 * generated code that builds no output object, no payload and no result (ADR 0008). A value it rejects is re-checked
 * by zod's ordinary parser, so the answer is always the one `safeParse(value).success` gives; where code generation
 * is not allowed, `z.compile` hands the schema back as it was and `validate` runs the ordinary parser.
 */
export function isValid<S extends z.ZodType>(check: S, value: unknown): value is z.input<S> {
  return check.validate(value);
}

/** Interactive card callback payload (docs/protocol.md §2.4). `content`/`value` are JSON strings carrying cardPrivateData. */
export const CardCallbackSchema = z.looseObject({
  outTrackId: z.string().min(1),
  userId: z.string().optional(),
  corpId: z.string().optional(),
  type: z.string().optional(),
  spaceType: z.string().optional(),
  spaceId: z.string().optional(),
  userIdType: z.number().optional(),
  extension: z.string().optional(),
  content: z.string().optional(),
  value: z.string().optional(),
});
export type CardCallback = z.infer<typeof CardCallbackSchema>;

export const CardPrivateDataSchema = z.looseObject({
  cardPrivateData: z
    .looseObject({
      actionIds: z.array(z.string()).optional(),
      params: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
});

/**
 * What a card-callback answer may contain: DingTalk's "事件回调" page (event-callback-card, docs/protocol.md §3.4) documents
 * `cardData`, `userPrivateData` (the clicking user's, "不需要以用户的 userId 为 key") and `cardUpdateOptions`;
 * cardParamMap values must be strings. `privateData` keyed by userId belongs to the card APIs, not to this answer: it
 * is refused, so an answer is never sent with data DingTalk does not document taking (the card nodes turn the
 * clicking user's entry into userPrivateData first). One optional key more costs the per-callback check nothing.
 */
const CardParamMapSchema = z.record(z.string(), z.string());
export const PRIVATE_DATA_IN_ANSWER =
  'privateData (keyed by userId) is not part of a card-callback answer: use userPrivateData for the user who clicked';
export const CardCallbackResponseSchema = z.looseObject({
  cardData: z.looseObject({ cardParamMap: CardParamMapSchema }).optional(),
  privateData: z.never({ error: PRIVATE_DATA_IN_ANSWER }).optional(),
  userPrivateData: z.looseObject({ cardParamMap: CardParamMapSchema }).optional(),
  cardUpdateOptions: z.looseObject({ updateCardDataByKey: z.boolean().optional(), updatePrivateDataByKey: z.boolean().optional() }).optional(),
});
export type CardCallbackResponse = z.infer<typeof CardCallbackResponseSchema>;

/** Builds an ack frame; `data` is always a JSON string (docs/protocol.md §3.1). */
export function ackFrame(messageId: string, data: string, code = 200, message = 'OK'): AckFrame {
  return { code, headers: { contentType: 'application/json', messageId }, message, data };
}
