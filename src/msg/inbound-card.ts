import { z } from 'zod';
import {
  CardCallbackResponseSchema,
  CardPrivateDataSchema,
  PRIVATE_DATA_IN_ANSWER,
  type CardCallback,
  type CardCallbackResponse,
} from '../stream/frames';
import { truncate } from '../util/text';

/**
 * Card callback -> msg.payload, and msg.payload of dingtalk-card-response -> the answer DingTalk merges into the card.
 * No Node-RED here.
 */

export interface CardActionPayload {
  outTrackId: string;
  userId?: string;
  corpId?: string;
  type?: string;
  spaceType?: string;
  spaceId?: string;
  /** Ids of the clicked component(s). */
  actionIds: string[];
  /** The button's "回传参数" (callback parameters). */
  params: Record<string, unknown>;
  /** The callback as received, for anything not lifted out above. */
  callback: CardCallback;
}

function parsePrivateData(json: string | undefined): { actionIds: string[]; params: Record<string, unknown> } | undefined {
  if (!json) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  const parsed = CardPrivateDataSchema.safeParse(value);
  if (!parsed.success || !parsed.data.cardPrivateData) return undefined;
  return {
    actionIds: parsed.data.cardPrivateData.actionIds ?? [],
    params: parsed.data.cardPrivateData.params ?? {},
  };
}

/** `content` and `value` carry the same cardPrivateData (docs/protocol.md §2.4); whichever parses wins. */
export function cardActionPayload(callback: CardCallback): CardActionPayload {
  const action = parsePrivateData(callback.content) ?? parsePrivateData(callback.value) ?? { actionIds: [], params: {} };
  const payload: CardActionPayload = { outTrackId: callback.outTrackId, actionIds: action.actionIds, params: action.params, callback };
  for (const key of ['userId', 'corpId', 'type', 'spaceType', 'spaceId'] as const) {
    if (callback[key] !== undefined) payload[key] = callback[key];
  }
  return payload;
}

const ANSWER_KEYS = ['cardData', 'privateData', 'userPrivateData', 'cardUpdateOptions'];

/** Flat form: `{ status: "done", count: 3 }` -> cardParamMap (values become strings, DingTalk wants strings). */
const FlatParamsSchema = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
  .transform((params) => Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])));

/** Without explicit options an answer merges by key, so answering one field does not blank the others. */
export function withMergeByKey(answer: CardCallbackResponse): CardCallbackResponse {
  return {
    ...answer,
    cardUpdateOptions: { updateCardDataByKey: true, updatePrivateDataByKey: true, ...answer.cardUpdateOptions },
  };
}

export type CardAnswerParse =
  | { ok: true; answer: CardCallbackResponse }
  | {
      ok: false;
      reason: string;
      /** Set when the answer was refused for its `privateData`: the userIds it names and the user who clicked. */
      privateData?: { users: string; clickingUserId: string | undefined };
    };

function describeIssue(error: z.ZodError, root: string): string {
  const issue = error.issues[0];
  const path = issue && issue.path.length > 0 ? `${root}.${issue.path.map(String).join('.')}` : root;
  return `${path}: ${issue?.message ?? 'invalid'}`;
}

/** A short list for an error message: the keys come from the flow and can be many or long. */
function listUsers(users: string[]): string {
  const shown = users.slice(0, 5).map((u) => JSON.stringify(truncate(u, 65)));
  return users.length > shown.length ? `${shown.join(', ')}, … (${users.length} in all)` : shown.join(', ');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * `privateData` keyed by userId is how the card APIs take private data, not how a click is answered: DingTalk's
 * "事件回调" page takes `userPrivateData`, the clicking user's (src/stream/frames.ts). The one unambiguous case, only
 * the clicking user's entry and no userPrivateData beside it, becomes userPrivateData; anything else is refused,
 * since DingTalk would not apply it and the flow would never know.
 */
function withoutPrivateData(
  answer: Record<string, unknown>,
  clickingUserId: string | undefined,
): { ok: true; answer: Record<string, unknown> } | Extract<CardAnswerParse, { ok: false }> {
  const { privateData, ...rest } = answer;
  if (privateData === undefined || privateData === null) return { ok: true, answer: rest };
  const users = isPlainObject(privateData) ? Object.keys(privateData) : [];
  if (isPlainObject(privateData) && users.length === 0) return { ok: true, answer: rest };
  if (isPlainObject(privateData) && users.length === 1 && users[0] === clickingUserId && answer['userPrivateData'] === undefined) {
    return { ok: true, answer: { ...rest, userPrivateData: privateData[clickingUserId] } };
  }
  const names = isPlainObject(privateData) ? listUsers(users) : `a ${Array.isArray(privateData) ? 'array' : typeof privateData}`;
  return {
    ok: false,
    reason: `msg.payload.privateData: ${PRIVATE_DATA_IN_ANSWER} (it names ${names}; the click came from ${clickingUserId ?? 'an unknown user'})`,
    privateData: { users: names, clickingUserId },
  };
}

/**
 * msg.payload is either a full answer (`{ cardData?, userPrivateData?, cardUpdateOptions? }`) or a flat object of
 * strings for the card's public data. `clickingUserId` is the user whose click is answered.
 */
export function parseCardAnswer(payload: unknown, clickingUserId?: string): CardAnswerParse {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    return {
      ok: false,
      reason: `msg.payload: expected an object, got ${Array.isArray(payload) ? 'an array' : payload === null ? 'null' : typeof payload}`,
    };
  }
  const isFullAnswer = Object.keys(payload).some((key) => ANSWER_KEYS.includes(key));
  if (isFullAnswer) {
    const documented = withoutPrivateData(payload as Record<string, unknown>, clickingUserId);
    if (!documented.ok) return documented;
    const parsed = CardCallbackResponseSchema.safeParse(documented.answer);
    return parsed.success ? { ok: true, answer: withMergeByKey(parsed.data) } : { ok: false, reason: describeIssue(parsed.error, 'msg.payload') };
  }
  const parsed = FlatParamsSchema.safeParse(payload);
  if (!parsed.success) return { ok: false, reason: describeIssue(parsed.error, 'msg.payload') };
  return { ok: true, answer: withMergeByKey({ cardData: { cardParamMap: parsed.data } }) };
}

/** What dingtalk-card-in puts on msg._dingtalkCard for dingtalk-card-response (like msg.res for http response). */
export interface CardResponder {
  messageId: string;
  /** The user who clicked: the one `userPrivateData` is for. */
  userId?: string;
  /** True when the answer went out; false when the deadline had passed or the callback was already answered. */
  respond(answer: CardCallbackResponse): boolean;
}

export function isCardResponder(value: unknown): value is CardResponder {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as Record<string, unknown>)['respond'] === 'function' &&
    typeof (value as Record<string, unknown>)['messageId'] === 'string'
  );
}
