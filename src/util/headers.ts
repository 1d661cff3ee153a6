export type HeaderMap = Record<string, string | string[] | undefined>;

/** One header's value (the first, when repeated); `name` in any case. */
export function header(headers: HeaderMap, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
