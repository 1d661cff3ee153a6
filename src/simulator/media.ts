import { DINGTALK } from '../contract';
import { legacyError, ok, type Router, type SimReply, type SimRequest } from './http-kit';
import { hex } from './ids';
import type { TokenStore } from './tokens';
import type { SimulatorApp } from './types';

/**
 * `POST /media/upload` as DingTalk's "上传媒体文件" page documents it (docs/protocol.md §6.10): legacy oapi, the token in
 * the `access_token` query parameter, a multipart form with `type` and the file as `media`, answered
 * `{errcode: 0, errmsg: "ok", media_id, type, created_at}`. Refusals use the global error-code page's codes: 40004
 * 不合法的媒体文件类型 (type), 40005 不合法的文件类型 (format), 40006 不合法的文件大小 (size), 40014 (token). Which code
 * DingTalk gives a format refused for an image or a voice note (40005's text only speaks of files) is UNCONFIRMED.
 * The bytes are kept so the playground page can show what the robot sent (`GET /sim/media/<media_id>`).
 */

export interface StoredMedia {
  mediaId: string;
  type: string;
  fileName: string;
  contentType: string;
  data: Buffer;
  clientId: string;
  at: number;
}

export class MediaStore {
  readonly items = new Map<string, StoredMedia>();

  add(media: Omit<StoredMedia, 'mediaId' | 'at'>): StoredMedia {
    // DingTalk's ids look like "@lADPDgCwPn1mJiDOQoLp…" (upload page example); the prefix is all that matters here.
    const stored = { ...media, mediaId: `@lADP${hex(20)}`, at: Date.now() };
    this.items.set(stored.mediaId, stored);
    return stored;
  }

  get(mediaId: string): StoredMedia | undefined {
    return this.items.get(mediaId);
  }
}

interface FormPart {
  name: string;
  fileName?: string;
  contentType?: string;
  data: Buffer;
}

/** A small multipart/form-data reader: enough for what clients send DingTalk, not a general parser. */
export function parseMultipart(raw: Buffer, contentType: string | undefined): FormPart[] | undefined {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? '');
  const marker = boundary?.[1] ?? boundary?.[2];
  if (!marker) return undefined;
  const delimiter = Buffer.from(`--${marker}`);
  const parts: FormPart[] = [];
  let start = raw.indexOf(delimiter);
  while (start >= 0) {
    const after = start + delimiter.length;
    if (raw.toString('latin1', after, after + 2) === '--') break;
    const next = raw.indexOf(delimiter, after);
    if (next < 0) break;
    const headerEnd = raw.indexOf('\r\n\r\n', after);
    if (headerEnd < 0 || headerEnd > next) break;
    const head = raw.toString('utf8', after + 2, headerEnd);
    const name = /name="([^"]*)"/i.exec(head)?.[1];
    const fileName = /filename="([^"]*)"/i.exec(head)?.[1];
    const type = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1];
    // The part's data ends before the CRLF that precedes the next delimiter.
    if (name !== undefined) {
      parts.push({
        name,
        ...(fileName !== undefined ? { fileName } : {}),
        ...(type ? { contentType: type.trim() } : {}),
        data: raw.subarray(headerEnd + 4, next - 2),
      });
    }
    start = next;
  }
  return parts;
}

export interface MediaDeps {
  apps: () => Required<SimulatorApp>[];
  tokens: TokenStore;
  media: MediaStore;
}

function upload(deps: MediaDeps, req: SimRequest): SimReply {
  const clientId = deps.tokens.verify(req.query['access_token']);
  const app = clientId ? deps.apps().find((a) => a.clientId === clientId) : undefined;
  // Legacy oapi: the token only in the query ("access_token这个参数应该是带在url后面的", 40014).
  if (!app) return legacyError(40014, '不合法的access_token');
  const parts = parseMultipart(req.raw ?? Buffer.alloc(0), req.headers['content-type']);
  if (!parts) return legacyError(40035, '不合法的参数');
  // The upload page's C# note: `type` may also come in the URL.
  const type = parts.find((p) => p.name === 'type' && p.fileName === undefined)?.data.toString('utf8') ?? req.query['type'];
  const rule = type ? (DINGTALK.mediaUpload as Record<string, { maxBytes: number; extensions: readonly string[] }>)[type] : undefined;
  if (!type || !rule) return legacyError(40004, '不合法的媒体文件类型');
  const file = parts.find((p) => p.name === 'media' && p.fileName !== undefined);
  // No code is documented for a missing file; 40035 不合法的参数 is the global page's "no parameter" answer (UNCONFIRMED).
  if (!file || file.data.length === 0) return legacyError(40035, '不合法的参数');
  const ext = /\.([^.]+)$/.exec(file.fileName ?? '')?.[1]?.toLowerCase() ?? '';
  if (!rule.extensions.includes(ext)) return legacyError(40005, '不合法的文件类型');
  if (file.data.length > rule.maxBytes) return legacyError(40006, '不合法的文件大小');
  const stored = deps.media.add({
    type,
    fileName: file.fileName ?? `media.${ext}`,
    contentType: file.contentType ?? 'application/octet-stream',
    data: Buffer.from(file.data),
    clientId: app.clientId,
  });
  return ok({ errcode: 0, errmsg: 'ok', media_id: stored.mediaId, type, created_at: stored.at });
}

export function registerMedia(router: Router, deps: MediaDeps): void {
  router.add('POST', '/media/upload', (req) => upload(deps, req));
  // For the playground page: what a picture, file, voice note or video message shows.
  router.addPrefix('GET', '/sim/media/', (req) => {
    const media = deps.media.get(decodeURIComponent(req.path.slice('/sim/media/'.length)));
    if (!media) return { status: 404, body: { error: 'unknown media_id' } };
    return {
      status: 200,
      raw: media.data,
      headers: {
        'Content-Type': media.contentType,
        'Content-Disposition': `inline; filename*=UTF-8''${encodeURIComponent(media.fileName)}`,
        'X-Content-Type-Options': 'nosniff',
        // The content type is whatever the uploader claimed: an uploaded HTML page must not run on the page's origin.
        'Content-Security-Policy': 'sandbox',
      },
    };
  });
}
