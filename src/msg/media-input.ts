import { DINGTALK } from '../contract';
import type { MediaToSend, MediaType } from '../api/media';
import { MsgInputError, checkId, checkPlain, isNonEmptyString } from './input-error';
import { contentTypeOf, playDurationMs, sniffExtension } from './media-kind';

/**
 * msg.payload as a Buffer (what `file in`, `http request` and chart nodes give) + msg.filename -> the file to upload
 * and the message it becomes. Everything DingTalk would refuse is refused here, before anything is uploaded
 * (docs/protocol.md §6.10): an empty Buffer, a type DingTalk does not take, a file over its limit.
 */

const RULES = DINGTALK.mediaUpload;
const KIND_ORDER: readonly MediaType[] = ['image', 'voice', 'video', 'file'];
const NAMES: Record<MediaType, string> = { image: 'a picture', voice: 'a voice note', video: 'a video', file: 'a file' };

/** Every type DingTalk takes, for error texts: "pictures jpg, gif, png, bmp; voice amr, mp3, wav; …". */
function accepted(): string {
  return KIND_ORDER.map((k) => `${k} ${RULES[k].extensions.join('/')}`).join('; ');
}

function extOf(name: string): string {
  const ext = /\.([^./\\]+)$/.exec(name)?.[1]?.toLowerCase() ?? '';
  return ext === 'jpeg' ? 'jpg' : ext;
}

function kindOf(ext: string): MediaType | undefined {
  return KIND_ORDER.find((k) => (RULES[k].extensions as readonly string[]).includes(ext));
}

/** The last part of a path (`file in` sets msg.filename to the whole path it read). */
function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

function fileNameFrom(value: unknown, property: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') {
    throw new MsgInputError('invalidProperty', property, `${property} is not a string. Expected a file name such as "report.pdf".`, {
      property,
      reason: 'not a string',
      got: typeof value,
      expected: 'a file name such as "report.pdf"',
    });
  }
  const name = baseName(value.trim());
  checkId(name, property, 255, 'Give a file name, not a path or data.');
  checkPlain(name, property);
  return name || undefined;
}

function durationFrom(msg: Record<string, unknown>, kind: MediaType, ext: string, data: Buffer): number {
  const given = msg['duration'];
  if (given !== undefined) {
    if (typeof given !== 'number' || !Number.isFinite(given) || given <= 0) {
      throw new MsgInputError(
        'invalidProperty',
        'msg.duration',
        'msg.duration is not a positive number. Expected how long it plays, in milliseconds (e.g. 5000).',
        {
          property: 'msg.duration',
          reason: 'not a positive number',
          got: typeof given,
          expected: 'milliseconds, e.g. 5000',
        },
      );
    }
    return Math.round(given);
  }
  const read = playDurationMs(ext, data);
  if (read !== undefined && read > 0) return read;
  throw new MsgInputError(
    'missingDuration',
    'msg.duration',
    `DingTalk needs to know how long ${NAMES[kind]} plays, and the ${ext} file does not say (it can be read from amr, wav and mp4 files). ` +
      'Set msg.duration in milliseconds.',
    { kind, ext },
  );
}

interface FileParts {
  data: Buffer;
  name: string;
  ext: string;
  kind: MediaType;
}

/** One Buffer at `property` and its name -> the checked parts; `forced` is the node's Type setting. */
function fileParts(data: Buffer, nameValue: unknown, nameProperty: string, property: string, forced?: MediaType): FileParts {
  if (data.length === 0) {
    throw new MsgInputError('emptyPayload', property, `${property} is an empty Buffer: there is no file to send. Check the node that read the file.`);
  }
  const given = fileNameFrom(nameValue, nameProperty);
  const sniffed = sniffExtension(data);
  let ext = given ? extOf(given) : '';
  let kind = kindOf(ext);
  if (!kind && sniffed && (!given || ext === '')) {
    ext = sniffed;
    kind = kindOf(ext);
  }
  if (forced) {
    if (!(RULES[forced].extensions as readonly string[]).includes(ext)) {
      throw new MsgInputError(
        'unsupportedMedia',
        given ? nameProperty : property,
        `DingTalk takes ${NAMES[forced]} as ${RULES[forced].extensions.join(', ')}; ${given ? `"${given}"` : property} is ${ext ? `.${ext}` : 'of an unknown type'}. ` +
          'Convert it, or choose another Type in the node.',
        { kind: forced, ext: ext || '?', accepted: RULES[forced].extensions.join(', ') },
      );
    }
    kind = forced;
  }
  if (!kind) {
    throw new MsgInputError(
      'unsupportedMedia',
      given ? nameProperty : property,
      `${given ? `"${given}"` : `${property} (no msg.filename)`} is ${ext ? `a .${ext} file` : 'of a type that cannot be recognised'}, which DingTalk does not take. ` +
        `It takes ${accepted()}. Convert the file${given ? '' : ', or set msg.filename'} (a .txt or .csv can be sent as a .zip).`,
      { kind: 'file', ext: ext || '?', accepted: accepted() },
    );
  }
  const limit = RULES[kind].maxBytes;
  if (data.length > limit) {
    const fmt = (n: number): string => n.toLocaleString('en-US');
    throw new MsgInputError(
      'mediaTooLarge',
      property,
      `${property} is too large: ${fmt(data.length)} bytes, the limit is ${fmt(limit)}. DingTalk takes ${NAMES[kind]} of at most ${limit / 1_000_000} MB. ` +
        'Nothing was uploaded. Send a smaller file (compress it, lower the resolution, or split it).',
      { property, kind, size: String(data.length), limit: String(limit) },
    );
  }
  return { data, name: given ?? `${kind}.${ext}`, ext, kind };
}

function toSend(p: FileParts): Omit<MediaToSend, 'cover' | 'durationMs'> {
  const stem = p.name.replace(/\.[^.]*$/, '');
  return { type: p.kind, data: p.data, uploadName: `${stem}.${p.ext}`, fileName: p.name, ext: p.ext, contentType: contentTypeOf(p.ext) };
}

/** A video's cover: msg.cover as a picture Buffer or an existing mediaId. DingTalk's video message has a cover. */
function coverFrom(value: unknown): MediaToSend['cover'] {
  if (Buffer.isBuffer(value)) return toSend(fileParts(value, undefined, 'msg.cover', 'msg.cover', 'image'));
  if (isNonEmptyString(value)) {
    checkId(value.trim(), 'msg.cover', 1024, 'Expected a mediaId or a picture Buffer.');
    return { mediaId: value.trim() };
  }
  throw new MsgInputError(
    'missingCover',
    'msg.cover',
    "DingTalk's video message shows a cover picture: set msg.cover to a picture (a jpg/png Buffer) or the mediaId of one.",
  );
}

/** Whether msg.payload is a file to upload. */
export function isMediaPayload(payload: unknown): payload is Buffer {
  return Buffer.isBuffer(payload);
}

/** msg.payload (a Buffer) + msg.filename (+ msg.duration, msg.cover) -> what to upload and send. */
export function mediaInput(msg: Record<string, unknown>, forced?: MediaType): MediaToSend {
  const payload = msg['payload'];
  if (!Buffer.isBuffer(payload)) throw new MsgInputError('invalidProperty', 'msg.payload', 'msg.payload is not a Buffer.');
  const parts = fileParts(payload, msg['filename'], 'msg.filename', 'msg.payload', forced);
  const media: MediaToSend = toSend(parts);
  if (parts.kind === 'voice' || parts.kind === 'video') media.durationMs = durationFrom(msg, parts.kind, parts.ext, payload);
  if (parts.kind === 'video') media.cover = coverFrom(msg['cover']);
  return media;
}

/**
 * A Buffer given for a markdown message. DingTalk documents pictures in markdown as `![](URL)` only; its developer
 * FAQ says a mediaId works as the URL, a field report says it shows as text (docs/protocol.md §6.10-h), so no Buffer
 * is turned into markdown silently.
 */
export function markdownPictureError(): MsgInputError {
  return new MsgInputError(
    'markdownPicture',
    'msg.payload',
    'msg.payload is a Buffer, but a markdown message cannot carry a file: DingTalk shows a picture in markdown only by a link, ![](https://…), to a picture anyone can open. ' +
      'Send the picture as its own message (Type "automatic" or "picture"), or host it and put its URL in the markdown text.',
  );
}
