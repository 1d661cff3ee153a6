/**
 * Path patterns of `dingtalk-ai-in`, as Node-RED's `http in` takes them: literal segments and `:name` parameters
 * (`/v1/actions/leave/:userId`), matched case-insensitively, a trailing slash optional. Only that subset: Node-RED
 * gets the full syntax from express, which this package cannot depend on.
 */

export interface PathPattern {
  /** The pattern as written, for status texts and warnings. */
  readonly source: string;
  /** Names of the `:name` segments, in order. */
  readonly names: readonly string[];
  readonly regex: RegExp;
}

export type PathPatternParse = { ok: true; pattern: PathPattern } | { ok: false; reason: string };

const PARAM = /^:([A-Za-z_][A-Za-z0-9_]*)$/;

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** An empty pattern matches every path. */
export function parsePathPattern(source: string): PathPatternParse {
  const text = source.trim();
  if (text === '' || text === '*') return { ok: true, pattern: { source: '', names: [], regex: /^/ } };
  if (!text.startsWith('/')) return { ok: false, reason: `the path must start with "/" (got "${text}")` };
  if (/[?#]/.test(text)) return { ok: false, reason: `the path must not contain "?" or "#": query parameters arrive in msg.req.query` };
  const names: string[] = [];
  const parts: string[] = [];
  for (const segment of text.replace(/\/+$/, '').split('/').slice(1)) {
    const param = PARAM.exec(segment);
    if (param) {
      const name = param[1] as string;
      if (names.includes(name)) return { ok: false, reason: `the parameter ":${name}" appears twice` };
      names.push(name);
      parts.push('([^/]+)');
    } else if (segment.includes(':')) {
      return { ok: false, reason: `"${segment}" is not a parameter: write ":name" alone between slashes, with letters, digits or _` };
    } else {
      parts.push(escapeRegex(segment));
    }
  }
  const regex = new RegExp(`^/${parts.join('/')}/?$`, 'i');
  return { ok: true, pattern: { source: text, names, regex } };
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // A malformed escape is still a value the flow may want to see; it gets it as sent.
    return text;
  }
}

/** The decoded parameters when `path` matches, undefined when it does not. */
export function matchPath(pattern: PathPattern, path: string): Record<string, string> | undefined {
  const found = pattern.regex.exec(path);
  if (!found) return undefined;
  // fromEntries defines own properties, so even a parameter called __proto__ is only data.
  return Object.fromEntries(pattern.names.map((name, i) => [name, decode(found[i + 1] as string)]));
}
