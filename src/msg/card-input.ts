import { z } from 'zod';
import { MsgInputError, checkBytes, checkId, checkJsonBytes, isNonEmptyString, numberText, parseMsgProperty, sizeError } from './input-error';
import { INPUT_LIMITS } from './limits';
import { plainCopy } from './plain-json';

export const CARD_OPERATIONS = ['createAndDeliver', 'update', 'stream'] as const;
export type CardOperation = (typeof CARD_OPERATIONS)[number];

export interface CardNodeOptions {
  /** '' = from msg.operation. */
  operation: CardOperation | '';
  cardTemplateId: string;
  /** '' = from msg (userId, openConversationId, else the conversation of msg.dingtalk). */
  target: '' | 'user' | 'group';
  userId: string;
  openConversationId: string;
}

export function cardOperation(opts: CardNodeOptions, msg: Record<string, unknown>): CardOperation {
  if (opts.operation) return opts.operation;
  const op = msg['operation'];
  if (typeof op === 'string' && (CARD_OPERATIONS as readonly string[]).includes(op)) return op as CardOperation;
  throw new MsgInputError(
    'invalidOperation',
    'msg.operation',
    `msg.operation must be one of ${CARD_OPERATIONS.join(', ')} when the node's operation is "from msg.operation".`,
    { expected: CARD_OPERATIONS.join(', ') },
  );
}

const DATA_FORM = 'an object whose keys are the card template variables, e.g. { "title": "Approve?", "status": "pending" }';

/**
 * msg.payload -> cardParamMap. DingTalk only takes string values, so other values are JSON-encoded
 * (objects/arrays are what list or loop variables in a template expect) and null/undefined become ''.
 */
export function cardParamMap(payload: unknown, property = 'msg.payload'): Record<string, string> {
  if (payload === undefined || payload === null) return {};
  // A plain-JSON copy first: the values are JSON-encoded one by one below, and must not throw or turn NaN into null.
  const obj = parseMsgProperty(z.record(z.string(), z.unknown()), plainCopy(payload, property), property, DATA_FORM);
  const keys = Object.keys(obj).length;
  if (keys > INPUT_LIMITS.cardParamKeys) {
    throw sizeError(property, keys, INPUT_LIMITS.cardParamKeys, 'items', 'Send only the template variables the card uses.');
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj)) {
    out[k] = typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v);
  }
  checkJsonBytes(out, property, INPUT_LIMITS.cardDataBytes, 'Put less data in the card: link to the details instead of embedding them.');
  return out;
}

export function cardTemplateId(opts: CardNodeOptions, msg: Record<string, unknown>): string {
  const id = isNonEmptyString(msg['cardTemplateId']) ? msg['cardTemplateId'] : opts.cardTemplateId;
  if (!isNonEmptyString(id)) {
    throw new MsgInputError(
      'missingTemplate',
      'msg.cardTemplateId',
      'No card template: set the template id in the node or msg.cardTemplateId (from the card builder, e.g. "xxxx.schema", or StandardCard).',
    );
  }
  checkId(
    id.trim(),
    isNonEmptyString(msg['cardTemplateId']) ? 'msg.cardTemplateId' : 'cardTemplateId (node)',
    INPUT_LIMITS.idChars,
    'Expected one template id, e.g. "xxxx.schema".',
  );
  return id.trim();
}

export function outTrackId(msg: Record<string, unknown>): string {
  const id = msg['outTrackId'];
  if (!isNonEmptyString(id)) {
    throw new MsgInputError(
      'missingOutTrackId',
      'msg.outTrackId',
      'msg.outTrackId is missing: it identifies the card to change. Use the msg.outTrackId that "create and deliver" put on its output.',
    );
  }
  checkId(id.trim(), 'msg.outTrackId', INPUT_LIMITS.idChars, 'Use the msg.outTrackId that "create and deliver" put on its output.');
  return id.trim();
}

export type CardTarget = { space: 'user'; userId: string } | { space: 'group'; openConversationId: string };

const DingtalkContextSchema = z.looseObject({
  conversationType: z.string().optional(),
  conversationId: z.string().optional(),
  senderStaffId: z.string().optional(),
});

/** Node target, else msg.userId / msg.openConversationId, else the conversation the msg.dingtalk message came from. */
export function cardTarget(opts: CardNodeOptions, msg: Record<string, unknown>): CardTarget {
  const userId = isNonEmptyString(opts.userId) ? opts.userId.trim() : isNonEmptyString(msg['userId']) ? msg['userId'].trim() : undefined;
  const group = isNonEmptyString(opts.openConversationId)
    ? opts.openConversationId.trim()
    : isNonEmptyString(msg['openConversationId'])
      ? msg['openConversationId'].trim()
      : undefined;
  if (userId) checkId(userId, isNonEmptyString(opts.userId) ? 'userId (node)' : 'msg.userId', INPUT_LIMITS.idChars, 'Expected one userId.');
  if (group)
    checkId(
      group,
      isNonEmptyString(opts.openConversationId) ? 'openConversationId (node)' : 'msg.openConversationId',
      INPUT_LIMITS.idChars,
      'Expected one openConversationId (cid...).',
    );
  if (opts.target === 'user' && userId) return { space: 'user', userId };
  if (opts.target === 'group' && group) return { space: 'group', openConversationId: group };
  if (opts.target === '') {
    if (userId) return { space: 'user', userId };
    if (group) return { space: 'group', openConversationId: group };
    const ctx = DingtalkContextSchema.safeParse(msg['dingtalk']);
    if (ctx.success) {
      if (ctx.data.conversationType === '2' && ctx.data.conversationId) return { space: 'group', openConversationId: ctx.data.conversationId };
      if (ctx.data.conversationType === '1' && ctx.data.senderStaffId) return { space: 'user', userId: ctx.data.senderStaffId };
    }
  }
  const property = opts.target === 'group' ? 'msg.openConversationId' : 'msg.userId';
  throw new MsgInputError(
    'missingCardTarget',
    property,
    'No one to deliver the card to: set a user or group in the node, msg.userId, msg.openConversationId, or connect after dingtalk-robot-in (msg.dingtalk).',
  );
}

export type StreamChunk = { kind: 'append'; text: string } | { kind: 'finish'; text: string } | { kind: 'fail'; text: string };

/** One streaming step: msg.payload is appended; msg.complete finishes; msg.error / msg.isError marks the card failed. */
export function streamChunk(msg: Record<string, unknown>): StreamChunk {
  const payload = msg['payload'];
  let text = '';
  if (typeof payload === 'string') text = payload;
  else if (typeof payload === 'number') text = numberText(payload, 'msg.payload');
  else if (typeof payload === 'boolean') text = String(payload);
  else if (payload !== undefined && payload !== null) {
    throw new MsgInputError(
      'invalidProperty',
      'msg.payload',
      'msg.payload must be a string chunk of text when streaming into a card (got an object). Send the text delta, e.g. an LLM token.',
      { property: 'msg.payload', reason: 'not a string', got: 'an object', expected: 'a string' },
    );
  }
  checkBytes(text, 'msg.payload', INPUT_LIMITS.streamChunkBytes, 'Stream the text in smaller pieces (e.g. one LLM token or sentence per msg).');
  if (msg['isError'] === true || (msg['error'] !== undefined && msg['error'] !== null && msg['error'] !== false)) return { kind: 'fail', text };
  if (msg['complete'] === true) return { kind: 'finish', text };
  return { kind: 'append', text };
}
