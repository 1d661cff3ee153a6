/**
 * Hostile msg values shared by the input-check, node and fuzz suites: each made fresh on every call, since a node may
 * consume or mutate what it is given.
 */

/** `levels` objects nested in each other, `bottom` at the end. */
export function nested(levels: number, bottom: unknown = 'bottom'): unknown {
  let v: unknown = bottom;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

/** A cycle two levels down: `outer.inner.list[1]` is `outer`. */
export function circular(): Record<string, unknown> {
  const inner: Record<string, unknown> = { list: [1] };
  const outer: Record<string, unknown> = { content: 'hi', inner };
  (inner['list'] as unknown[]).push(outer);
  return outer;
}

/** toJSON throws a null-prototype object: not an Error, and String() of it throws too. */
export const throwingToJson = (): Record<string, unknown> => ({
  content: 'hi',
  a: {
    toJSON: () => {
      throw Object.create(null);
    },
  },
});
