/**
 * Shared pieces of the reliability tests: a guard that turns any uncaught exception or unhandled rejection into a
 * test failure, a logger that keeps every line, and a seeded PRNG (so a soak or fuzz run can be replayed).
 */
import type { Logger } from '../../src/util/runtime';

export interface CapturedLogger extends Logger {
  readonly lines: Array<{ level: string; message: string }>;
}

export function capturingLogger(): CapturedLogger {
  const lines: Array<{ level: string; message: string }> = [];
  const at = (level: string) => (message: string) => void lines.push({ level, message });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * Records what escapes every handler: mocha would also fail on an uncaught exception, but only for the test that
 * happens to run then; the guard lets a test assert "nothing escaped while I ran" about itself.
 */
export class CrashGuard {
  readonly escaped: unknown[] = [];
  private readonly onError = (err: unknown): void => void this.escaped.push(err);

  install(): this {
    process.on('uncaughtException', this.onError);
    process.on('unhandledRejection', this.onError);
    return this;
  }

  uninstall(): void {
    process.off('uncaughtException', this.onError);
    process.off('unhandledRejection', this.onError);
  }

  describe(): string {
    return this.escaped.map((e) => (e instanceof Error ? (e.stack ?? e.message) : String(e))).join('\n---\n');
  }
}

/** mulberry32: tiny, fast, good enough to place faults; the same seed gives the same schedule. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
