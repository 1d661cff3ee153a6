/**
 * Turns a file name chosen by a sender (or a flow) into one safe path segment for dingtalk-file.
 *
 * The result is idempotent (cleaning it again changes nothing), so the name put on msg.filename is exactly the
 * name written to disk, and it is short enough for every common filesystem.
 */

/**
 * Bytes (UTF-8) of a cleaned name. ext4, XFS, APFS and NTFS allow 255 bytes (NTFS 255 UTF-16 units) per name;
 * 200 leaves room for a suffix a later step of the flow may add ("-1", a date) without failing there.
 */
export const FILE_NAME_MAX_BYTES = 200;

/** An extension is kept only if it looks like one: a few letters or digits, not "the rest of a sentence". */
const EXTENSION = /^\.[\p{L}\p{N}_-]{1,15}$/u;

/**
 * Invisible format characters (Unicode Cf): bidi controls (U+202A-U+202E, U+2066-U+2069, U+200E/U+200F, U+061C)
 * can make "invoice\u202Efdp.exe" display as "invoiceexe.pdf", and the others only hide what a name really is.
 * Kept: ZWNJ/ZWJ (U+200C/U+200D, needed by emoji sequences and several scripts) and tag characters
 * (U+E0020-U+E007F, part of subdivision flag emoji).
 */
// biome-ignore lint/suspicious/noMisleadingCharacterClass: with the u flag the astral range is matched by code point, as meant.
const FORMAT_CHARS = /(?![\u200C\u200D\u{E0020}-\u{E007F}])\p{Cf}/gu;

/**
 * Replaced by "_": control characters (C0, DEL, C1), line/paragraph separators, characters Windows refuses, and
 * lone UTF-16 surrogates (written to disk as U+FFFD, so the name on disk would differ from the one reported).
 */
const UNSAFE_CHARS = /[\p{Cc}\u2028\u2029<>:"|?*]|\p{Cs}/gu;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * The longest start of `text` that fits in `maxBytes` of UTF-8, cut between user-perceived characters (an emoji
 * sequence or a letter with its accents stays whole), else between code points. Never splits a surrogate pair.
 */
export function cutToBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  // Every UTF-16 unit is at least one byte, so nothing past unit maxBytes can fit: segment only the head.
  const head = text.slice(0, maxBytes + 1);
  const fit = (pieces: Iterable<string>): string => {
    let out = '';
    let used = 0;
    for (const piece of pieces) {
      const bytes = Buffer.byteLength(piece);
      if (used + bytes > maxBytes) break;
      out += piece;
      used += bytes;
    }
    return out;
  };
  const byGrapheme = fit(
    (function* () {
      for (const s of graphemes.segment(head)) yield s.segment;
    })(),
  );
  // One "character" longer than the budget (a letter with hundreds of combining marks): cut inside it instead.
  return byGrapheme !== '' ? byGrapheme : fit(head);
}

/**
 * A name from DingTalk (or a user) made safe to use as one path segment: no directories, no `..`, no control,
 * bidi or other invisible characters, no leading dots (hidden files), at most FILE_NAME_MAX_BYTES bytes with its
 * extension kept exactly once. Never returns an empty name.
 */
export function safeFileName(name: string, fallback = 'file'): string {
  let n = name.normalize('NFC');
  // Both separators: a name from a Windows client may use backslashes, and basename() alone would keep them on POSIX.
  n = n.slice(Math.max(n.lastIndexOf('/'), n.lastIndexOf('\\')) + 1);
  n = n.replace(FORMAT_CHARS, '').replace(UNSAFE_CHARS, '_');
  n = trimDotsAndSpaces(n);
  if (n === '') n = fallback;
  if (Buffer.byteLength(n) <= FILE_NAME_MAX_BYTES) return n;
  const dot = n.lastIndexOf('.');
  const ext = dot > 0 && EXTENSION.test(n.slice(dot)) ? n.slice(dot) : '';
  const stem = ext ? n.slice(0, dot) : n;
  const cut = trimDotsAndSpaces(cutToBytes(stem, FILE_NAME_MAX_BYTES - Buffer.byteLength(ext)));
  return `${cut || fallback}${ext}`;
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
