/** Small number helpers for the bench: percentiles of latency samples, medians of repeated runs. */

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an already sorted array. */
function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function summarize(samples: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    p50: round(percentileSorted(sorted, 50)),
    p99: round(percentileSorted(sorted, 99)),
    max: round(sorted.length ? sorted[sorted.length - 1]! : Number.NaN),
    mean: round(sorted.length ? sum / sorted.length : Number.NaN),
  };
}

export function median(values: number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const mid = Math.floor(finite.length / 2);
  return finite.length % 2 ? finite[mid]! : (finite[mid - 1]! + finite[mid]!) / 2;
}

export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Median of each numeric field over several runs of the same measurement (non-numeric fields from the first run). */
export function medianOfRuns<T extends object>(runs: T[]): T {
  const records = runs as unknown as Array<Record<string, unknown>>;
  const first = records[0];
  if (!first) throw new Error('bench: no runs to take the median of');
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(first)) {
    const values = records.map((r) => r[key]);
    if (values.every((v) => typeof v === 'number')) out[key] = round(median(values as number[]));
    else if (values.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v))) {
      out[key] = medianOfRuns(values as object[]);
    } else out[key] = first[key];
  }
  return out as T;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
