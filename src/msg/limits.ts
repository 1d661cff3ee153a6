import { DINGTALK } from '../contract';

/**
 * Size limits on what the action nodes accept from a msg.
 *
 * One of them is DingTalk's documented limit (msgParamBytes, from contract.ts). The others are OUR defensive
 * limits: DingTalk documents no maximum for them, or documents one for a different API or only as advice (noted
 * beside each). They exist so that a runaway flow (a whole file piped into a text message, an LLM answer
 * concatenated forever, a user list read from a database) fails at once with an error that names the msg property,
 * instead of sending megabytes to DingTalk and getting an opaque rejection, or holding the data in memory while
 * retrying. Each of ours is set well above what a real chat message, card or batch needs; if DingTalk documents a
 * lower limit, put the number in contract.ts and use it here.
 * Documents cited: apolloyyu/kb-dingtalk-open-platform (a crawl of open.dingtalk.com), by page slug.
 *
 * "Characters" are JavaScript string length (UTF-16 code units): a Chinese character counts 1, an emoji 2.
 */
export const INPUT_LIMITS = {
  /**
   * Text of a text, markdown, link or action-card message. Ours: no per-field limit is documented for robot
   * messages (robot-message-type, custom-robots-send-group-messages). Through the robot API the whole msgParam must
   * also fit msgParamBytes, which 20,000 Chinese characters (60,000 bytes) do not.
   */
  textChars: 20_000,
  /** Titles: markdown/link/action-card titles, button titles, msg.title. Ours: no documented limit. */
  titleChars: 256,
  /** URLs: button and link targets, picture URLs, the session webhook. Ours: no documented limit. */
  urlChars: 4_096,
  /**
   * One identifier: a userId, openConversationId, cardTemplateId, outTrackId or msgKey. Ours: the send and card
   * pages give no length (the card pages allow 100 bytes for a privateData userId key; 256 is above that).
   */
  idChars: 256,
  /**
   * msgParam of the robot API (msg.msgParam, msg.payload.msgParam, or built from msg.payload), as the JSON string
   * sent. DingTalk's: 15,000 bytes (the-robot-sends-a-group-message: "长度限制 15000 字节以内"; see contract.ts).
   */
  msgParamBytes: DINGTALK.robotMsgParamMaxBytes,
  /**
   * A complete robot message object given in msg.payload (reply "raw", send "automatic" with msgtype), as JSON.
   * Ours: no limit is documented for session-webhook bodies (UNCONFIRMED); sent through the robot API, the message
   * must in addition fit msgParamBytes.
   */
  messageBytes: 64 * 1024,
  /**
   * Recipients of one dingtalk-send. Ours: DingTalk takes 20 per batchSend call (contract.ts), so this is at most
   * 50 calls.
   */
  userIds: 1_000,
  /** Card data (cardParamMap from msg.payload): number of keys. Ours: no documented limit. */
  cardParamKeys: 200,
  /**
   * Card data (cardParamMap from msg.payload), as JSON. Ours, for the whole map. DingTalk's card pages
   * (interface-for-creating-a-card-instance, create-and-deliver-cards, interactive-card-update-interface) say each
   * key is at most 100 bytes and each value at most 1 KB ("最长不超过100B" / "最长不超过1KB"); not enforced here.
   */
  cardDataBytes: 64 * 1024,
  /**
   * One chunk streamed into a card (msg.payload), UTF-8. Ours. DingTalk's streaming page (api-streamingupdate) only
   * advises "内容 size 单次不要超过 1 K，总大小建议不要超过 3 K" and answers `param.stream.content` "content is too
   * large" at an undocumented size; not enforced here.
   */
  streamChunkBytes: 64 * 1024,
  /**
   * All the text streamed into one card: every update resends the whole text (isFull), so it must stay small.
   * Ours; see streamChunkBytes for DingTalk's advice.
   */
  streamTextChars: 100_000,
  /** A downloadCode, UTF-8 (real ones are a few hundred bytes). Ours: no documented limit. */
  downloadCodeBytes: 4 * 1024,
  /**
   * Files dingtalk-file downloads for one msg (the pictures of one richText). Ours: DingTalk documents no maximum
   * of pictures per message (docs/protocol.md §6.5-h); a msg built by a flow must not start thousands of downloads.
   */
  filesPerMessage: 50,
} as const;

export type InputLimit = keyof typeof INPUT_LIMITS;

/** Size of `value` as the JSON it is sent as, in UTF-8 bytes. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}
