/**
 * Sizes and durations of the bench, from the environment. `BENCH_QUICK=1` is a ~1-minute smoke run; every figure
 * can be overridden on its own (e.g. `BENCH_S1_N=100000 npm run bench`). `BENCH_ONLY=1,3` runs some scenarios.
 */

function num(name: string, full: number, quick: number): number {
  const raw = process.env[name];
  if (raw !== undefined && raw !== '') {
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`bench: ${name}=${raw} is not a positive number`);
    return value;
  }
  return process.env['BENCH_QUICK'] === '1' ? quick : full;
}

export interface BenchConfig {
  quick: boolean;
  runs: number;
  only: Set<number>;
  s1: { n: number; window: number; nW1: number; frameBytes: number };
  s2: { rates: number[]; durationMs: number; saturationWindow: number };
  s3: { ratePerSec: number; durationMs: number; everyMs: number; drainMs: number; ackTimeoutMs: number };
  s4: { counts: number[] };
  /** Directory for `--cpu-prof` of our client in scenario 1, or undefined. */
  cpuProfDir: string | undefined;
}

export function loadConfig(): BenchConfig {
  const quick = process.env['BENCH_QUICK'] === '1';
  const only = new Set(
    (process.env['BENCH_ONLY'] ?? '1,2,3,4')
      .split(',')
      .map((s) => Number(s.trim()))
      .filter((n) => n >= 1 && n <= 4),
  );
  return {
    quick,
    runs: num('BENCH_RUNS', 3, 1),
    only,
    s1: {
      n: num('BENCH_S1_N', 50_000, 5_000),
      window: num('BENCH_S1_WINDOW', 64, 64),
      nW1: num('BENCH_S1_N_W1', 5_000, 1_000),
      frameBytes: num('BENCH_S1_FRAME_BYTES', 1024, 1024),
    },
    s2: {
      rates: [num('BENCH_S2_RATE_LOW', 200, 200), num('BENCH_S2_RATE_HIGH', 1000, 1000)],
      durationMs: num('BENCH_S2_DURATION_MS', 8_000, 2_000),
      saturationWindow: num('BENCH_S2_WINDOW', 64, 64),
    },
    s3: {
      ratePerSec: num('BENCH_S3_RATE', 500, 500),
      durationMs: num('BENCH_S3_DURATION_MS', 13_000, 5_000),
      everyMs: num('BENCH_S3_EVERY_MS', 4_000, 2_000),
      drainMs: num('BENCH_S3_DRAIN_MS', 2_000, 1_000),
      ackTimeoutMs: num('BENCH_S3_ACK_TIMEOUT_MS', 2_000, 1_000),
    },
    s4: { counts: [1, 10, num('BENCH_S4_MAX_APPS', 50, 50)] },
    cpuProfDir: process.env['BENCH_CPU_PROF'] || undefined,
  };
}
