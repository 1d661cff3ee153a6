/**
 * Fitting the text of a streamed AI card into what DingTalk takes (src/contract.ts, ADR 0011). No I/O here.
 */

/** Size as DingTalk receives it: the request body is UTF-8 JSON. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * DingTalk refuses an empty `content` (`param.stream.contentEmpty`). Whether whitespace alone counts as empty is
 * UNCONFIRMED; we treat it as empty, so a card never waits on an update that might be refused.
 */
export function isBlank(text: string): boolean {
  return text.trim() === '';
}

const ELLIPSIS = '…';
const FENCE_CLOSE = '\n```';
/** A cut this close to a line break or space moves back to it, so no word is split in two. */
const WORD_BACKOFF_CHARS = 40;

function codePointBytes(cp: number): number {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/** The longest prefix of `text` within `maxBytes` UTF-8 bytes that does not split a character. */
export function prefixWithinBytes(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const ch of text) {
    const n = codePointBytes(ch.codePointAt(0) ?? 0);
    if (bytes + n > maxBytes) break;
    bytes += n;
    end += ch.length;
  }
  return text.slice(0, end);
}

/** Markdown code blocks opened and not closed: a cut inside one would turn the rest of the card into code. */
function opensCodeBlock(text: string): boolean {
  const fences = text.match(/^[ \t]*```/gm);
  return fences !== null && fences.length % 2 === 1;
}

/**
 * The start of `text` followed by a visible "…" and `note`, all within `maxBytes`: what a card shows when the text
 * does not fit (or the card had to be finished early). An open code block is closed so the note is not shown as code.
 */
export function withCutMarker(text: string, maxBytes: number, note: string): string {
  const tail = note ? `${ELLIPSIS}\n\n${note}` : ELLIPSIS;
  const budget = maxBytes - utf8Bytes(tail) - utf8Bytes(`${FENCE_CLOSE}\n`);
  if (budget <= 0) return prefixWithinBytes(tail, maxBytes);
  let cut = prefixWithinBytes(text, budget);
  if (cut.length < text.length) {
    const lastBreak = Math.max(cut.lastIndexOf('\n'), cut.lastIndexOf(' '));
    if (lastBreak > 0 && cut.length - lastBreak <= WORD_BACKOFF_CHARS) cut = cut.slice(0, lastBreak);
  }
  cut = cut.trimEnd();
  return opensCodeBlock(cut) ? `${cut}${FENCE_CLOSE}\n${tail}` : `${cut}${tail}`;
}
