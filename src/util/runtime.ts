/**
 * What src/ needs from its surroundings, injected so that backoff, TTLs and heartbeats can be tested
 * without real waiting, and so that src/ never writes to the console itself.
 */

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): NodeJS.Timeout;
  clearTimeout(handle: NodeJS.Timeout | undefined): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => {
    if (handle !== undefined) clearTimeout(handle);
  },
};

/** Returns a float in [0, 1). */
export type RandomSource = () => number;
export const systemRandom: RandomSource = Math.random;
