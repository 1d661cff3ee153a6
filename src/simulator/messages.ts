import { audioFile, pictureFile, textFile, videoFile, type FixtureFile } from './fixtures';
import { conversationId as newConversationId, eventId as newEventId, lwcpId, robotMsgId } from './ids';

/** Realistic payloads for what DingTalk pushes (docs/protocol.md §2.3-§2.4, §5). */

export type RobotMsgType = 'text' | 'picture' | 'richText' | 'audio' | 'video' | 'file';

export interface KnownRobotMessageOptions {
  /** Text of a text message (the default type). In groups a leading space is added, as after an @mention. */
  text?: string;
  msgtype?: RobotMsgType;
  /** Replaces the generated `content` (picture/file/audio/video/richText). */
  content?: Record<string, unknown>;
  /** The bytes behind the generated downloadCode. */
  file?: FixtureFile;
  /**
   * richText only: its entries in order, a string for a text entry and a file for a picture, e.g.
   * `['look', pngA, 'and', pngB]`. Default: the `text` (or 看这张图) and one picture.
   */
  parts?: Array<string | FixtureFile>;
  conversationType?: '1' | '2';
  conversationId?: string;
  conversationTitle?: string;
  senderStaffId?: string;
  senderNick?: string;
  msgId?: string;
  /** Which app receives it. Default: the first app (SIMULATOR_APP). */
  clientId?: string;
  /** Extra or replacement top-level fields, applied last (same as passing them directly). */
  overrides?: Record<string, unknown>;
}

/** Known options plus any other key, which becomes a top-level field of the message (e.g. `robotCode`, `isAdmin`). */
export type RobotMessageOptions = KnownRobotMessageOptions & Record<string, unknown>;

const KNOWN_KEYS = new Set([
  'text',
  'msgtype',
  'content',
  'file',
  'parts',
  'conversationType',
  'conversationId',
  'conversationTitle',
  'senderStaffId',
  'senderNick',
  'msgId',
  'clientId',
  'overrides',
]);

function extraFields(opts: RobotMessageOptions): Record<string, unknown> {
  return Object.fromEntries(Object.entries(opts).filter(([key]) => !KNOWN_KEYS.has(key)));
}

export interface RobotMessageContext {
  robotCode: string;
  corpId: string;
  chatbotUserId: string;
  now: number;
  /** Registers a file and returns its downloadCode. */
  addFile(file: FixtureFile): string;
  /** Creates the session and returns its webhook URL and expiry. */
  openSession(conversationId: string, conversationType: string, senderStaffId: string): { url: string; expiresAt: number };
}

function defaultFile(msgtype: RobotMsgType): FixtureFile {
  switch (msgtype) {
    case 'audio':
      return audioFile();
    case 'video':
      return videoFile();
    case 'file':
      return textFile();
    default:
      return pictureFile();
  }
}

/** A richText picture entry as DingTalk sends it: both codes, each accepted by the download API (§5-a). */
function picturePart(file: FixtureFile, ctx: RobotMessageContext): Record<string, unknown> {
  return { pictureDownloadCode: ctx.addFile(file), downloadCode: ctx.addFile(file), type: 'picture' };
}

function contentFor(msgtype: RobotMsgType, opts: RobotMessageOptions, ctx: RobotMessageContext): Record<string, unknown> | undefined {
  if (msgtype === 'text') return undefined;
  if (opts.content) return opts.content;
  if (msgtype === 'richText') {
    const parts = opts.parts ?? [opts.text ?? '看这张图', opts.file ?? pictureFile()];
    return { richText: parts.map((part) => (typeof part === 'string' ? { text: part } : picturePart(part, ctx))) };
  }
  const file = opts.file ?? defaultFile(msgtype);
  const downloadCode = ctx.addFile(file);
  // Field sets and value types as in DingTalk's captured examples (developerpedia docs/learn/bot/message.md) and its
  // receive-message page; test/fixtures/dingtalk/robot-*.json hold them as published.
  switch (msgtype) {
    case 'picture':
      return { pictureDownloadCode: ctx.addFile(file), downloadCode };
    case 'audio':
      return { duration: 4000, downloadCode, recognition: opts.text ?? '你好' };
    case 'video':
      return { duration: '5', videoType: 'mp4', downloadCode };
    case 'file':
      return { spaceId: '22345678573', fileName: file.fileName, downloadCode, fileId: '117345678848' };
  }
}

export function buildRobotMessage(opts: RobotMessageOptions, ctx: RobotMessageContext): Record<string, unknown> {
  const msgtype = opts.msgtype ?? 'text';
  const conversationType = opts.conversationType ?? '1';
  const group = conversationType === '2';
  const conversationId = opts.conversationId ?? newConversationId();
  const senderStaffId = opts.senderStaffId ?? '16650000698';
  const session = ctx.openSession(conversationId, conversationType, senderStaffId);
  const message: Record<string, unknown> = {
    conversationId,
    conversationType,
    ...(group ? { conversationTitle: opts.conversationTitle ?? '测试群' } : {}),
    msgId: opts.msgId ?? robotMsgId(),
    msgtype,
    createAt: ctx.now,
    senderId: lwcpId(),
    senderNick: opts.senderNick ?? '张三',
    senderStaffId,
    senderCorpId: ctx.corpId,
    senderPlatform: 'Mac',
    isAdmin: true,
    chatbotUserId: ctx.chatbotUserId,
    chatbotCorpId: ctx.corpId,
    robotCode: ctx.robotCode,
    isInAtList: group,
    atUsers: group ? [{ dingtalkId: ctx.chatbotUserId }] : [],
    sessionWebhook: session.url,
    sessionWebhookExpiredTime: session.expiresAt,
  };
  if (msgtype === 'text') {
    const text = opts.text ?? 'hello';
    message.text = { content: group ? ` ${text}` : text };
  } else {
    message.content = contentFor(msgtype, opts, ctx);
  }
  return { ...message, ...extraFields(opts), ...opts.overrides };
}

export interface EventOptions {
  eventId?: string;
  clientId?: string;
  corpId?: string;
  bornTime?: number;
}

export function eventHeaders(eventType: string, opts: EventOptions, appId: string, corpId: string, now: number): Record<string, string> {
  return {
    eventType,
    eventId: opts.eventId ?? newEventId(),
    eventBornTime: String(opts.bornTime ?? now),
    eventCorpId: opts.corpId ?? corpId,
    eventUnifiedAppId: appId,
  };
}

export interface CardCallbackOptions {
  outTrackId: string;
  userId?: string;
  actionIds?: string[];
  params?: Record<string, unknown>;
  clientId?: string;
  spaceType?: string;
  spaceId?: string;
  type?: string;
}

export function buildCardCallback(opts: CardCallbackOptions, corpId: string): Record<string, unknown> {
  const privateData = JSON.stringify({
    cardPrivateData: { actionIds: opts.actionIds ?? ['button_node_sim'], params: opts.params ?? {} },
  });
  return {
    extension: '{}',
    corpId,
    spaceType: opts.spaceType ?? '',
    spaceId: opts.spaceId ?? '',
    userIdType: 1,
    type: opts.type ?? 'actionCallback',
    userId: opts.userId ?? '16650000698',
    outTrackId: opts.outTrackId,
    content: privateData,
    value: privateData,
  };
}
