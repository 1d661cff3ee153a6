/**
 * A node setting that must be a positive number (typed in the editor, so usually text): the number, or undefined when
 * it is empty or not a positive number, for the caller's default. Not for settings where a typo must be refused
 * instead (see downloadLimitBytes in file-input.ts).
 */
export function positiveNumber(setting: unknown): number | undefined {
  const value = Number(setting);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}
