// Histograms of one parameter column for one or two ensembles on shared bins, as
// densities, with the prior's density curve where the experiment holds one.
import uPlot from "uplot";
import { fmt, h, swatch } from "../dom";
import { PRIOR_DENSITY_COLOUR, withAlpha } from "../palette";
import type { PriorCurve } from "../priors";
import { histogram } from "../stats";
import { axis, chartFrame, showTooltip, type ChartFrame } from "./common";

export interface Sample {
  name: string;
  colour: string;
  values: Float64Array;
}

export function histogramChart(host: HTMLElement, title: string, xLabel: string, samples: Sample[], prior: PriorCurve | null): { frame: ChartFrame; plot: uPlot } {
  const frame = chartFrame(title, `Histograms of ${samples.map((s) => s.name).join(" and ")} as densities${prior?.pdf ? ", with the prior's density" : ""}.`);
  host.append(frame.root);
  const bins = histogram(samples.map((s) => s.values));
  const k = bins.edges.length - 1;
  const width = bins.edges[1] - bins.edges[0];
  const densities = bins.counts.map((c, i) => {
    const n = samples[i].values.filter(Number.isFinite).length || 1;
    return c.map((v) => v / (n * width));
  });
  let lo = bins.edges[0], hi = bins.edges[k];
  if (prior) {
    const [a, b] = prior.support;
    if (Number.isFinite(a) && Number.isFinite(b) && b - a < 50 * (hi - lo)) {
      lo = Math.min(lo, a);
      hi = Math.max(hi, b);
    }
  }
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const G = 241;
  const xs = Float64Array.from({ length: G }, (_, i) => lo + ((hi - lo) * i) / (G - 1));
  const curve: (number | null)[] = prior?.pdf ? Array.from(xs, (x) => prior.pdf!(x)) : new Array(G).fill(null);
  let ymax = 0;
  for (const d of densities) for (const v of d) ymax = Math.max(ymax, v);
  for (const v of curve) if (v !== null && Number.isFinite(v)) ymax = Math.max(ymax, Math.min(v, ymax * 3 || v));

  const drawBars = (u: uPlot) => {
    const ctx = u.ctx;
    ctx.save();
    samples.forEach((s, j) => {
      ctx.fillStyle = withAlpha(s.colour, 0.45);
      ctx.strokeStyle = s.colour;
      ctx.lineWidth = devicePixelRatio;
      for (let b = 0; b < k; b++) {
        if (!densities[j][b]) continue;
        const x0 = u.valToPos(bins.edges[b], "x", true);
        const x1 = u.valToPos(bins.edges[b + 1], "x", true);
        const y = u.valToPos(densities[j][b], "y", true);
        const y0 = u.valToPos(0, "y", true);
        ctx.fillRect(x0, y, x1 - x0, y0 - y);
        ctx.strokeRect(x0, y, x1 - x0, y0 - y);
      }
    });
    if (prior && prior.at !== undefined) {
      const x = u.valToPos(prior.at, "x", true);
      ctx.strokeStyle = PRIOR_DENSITY_COLOUR;
      ctx.lineWidth = 2 * devicePixelRatio;
      ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
      ctx.beginPath();
      ctx.moveTo(x, u.bbox.top);
      ctx.lineTo(x, u.bbox.top + u.bbox.height);
      ctx.stroke();
    }
    ctx.restore();
  };

  const plot = new uPlot(
    {
      width: Math.max(300, Math.min(520, frame.plot.clientWidth || 460)),
      height: 260,
      legend: { show: false },
      cursor: { points: { show: false }, drag: { x: true, y: false } },
      scales: { x: { time: false, range: () => [lo, hi] }, y: { range: () => [0, ymax * 1.08 || 1] } },
      axes: [axis(xLabel), axis("density", { size: 60 })],
      series: [{}, { label: "prior density", stroke: PRIOR_DENSITY_COLOUR, width: 2, dash: [6, 4], points: { show: false } }],
      hooks: {
        drawAxes: [drawBars],
        setCursor: [
          (u) => {
            const { left } = u.cursor;
            if (left === undefined || left < 0) return void (frame.tooltip.hidden = true);
            const x = u.posToVal(left, "x");
            const b = Math.floor((x - bins.edges[0]) / width);
            const lines = [`value ${fmt(x)}`];
            if (b >= 0 && b < k) {
              lines.push(`bin ${fmt(bins.edges[b])} to ${fmt(bins.edges[b + 1])}`);
              samples.forEach((s, j) => lines.push(`${s.name}: ${bins.counts[j][b]} realizations`));
            }
            if (prior?.pdf) lines.push(`prior density ${fmt(prior.pdf(x))}`);
            showTooltip(u, frame.tooltip, lines);
          },
        ],
      },
    },
    [xs, curve] as uPlot.AlignedData,
    frame.plot,
  );
  frame.attach(plot, () => ({ min: lo, max: hi }));
  return { frame, plot };
}

export function histogramLegend(samples: { name: string; colour: string }[], prior: PriorCurve | null): HTMLElement {
  return h(
    "ul",
    { class: "legend" },
    samples.map((s) => h("li", {}, swatch(s.colour), s.name)),
    prior ? h("li", {}, swatch(PRIOR_DENSITY_COLOUR), `prior: ${prior.describe}${prior.at !== undefined ? " (a constant: dashed line)" : ""}`) : null,
  );
}
