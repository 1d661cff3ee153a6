/**
 * Size limits on what the action nodes accept from a msg.
 *
 * These are OUR defensive limits, not DingTalk's documented ones: docs/protocol.md §6 has no confirmed maximums for
 * message content, card data or batch sizes. They exist so that a runaway flow (a whole file piped into a text
 * message, an LLM answer concatenated forever, a user list read from a database) fails at once with an error that
 * names the msg property, instead of sending megabytes to DingTalk and getting an opaque rejection, or holding
 * the data in memory while retrying. Each limit is set well above what a real chat message, card or batch needs,
 * so raising one should never be necessary for a sensible flow; if DingTalk documents a lower limit, lower it here.
 *
 * "Characters" are JavaScript string length (UTF-16 code units): a Chinese character counts 1, an emoji 2.
 */
export const INPUT_LIMITS = {
  /** Text of a text, markdown, link or action-card message. */
  textChars: 20_000,
  /** Titles: markdown/link/action-card titles, button titles, msg.title. */
  titleChars: 256,
  /** URLs: button and link targets, picture URLs, the session webhook. */
  urlChars: 4_096,
  /** One identifier: a userId, openConversationId, cardTemplateId, outTrackId or msgKey. */
  idChars: 256,
  /** msgParam of the robot API (msg.msgParam, msg.payload.msgParam), as JSON. */
  msgParamBytes: 64 * 1024,
  /** A complete robot message object given in msg.payload (reply "raw", send "automatic" with msgtype), as JSON. */
  messageBytes: 64 * 1024,
  /** Recipients of one dingtalk-send; the API takes 20 per call, so this is at most 50 calls. */
  userIds: 1_000,
  /** Card data (cardParamMap from msg.payload): number of keys. */
  cardParamKeys: 200,
  /** Card data (cardParamMap from msg.payload), as JSON. */
  cardDataBytes: 64 * 1024,
  /** One chunk streamed into a card (msg.payload), UTF-8. */
  streamChunkBytes: 64 * 1024,
  /** All the text streamed into one card: every update resends the whole text (isFull), so it must stay small. */
  streamTextChars: 100_000,
  /** A downloadCode, UTF-8 (real ones are a few hundred bytes). */
  downloadCodeBytes: 4 * 1024,
} as const;

export type InputLimit = keyof typeof INPUT_LIMITS;

/** Size of `value` as the JSON it is sent as, in UTF-8 bytes. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}
