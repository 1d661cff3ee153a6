/**
 * Reading a little text out of an HTML error page (a proxy's, a load balancer's) in one pass. The obvious regexes,
 * `/<title[^>]*>…/` and `/<[^>]*>/g`, backtrack: each `<` without a later `>` rescans the rest of the text, so a
 * body of `<` or `<title` repeated costs time growing with its length squared (docs/RELIABILITY.md, hostile input).
 * Here every search resumes where the previous one stopped, so the cost grows with the length only.
 */

const TITLE_OPEN = '<title';
const TITLE_CLOSE = '</title>';
/** What `([^<]{1,120})` allowed: a longer run is not a title worth quoting. */
const MAX_TITLE_CHARS = 120;

/** The first `<title …>text</title>` whose text is 1 to 120 characters without `<`, as the old regex found it. */
export function htmlTitle(text: string): string | undefined {
  // ASCII only: toLowerCase() changes the length of a few letters (İ), which would shift every index after them.
  const lower = text.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
  let from = 0;
  for (;;) {
    const open = lower.indexOf(TITLE_OPEN, from);
    if (open < 0) return undefined;
    const tagEnd = lower.indexOf('>', open + TITLE_OPEN.length);
    if (tagEnd < 0) return undefined;
    const textEnd = lower.indexOf('<', tagEnd + 1);
    if (textEnd < 0) return undefined;
    const length = textEnd - tagEnd - 1;
    if (length >= 1 && length <= MAX_TITLE_CHARS && lower.startsWith(TITLE_CLOSE, textEnd)) return text.slice(tagEnd + 1, textEnd);
    // A `<title` before tagEnd would end at the same `>` and fail the same way, and none lies between tagEnd and the
    // next `<`: go on from there.
    from = textEnd;
  }
}

/** The text with every `<…>` tag replaced by a space; a `<` that is never closed stays, as with `/<[^>]*>/g`. */
export function stripTags(text: string): string {
  const parts: string[] = [];
  let from = 0;
  for (;;) {
    const open = text.indexOf('<', from);
    if (open < 0) break;
    const close = text.indexOf('>', open + 1);
    if (close < 0) break;
    parts.push(text.slice(from, open), ' ');
    from = close + 1;
  }
  parts.push(text.slice(from));
  return parts.join('');
}
