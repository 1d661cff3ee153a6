import { z } from 'zod';
import { DINGTALK } from '../contract';

/**
 * What clients send to the simulator, validated the way DingTalk would reject it. Kept separate from
 * src/stream/frames.ts on purpose: a mistake in the client's schemas must not be mirrored here.
 */

export const SubscriptionSchema = z.object({ type: z.enum(['EVENT', 'CALLBACK', 'SYSTEM']), topic: z.string().min(1) });

export const GatewayBodySchema = z.looseObject({
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  subscriptions: z.array(SubscriptionSchema).min(1),
  ua: z.string().optional(),
  localIp: z.string().optional(),
  extras: z.record(z.string(), z.string()).optional(),
});

export const AckSchema = z.looseObject({
  code: z.number().int(),
  headers: z.looseObject({ messageId: z.string().min(1), contentType: z.string().optional() }),
  message: z.string().optional(),
  data: z.string(),
});

export const EventAckDataSchema = z.looseObject({ status: z.enum(['SUCCESS', 'LATER']).optional(), message: z.string().optional() });

export const TokenBodySchema = z.looseObject({ appKey: z.string().min(1), appSecret: z.string().min(1) });

const AtSchema = z
  .looseObject({
    atUserIds: z.array(z.string()).optional(),
    atMobiles: z.array(z.string()).optional(),
    isAtAll: z.boolean().optional(),
  })
  .optional();

export const WebhookBodySchema = z.discriminatedUnion('msgtype', [
  z.looseObject({ msgtype: z.literal('text'), text: z.looseObject({ content: z.string().min(1) }), at: AtSchema }),
  z.looseObject({
    msgtype: z.literal('markdown'),
    markdown: z.looseObject({ title: z.string().min(1), text: z.string().min(1) }),
    at: AtSchema,
  }),
  z.looseObject({
    msgtype: z.literal('actionCard'),
    actionCard: z.looseObject({
      title: z.string().min(1),
      text: z.string().min(1),
      singleTitle: z.string().optional(),
      singleURL: z.string().optional(),
      btnOrientation: z.string().optional(),
      btns: z.array(z.looseObject({ title: z.string(), actionURL: z.string() })).optional(),
    }),
  }),
  z.looseObject({
    msgtype: z.literal('link'),
    link: z.looseObject({
      title: z.string().min(1),
      text: z.string().min(1),
      messageUrl: z.string().min(1),
      picUrl: z.string().optional(),
    }),
  }),
  z.looseObject({
    msgtype: z.literal('feedCard'),
    feedCard: z.looseObject({
      links: z.array(z.looseObject({ title: z.string(), messageURL: z.string(), picURL: z.string().optional() })).min(1),
    }),
  }),
]);

export const BatchSendSchema = z.looseObject({
  robotCode: z.string().min(1),
  userIds: z.array(z.string().min(1)).min(1).max(DINGTALK.robotBatchSendMaxUsers),
  msgKey: z.string().min(1),
  msgParam: z.string().min(1),
});

export const GroupSendSchema = z.looseObject({
  robotCode: z.string().min(1),
  openConversationId: z.string().min(1),
  msgKey: z.string().min(1),
  msgParam: z.string().min(1),
  coolAppCode: z.string().optional(),
});

export const DownloadSchema = z.looseObject({ downloadCode: z.string().min(1), robotCode: z.string().min(1) });

export const CardParamMapSchema = z.record(z.string(), z.string());
const CardDataSchema = z.looseObject({ cardParamMap: CardParamMapSchema });
const PrivateDataSchema = z.record(z.string(), z.looseObject({ cardParamMap: CardParamMapSchema }));

export const CardCreateSchema = z.looseObject({
  cardTemplateId: z.string().min(1),
  outTrackId: z.string().min(1).max(64),
  cardData: CardDataSchema,
  callbackType: z.enum(['STREAM', 'HTTP']).optional(),
  callbackRouteKey: z.string().optional(),
  privateData: PrivateDataSchema.optional(),
  userIdType: z.number().int().optional(),
});

export const CardDeliverSchema = z.looseObject({
  outTrackId: z.string().min(1),
  openSpaceId: z.string().min(1),
  userIdType: z.number().int().optional(),
  imGroupOpenDeliverModel: z.looseObject({ robotCode: z.string().optional() }).optional(),
  imRobotOpenDeliverModel: z.looseObject({ spaceType: z.string().optional(), robotCode: z.string().optional() }).optional(),
  imSingleOpenDeliverModel: z.looseObject({}).optional(),
  topOpenDeliverModel: z.looseObject({}).optional(),
});

export const CardUpdateOptionsSchema = z.looseObject({
  updateCardDataByKey: z.boolean().optional(),
  updatePrivateDataByKey: z.boolean().optional(),
});

export const CardUpdateSchema = z.looseObject({
  outTrackId: z.string().min(1),
  cardData: CardDataSchema.optional(),
  privateData: PrivateDataSchema.optional(),
  userIdType: z.number().int().optional(),
  cardUpdateOptions: CardUpdateOptionsSchema.optional(),
});

export const CardStreamingSchema = z.looseObject({
  outTrackId: z.string().min(1),
  guid: z.string().min(1),
  key: z.string().min(1),
  content: z.string(),
  isFull: z.boolean().optional(),
  isFinalize: z.boolean().optional(),
  isError: z.boolean().optional(),
});

/**
 * A card-callback answer as DingTalk's "事件回调" page documents it: `cardData`, `userPrivateData` (the clicking user's)
 * and `cardUpdateOptions`. Other keys (such as `privateData` keyed by userId) are kept here only so they can be
 * reported; nothing applies them.
 */
export const CardCallbackResponseSchema = z.looseObject({
  cardData: CardDataSchema.optional(),
  userPrivateData: CardDataSchema.optional(),
  cardUpdateOptions: CardUpdateOptionsSchema.optional(),
});
export type CardCallbackResponse = z.infer<typeof CardCallbackResponseSchema>;

/** Describes the first zod issue in a line a test failure message can show. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const where = issue.path.length ? issue.path.join('.') : '(root)';
  return `${where}: ${issue.message}`;
}
