import { safeFileName } from './file-name';
import { isDownloadable, partDownloadCode, richTextParts } from './message-parts';
import { MsgInputError, checkBytes, checkPlain, describeValue, isNonEmptyString, sizeError } from './input-error';
import { INPUT_LIMITS } from './limits';
import { truncate } from '../util/text';

export interface FileRequest {
  downloadCode: string;
  robotCode: string;
  /** From the message (content.fileName) when DingTalk gave one. */
  fileName?: string;
  /** msgId of the message, used to name files that came without a name. */
  msgId?: string;
  /** A video's `videoType` (e.g. `mp4`): the extension when the download's content type says nothing. */
  videoType?: string;
  /** Which part of the message this is (1-based) when it has several files: keeps their names apart. */
  partNumber?: number;
}

/** The downloads one msg asks for: one, or every file of a message, in order. */
export interface FileRequests {
  requests: FileRequest[];
  /**
   * The part each request is, and `count` the message's downloadable parts, when they come from the message's parts
   * (msg.parts is then set on each output, as a split node does); absent for an explicit msg.downloadCode.
   */
  sequence?: { types: string[]; count: number };
}

function objectAt(value: unknown, key: string): Record<string, unknown> | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const v = (value as Record<string, unknown>)[key];
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** The first non-empty string among named candidates, with the msg property it came from (for size errors). */
function firstString(candidates: Array<[string, unknown]>): { property: string; value: string } | undefined {
  for (const [property, value] of candidates) if (isNonEmptyString(value)) return { property, value };
  return undefined;
}

/**
 * Where the download code is: msg.downloadCode (explicit) wins, then msg.dingtalk.downloadCode (flattened by
 * dingtalk-robot-in), then msg.dingtalk.content.downloadCode (the raw robot message). richText pictures are not
 * picked automatically: there can be several, so the flow sets msg.downloadCode.
 */
export function fileRequest(msg: Record<string, unknown>, appRobotCode: string): FileRequest {
  const explicit = msg['downloadCode'];
  // Set but not a code (NaN, an object...): say so, rather than "no download code" or trying msg.dingtalk instead.
  if (explicit !== undefined && explicit !== null && explicit !== '' && typeof explicit !== 'string') {
    throw new MsgInputError(
      'invalidProperty',
      'msg.downloadCode',
      `msg.downloadCode is not usable (got ${describeValue(explicit)}). Expected the downloadCode string of one DingTalk message, as dingtalk-robot-in gives it.`,
      {
        property: 'msg.downloadCode',
        reason: 'not a string',
        got: describeValue(explicit),
        expected: 'the downloadCode string of one DingTalk message',
      },
    );
  }
  const dingtalk = objectAt(msg, 'dingtalk');
  const content = objectAt(dingtalk, 'content');
  const found = firstString([
    ['msg.downloadCode', msg['downloadCode']],
    ['msg.dingtalk.downloadCode', dingtalk?.['downloadCode']],
    ['msg.dingtalk.content.downloadCode', content?.['downloadCode']],
    ['msg.dingtalk.content.pictureDownloadCode', content?.['pictureDownloadCode']],
  ]);
  if (!found) {
    throw new MsgInputError(
      'missingDownloadCode',
      'msg.downloadCode',
      'No download code: connect this node after dingtalk-robot-in (a file, picture, audio or video message) or set msg.downloadCode.',
    );
  }
  return requestFor(found, dingtalk, appRobotCode);
}

/** The request for one code found at `found.property` (named in errors), with the robot and name from msg.dingtalk. */
function requestFor(found: { property: string; value: string }, dingtalk: Record<string, unknown> | undefined, appRobotCode: string): FileRequest {
  const content = objectAt(dingtalk, 'content');
  const code = found.value;
  checkBytes(
    code.trim(),
    found.property,
    INPUT_LIMITS.downloadCodeBytes,
    'Expected the downloadCode of one DingTalk message, as dingtalk-robot-in gives it.',
  );
  checkPlain(code.trim(), found.property);
  const robotCode = isNonEmptyString(dingtalk?.['robotCode']) ? dingtalk['robotCode'] : appRobotCode;
  // The name is DingTalk's (what the user's file was called): never a reason to refuse the file. outputFileName()
  // shortens and sanitises it.
  const named = firstString([
    ['msg.dingtalk.fileName', dingtalk?.['fileName']],
    ['msg.dingtalk.content.fileName', content?.['fileName']],
  ]);
  const fileName = named?.value;
  const msgId = isNonEmptyString(dingtalk?.['msgId']) ? dingtalk['msgId'] : undefined;
  return { downloadCode: code.trim(), robotCode, ...(fileName ? { fileName } : {}), ...(msgId ? { msgId } : {}) };
}

/**
 * Every file a msg asks for. An explicit msg.downloadCode is one file, as before. Otherwise the message's own parts
 * are read from the raw message (msg.dingtalk.content), not from msg.payload, which a flow may have replaced: a
 * richText gives each of its pictures in order, a picture, audio, video or file message its one file.
 */
export function fileRequests(msg: Record<string, unknown>, appRobotCode: string): FileRequests {
  const explicit = msg['downloadCode'];
  const dingtalk = objectAt(msg, 'dingtalk');
  const entries = richTextParts(objectAt(dingtalk, 'content'));
  if ((explicit === undefined || explicit === null || explicit === '') && entries) {
    const files = entries.filter(isDownloadable);
    if (files.length === 0) {
      throw new MsgInputError(
        'missingDownloadCode',
        'msg.dingtalk.content.richText',
        'No download code: this rich-text message has no picture (only text). Filter such messages out before this node (e.g. a switch on msg.dingtalk.parts), or set msg.downloadCode.',
      );
    }
    if (files.length > INPUT_LIMITS.filesPerMessage) {
      throw sizeError(
        'msg.dingtalk.content.richText',
        files.length,
        INPUT_LIMITS.filesPerMessage,
        'items',
        'A DingTalk message holds a few pictures; set msg.downloadCode to download one of them.',
      );
    }
    const several = files.length > 1;
    const requests = files.map((part, i) => {
      const one = requestFor(
        { property: `msg.dingtalk.content.richText (picture ${i + 1})`, value: partDownloadCode(part)! },
        dingtalk,
        appRobotCode,
      );
      return several ? { ...one, partNumber: i + 1 } : one;
    });
    return { requests, sequence: { types: files.map((part) => part.type), count: files.length } };
  }
  const one = fileRequest(msg, appRobotCode);
  if (explicit !== undefined && explicit !== null && explicit !== '') return { requests: [one] };
  const content = objectAt(dingtalk, 'content');
  const type = typeof dingtalk?.['msgtype'] === 'string' ? dingtalk['msgtype'] : 'file';
  const videoType = isNonEmptyString(content?.['videoType']) ? content['videoType'] : undefined;
  return { requests: [videoType ? { ...one, videoType } : one], sequence: { types: [type], count: 1 } };
}

const EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/jpg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/bmp': 'bmp',
  'audio/amr': 'amr',
  'audio/mpeg': 'mp3',
  'audio/mp4': 'm4a',
  'audio/ogg': 'ogg',
  'audio/wav': 'wav',
  'video/mp4': 'mp4',
  'video/quicktime': 'mov',
  'text/plain': 'txt',
  'text/csv': 'csv',
  'application/pdf': 'pdf',
  'application/zip': 'zip',
  'application/json': 'json',
  'application/msword': 'doc',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.ms-powerpoint': 'ppt',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
};

export function extensionFor(mimetype: string): string {
  const bare = mimetype.split(';')[0]!.trim().toLowerCase();
  return EXTENSIONS[bare] ?? 'bin';
}

/** File name for the output: the message's own name when it has one, else `<msgId-or-code>.<ext from the mimetype>`. */
export function outputFileName(req: FileRequest, mimetype: string): string {
  if (req.fileName) return safeFileName(req.fileName);
  const stem = (req.msgId ?? req.downloadCode).replace(/[^A-Za-z0-9_-]/g, '').slice(0, 48) || 'file';
  let extension = extensionFor(mimetype);
  // DingTalk's videoType is a bare extension (`mp4`); anything else in it is ignored rather than put in a file name.
  if (extension === 'bin' && req.videoType && /^[A-Za-z0-9]{1,8}$/.test(req.videoType)) extension = req.videoType.toLowerCase();
  return `${stem}${req.partNumber ? `-${req.partNumber}` : ''}.${extension}`;
}

const MIB = 1024 * 1024;

/** The "Size limit" setting (maxSizeMB), in MB. Unset means the default; outside min..max is a configuration error. */
export const DOWNLOAD_LIMIT_MB = { min: 0.001, max: 1024, default: 20 } as const;

/**
 * The download limit in bytes from the node's maxSizeMB setting (a number, or the text of the editor field).
 * Refused rather than replaced: 0 or a typo silently becoming 20 MB, or 0.000001 becoming a 1-byte limit that
 * fails every download with an unrelated error, both hide the mistake.
 */
export function downloadLimitBytes(setting: unknown): number {
  const text = typeof setting === 'string' ? setting.trim() : undefined;
  if (setting === undefined || setting === null || text === '') return DOWNLOAD_LIMIT_MB.default * MIB;
  const mb = typeof setting === 'number' ? setting : text !== undefined ? Number(text) : Number.NaN;
  if (mb >= DOWNLOAD_LIMIT_MB.min && mb <= DOWNLOAD_LIMIT_MB.max) return Math.ceil(mb * MIB);
  const shown = text !== undefined ? JSON.stringify(truncate(text, 21)) : typeof setting === 'number' ? String(setting) : describeValue(setting);
  const { min, max, default: fallback } = DOWNLOAD_LIMIT_MB;
  throw new MsgInputError(
    'invalidSetting',
    'maxSizeMB (node)',
    `The node's Size limit (maxSizeMB) is ${shown}: set a number of megabytes from ${min} to ${max}, or leave it empty for ${fallback}. Nothing was downloaded.`,
    { setting: 'maxSizeMB', value: shown, min: String(min), max: String(max), default: String(fallback) },
  );
}
