import type { At, WebhookMessage } from './schemas';

/**
 * Builders for the two message formats DingTalk robots use:
 * - webhook bodies (`{msgtype, text|markdown|actionCard|link, at}`) for session-webhook replies;
 * - `{msgKey, msgParam}` pairs for the OpenAPI sends (batchSend, groupMessages/send), which cannot @mention.
 */

/**
 * A mention only renders when the text contains `@<userId>` (or `@<mobile>`) as well as the `at` list, which
 * users forget; missing ones are appended so `at` alone does what it says.
 */
function withMentions(text: string, at: At | undefined): string {
  const ids = [...(at?.atUserIds ?? []), ...(at?.atMobiles ?? [])];
  const missing = ids.filter((id) => !text.includes(`@${id}`));
  return missing.length ? `${text} ${missing.map((id) => `@${id}`).join(' ')}` : text;
}

export function textMessage(content: string, at?: At): WebhookMessage {
  return { msgtype: 'text', text: { content: withMentions(content, at) }, ...(at ? { at } : {}) };
}

/** `title` is what the conversation list previews; `text` is the markdown shown. */
export function markdownMessage(title: string, text: string, at?: At): WebhookMessage {
  return { msgtype: 'markdown', markdown: { title, text: withMentions(text, at) }, ...(at ? { at } : {}) };
}

export interface ActionCardButton {
  title: string;
  actionURL: string;
}

export type ActionCardOptions =
  | { title: string; text: string; singleTitle: string; singleURL: string }
  | { title: string; text: string; buttons: ActionCardButton[]; vertical?: boolean };

/** One button (`singleTitle`/`singleURL`) or several (`buttons`, side by side unless `vertical`). */
export function actionCardMessage(opts: ActionCardOptions): WebhookMessage {
  if ('buttons' in opts) {
    return {
      msgtype: 'actionCard',
      actionCard: {
        title: opts.title,
        text: opts.text,
        btnOrientation: opts.vertical ? '0' : '1',
        btns: opts.buttons.map((b) => ({ title: b.title, actionURL: b.actionURL })),
      },
    };
  }
  return {
    msgtype: 'actionCard',
    actionCard: { title: opts.title, text: opts.text, singleTitle: opts.singleTitle, singleURL: opts.singleURL, btnOrientation: '0' },
  };
}

export interface LinkOptions {
  title: string;
  text: string;
  messageUrl: string;
  picUrl?: string;
}

export function linkMessage(opts: LinkOptions): WebhookMessage {
  return { msgtype: 'link', link: { ...opts } };
}

// ---- msgKey / msgParam for the OpenAPI sends -------------------------------------------------------------------

/** A message for the OpenAPI robot sends; what DingTalk pushes to the robot is `RobotMessage` (src/stream/frames.ts). */
export interface RobotApiMessage {
  msgKey: string;
  msgParam: Record<string, string>;
}

export function sampleText(content: string): RobotApiMessage {
  return { msgKey: 'sampleText', msgParam: { content } };
}

export function sampleMarkdown(title: string, text: string): RobotApiMessage {
  return { msgKey: 'sampleMarkdown', msgParam: { title, text } };
}

/** `photoURL` may be a URL or a mediaId from the media upload API. */
export function sampleImageMsg(photoURL: string): RobotApiMessage {
  return { msgKey: 'sampleImageMsg', msgParam: { photoURL } };
}

export function sampleLink(opts: { title: string; text: string; messageUrl: string; picUrl: string }): RobotApiMessage {
  return { msgKey: 'sampleLink', msgParam: { title: opts.title, text: opts.text, messageUrl: opts.messageUrl, picUrl: opts.picUrl } };
}

/** One-button action card. */
export function sampleActionCard(opts: { title: string; text: string; singleTitle: string; singleURL: string }): RobotApiMessage {
  return { msgKey: 'sampleActionCard', msgParam: { ...opts } };
}

/**
 * Action card with 2–5 buttons: stacked (`sampleActionCard2…5`), or two side by side (`sampleActionCard6`)
 * when `horizontal` is set.
 */
export function sampleActionCardButtons(title: string, text: string, buttons: ActionCardButton[], horizontal = false): RobotApiMessage {
  if (buttons.length < 2 || buttons.length > 5) throw new RangeError('an action card needs 2 to 5 buttons');
  if (horizontal) {
    if (buttons.length !== 2) throw new RangeError('a horizontal action card has exactly 2 buttons');
    const [a, b] = buttons as [ActionCardButton, ActionCardButton];
    return {
      msgKey: 'sampleActionCard6',
      msgParam: { title, text, buttonTitle1: a.title, buttonUrl1: a.actionURL, buttonTitle2: b.title, buttonUrl2: b.actionURL },
    };
  }
  const msgParam: Record<string, string> = { title, text };
  buttons.forEach((btn, i) => {
    msgParam[`actionTitle${i + 1}`] = btn.title;
    msgParam[`actionURL${i + 1}`] = btn.actionURL;
  });
  return { msgKey: `sampleActionCard${buttons.length}`, msgParam };
}

/** `fileType`: xlsx, pdf, zip, rar, doc or docx. */
export function sampleFile(mediaId: string, fileName: string, fileType: string): RobotApiMessage {
  return { msgKey: 'sampleFile', msgParam: { mediaId, fileName, fileType } };
}

/** `durationMs` in milliseconds, as DingTalk wants it (sent as a string). */
export function sampleAudio(mediaId: string, durationMs: number): RobotApiMessage {
  return { msgKey: 'sampleAudio', msgParam: { mediaId, duration: String(durationMs) } };
}

/** `durationSec` in seconds (the audio one is in milliseconds: DingTalk's table says so for each); `videoType` mp4. */
export function sampleVideo(opts: { videoMediaId: string; durationSec: number; videoType: string; picMediaId: string }): RobotApiMessage {
  return {
    msgKey: 'sampleVideo',
    msgParam: { duration: String(opts.durationSec), videoMediaId: opts.videoMediaId, videoType: opts.videoType, picMediaId: opts.picMediaId },
  };
}
