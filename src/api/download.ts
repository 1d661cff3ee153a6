import { request, type Dispatcher } from 'undici';
import { USER_AGENT } from '../version';
import { downloadHint } from '../dingtalk-says';
import { header } from '../util/headers';
import { excerpt } from '../util/text';
import { discard, readText } from './answer';
import { DingTalkError, LocalErrorCode, tooLarge } from './errors';
import type { AttemptResult } from './retry';
import { downloadRefusal, redirectRefusal } from './url-policy';

/**
 * Fetching the short-lived file URLs DingTalk hands out (docs/protocol.md §6.5): no token (the URL is the credential),
 * http(s) only, redirects followed only to where a file may be (url-policy.ts), the size limit enforced while the
 * bytes arrive, so a huge file never sits in memory, and one deadline for the whole transfer.
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
  /** Origin of the configured API base: a redirect may go there (the simulator serves files from it). */
  apiOrigin: string;
  /** Aborted when the download's overall deadline (`deadlineMs`) has passed. */
  signal: AbortSignal;
  deadlineMs: number;
}

const MAX_REDIRECTS = 5;

/**
 * The overall deadline of one download (every attempt and redirect), unless the client's `downloadTimeoutMs` sets
 * one: at least 5 minutes, and longer for a larger size limit so that a file at the limit still gets
 * 64 KiB/s (20 MiB, the file node's default limit: 320 s). The per-chunk timeout alone lets a host that sends a byte
 * every few seconds hold the request, and the flow waiting on it, for ever.
 */
export const MIN_DOWNLOAD_DEADLINE_MS = 5 * 60_000;
export const MIN_DOWNLOAD_BYTES_PER_SECOND = 64 * 1024;

export function downloadDeadlineMs(maxBytes: number): number {
  return Math.max(MIN_DOWNLOAD_DEADLINE_MS, Math.ceil(maxBytes / MIN_DOWNLOAD_BYTES_PER_SECOND) * 1000);
}

/** One download attempt; failures the retry policy may act on are returned, the others thrown. */
export async function fetchFile(req: FileRequest): Promise<AttemptResult<DownloadedFile>> {
  try {
    return await fetchHops(req);
  } catch (err) {
    if (req.signal.aborted) throw deadlinePassed(req);
    throw err;
  }
}

function deadlinePassed(req: FileRequest): DingTalkError {
  return new DingTalkError({
    status: 0,
    code: LocalErrorCode.Timeout,
    endpoint: req.endpoint,
    message: `the download did not finish within ${req.deadlineMs >= 10_000 ? `${Math.round(req.deadlineMs / 1000)} s` : `${req.deadlineMs} ms`}, the limit for one file; it was stopped`,
    hint: 'the file host sent too slowly or stalled: try again later (ask for a new link: they expire within minutes)',
  });
}

async function fetchHops(req: FileRequest): Promise<AttemptResult<DownloadedFile>> {
  const { url, endpoint, maxBytes, timeoutMs } = req;
  const refusal = downloadRefusal(url);
  if (refusal) throw new DingTalkError({ status: 0, code: LocalErrorCode.UrlRefused, endpoint, message: refusal });
  let current = url;
  for (let hop = 0; ; hop++) {
    if (req.signal.aborted) throw deadlinePassed(req);
    const res = await request(current, {
      dispatcher: req.dispatcherFor(current),
      method: 'GET',
      headers: { 'user-agent': USER_AGENT },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: req.signal,
    });
    const location = header(res.headers, 'location');
    if (res.statusCode >= 300 && res.statusCode < 400 && location) {
      await res.body.dump();
      if (hop >= MAX_REDIRECTS) {
        throw new DingTalkError({
          status: res.statusCode,
          endpoint,
          code: LocalErrorCode.UnexpectedResponse,
          message: `more than ${MAX_REDIRECTS} redirects`,
        });
      }
      const next = resolveLocation(location, current);
      const refused =
        next === undefined
          ? 'the download was redirected to an invalid URL'
          : redirectRefusal(next, { first: url, from: current, apiOrigin: req.apiOrigin });
      if (next === undefined || refused !== undefined) {
        throw new DingTalkError({
          status: res.statusCode,
          code: LocalErrorCode.UrlRefused,
          endpoint,
          message: refused ?? 'the download was redirected to an invalid URL',
          hint: 'ask DingTalk for a new link and try again; if this repeats, something between this machine and DingTalk (a proxy?) rewrites its answers',
        });
      }
      current = next;
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
          hint: downloadHint(res.statusCode),
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

function resolveLocation(location: string, base: string): string | undefined {
  try {
    return new URL(location, base).toString();
  } catch {
    return undefined;
  }
}
