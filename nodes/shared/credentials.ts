/**
 * Credentials as the "Test connection" button sends them. Node-RED resolves `${ENV_VAR}` in a deployed node's
 * credentials itself (runtime createNode -> mapEnvVarProperties, whole-value form only); typed-in values
 * reach the admin endpoint unresolved, so the endpoint resolves them the same way.
 */
const ENV_REFERENCE = /^\$\{(\S+)\}$/;

export function resolveEnvReference(value: string, env: NodeJS.ProcessEnv = process.env): string {
  const match = ENV_REFERENCE.exec(value.trim());
  if (!match) return value;
  return env[match[1] ?? ''] ?? '';
}

/** The editor's placeholder for a password credential that was not changed in the dialog. */
export const UNCHANGED_PASSWORD = '__PWRD__';

/**
 * Picks the secret to test: the typed one, or (when the dialog sent the placeholder or nothing) the saved one.
 * Returns '' when neither exists.
 */
export function pickSecret(typed: unknown, saved: string | undefined): string {
  if (typeof typed === 'string' && typed !== '' && typed !== UNCHANGED_PASSWORD) return resolveEnvReference(typed);
  return saved ?? '';
}

/** Replaces every occurrence of the secrets in a text, so an error echoed to the editor can never carry one. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('***');
  }
  return out;
}
