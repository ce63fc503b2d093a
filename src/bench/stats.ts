/**
 * Timing helpers for benchmark scripts (never for tests). Machines are noisy, so we report medians of
 * many runs after warm-up, and ratios against a baseline measured in the same process.
 */
export interface Timing {
  median: number;
  p10: number;
  p90: number;
  min: number;
  runs: number;
  /** The raw durations (ms), for pooling blocks. */
  samples: number[];
}

/** Summary statistics of a list of durations in ms. */
export function summarize(ms: number[]): Timing {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.round(p * (s.length - 1))))] ?? NaN;
  return { median: q(0.5), p10: q(0.1), p90: q(0.9), min: s[0] ?? NaN, runs: s.length, samples: ms };
}

/**
 * Time an async function: `warmup` untimed calls, then `runs` timed calls.
 *
 * @example
 * const t = await timeit(() => session.run(feeds), { warmup: 5, runs: 30 });
 */
export async function timeit(fn: () => Promise<unknown>, opts: { warmup?: number; runs?: number } = {}): Promise<Timing> {
  const warmup = opts.warmup ?? 5;
  const runs = opts.runs ?? 30;
  for (let i = 0; i < warmup; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return summarize(ms);
}
