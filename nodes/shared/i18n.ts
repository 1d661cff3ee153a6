import type { NodeAPI } from 'node-red';

export type Substitutions = Record<string, string>;

/**
 * Translates `<type>.<key>`, falling back to the English text when the catalog has no entry
 * (RED._ answers with the key itself then; the test helper's RED._ always does). Used by the action nodes, whose
 * statuses name counts and files and must read well even without a catalog.
 */
export type TranslateWithFallback = (key: string, fallback: string, subs?: Substitutions) => string;

/**
 * Texts without substitutions, per runtime: i18next's lookup was a large share of Node-RED's CPU (bench/README.md,
 * scenario 2) when an action node set its "sending"/"sent" dots on every message. The runtime's language is chosen
 * once at start (settings.lang or the OS), so one runtime's answer for a key never changes; keyed by the RED object
 * so test runtimes do not share it.
 */
const plainTexts = new WeakMap<NodeAPI, Map<string, string>>();

export function translator(RED: NodeAPI, type: string): TranslateWithFallback {
  let cache = plainTexts.get(RED);
  if (cache === undefined) plainTexts.set(RED, (cache = new Map()));
  const plain = cache;
  return (key, fallback, subs) => {
    if (subs !== undefined) return lookup(RED, `${type}.${key}`, subs) ?? withSubstitutions(fallback, subs);
    const full = `${type}.${key}`;
    const cached = plain.get(full);
    if (cached !== undefined) return cached;
    const text = lookup(RED, full, undefined);
    // Only catalog answers are kept: a lookup made before the catalog was loaded must not pin the fallback.
    if (text === undefined) return fallback;
    plain.set(full, text);
    return text;
  };
}

/** The catalog's text for `full`, or undefined when the catalog has none. */
function lookup(RED: NodeAPI, full: string, subs: Substitutions | undefined): string | undefined {
  let text: string;
  try {
    text = subs ? RED._(full, subs) : RED._(full);
  } catch {
    return undefined;
  }
  if (typeof text !== 'string' || text === '' || text === full || text.endsWith(full)) return undefined;
  return text;
}

function withSubstitutions(text: string, subs: Substitutions): string {
  let out = text;
  for (const [k, v] of Object.entries(subs)) out = out.split(`__${k}__`).join(v);
  return out;
}
