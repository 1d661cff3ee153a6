/**
 * Anything thrown, as text, without throwing itself: a thrown value may be a Proxy, have a throwing getter or have
 * no prototype at all (`String(Object.create(null))` throws), and a handler that reports a failure must not fail.
 */
export function describeThrown(value: unknown): string {
  try {
    if (value instanceof Error) {
      const message = value.message;
      return typeof message === 'string' && message !== '' ? message : value.name || 'Error';
    }
    if (typeof value === 'string') return value;
    return String(value);
  } catch {
    try {
      return `an unprintable ${typeof value} was thrown`;
    } catch {
      return 'an unprintable value was thrown';
    }
  }
}
