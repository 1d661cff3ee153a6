import { randomBytes } from 'node:crypto';
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import { MsgInputError, checkBytes, checkLength, isNonEmptyString } from './input-error';
import { INPUT_LIMITS } from './limits';

export interface FileRequest {
  downloadCode: string;
  robotCode: string;
  /** From the message (content.fileName) when DingTalk gave one. */
  fileName?: string;
  /** msgId of the message, used to name files that came without a name. */
  msgId?: string;
}

function objectAt(value: unknown, key: string): Record<string, unknown> | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const v = (value as Record<string, unknown>)[key];
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/**
 * Where the download code is: msg.downloadCode (explicit) wins, then msg.dingtalk.downloadCode (flattened by
 * dingtalk-robot-in), then msg.dingtalk.content.downloadCode (the raw robot message). richText pictures are not
 * picked automatically: there can be several, so the flow sets msg.downloadCode.
 */
/** The first non-empty string among named candidates, with the msg property it came from (for size errors). */
function firstString(candidates: Array<[string, unknown]>): { property: string; value: string } | undefined {
  for (const [property, value] of candidates) if (isNonEmptyString(value)) return { property, value };
  return undefined;
}

export function fileRequest(msg: Record<string, unknown>, appRobotCode: string): FileRequest {
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
  const code = found.value;
  checkBytes(code.trim(), found.property, INPUT_LIMITS.downloadCodeBytes, 'Expected the downloadCode of one DingTalk message, as dingtalk-robot-in gives it.');
  const robotCode = isNonEmptyString(dingtalk?.['robotCode']) ? dingtalk['robotCode'] : appRobotCode;
  const named = firstString([
    ['msg.dingtalk.fileName', dingtalk?.['fileName']],
    ['msg.dingtalk.content.fileName', content?.['fileName']],
  ]);
  const fileName = named?.value;
  // The name is DingTalk's (what the user's file was called): never a reason to refuse the file. outputFileName()
  // shortens and sanitises it.
  const msgId = isNonEmptyString(dingtalk?.['msgId']) ? dingtalk['msgId'] : undefined;
  return { downloadCode: code.trim(), robotCode, ...(fileName ? { fileName } : {}), ...(msgId ? { msgId } : {}) };
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

/**
 * A name from DingTalk (or a user) made safe to use as one path segment: no directories, no `..`, no NUL or
 * control characters, no leading dots (hidden files), bounded length. Never returns an empty name.
 */
export function safeFileName(name: string, fallback = 'file'): string {
  let n = name.normalize('NFC');
  // Both separators: a name from a Windows client may use backslashes, and basename() alone would keep them on POSIX.
  n = n.split(/[\\/]/).pop() ?? '';
  n = n.replace(/[\u0000-\u001f\u007f<>:"|?*]/g, '_');
  n = trimDotsAndSpaces(n);
  if (n === '' || n === '.' || n === '..') n = fallback;
  if (Buffer.byteLength(n) > 200) {
    const dot = n.lastIndexOf('.');
    const ext = dot > 0 && n.length - dot <= 10 ? n.slice(dot) : '';
    n = `${n.slice(0, 120)}${ext}`;
  }
  return n;
}

const DOT_OR_SPACE = /[.\s]/;

/**
 * The name without leading and trailing dots and white space, in one pass. Not `/[.\s]+$/`: that regex retries from
 * every dot of a long run, so its time grows with the run's length squared (50 000 dots: 1.6 s, a 1 MB name: minutes).
 */
function trimDotsAndSpaces(name: string): string {
  let start = 0;
  let end = name.length;
  while (start < end && DOT_OR_SPACE.test(name[start]!)) start++;
  while (end > start && DOT_OR_SPACE.test(name[end - 1]!)) end--;
  return name.slice(start, end);
}

/** File name for the output: the message's own name when it has one, else `<msgId-or-code>.<ext from the mimetype>`. */
export function outputFileName(req: FileRequest, mimetype: string): string {
  if (req.fileName) return safeFileName(req.fileName);
  const stem = (req.msgId ?? req.downloadCode).replace(/[^A-Za-z0-9_-]/g, '').slice(0, 48) || 'file';
  return `${stem}.${extensionFor(mimetype)}`;
}

/**
 * Writes `data` as `name` inside `directory` and returns the full path. The name is re-sanitised and the result
 * checked to be inside the directory, so nothing DingTalk sends can steer the write elsewhere. Written to a
 * temporary file and renamed, so readers never see half a file.
 */
export async function saveFileAtomically(directory: string, name: string, data: Buffer): Promise<string> {
  const dir = resolve(directory);
  const target = resolve(dir, safeFileName(basename(name)));
  if (!target.startsWith(dir + sep) || target === dir) {
    throw new MsgInputError('unsafeFileName', 'msg.filename', `Refusing to save "${name}": it would land outside ${dir}.`, { name, directory: dir });
  }
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${randomBytes(6).toString('hex')}.part`);
  try {
    await writeFile(temp, data, { flag: 'wx' });
    await rename(temp, target);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  return target;
}
