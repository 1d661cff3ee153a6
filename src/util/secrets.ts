/** Replaces every occurrence of the given secrets (longer than 3 chars) with `***`. */
export function scrubSecrets(text: string, secrets: Iterable<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length > 3) out = out.split(secret).join('***');
  }
  return out;
}

/** How much of a body that is not DingTalk's JSON an error message quotes. */
export const MAX_EXCERPT_CHARS = 120;

/**
 * A short quote of a foreign text (an HTML page, a proxy's echo, a server message) for an error message. The secrets
 * are replaced before the text is cut, so that a cut can never leave the first half of a token behind.
 */
export function excerpt(text: string, secrets: Iterable<string | undefined>, maxChars = MAX_EXCERPT_CHARS): string {
  const clean = scrubSecrets(text, secrets).replace(/\s+/g, ' ').trim();
  return clean.length > maxChars ? `${clean.slice(0, maxChars - 1)}…` : clean;
}
