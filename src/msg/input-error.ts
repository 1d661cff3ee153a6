import type { z } from 'zod';
import { PackageError } from '../errors';
import { jsonBytes } from './limits';

/** The action nodes, whose locale catalogs translate input errors. */
export type ActionNodeType = 'dingtalk-reply' | 'dingtalk-send' | 'dingtalk-card' | 'dingtalk-file' | 'dingtalk-api' | 'dingtalk-approval';

const EVERY_ACTION = ['dingtalk-reply', 'dingtalk-send', 'dingtalk-card', 'dingtalk-file', 'dingtalk-api', 'dingtalk-approval'] as const;
/** The nodes that send a msg's content as JSON (plain-json.ts). */
const JSON_SENDERS = ['dingtalk-reply', 'dingtalk-send', 'dingtalk-card', 'dingtalk-api', 'dingtalk-approval'] as const;
const ROBOT_SENDERS = ['dingtalk-reply', 'dingtalk-send'] as const;

/**
 * Every input error, by its code, and the action nodes that raise it. Each of those nodes translates it as
 * `<node-type>.errors.<code>` in its zh-CN catalog (en-US shows the English text, which names the exact property);
 * test/nodes/action-locales.test.ts checks that they do.
 */
export const INPUT_ERROR_NODES = {
  invalidProperty: EVERY_ACTION,
  invisibleCharacter: EVERY_ACTION,
  notFinite: EVERY_ACTION,
  unreadable: EVERY_ACTION,
  tooLong: EVERY_ACTION,
  tooLarge: EVERY_ACTION,
  tooMany: EVERY_ACTION,
  bigint: JSON_SENDERS,
  circular: JSON_SENDERS,
  tooDeep: JSON_SENDERS,
  emptyPayload: ROBOT_SENDERS,
  missingConversation: ROBOT_SENDERS,
  msgParamTooLarge: ROBOT_SENDERS,
  notSendableByApi: ROBOT_SENDERS,
  unsupportedMedia: ROBOT_SENDERS,
  mediaTooLarge: ROBOT_SENDERS,
  missingDuration: ROBOT_SENDERS,
  missingCover: ROBOT_SENDERS,
  markdownPicture: ROBOT_SENDERS,
  missingDingtalk: ['dingtalk-reply'],
  missingSender: ['dingtalk-reply'],
  missingWebhook: ['dingtalk-reply'],
  webhookExpired: ['dingtalk-reply'],
  webhookGone: ['dingtalk-reply'],
  missingMsgKey: ['dingtalk-send'],
  missingTarget: ['dingtalk-send'],
  missingUserIds: ['dingtalk-send'],
  cardAlreadyExist: ['dingtalk-card'],
  invalidOperation: ['dingtalk-card', 'dingtalk-approval'],
  missingCardTarget: ['dingtalk-card'],
  missingOutTrackId: ['dingtalk-card'],
  missingTemplate: ['dingtalk-card'],
  streamFinished: ['dingtalk-card'],
  invalidSetting: ['dingtalk-file', 'dingtalk-api'],
  missingDownloadCode: ['dingtalk-file'],
  unsafeFileName: ['dingtalk-file'],
  missingPath: ['dingtalk-api'],
  missingPathParam: ['dingtalk-api'],
  unsafePath: ['dingtalk-api'],
  missingApprovalValue: ['dingtalk-approval'],
  noPendingTask: ['dingtalk-approval'],
  approvalFinished: ['dingtalk-approval'],
} as const satisfies Record<string, readonly ActionNodeType[]>;

export type InputErrorCode = keyof typeof INPUT_ERROR_NODES;

/**
 * A message that the action nodes cannot act on. The text names the msg property and the form it should have,
 * so the user can fix the flow from the debug sidebar alone. `code` + `params` let the node translate it
 * (`<node-type>.errors.<code>` in the locale catalog); `message` is the English fallback.
 */
export class MsgInputError extends PackageError<InputErrorCode> {
  override readonly name = 'MsgInputError';
  declare readonly code: InputErrorCode;
  constructor(
    code: InputErrorCode,
    /** The msg property at fault, e.g. `msg.payload.title`. */
    readonly property: string,
    message: string,
    readonly params: Record<string, string> = {},
  ) {
    super(message, code);
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (Buffer.isBuffer(value)) return 'a Buffer';
  const type = typeof value;
  return type === 'object' || type === 'undefined' ? `an ${type}` : `a ${type}`;
}

/**
 * Validates one msg property with zod. The error names the first failing path under `property` and says
 * what was expected, e.g. `msg.payload.title: expected a string, got nothing (expected form: { title, text })`.
 */
export function parseMsgProperty<T>(schema: z.ZodType<T>, value: unknown, property: string, expectedForm: string): T {
  let result: z.ZodSafeParseResult<T>;
  try {
    result = schema.safeParse(value);
  } catch {
    // A getter or proxy trap threw while zod read the value; what it threw may not even be an Error.
    throw unreadableError(property);
  }
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
  throw new MsgInputError('invalidProperty', path, `${path} is not usable (${reason}; got ${describe(got)}). Expected ${expectedForm}.`, {
    property: path,
    reason,
    got: describe(got),
    expected: expectedForm,
  });
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

/**
 * `msg.x` could not be read or turned into JSON: a toJSON() method, getter or proxy in it threw. What was thrown is
 * never looked at (it may be a null-prototype object whose String() throws too).
 */
export function unreadableError(property: string): MsgInputError {
  return new MsgInputError(
    'unreadable',
    property,
    `${property} could not be read as JSON: a toJSON() method, getter or proxy in it threw. ` +
      'Convert it to plain JSON first (plain objects, arrays, strings, finite numbers, booleans, null).',
    { property },
  );
}

/** NaN or ±Infinity where a number is sent: JSON has neither, and "NaN" as message text is never what was meant. */
export function notFiniteError(property: string, value: number): MsgInputError {
  return new MsgInputError(
    'notFinite',
    property,
    `${property} is ${String(value)}, which cannot be sent: JSON has no NaN or Infinity. ` +
      'Check the calculation that produced it (a division by zero, a missing field), or send a string.',
    { property, value: String(value) },
  );
}

/** A number as message text; NaN and ±Infinity are refused. */
export function numberText(value: number, property: string): string {
  if (!Number.isFinite(value)) throw notFiniteError(property, value);
  return String(value);
}

/**
 * Control, bidi and other invisible format characters, and lone surrogates: never part of an id, a code or a URL,
 * and a bidi override makes an id display differently from what is sent.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\u2028\u2029]/u;

/** Throws when an identifier, code or URL contains an invisible character, naming it and where it is. */
export function checkPlain(text: string, property: string): void {
  const match = INVISIBLE.exec(text);
  if (!match) return;
  const char = `U+${match[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  const position = String([...text.slice(0, match.index)].length + 1);
  throw new MsgInputError(
    'invisibleCharacter',
    property,
    `${property} contains an invisible control character (${char} at character ${position}). ` +
      'Ids, codes and URLs are plain text: remove it (it often comes with text copied from a chat or a document).',
    { property, char, position },
  );
}

/** checkLength + checkPlain, for one identifier. */
export function checkId(text: string, property: string, limit: number, hint?: string): void {
  checkLength(text, property, limit, hint);
  checkPlain(text, property);
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

/**
 * `a, b ,c` or `['a','b']` -> `['a','b','c']`; anything else -> undefined (so the caller can try the next source).
 * A number in the array must be an exact integer: NaN would become the id "NaN", and an id read from a database
 * as a number past 2^53 has already lost its last digits.
 */
export function idList(value: unknown, property = 'msg.userIds'): string[] | undefined {
  if (typeof value === 'string') {
    const ids = value
      .split(/[,\s;，]+/)
      .map((s) => s.trim())
      .filter((s) => s !== '');
    return ids.length > 0 ? ids : undefined;
  }
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) {
    value.forEach((v, i) => {
      if (typeof v !== 'number' || Number.isSafeInteger(v)) return;
      if (!Number.isFinite(v)) throw notFiniteError(`${property}[${i}]`, v);
      throw new MsgInputError(
        'invalidProperty',
        `${property}[${i}]`,
        `${property}[${i}] is the number ${String(v)}, too large to be exact (its last digits are already lost). Expected the ids as strings.`,
        { property: `${property}[${i}]`, reason: 'a number too large to be exact', got: 'a number', expected: 'the ids as strings' },
      );
    });
    const ids = value.map((v) => String(v).trim()).filter((s) => s !== '');
    return ids.length > 0 ? ids : undefined;
  }
  return undefined;
}

export function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

export { describe as describeValue };
