import type { z } from 'zod';

/**
 * A message that the action nodes cannot act on. The text names the msg property and the form it should have,
 * so the user can fix the flow from the debug sidebar alone. `code` + `params` let the node translate it
 * (`<node-type>.errors.<code>` in the locale catalog); `message` is the English fallback.
 */
export class MsgInputError extends Error {
  override readonly name = 'MsgInputError';
  constructor(
    readonly code: string,
    /** The msg property at fault, e.g. `msg.payload.title`. */
    readonly property: string,
    message: string,
    readonly params: Record<string, string> = {},
  ) {
    super(message);
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (Buffer.isBuffer(value)) return 'a Buffer';
  return `a ${typeof value}`;
}

/**
 * Validates one msg property with zod. The error names the first failing path under `property` and says
 * what was expected, e.g. `msg.payload.title: expected a string, got nothing (expected form: { title, text })`.
 */
export function parseMsgProperty<T>(schema: z.ZodType<T>, value: unknown, property: string, expectedForm: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue && issue.path.length > 0 ? `${property}.${issue.path.map(String).join('.')}` : property;
  let got: unknown = value;
  for (const key of issue?.path ?? []) {
    got = got !== null && typeof got === 'object' ? (got as Record<PropertyKey, unknown>)[key as PropertyKey] : undefined;
  }
  const reason = issue?.message ?? 'invalid value';
  throw new MsgInputError(
    'invalidProperty',
    path,
    `${path} is not usable (${reason}; got ${describe(got)}). Expected ${expectedForm}.`,
    { property: path, reason, got: describe(got), expected: expectedForm },
  );
}

/** `a, b ,c` or `['a','b']` -> `['a','b','c']`; anything else -> undefined (so the caller can try the next source). */
export function idList(value: unknown): string[] | undefined {
  if (typeof value === 'string') {
    const ids = value.split(/[,\s;，]+/).map((s) => s.trim()).filter((s) => s !== '');
    return ids.length > 0 ? ids : undefined;
  }
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) {
    const ids = value.map((v) => String(v).trim()).filter((s) => s !== '');
    return ids.length > 0 ? ids : undefined;
  }
  return undefined;
}

export function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

export { describe as describeValue };
