// Timing, concurrency and data helpers shared by the workloads.

export function now(): number {
  return performance.now();
}

export function seconds(ms: number): number {
  return round(ms / 1000, 3);
}

export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** MB/s (10^6 bytes) of `bytes` moved in `ms`. */
export function mbps(bytes: number, ms: number): number {
  return significant(bytes / 1e6 / (ms / 1000));
}

export function perSecond(count: number, ms: number): number {
  return significant(count / (ms / 1000));
}

/** Three significant digits, but never fewer than the integer part. */
export function significant(x: number): number {
  return Math.abs(x) >= 100 ? Math.round(x) : Number(x.toPrecision(3));
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

/** Runs task(0..count-1) with at most `concurrency` in flight; rejects on the first failure. */
/** A read that took less than this is timed again (READS times in all) and its median taken. */
export const REPEAT_BELOW_MS = 1000;
export const READS = 5;

/**
 * The time of a read: a single run measures one sample of a noisy 2-core machine, so a
 * short read is run READS times and the median taken (its first, cold run included). Each
 * run times and checks its own answer; the first run's result is returned.
 */
export async function timedReads<T>(read: () => Promise<{ ms: number; result: T }>): Promise<{ ms: number; firstMs: number; runs: number; result: T }> {
  const first = await read();
  const times = [first.ms];
  if (first.ms < REPEAT_BELOW_MS) while (times.length < READS) times.push((await read()).ms);
  return { ms: median(times), firstMs: first.ms, runs: times.length, result: first.result };
}

export async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < count) {
      const i = next++;
      try {
        await task(i);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** Runs `task` on `concurrency` workers until `ms` has passed; returns how many finished. */
export async function forDuration(ms: number, concurrency: number, task: () => Promise<void>): Promise<{ count: number; ms: number }> {
  const t0 = now();
  let count = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (now() - t0 < ms) {
        await task();
        count++;
      }
    }),
  );
  return { count, ms: now() - t0 };
}

/** Deterministic float64 values (not integers, so every format must keep all 17 digits). */
export function values(n: number, seed: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sin(seed * 7919 + i) * 1000 + i / 7;
  return out;
}

export function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** Nested arrays of a C-order matrix, as a JSON body. */
export function jsonMatrix(data: Float64Array, rows: number, cols: number): string {
  const parts: string[] = [];
  for (let r = 0; r < rows; r++) parts.push(JSON.stringify(Array.from(data.subarray(r * cols, (r + 1) * cols))));
  return `[${parts.join(",")}]`;
}

/** A progress line on stderr, stamped with the seconds since the bench started. */
export function log(message: string): void {
  process.stderr.write(`[${(now() / 1000).toFixed(1).padStart(6)} s] ${message}\n`);
}
