import type { RobotMessage } from '../stream/frames';

/**
 * The parts of a robot message, in the order the user wrote them (docs/protocol.md §5-a): a richText's list of text
 * and picture entries, or the one picture, audio, video or file of a media message. Each part keeps every field
 * DingTalk sent (fileId, spaceId...), with a `type` always set, so nothing the user sent is lost on the way to a flow.
 */

export type MessagePartType = 'text' | 'picture' | 'audio' | 'video' | 'file';

export interface MessagePart {
  /** `text`, `picture`, `audio`, `video`, `file`, or whatever else DingTalk names a part. */
  type: MessagePartType | (string & {});
  text?: string;
  downloadCode?: string;
  /** richText and picture messages carry it beside `downloadCode`; the download API takes either. */
  pictureDownloadCode?: string;
  fileName?: string;
  /** As DingTalk sent it: a number in its docs, a string in its Java SDK and examples. Unit: docs/protocol.md §5-f. */
  duration?: number | string;
  videoType?: string;
  /** The audio's speech-to-text (ASR) result. */
  recognition?: string;
  [field: string]: unknown;
}

const MEDIA_TYPES: ReadonlySet<string> = new Set(['picture', 'audio', 'video', 'file']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A richText entry: DingTalk's examples give text entries no `type`; an untyped entry with a code can only be a picture. */
function richTextPart(entry: Record<string, unknown>): MessagePart {
  if (typeof entry['type'] === 'string' && entry['type']) return { ...entry, type: entry['type'] };
  if (typeof entry['downloadCode'] === 'string' || typeof entry['pictureDownloadCode'] === 'string') return { ...entry, type: 'picture' };
  return { ...entry, type: 'text' };
}

/** The entries of a richText content as parts, or undefined when `content.richText` is not a list. */
export function richTextParts(content: Record<string, unknown> | undefined): MessagePart[] | undefined {
  const list = content?.['richText'];
  return Array.isArray(list) ? list.filter(isRecord).map(richTextPart) : undefined;
}

/** The parts of a message; a text message is one text part; an unknown type with no content has none. */
export function messageParts(message: RobotMessage): MessagePart[] {
  if (message.msgtype === 'text') return message.text ? [{ type: 'text', text: message.text.content }] : [];
  const content = message.content as Record<string, unknown> | undefined;
  if (!isRecord(content)) return [];
  if (message.msgtype === 'richText') return richTextParts(content) ?? [];
  if (MEDIA_TYPES.has(message.msgtype)) return [{ ...content, type: message.msgtype }];
  return [];
}

/** The code to download a part with, or undefined for a part with nothing to download. */
export function partDownloadCode(part: MessagePart): string | undefined {
  for (const code of [part.downloadCode, part.pictureDownloadCode]) if (typeof code === 'string' && code.trim()) return code;
  return undefined;
}

export function isDownloadable(part: MessagePart): boolean {
  return partDownloadCode(part) !== undefined;
}
