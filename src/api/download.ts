import { request, type Dispatcher } from 'undici';
import { USER_AGENT } from '../version';
import { discard, header, readText } from './answer';
import { DingTalkError, LocalErrorCode, excerpt } from './errors';
import { tooLarge } from './failures';
import type { AttemptResult } from './retry';
import { downloadRefusal } from './url-policy';

/**
 * Fetching the short-lived file URLs DingTalk hands out (docs/protocol.md §6.5): no token (the URL is the credential),
 * http(s) only, redirects followed and re-checked, and the size limit enforced while the bytes arrive, so a huge
 * file never sits in memory.
 */

export interface DownloadedFile {
  data: Buffer;
  contentType: string;
  size: number;
}

export interface FileRequest {
  url: string;
  /** The URL without its query, for messages. */
  endpoint: string;
  maxBytes: number;
  timeoutMs: number;
  dispatcherFor(url: string): Dispatcher;
  /** Replaced in any quoted answer (the URL's signature, the app's secret and tokens). */
  secrets: readonly string[];
}

const MAX_REDIRECTS = 5;

/** One download attempt; failures the retry policy may act on are returned, the others thrown. */
export async function fetchFile(req: FileRequest): Promise<AttemptResult<DownloadedFile>> {
  const { url, endpoint, maxBytes, timeoutMs } = req;
  let current = url;
  for (let hop = 0; ; hop++) {
    const refusal = downloadRefusal(current);
    if (refusal) throw new DingTalkError({ status: 0, code: LocalErrorCode.UrlRefused, endpoint, message: refusal });
    const res = await request(current, {
      dispatcher: req.dispatcherFor(current),
      method: 'GET',
      headers: { 'user-agent': USER_AGENT },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const location = header(res.headers, 'location');
    if (res.statusCode >= 300 && res.statusCode < 400 && location) {
      await res.body.dump();
      if (hop >= MAX_REDIRECTS) {
        throw new DingTalkError({ status: res.statusCode, endpoint, code: LocalErrorCode.UnexpectedResponse, message: `more than ${MAX_REDIRECTS} redirects` });
      }
      current = new URL(location, current).toString();
      continue;
    }
    if (res.statusCode >= 300) {
      const text = await readText(res.body, 16 * 1024);
      return {
        ok: false,
        error: new DingTalkError({
          status: res.statusCode,
          endpoint,
          message: `the file download failed with HTTP ${res.statusCode}`,
          hint:
            res.statusCode === 403 || res.statusCode === 404 || res.statusCode === 410
              ? 'download links are short-lived (minutes): ask for a new one (downloadMessageFile) and fetch it right away'
              : undefined,
          detail: excerpt(text, req.secrets) || undefined,
        }),
        outcome: { kind: 'response', status: res.statusCode, retryAfter: header(res.headers, 'retry-after') },
      };
    }
    const contentType = header(res.headers, 'content-type') ?? 'application/octet-stream';
    const declared = Number(header(res.headers, 'content-length'));
    if (Number.isFinite(declared) && declared > maxBytes) {
      discard(res.body);
      throw tooLarge(endpoint, maxBytes, declared);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > maxBytes) {
        discard(res.body);
        throw tooLarge(endpoint, maxBytes);
      }
      chunks.push(buf);
    }
    return { ok: true, value: { data: Buffer.concat(chunks, size), contentType, size } };
  }
}
