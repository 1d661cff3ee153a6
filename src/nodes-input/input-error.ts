import type { z } from 'zod';
import { jsonBytes } from './limits';

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
  if (issue?.code === 'too_big' && (typeof got === 'string' || Array.isArray(got))) {
    throw sizeError(path, got.length, Number(issue.maximum), typeof got === 'string' ? 'characters' : 'items');
  }
  const reason = issue?.message ?? 'invalid value';
  throw new MsgInputError(
    'invalidProperty',
    path,
    `${path} is not usable (${reason}; got ${describe(got)}). Expected ${expectedForm}.`,
    { property: path, reason, got: describe(got), expected: expectedForm },
  );
}

export type SizeUnit = 'characters' | 'bytes' | 'items';

const DEFAULT_SIZE_HINT: Record<SizeUnit, string> = {
  characters: 'Shorten it, or split the content into several messages.',
  bytes: 'Send less: split it into several messages, or send a file or link instead of inline content.',
  items: 'Send fewer entries (split them over several messages if needed).',
};

/**
 * Input over one of the limits in limits.ts. The text names the property, the size received, the limit and what
 * to do; `tooLong`/`tooLarge`/`tooMany` (characters/bytes/entries) let each unit read well once translated.
 */
export function sizeError(property: string, size: number, limit: number, unit: SizeUnit, hint = DEFAULT_SIZE_HINT[unit]): MsgInputError {
  const params = { property, size: String(size), limit: String(limit), unit, hint };
  const fmt = (n: number): string => n.toLocaleString('en-US');
  switch (unit) {
    case 'characters':
      return new MsgInputError('tooLong', property, `${property} is too long: ${fmt(size)} characters, the limit is ${fmt(limit)}. ${hint}`, params);
    case 'bytes':
      return new MsgInputError('tooLarge', property, `${property} is too large: ${fmt(size)} bytes, the limit is ${fmt(limit)}. ${hint}`, params);
    case 'items':
      return new MsgInputError('tooMany', property, `${property} has too many entries: ${fmt(size)}, the limit is ${fmt(limit)}. ${hint}`, params);
  }
}

/** Throws sizeError when `text` is longer than `limit` characters (string length). */
export function checkLength(text: string, property: string, limit: number, hint?: string): void {
  if (text.length > limit) throw sizeError(property, text.length, limit, 'characters', hint);
}

/** Throws sizeError when `text` is more than `limit` bytes in UTF-8. */
export function checkBytes(text: string, property: string, limit: number, hint?: string): void {
  // A string of n code units is at most 3n bytes, so short strings skip the count.
  if (text.length * 3 <= limit) return;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limit) throw sizeError(property, bytes, limit, 'bytes', hint);
}

/** Throws sizeError when `value`, sent as JSON, is more than `limit` bytes. */
export function checkJsonBytes(value: unknown, property: string, limit: number, hint?: string): void {
  const bytes = jsonBytes(value);
  if (bytes > limit) throw sizeError(property, bytes, limit, 'bytes', hint);
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
