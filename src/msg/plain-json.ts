/**
 * msg values -> plain JSON, at the boundary where the action nodes take objects from a msg (msgParam, card data,
 * message objects). JSON.stringify alone turns NaN into null without a word, and on a circular reference, a BigInt
 * or very deep nesting throws a TypeError/RangeError that names no msg property; a toJSON() may throw anything,
 * even a value whose String() throws. Here each of these becomes a MsgInputError that names the property.
 */
import { MsgInputError, notFiniteError, unreadableError } from './input-error';
import { truncate } from '../util/text';

/**
 * Levels of nesting accepted. Message objects are 2-4 levels deep and card list variables a few more; past this it
 * is not message data, and JSON.stringify (recursive) overflows the stack some thousands of levels deeper.
 */
export const JSON_MAX_DEPTH = 64;

/** Shown path segments: enough to find the spot, short enough for the status dot and the debug sidebar. */
const MAX_SHOWN_KEYS = 8;

interface Place {
  /** The object holding this one; undefined for the top value. */
  parent: object | undefined;
  key: string;
  depth: number;
}

function keyText(key: string): string {
  if (/^[\p{L}\p{N}_$-]{1,40}$/u.test(key)) return `.${key}`;
  const shown = truncate(key, 41);
  // Escaped: a key is sender data, and may hold bidi overrides or line breaks meant to garble the message.
  return `[${JSON.stringify(shown).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}]`;
}

function pathText(property: string, keys: string[]): string {
  const shown = keys.length > MAX_SHOWN_KEYS ? [...keys.slice(0, 3).map(keyText), '…', ...keys.slice(-3).map(keyText)] : keys.map(keyText);
  return property + shown.join('');
}

function circularError(property: string, at: string): MsgInputError {
  return new MsgInputError(
    'circular',
    at,
    `${at} is a circular reference (it points back to an object that contains it): convert ${property} to plain JSON first, copying only the fields the message needs.`,
    { property: at, root: property },
  );
}

function bigintError(property: string, at: string): MsgInputError {
  return new MsgInputError(
    'bigint',
    at,
    `${at} is a BigInt, which JSON cannot carry: convert ${property} to plain JSON first, e.g. String(value) for an id or Number(value) for a count.`,
    { property: at, root: property },
  );
}

function tooDeepError(property: string): MsgInputError {
  return new MsgInputError(
    'tooDeep',
    property,
    `${property} is nested more than ${JSON_MAX_DEPTH} levels deep: convert it to plain JSON first, in the shape the message needs (flatten it, or send the deep part as a string).`,
    { property, limit: String(JSON_MAX_DEPTH) },
  );
}

/**
 * `value` as JSON text, or undefined where JSON.stringify gives undefined (undefined, a function). Functions and
 * symbols inside are left out as JSON.stringify does; everything that JSON cannot carry faithfully is refused.
 */
export function plainJsonText(value: unknown, property: string): string | undefined {
  const places = new WeakMap<object, Place>();
  let refused: MsgInputError | undefined;
  const keysTo = (holder: object, key: string): string[] => {
    const keys = [key];
    for (let p = places.get(holder); p?.parent; p = places.get(p.parent)) keys.unshift(p.key);
    // The top value's own key is the "" of JSON.stringify's wrapper.
    return places.has(holder) ? keys : [];
  };
  const refuse = (error: MsgInputError): never => {
    refused = error;
    throw error;
  };
  function replacer(this: object, key: string, v: unknown): unknown {
    const at = (): string => pathText(property, keysTo(this, key));
    if (typeof v === 'bigint') refuse(bigintError(property, at()));
    if (typeof v === 'number' && !Number.isFinite(v)) refuse(notFiniteError(at(), v));
    if (v instanceof Number && !Number.isFinite(v.valueOf())) refuse(notFiniteError(at(), v.valueOf()));
    if (v !== null && typeof v === 'object') {
      const depth = (places.get(this)?.depth ?? 0) + 1;
      if (depth > JSON_MAX_DEPTH) refuse(tooDeepError(property));
      for (let p: object | undefined = this; p; p = places.get(p)?.parent) if (p === v) refuse(circularError(property, at()));
      places.set(v, { parent: places.has(this) ? this : undefined, key, depth });
    }
    return v;
  }
  try {
    return JSON.stringify(value, replacer);
  } catch {
    // Not `err instanceof ...`: what a toJSON() threw may be a proxy whose traps throw.
    throw refused ?? unreadableError(property);
  }
}

/**
 * A plain-JSON copy of an object or array from a msg, so that nothing downstream (zod, the request body) meets a
 * getter, a toJSON(), a cycle or a BigInt again. Other values (strings, numbers, Buffers...) are returned as they
 * are for the caller's own checks.
 */
export function plainCopy(value: unknown, property: string): unknown {
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  const text = plainJsonText(value, property);
  return text === undefined ? undefined : (JSON.parse(text) as unknown);
}
