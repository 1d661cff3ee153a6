import { z } from 'zod';
import { DINGTALK } from '../contract';
import { DingTalkError, LocalErrorCode } from './errors';
import type { OpenApiClient } from './http';
import { sampleAudio, sampleFile, sampleImageMsg, sampleVideo, type RobotApiMessage } from './messages';

/** DingTalk's media upload (docs/protocol.md §6.10): a Buffer in, a media_id out, for robot picture/file/voice/video messages. */

export const MEDIA_UPLOAD_PATH = '/media/upload';

export type MediaType = keyof typeof DINGTALK.mediaUpload;
export const MEDIA_TYPES = Object.keys(DINGTALK.mediaUpload) as MediaType[];

export interface UploadMediaInput {
  type: MediaType;
  data: Buffer;
  /** The name DingTalk is given; its extension is one DingTalk takes for `type`. */
  fileName: string;
  contentType: string;
}

const UploadAnswerSchema = z.looseObject({
  media_id: z.string().min(1),
  type: z.string().optional(),
  created_at: z.number().optional(),
});

export interface UploadedMedia {
  mediaId: string;
  type: MediaType;
  createdAt?: number;
}

function refuse(message: string, hint: string): DingTalkError {
  return new DingTalkError({ status: 0, code: LocalErrorCode.InvalidInput, endpoint: MEDIA_UPLOAD_PATH, message, hint });
}

/**
 * Uploads one file. Its size and extension are checked against DingTalk's limits before a byte is sent (the msg
 * layer checks them first with errors naming msg properties; this is the backstop for other callers).
 * Resent after a 5xx or a dropped connection like a read: a second upload only leaves an unused media_id behind,
 * nothing anyone sees (ADR 0014).
 */
export async function uploadMedia(api: OpenApiClient, input: UploadMediaInput): Promise<UploadedMedia> {
  const rule = DINGTALK.mediaUpload[input.type];
  if (!rule) throw refuse(`unknown media type "${String(input.type)}"`, `use one of ${MEDIA_TYPES.join(', ')}`);
  if (!Buffer.isBuffer(input.data) || input.data.length === 0) throw refuse('the file is empty', 'give the file content as a non-empty Buffer');
  if (input.data.length > rule.maxBytes) {
    throw refuse(
      `the ${input.type} is ${input.data.length} bytes, over DingTalk's limit of ${rule.maxBytes} bytes; nothing was uploaded`,
      'send a smaller file',
    );
  }
  const ext = /\.([^./\\]+)$/.exec(input.fileName)?.[1]?.toLowerCase() ?? '';
  if (!(rule.extensions as readonly string[]).includes(ext)) {
    throw refuse(`DingTalk takes a ${input.type} as ${rule.extensions.join(', ')}, not "${ext || 'no extension'}"`, 'convert the file first');
  }
  const answer = await api.upload(
    {
      path: MEDIA_UPLOAD_PATH,
      fields: { type: input.type },
      file: { field: 'media', fileName: input.fileName, contentType: input.contentType, data: input.data },
      idempotent: true,
    },
    UploadAnswerSchema,
  );
  return { mediaId: answer.media_id, type: input.type, ...(answer.created_at !== undefined ? { createdAt: answer.created_at } : {}) };
}

/** A file to send as a robot message, checked by the msg layer (src/msg/media-input.ts). */
export interface MediaToSend {
  type: MediaType;
  data: Buffer;
  /** What the upload is called: the shown name, with `.jpeg` as `.jpg` (DingTalk lists jpg only). */
  uploadName: string;
  /** The name recipients see on a file message. */
  fileName: string;
  /** The extension DingTalk's `fileType` / `videoType` takes. */
  ext: string;
  contentType: string;
  /** Voice and video: how long they play. */
  durationMs?: number;
  /** Video: its cover picture, a file to upload or an existing mediaId. */
  cover?: { mediaId: string } | Omit<MediaToSend, 'cover' | 'durationMs'>;
}

export interface MediaMessage {
  message: RobotApiMessage;
  /** The uploaded media_id(s), for flows that reuse them (a picture in markdown, a resend). */
  mediaId: string;
  coverMediaId?: string;
}

/** Uploads the file (and a video's cover) and builds the message DingTalk shows it as (docs/protocol.md §6.4-f). */
export async function uploadMediaMessage(api: OpenApiClient, media: MediaToSend): Promise<MediaMessage> {
  const upload = (m: Omit<MediaToSend, 'cover' | 'durationMs'>): Promise<UploadedMedia> =>
    uploadMedia(api, { type: m.type, data: m.data, fileName: m.uploadName, contentType: m.contentType });
  // The cover first: when it is refused, the video has not been uploaded for nothing.
  const coverMediaId = media.cover ? ('mediaId' in media.cover ? media.cover.mediaId : (await upload(media.cover)).mediaId) : undefined;
  const { mediaId } = await upload(media);
  const duration = media.durationMs ?? 0;
  switch (media.type) {
    case 'image':
      return { message: sampleImageMsg(mediaId), mediaId };
    case 'file':
      return { message: sampleFile(mediaId, media.fileName, media.ext), mediaId };
    case 'voice':
      return { message: sampleAudio(mediaId, duration), mediaId };
    case 'video':
      return {
        message: sampleVideo({
          videoMediaId: mediaId,
          durationSec: Math.max(1, Math.round(duration / 1000)),
          videoType: media.ext,
          picMediaId: coverMediaId ?? '',
        }),
        mediaId,
        ...(coverMediaId ? { coverMediaId } : {}),
      };
  }
}
