// Ensemble statistics over realizations (rows) at each label (column).

export interface ColumnStats {
  mean: Float64Array;
  p10: Float64Array;
  p90: Float64Array;
}

/** numpy.percentile's default (linear) on sorted finite values. */
export function quantileSorted(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Mean, P10 and P90 per column of a rows x cols matrix; NaN cells are left out. */
export function columnStats(data: Float64Array, rows: number, cols: number): ColumnStats {
  const mean = new Float64Array(cols);
  const p10 = new Float64Array(cols);
  const p90 = new Float64Array(cols);
  const column = new Float64Array(rows);
  for (let c = 0; c < cols; c++) {
    let n = 0;
    let sum = 0;
    for (let r = 0; r < rows; r++) {
      const v = data[r * cols + c];
      if (!Number.isNaN(v)) {
        column[n++] = v;
        sum += v;
      }
    }
    const values = column.subarray(0, n).sort();
    mean[c] = n ? sum / n : NaN;
    p10[c] = quantileSorted(values, 0.1);
    p90[c] = quantileSorted(values, 0.9);
  }
  return { mean, p10, p90 };
}

export function summary(values: Float64Array): { n: number; mean: number; std: number; min: number; max: number } {
  let n = 0, sum = 0, min = Infinity, max = -Infinity;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    n++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = n ? sum / n : NaN;
  let ss = 0;
  for (const v of values) if (!Number.isNaN(v)) ss += (v - mean) ** 2;
  return { n, mean, std: n > 1 ? Math.sqrt(ss / (n - 1)) : NaN, min: n ? min : NaN, max: n ? max : NaN };
}

export interface Bins {
  edges: Float64Array;
  counts: Float64Array[];
}

/** Shared bins for several samples (so prior and posterior compare bar by bar). */
export function histogram(samples: Float64Array[], binCount?: number): Bins {
  let min = Infinity, max = -Infinity, n = 0;
  for (const s of samples) for (const v of s) {
    if (!Number.isFinite(v)) continue;
    n = Math.max(n, s.length);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!Number.isFinite(min)) {
    min = 0;
    max = 1;
  }
  if (min === max) {
    min -= 0.5;
    max += 0.5;
  }
  const k = binCount ?? Math.min(60, Math.max(5, Math.ceil(Math.sqrt(n))));
  const width = (max - min) / k;
  const edges = Float64Array.from({ length: k + 1 }, (_, i) => min + i * width);
  const counts = samples.map((s) => {
    const out = new Float64Array(k);
    for (const v of s) {
      if (!Number.isFinite(v)) continue;
      out[Math.min(k - 1, Math.floor((v - min) / width))]++;
    }
    return out;
  });
  return { edges, counts };
}
