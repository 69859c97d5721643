// A response over its labels (dates or indices): every realization's curve, the ensemble
// mean and the P10-P90 band, for one or two ensembles, with the observations and their
// error bars on top. The realizations are drawn as one canvas path per ensemble in a
// uPlot hook (measured 2x faster than a uPlot series per realization: bench/README.md).
import uPlot from "uplot";
import type { Label, Matrix } from "@ert-storage/sdk";
import { fmt, h, swatch } from "../dom";
import { OBSERVATION_COLOUR, withAlpha } from "../palette";
import { columnStats, type ColumnStats } from "../stats";
import { axis, chartFrame, showTooltip, widthOf, type ChartFrame } from "./common";

export interface EnsembleCurves {
  name: string;
  colour: string;
  frame: Matrix;
}

export interface ObservedPoints {
  name: string;
  xAxis: Label[];
  values: number[];
  errors: number[];
}

type AxisKind = "time" | "number" | "category";

const DATE = /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/;

function axisKind(labels: Label[]): AxisKind {
  // integer or decimal labels, as numbers or as the text a CSV header holds
  if (labels.every((l) => typeof l === "number" || /^[+-]?\d+(\.\d+)?$/.test(l))) return "number";
  if (labels.every((l) => typeof l === "string" && DATE.test(l))) return "time";
  return "category";
}

/** Seconds since the epoch, UTC, for "YYYY-MM-DD[ HH:MM[:SS]]". */
function seconds(label: string): number {
  const iso = label.length === 10 ? `${label}T00:00:00Z` : `${label.replace(" ", "T")}Z`;
  return Date.parse(iso) / 1000;
}

interface Aligned {
  xs: Float64Array;
  labelAt: (i: number) => string;
  kind: AxisKind;
  /** per ensemble: rows x xs.length, NaN where a realization has no value */
  rows: Float64Array[];
  rowCounts: number[];
  stats: ColumnStats[];
  obs: { at: number[]; values: number[]; errors: number[] } | null;
}

function align(ensembles: EnsembleCurves[], obs: ObservedPoints | null): Aligned {
  const all: Label[] = [];
  for (const e of ensembles) all.push(...(e.frame.columns ?? []));
  if (obs) all.push(...obs.xAxis);
  const kind = axisKind(all);
  const key = (l: Label) => String(l);
  const position = new Map<string, number>();
  if (kind === "category") {
    for (const l of all) if (!position.has(key(l))) position.set(key(l), position.size);
  } else {
    for (const l of all) position.set(key(l), kind === "time" ? seconds(String(l)) : Number(l));
  }
  const xs = Float64Array.from(new Set(position.values())).sort();
  const indexOf = new Map<number, number>();
  xs.forEach((x, i) => indexOf.set(x, i));
  const labels = new Map<number, string>();
  for (const [k, x] of position) if (!labels.has(x)) labels.set(x, k);
  const width = xs.length;
  const rows: Float64Array[] = [];
  const rowCounts: number[] = [];
  const stats: ColumnStats[] = [];
  for (const e of ensembles) {
    const [n, cols] = e.frame.shape.length === 2 ? e.frame.shape : [1, e.frame.data.length];
    const columns = e.frame.columns ?? Array.from({ length: cols }, (_, i) => i);
    const map = columns.map((l) => indexOf.get(position.get(key(l))!)!);
    const same = cols === width && map.every((m, i) => m === i);
    let out = e.frame.data;
    if (!same) {
      out = new Float64Array(n * width).fill(NaN);
      for (let r = 0; r < n; r++) for (let c = 0; c < cols; c++) out[r * width + map[c]] = e.frame.data[r * cols + c];
    }
    rows.push(out);
    rowCounts.push(n);
    stats.push(columnStats(out, n, width));
  }
  let aligned: Aligned["obs"] = null;
  if (obs) {
    aligned = { at: obs.xAxis.map((l) => indexOf.get(position.get(key(l))!)!), values: obs.values, errors: obs.errors };
  }
  return { xs, kind, rows, rowCounts, stats, obs: aligned, labelAt: (i) => labels.get(xs[i]) ?? String(xs[i]) };
}

function lowerBound(xs: Float64Array, v: number): number {
  let lo = 0, hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface ResponseChart {
  frame: ChartFrame;
  plot: uPlot;
  /** the statistics drawn, for the table beside the chart */
  aligned: Aligned;
}

export function responseChart(
  host: HTMLElement,
  title: string,
  yLabel: string,
  ensembles: EnsembleCurves[],
  obs: ObservedPoints | null,
  onDrawn?: () => void,
): ResponseChart {
  const a = align(ensembles, obs);
  performance.mark("ert:response-stats");
  const frame = chartFrame(title, `Every realization's curve, the mean and the P10 to P90 band of ${ensembles.map((e) => e.name).join(" and ")}${obs ? ", with the observations and their error bars" : ""}.`);
  host.append(frame.root);
  const N = a.xs.length;
  const data: (Float64Array | (number | null)[])[] = [a.xs];
  const series: uPlot.Series[] = [{ label: a.kind === "time" ? "date" : "label" }];
  const bands: uPlot.Band[] = [];
  ensembles.forEach((e, k) => {
    const base = data.length;
    data.push(a.stats[k].p90, a.stats[k].p10, a.stats[k].mean);
    series.push(
      { label: `${e.name} P90`, stroke: withAlpha(e.colour, 0.6), width: 1, points: { show: false } },
      { label: `${e.name} P10`, stroke: withAlpha(e.colour, 0.6), width: 1, points: { show: false } },
      { label: `${e.name} mean`, stroke: e.colour, width: 2.5, points: { show: false } },
    );
    bands.push({ series: [base, base + 1], fill: withAlpha(e.colour, 0.22) });
  });
  if (a.obs) {
    const ys: (number | null)[] = new Array(N).fill(null);
    a.obs.at.forEach((i, j) => (ys[i] = a.obs!.values[j]));
    data.push(ys);
    series.push({
      label: "observations",
      stroke: OBSERVATION_COLOUR,
      fill: OBSERVATION_COLOUR,
      paths: () => null,
      points: { show: true, size: 7, stroke: OBSERVATION_COLOUR, fill: "#fff", width: 2 },
    });
  }
  const alpha = Math.max(0.05, Math.min(0.5, 12 / Math.max(...a.rowCounts, 1)));
  const full = () => ({ min: a.xs[0], max: a.xs[N - 1] + (N === 1 ? 1 : 0) });

  const visible = (u: uPlot): [number, number] => {
    const { min, max } = u.scales.x as { min?: number; max?: number };
    const i0 = Math.max(0, lowerBound(a.xs, min ?? a.xs[0]) - 1);
    const i1 = Math.min(N - 1, lowerBound(a.xs, max ?? a.xs[N - 1]));
    return [i0, i1];
  };

  const drawRealizations = (u: uPlot) => {
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    const { min: x0, max: x1 } = u.scales.x as { min: number; max: number };
    const { min: y0, max: y1 } = u.scales.y as { min: number; max: number };
    const sx = width / (x1 - x0 || 1);
    const sy = height / (y1 - y0 || 1);
    const [i0, i1] = visible(u);
    const px = new Float64Array(i1 - i0 + 1);
    for (let i = i0; i <= i1; i++) px[i - i0] = left + (a.xs[i] - x0) * sx;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    ctx.lineWidth = Math.max(1, devicePixelRatio * 0.75);
    ctx.lineJoin = "round";
    ensembles.forEach((e, k) => {
      const rows = a.rows[k];
      ctx.strokeStyle = withAlpha(e.colour, alpha);
      ctx.beginPath();
      for (let r = 0; r < a.rowCounts[k]; r++) {
        const base = r * N;
        let pen = false;
        for (let i = i0; i <= i1; i++) {
          const v = rows[base + i];
          if (Number.isNaN(v)) {
            pen = false;
            continue;
          }
          const y = top + (y1 - v) * sy;
          if (pen) ctx.lineTo(px[i - i0], y);
          else {
            ctx.moveTo(px[i - i0], y);
            pen = true;
          }
        }
      }
      ctx.stroke();
    });
    ctx.restore();
  };

  const drawErrorBars = (u: uPlot) => {
    if (!a.obs) return;
    const ctx = u.ctx;
    ctx.save();
    ctx.strokeStyle = OBSERVATION_COLOUR;
    ctx.lineWidth = 1.5 * devicePixelRatio;
    ctx.beginPath();
    const cap = 4 * devicePixelRatio;
    a.obs.at.forEach((i, j) => {
      const x = u.valToPos(a.xs[i], "x", true);
      const lo = u.valToPos(a.obs!.values[j] - a.obs!.errors[j], "y", true);
      const hi = u.valToPos(a.obs!.values[j] + a.obs!.errors[j], "y", true);
      ctx.moveTo(x, lo);
      ctx.lineTo(x, hi);
      ctx.moveTo(x - cap, lo);
      ctx.lineTo(x + cap, lo);
      ctx.moveTo(x - cap, hi);
      ctx.lineTo(x + cap, hi);
    });
    ctx.stroke();
    ctx.restore();
    onDrawn?.();
  };

  const yRange = (u: uPlot): uPlot.Range.MinMax => {
    const [i0, i1] = visible(u);
    let lo = Infinity, hi = -Infinity;
    a.rows.forEach((rows, k) => {
      for (let r = 0; r < a.rowCounts[k]; r++) {
        const base = r * N;
        for (let i = i0; i <= i1; i++) {
          const v = rows[base + i];
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
      }
    });
    a.obs?.at.forEach((i, j) => {
      if (i < i0 || i > i1) return;
      lo = Math.min(lo, a.obs!.values[j] - a.obs!.errors[j]);
      hi = Math.max(hi, a.obs!.values[j] + a.obs!.errors[j]);
    });
    if (!Number.isFinite(lo)) return [0, 1];
    const pad = (hi - lo) * 0.05 || Math.abs(hi) * 0.05 || 1;
    return [lo - pad, hi + pad];
  };

  const xAxis =
    a.kind === "category"
      ? axis("label", { values: (_u, splits) => splits.map((v) => (Number.isInteger(v) && v >= 0 && v < N ? a.labelAt(v) : "")) })
      : axis(a.kind === "time" ? "date (UTC)" : "index");

  const plot = new uPlot(
    {
      width: widthOf(frame.plot),
      height: 420,
      legend: { show: false },
      cursor: { points: { show: false }, drag: { x: true, y: false }, focus: { prox: -1 } },
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"),
      scales: { x: { time: a.kind === "time", range: (u, min, max) => [min, max] }, y: { range: yRange } },
      axes: [xAxis, axis(yLabel, { size: 70 })],
      series,
      bands,
      hooks: {
        drawAxes: [drawRealizations],
        draw: [drawErrorBars],
        setCursor: [
          (u) => {
            const i = u.cursor.idx;
            if (i === null || i === undefined) return void (frame.tooltip.hidden = true);
            const lines: string[] = [a.labelAt(i)];
            ensembles.forEach((e, k) => {
              lines.push(`${e.name}: mean ${fmt(a.stats[k].mean[i])}, P10 ${fmt(a.stats[k].p10[i])}, P90 ${fmt(a.stats[k].p90[i])}`);
            });
            const j = a.obs?.at.indexOf(i) ?? -1;
            if (j >= 0) lines.push(`observed ${fmt(a.obs!.values[j])} ± ${fmt(a.obs!.errors[j])}`);
            showTooltip(u, frame.tooltip, lines);
          },
        ],
      },
    },
    data as uPlot.AlignedData,
    frame.plot,
  );
  frame.attach(plot, full);
  return { frame, plot, aligned: a };
}

/** The legend below a response chart. */
export function responseLegend(ensembles: EnsembleCurves[], withObservations: boolean): HTMLElement {
  return h(
    "ul",
    { class: "legend" },
    ensembles.map((e) =>
      h(
        "li",
        {},
        swatch(e.colour),
        `${e.name}: realizations (thin), mean (thick), P10–P90 band (shaded)`,
      ),
    ),
    withObservations ? h("li", {}, h("span", { class: "swatch obs", "aria-hidden": "true" }), "observations ± error") : null,
  );
}
