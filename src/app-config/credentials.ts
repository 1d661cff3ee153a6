/**
 * Credentials as the "Test connection" button sends them. Node-RED resolves `${ENV_VAR}` in a deployed node's
 * properties and credentials itself (runtime createNode -> mapEnvVarProperties, whole-value form only); typed-in
 * values reach the admin endpoint unresolved, so the endpoint resolves them the same way, in the fields and for the
 * destinations test-request.ts allows.
 */
const ENV_REFERENCE = /^\$\{(\S+)\}$/;

export function resolveEnvReference(value: string, env: NodeJS.ProcessEnv = process.env): string {
  const name = envReferenceName(value);
  if (name === undefined) return value;
  return env[name] ?? '';
}

/** `NAME` when the whole value is `${NAME}`, else undefined. */
export function envReferenceName(value: string): string | undefined {
  return ENV_REFERENCE.exec(value.trim())?.[1];
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

/**
 * The strings an app node holds that must never reach a status or an error (its credentials, whatever they are
 * called). Texts are scrubbed of them with `scrubSecrets` (src/util/secrets.ts), the one scrubber of the package.
 */
export function appSecrets(app: object | null): string[] {
  const creds = (app as { credentials?: unknown } | null)?.credentials;
  if (!creds || typeof creds !== 'object') return [];
  return Object.values(creds as Record<string, unknown>).filter((v): v is string => typeof v === 'string' && v.length >= 4);
}
