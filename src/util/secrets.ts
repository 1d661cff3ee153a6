/** Replaces every occurrence of the given secrets (longer than 3 chars) with `***`. */
export function scrubSecrets(text: string, secrets: Iterable<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length > 3) out = out.split(secret).join('***');
  }
  return out;
}
