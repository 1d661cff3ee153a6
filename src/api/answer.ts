import { htmlTitle, stripTags } from './markup';
import { header, type HeaderMap } from '../util/headers';
import { readCapped } from '../util/read-capped';
import { scrubSecrets } from '../util/secrets';
import { excerpt } from '../util/text';

/**
 * Reading an HTTP answer: its body as JSON, or a short quote of what came instead. What DingTalk's JSON says is read
 * in src/dingtalk-says.ts; the error it becomes is made in errors.ts.
 */

export interface RawAnswer {
  status: number;
  headers: HeaderMap;
  text: string;
}

/** The parsed body, or why it could not be read as JSON. */
export type ParsedBody = { ok: true; value: unknown } | { ok: false; reason: string };

/**
 * How much of a body that is not JSON is searched for a title or a quote. The quote is 120 characters and an error
 * page's title sits in its first few hundred bytes; reading further only costs time on a body that may be 4 MB (the
 * read limit) of junk.
 */
const MAX_EXAMINED_CHARS = 16 * 1024;

/**
 * The body as JSON, or a short quote of what came instead. `secrets` are replaced before anything is quoted
 * (a proxy may echo the request, access token included); pass them whenever the result may reach an error.
 */
export function parseBody(answer: RawAnswer, secrets: readonly string[] = []): ParsedBody {
  const text = answer.text.trim();
  if (text === '') return { ok: false, reason: 'an empty body' };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    const contentType = header(answer.headers, 'content-type')?.split(';')[0]?.trim() || 'no content type';
    // Secrets are replaced before the cut, which could otherwise leave the first half of one at the end of `head`.
    const head = scrubSecrets(text, secrets).slice(0, MAX_EXAMINED_CHARS);
    const title = htmlTitle(head);
    // A successful answer in another format still carries what we asked for (the XML form of the token call holds
    // the access token, which we never parsed and so cannot scrub): quote only an HTML title from those.
    const quotable = title ?? (answer.status >= 200 && answer.status < 300 ? undefined : stripTags(head));
    const quote = quotable === undefined ? '' : excerpt(quotable, secrets);
    if (quote === '') return { ok: false, reason: `${contentType} instead of JSON` };
    return { ok: false, reason: `${contentType} instead of JSON ("${quote}")` };
  }
}

/** Ends a body we no longer want. Destroying emits an abort error, which nobody needs to hear about. */
export function discard(body: { on(event: 'error', fn: () => void): unknown; destroy(): void }): void {
  body.on('error', () => {});
  body.destroy();
}

export async function readText(body: AsyncIterable<unknown>, maxBytes: number): Promise<string> {
  return (await readCapped(body, maxBytes)).text;
}
