import type { RobotMessage } from '../stream/frames';
import type { Push } from '../stream/types';
import { describeThrown } from '../util/thrown';
import { messageParts, type MessagePart } from './message-parts';

/**
 * Robot message -> Node-RED msg, and the robot-in node's filters. No Node-RED here so the shape is tested directly.
 * The msg.dingtalk shape is what dingtalk-reply / dingtalk-file / dingtalk-card read (docs/ARCHITECTURE.md).
 */

export type ChatFilter = 'both' | 'single' | 'group';
export type KeywordMode = 'contains' | 'regex';

export interface RobotInFilterOptions {
  chat: ChatFilter;
  /** Allowed msgtypes; empty = all. */
  msgtypes: readonly string[];
  keyword: string;
  keywordMode: KeywordMode;
}

export type RobotMessageFilter = (message: RobotMessage, text: string | undefined) => boolean;

export type CompiledFilter = { ok: true; matches: RobotMessageFilter } | { ok: false; pattern: string; reason: string };

export const SINGLE_CHAT = '1';
export const GROUP_CHAT = '2';

/**
 * DingTalk usually strips the robot's @name from the text and leaves the space after it. Should the @name still be
 * there, it can only be recognised when the robot is the only one mentioned: then a leading @word is the robot's.
 */
const LEADING_MENTION = /^@\S+\s+/;

function onlyRobotMentioned(message: RobotMessage): boolean {
  if (message.conversationType !== GROUP_CHAT || !message.isInAtList) return false;
  return (message.atUsers ?? []).every((user) => !user.staffId && (!message.chatbotUserId || user.dingtalkId === message.chatbotUserId));
}

export function messageText(message: RobotMessage): string | undefined {
  if (message.msgtype === 'text' && message.text) {
    let text = message.text.content.trim();
    if (onlyRobotMentioned(message)) text = text.replace(LEADING_MENTION, '').trim();
    return text;
  }
  const content = message.content as Record<string, unknown> | undefined;
  if (message.msgtype === 'richText' && Array.isArray(content?.['richText'])) {
    const parts = (content['richText'] as unknown[])
      .map((part) => (part && typeof part === 'object' ? (part as Record<string, unknown>)['text'] : undefined))
      .filter((text): text is string => typeof text === 'string');
    return parts.length > 0 ? parts.join('').trim() : undefined;
  }
  if (message.msgtype === 'audio' && typeof content?.['recognition'] === 'string') return content['recognition'];
  return undefined;
}

/** The first downloadCode of a file/picture/audio/video message or of a richText's first picture. */
export function downloadCodeOf(message: RobotMessage): string | undefined {
  for (const part of messageParts(message)) {
    if (typeof part.downloadCode === 'string') return part.downloadCode;
  }
  return undefined;
}

/** What a media message says about its one file, flattened onto msg.dingtalk beside its downloadCode. */
const MEDIA_FIELDS = ['fileName', 'duration', 'videoType', 'recognition'] as const;

export type RobotInDingtalk = RobotMessage & {
  messageId: string;
  downloadCode?: string;
  fileName?: string;
  duration?: number | string;
  videoType?: string;
  /** Audio: DingTalk's speech-to-text of the voice note. */
  recognition?: string;
  /** Every part of the message in order; what dingtalk-file downloads. Absent for text messages. */
  parts?: MessagePart[];
};

/** richText's msg.payload: the content as DingTalk sent it (`richText`, as before) plus its text and parts. */
export type RichTextPayload = Record<string, unknown> & { text: string; parts: MessagePart[] };

export type RobotInMsg = {
  topic: string;
  payload: unknown;
  dingtalk: RobotInDingtalk;
};

export function robotMessageToMsg(push: Push<RobotMessage>, text: string | undefined): RobotInMsg {
  const message = push.data;
  const downloadCode = downloadCodeOf(message);
  const dingtalk: RobotInDingtalk = { ...message, messageId: push.headers.messageId };
  if (downloadCode !== undefined) dingtalk.downloadCode = downloadCode;
  if (message.msgtype === 'text') return { topic: message.conversationId, payload: text ?? '', dingtalk };
  const parts = messageParts(message);
  dingtalk.parts = parts;
  const content = (message.content ?? {}) as Record<string, unknown>;
  if (message.msgtype !== 'richText') {
    for (const field of MEDIA_FIELDS) {
      const value = content[field];
      if (typeof value === 'string' || typeof value === 'number') Object.assign(dingtalk, { [field]: value });
    }
    return { topic: message.conversationId, payload: content, dingtalk };
  }
  const payload: RichTextPayload = { ...content, text: text ?? '', parts };
  return { topic: message.conversationId, payload, dingtalk };
}

export function compileRobotFilter(options: RobotInFilterOptions): CompiledFilter {
  const keyword = options.keyword.trim();
  let keywordTest: ((text: string) => boolean) | undefined;
  if (keyword) {
    if (options.keywordMode === 'regex') {
      let re: RegExp;
      try {
        re = new RegExp(keyword);
      } catch (error) {
        return { ok: false, pattern: keyword, reason: describeThrown(error) };
      }
      keywordTest = (text) => re.test(text);
    } else {
      const needle = keyword.toLowerCase();
      keywordTest = (text) => text.toLowerCase().includes(needle);
    }
  }
  const types = new Set(options.msgtypes.filter((type) => type));
  const matches: RobotMessageFilter = (message, text) => {
    if (options.chat === 'single' && message.conversationType !== SINGLE_CHAT) return false;
    if (options.chat === 'group' && message.conversationType !== GROUP_CHAT) return false;
    if (types.size > 0 && !types.has(message.msgtype)) return false;
    if (keywordTest && (text === undefined || !keywordTest(text))) return false;
    return true;
  };
  return { ok: true, matches };
}
