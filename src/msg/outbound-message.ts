import { z } from 'zod';
import {
  markdownMessage,
  sampleActionCard,
  sampleActionCardButtons,
  sampleImageMsg,
  sampleLink,
  sampleMarkdown,
  sampleText,
  textMessage,
  type RobotApiMessage,
} from '../api/messages';
import type { At } from '../api/schemas';
import { MsgInputError, checkId, checkJsonBytes, checkLength, numberText, parseMsgProperty } from './input-error';
import { INPUT_LIMITS, jsonBytes } from './limits';
import { plainCopy } from './plain-json';

const TITLE = z.string().min(1).max(INPUT_LIMITS.titleChars);
const TEXT = z.string().min(1).max(INPUT_LIMITS.textChars);
const URL_TEXT = z.string().min(1).max(INPUT_LIMITS.urlChars);

/**
 * msg.payload -> robot message, in the two wire forms DingTalk has (docs/protocol.md §6.3-6.4):
 * the session-webhook body (`{msgtype, text|markdown|actionCard|link, at}`) and the OpenAPI `msgKey` + `msgParam`.
 * Shared by dingtalk-reply (webhook, with the robot API as fallback) and dingtalk-send (robot API).
 */

/** A button as a msg gives it, within our input limits; src/api/schemas.ts has the body DingTalk takes. */
const ButtonInputSchema = z.looseObject({ title: TITLE, actionURL: URL_TEXT });

export const ActionCardPayloadSchema = z.looseObject({
  title: TITLE,
  text: TEXT,
  singleTitle: TITLE.optional(),
  singleURL: URL_TEXT.optional(),
  btnOrientation: z.enum(['0', '1']).optional(),
  btns: z.array(ButtonInputSchema).min(1).max(5).optional(),
});
export type ActionCardPayload = z.infer<typeof ActionCardPayloadSchema>;
const ACTION_CARD_FORM = '{ title, text, singleTitle, singleURL } or { title, text, btns: [{ title, actionURL }, ...] } (markdown text, 1-5 buttons)';

export const MarkdownPayloadSchema = z.looseObject({ title: TITLE, text: TEXT });
const MARKDOWN_FORM = 'a markdown string (title from msg.title or the node) or { title, text }';

export const LinkPayloadSchema = z.looseObject({
  title: TITLE,
  text: TEXT,
  messageUrl: URL_TEXT,
  picUrl: z.string().max(INPUT_LIMITS.urlChars).optional(),
});
const LINK_FORM = '{ title, text, messageUrl, picUrl? }';

/**
 * A session-webhook body as the flow built it: only `msgtype` is checked here (a "raw" reply may use any DingTalk
 * type); replyBySessionWebhook checks the rest against WebhookMessageSchema (src/api/schemas.ts) before sending.
 */
export const RawWebhookMessageSchema = z.looseObject({ msgtype: z.string().min(1) });
export type RawWebhookMessage = z.infer<typeof RawWebhookMessageSchema>;

const TextSchema = z.string().min(1, 'empty text').max(INPUT_LIMITS.textChars);

export function textContent(payload: unknown, property = 'msg.payload'): string {
  if (typeof payload === 'number') return numberText(payload, property);
  if (typeof payload === 'boolean') return String(payload);
  return parseMsgProperty(TextSchema, payload, property, 'a string (the text to send); use a template or change node to turn an object into text');
}

/** Title DingTalk shows in the chat list for markdown/action cards when none is given: the first line, without `#`. */
export function titleFromText(text: string): string {
  const first = text.split('\n').find((l) => l.trim() !== '') ?? '';
  const clean = first.replace(/^[#>*\-\s]+/, '').trim();
  return (clean || 'Message').slice(0, 40);
}

export function markdownContent(payload: unknown, title: string | undefined): { title: string; text: string } {
  if (title) checkLength(title, 'msg.title', INPUT_LIMITS.titleChars, 'Use a shorter title: DingTalk shows it in the chat list.');
  if (typeof payload === 'string') {
    checkLength(payload, 'msg.payload', INPUT_LIMITS.textChars);
    if (payload.trim() === '') throw new MsgInputError('emptyPayload', 'msg.payload', `msg.payload is an empty string. Expected ${MARKDOWN_FORM}.`);
    return { title: title || titleFromText(payload), text: payload };
  }
  if (payload !== null && typeof payload === 'object' && !Array.isArray(payload) && title && !('title' in payload)) {
    payload = { ...payload, title };
  }
  const md = parseMsgProperty(MarkdownPayloadSchema, payload, 'msg.payload', MARKDOWN_FORM);
  return { title: md.title, text: md.text };
}

export function actionCardContent(payload: unknown): ActionCardPayload {
  const card = parseMsgProperty(ActionCardPayloadSchema, payload, 'msg.payload', ACTION_CARD_FORM);
  const single = card.singleTitle !== undefined && card.singleURL !== undefined;
  if (!single && !card.btns) {
    throw new MsgInputError(
      'invalidProperty',
      'msg.payload',
      `msg.payload has no button: set singleTitle + singleURL or btns. Expected ${ACTION_CARD_FORM}.`,
      { property: 'msg.payload', reason: 'no button', got: 'an object', expected: ACTION_CARD_FORM },
    );
  }
  return card;
}

export function linkContent(payload: unknown): z.infer<typeof LinkPayloadSchema> {
  return parseMsgProperty(LinkPayloadSchema, payload, 'msg.payload', LINK_FORM);
}

export function rawWebhookMessage(payload: unknown): RawWebhookMessage {
  checkJsonBytes(payload, 'msg.payload', INPUT_LIMITS.messageBytes);
  return parseMsgProperty(
    RawWebhookMessageSchema,
    payload,
    'msg.payload',
    'a complete robot message object such as { msgtype: "text", text: { content: "hi" } }',
  );
}

export type ReplyType = 'text' | 'markdown' | 'actionCard' | 'raw';

/** Builds the session-webhook body for dingtalk-reply. `at` mentions are put in the text too, which is what renders them. */
export function buildWebhookMessage(type: ReplyType, msgPayload: unknown, opts: { title?: string; at?: At }): RawWebhookMessage {
  const at = opts.at;
  // Object forms are copied as plain JSON: the action card and raw forms are sent with all their fields.
  const payload = type === 'text' ? msgPayload : plainCopy(msgPayload, 'msg.payload');
  switch (type) {
    case 'text':
      return textMessage(textContent(payload), at);
    case 'markdown': {
      const md = markdownContent(payload, opts.title);
      return markdownMessage(md.title, md.text, at);
    }
    case 'actionCard': {
      const card = actionCardContent(payload);
      return { msgtype: 'actionCard', actionCard: card };
    }
    case 'raw': {
      const message = rawWebhookMessage(payload);
      if (!at) return message;
      const existing = (message['at'] ?? {}) as Record<string, unknown>;
      const ids = Array.isArray(existing['atUserIds']) ? (existing['atUserIds'] as unknown[]).map(String) : [];
      return { ...message, at: { ...existing, atUserIds: [...new Set([...ids, ...(at.atUserIds ?? [])])] } };
    }
  }
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
}

/** Action card -> the matching `sampleActionCard*` template (single button, 2-5 vertical, or 2 horizontal). */
export function actionCardToRobotApi(card: ActionCardPayload): RobotApiMessage {
  const btns = card.btns ?? [];
  if (card.singleTitle !== undefined && card.singleURL !== undefined && btns.length === 0) {
    return sampleActionCard({ title: card.title, text: card.text, singleTitle: card.singleTitle, singleURL: card.singleURL });
  }
  if (btns.length === 1) {
    return sampleActionCard({ title: card.title, text: card.text, singleTitle: btns[0]!.title, singleURL: btns[0]!.actionURL });
  }
  // The robot API has exactly one side-by-side template, for two buttons; otherwise stack them.
  const horizontal = card.btnOrientation === '1' && btns.length === 2;
  return sampleActionCardButtons(card.title, card.text, btns, horizontal);
}

/**
 * Webhook body -> OpenAPI form, for replying through the robot API once the session webhook has expired.
 * The OpenAPI send path cannot @mention, so `at` is dropped (the `@id` text stays).
 */
export function webhookToRobotApi(message: RawWebhookMessage): RobotApiMessage {
  const part = (key: string): Record<string, unknown> => {
    const v = message[key];
    return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  };
  switch (message.msgtype) {
    case 'text':
      return sampleText(str(part('text')['content']));
    case 'markdown':
      return sampleMarkdown(str(part('markdown')['title']), str(part('markdown')['text']));
    case 'link': {
      const l = part('link');
      return sampleLink({ title: str(l['title']), text: str(l['text']), messageUrl: str(l['messageUrl']), picUrl: str(l['picUrl']) });
    }
    case 'actionCard':
      return actionCardToRobotApi(parseMsgProperty(ActionCardPayloadSchema, message['actionCard'], 'msg.payload.actionCard', ACTION_CARD_FORM));
    default:
      throw new MsgInputError(
        'notSendableByApi',
        'msg.payload.msgtype',
        `A "${message.msgtype}" message cannot be sent through the robot API; use text, markdown, link or actionCard.`,
        { msgtype: message.msgtype },
      );
  }
}

export type SendType = 'auto' | 'text' | 'markdown' | 'image' | 'file' | 'voice' | 'video' | 'link' | 'actionCard' | 'custom';

/** A msgParam given as an object or a JSON string; values must end up strings (DingTalk templates take strings). */
export function msgParamFrom(value: unknown, property: string): Record<string, string> {
  let v = value;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v) as unknown;
    } catch {
      throw new MsgInputError(
        'invalidProperty',
        property,
        `${property} is a string but not JSON. Expected an object such as { "content": "hi" } or its JSON text.`,
        {
          property,
          reason: 'not JSON',
          got: 'a string',
          expected: 'an object or JSON text',
        },
      );
    }
  }
  // Also for parsed JSON text: its values are re-encoded below, and 20,000 levels of [[[...]]] overflow the stack there.
  v = plainCopy(v, property);
  const obj = parseMsgProperty(z.record(z.string(), z.unknown()), v, property, 'an object such as { "content": "hi" } (or its JSON text)');
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(obj)) out[k] = typeof val === 'string' ? val : JSON.stringify(val ?? '');
  checkMsgParamSize(out, property);
  return out;
}

/**
 * Refuses a robot-API message whose msgParam, as the JSON string sent, is over DingTalk's documented 15,000 bytes
 * (contract.ts): DingTalk would answer `invalidParameter.msgParam.tooLong`. `property` is where the content came from.
 */
export function checkMsgParamSize(msgParam: Record<string, string>, property: string): void {
  const size = jsonBytes(msgParam);
  const limit = INPUT_LIMITS.msgParamBytes;
  if (size <= limit) return;
  const fmt = (n: number): string => n.toLocaleString('en-US');
  throw new MsgInputError(
    'msgParamTooLarge',
    property,
    `${property} is too large: as a robot message (msgParam) it is ${fmt(size)} bytes, the limit is ${fmt(limit)} (DingTalk's, for any robot message). ` +
      'Nothing was sent. Shorten the text (a Chinese character takes 3 bytes), split it over several messages, or send a file or link instead.',
    { property, size: String(size), limit: String(limit) },
  );
}

/** msg.payload -> OpenAPI message for dingtalk-send's configured type, within DingTalk's msgParam size. */
export function buildRobotApiMessage(type: Exclude<SendType, 'custom'>, msgPayload: unknown, opts: { title?: string }): RobotApiMessage {
  const message = robotApiMessageOf(type, msgPayload, opts);
  checkMsgParamSize(message.msgParam, 'msg.payload');
  return message;
}

function robotApiMessageOf(type: Exclude<SendType, 'custom'>, msgPayload: unknown, opts: { title?: string }): RobotApiMessage {
  const payload = type === 'text' ? msgPayload : plainCopy(msgPayload, 'msg.payload');
  switch (type) {
    case 'auto':
      if (payload !== null && typeof payload === 'object' && !Array.isArray(payload) && !Buffer.isBuffer(payload)) {
        const p = payload as Record<string, unknown>;
        if (typeof p['msgKey'] === 'string' && p['msgParam'] !== undefined) {
          return { msgKey: p['msgKey'], msgParam: msgParamFrom(p['msgParam'], 'msg.payload.msgParam') };
        }
        if (typeof p['msgtype'] === 'string') return webhookToRobotApi(rawWebhookMessage(p));
      }
      return sampleText(textContent(payload));
    case 'text':
      return sampleText(textContent(payload));
    case 'markdown': {
      const md = markdownContent(payload, opts.title);
      return sampleMarkdown(md.title, md.text);
    }
    case 'image': {
      const photoURL =
        typeof payload === 'string'
          ? payload
          : parseMsgProperty(
              z.looseObject({ photoURL: z.string().min(1) }),
              payload,
              'msg.payload',
              'an image URL or mediaId string, or { photoURL }',
            ).photoURL;
      if (photoURL.trim() === '')
        throw new MsgInputError('emptyPayload', 'msg.payload', 'msg.payload is empty. Expected an image URL or mediaId string, or { photoURL }.');
      checkId(
        photoURL,
        typeof payload === 'string' ? 'msg.payload' : 'msg.payload.photoURL',
        INPUT_LIMITS.urlChars,
        'Use a URL or mediaId, not the image data itself.',
      );
      return sampleImageMsg(photoURL);
    }
    case 'file':
    case 'voice':
    case 'video':
      return mediaIdMessage(type, payload);
    case 'link': {
      const l = linkContent(payload);
      return sampleLink({ title: l.title, text: l.text, messageUrl: l.messageUrl, picUrl: l.picUrl ?? '' });
    }
    case 'actionCard':
      return actionCardToRobotApi(actionCardContent(payload));
  }
}

/** The msgParam keys of a file, voice or video message given by mediaId (docs/protocol.md §6.4-f). */
const MEDIA_ID_FORMS = {
  file: { msgKey: 'sampleFile', keys: ['mediaId', 'fileName', 'fileType'] },
  voice: { msgKey: 'sampleAudio', keys: ['mediaId', 'duration'] },
  video: { msgKey: 'sampleVideo', keys: ['videoMediaId', 'duration', 'videoType', 'picMediaId'] },
} as const;

/** A file, voice note or video already uploaded: msg.payload holds its mediaId and the other keys DingTalk needs. */
function mediaIdMessage(type: keyof typeof MEDIA_ID_FORMS, payload: unknown): RobotApiMessage {
  const form = MEDIA_ID_FORMS[type];
  const expected = `a Buffer with the file (and msg.filename), or { ${form.keys.join(', ')} }`;
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new MsgInputError('invalidProperty', 'msg.payload', `msg.payload is not usable for a ${type} message. Expected ${expected}.`, {
      property: 'msg.payload',
      reason: `not a ${type}`,
      got: typeof payload,
      expected,
    });
  }
  const param = msgParamFrom(payload, 'msg.payload');
  const missing = form.keys.filter((k) => !param[k]);
  if (missing.length > 0) {
    throw new MsgInputError('invalidProperty', `msg.payload.${missing[0]}`, `msg.payload.${missing[0]} is missing. Expected ${expected}.`, {
      property: `msg.payload.${missing[0]}`,
      reason: 'missing',
      got: 'nothing',
      expected,
    });
  }
  return { msgKey: form.msgKey, msgParam: param };
}
