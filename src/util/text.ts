import { scrubSecrets } from './secrets';

/** `text` cut to at most `maxChars` characters, the last one then an ellipsis. */
export function truncate(text: string, maxChars: number): string {
  return text.length > maxChars ? `${text.slice(0, maxChars - 1)}…` : text;
}

/** How much of a body that is not DingTalk's JSON an error message quotes. */
export const MAX_EXCERPT_CHARS = 120;

/**
 * How much of a server's own message (DingTalk's `message`, a card's `errorMsg`) an error quotes. DingTalk's are a
 * sentence or two; a longer one is not DingTalk's advice, and a hostile one may be megabytes.
 */
export const MAX_SERVER_MESSAGE_CHARS = MAX_EXCERPT_CHARS * 3;

/**
 * A short quote of a foreign text (an HTML page, a proxy's echo, a server message) for an error message. The secrets
 * are replaced before the text is cut, so that a cut can never leave the first half of a token behind.
 */
export function excerpt(text: string, secrets: Iterable<string | undefined>, maxChars = MAX_EXCERPT_CHARS): string {
  return truncate(scrubSecrets(text, secrets).replace(/\s+/g, ' ').trim(), maxChars);
}
