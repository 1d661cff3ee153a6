import type { NodeAPI } from 'node-red';

export type Substitutions = Record<string, string>;

/**
 * Translates `<type>.<key>`, falling back to the English text when the catalog has no entry
 * (RED._ answers with the key itself then; the test helper's RED._ always does). Used by the action nodes, whose
 * statuses name counts and files and must read well even without a catalog.
 */
export type TranslateWithFallback = (key: string, fallback: string, subs?: Substitutions) => string;

export function translator(RED: NodeAPI, type: string): TranslateWithFallback {
  return (key, fallback, subs) => {
    const full = `${type}.${key}`;
    let text: string;
    try {
      text = subs ? RED._(full, subs) : RED._(full);
    } catch {
      text = full;
    }
    if (typeof text !== 'string' || text === '' || text === full || text.endsWith(full)) {
      let out = fallback;
      for (const [k, v] of Object.entries(subs ?? {})) out = out.split(`__${k}__`).join(v);
      return out;
    }
    return text;
  };
}
