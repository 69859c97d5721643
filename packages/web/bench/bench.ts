// Draws R realizations x N points with each candidate library in the page's canvas and
// reports how long the first draw and a zoom redraw take. Driven by run.mjs in Chromium.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import * as echarts from "echarts";

interface Result {
  library: string;
  firstDrawMs: number;
  zoomRedrawMs: number;
  inkedPixels: number;
}

const frame = () => new Promise<void>((r) => requestAnimationFrame(() => r()));

/** Smooth random-walk curves, deterministic. */
function curves(R: number, N: number): { x: Float64Array; ys: Float64Array[] } {
  let seed = 42;
  const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 4294967296);
  const x = new Float64Array(N);
  for (let i = 0; i < N; i++) x[i] = i;
  const ys: Float64Array[] = [];
  for (let r = 0; r < R; r++) {
    const y = new Float64Array(N);
    const scale = 0.5 + rand();
    let v = 0;
    for (let i = 0; i < N; i++) {
      v += (rand() - 0.5) * 0.2;
      y[i] = scale * Math.sin(i / 200) * 100 + v * 10;
    }
    ys.push(y);
  }
  return { x, ys };
}

function inked(container: HTMLElement): number {
  let count = 0;
  for (const canvas of Array.from(container.querySelectorAll("canvas"))) {
    const ctx = canvas.getContext("2d");
    if (!ctx || canvas.width === 0) continue;
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) count++;
  }
  return count;
}

function container(): HTMLElement {
  const old = document.getElementById("chart")!;
  const fresh = old.cloneNode(false) as HTMLElement;
  old.replaceWith(fresh);
  return fresh;
}

/** uPlot, one series per realization, its own path builder and pixel decimation. */
async function benchUplot(R: number, N: number): Promise<Result> {
  const { x, ys } = curves(R, N);
  const el = container();
  const t0 = performance.now();
  let drawn = 0;
  const plot = new uPlot(
    {
      width: 1200,
      height: 600,
      legend: { show: false },
      cursor: { points: { show: false }, drag: { x: true, y: false } },
      scales: { x: { time: false } },
      series: [{}, ...ys.map(() => ({ stroke: "rgba(0,114,178,0.25)", width: 1, points: { show: false } }))],
      hooks: { draw: [() => (drawn = performance.now())] },
    },
    [x, ...ys] as uPlot.AlignedData,
    el,
  );
  await frame();
  const firstDrawMs = (drawn || performance.now()) - t0;
  const zoomRedrawMs = await timeZooms(N, (a, b) => plot.setScale("x", { min: a, max: b }));
  const pixels = inked(el);
  plot.destroy();
  return { library: "uPlot 1.6", firstDrawMs, zoomRedrawMs, inkedPixels: pixels };
}

/** uPlot drawing only the axes and the mean; realizations drawn in one draw hook as one path. */
async function benchUplotHook(R: number, N: number): Promise<Result> {
  const { x, ys } = curves(R, N);
  const el = container();
  const t0 = performance.now();
  let drawn = 0;
  const mean = new Float64Array(N);
  for (const y of ys) for (let i = 0; i < N; i++) mean[i] += y[i] / R;
  const drawRealizations = (u: uPlot) => {
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    const x0 = u.scales.x.min!, x1 = u.scales.x.max!, y0 = u.scales.y.min!, y1 = u.scales.y.max!;
    const sx = width / (x1 - x0), sy = height / (y1 - y0);
    const lo = Math.max(0, Math.floor(x0)), hi = Math.min(N - 1, Math.ceil(x1));
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    ctx.strokeStyle = "rgba(0,114,178,0.25)";
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (const y of ys) {
      ctx.moveTo(left + (x[lo] - x0) * sx, top + (y1 - y[lo]) * sy);
      for (let i = lo + 1; i <= hi; i++) ctx.lineTo(left + (x[i] - x0) * sx, top + (y1 - y[i]) * sy);
    }
    ctx.stroke();
    ctx.restore();
    drawn = performance.now();
  };
  let ymin = Infinity, ymax = -Infinity;
  for (const y of ys) for (let i = 0; i < N; i++) {
    if (y[i] < ymin) ymin = y[i];
    if (y[i] > ymax) ymax = y[i];
  }
  const plot = new uPlot(
    {
      width: 1200,
      height: 600,
      legend: { show: false },
      cursor: { points: { show: false } },
      scales: { x: { time: false }, y: { range: () => [ymin, ymax] } },
      series: [{}, { stroke: "#000", width: 2 }],
      hooks: { drawClear: [drawRealizations] },
    },
    [x, mean] as uPlot.AlignedData,
    el,
  );
  await frame();
  const firstDrawMs = (drawn || performance.now()) - t0;
  const zoomRedrawMs = await timeZooms(N, (a, b) => plot.setScale("x", { min: a, max: b }));
  const pixels = inked(el);
  plot.destroy();
  return { library: "uPlot 1.6 + one-path hook", firstDrawMs, zoomRedrawMs, inkedPixels: pixels };
}

/** ECharts, canvas renderer, one line series per realization, no animation or symbols. */
async function benchEcharts(R: number, N: number): Promise<Result> {
  const { x, ys } = curves(R, N);
  const el = container();
  const t0 = performance.now();
  const chart = echarts.init(el, undefined, { renderer: "canvas", width: 1200, height: 600 });
  const finished = () => new Promise<void>((resolve) => chart.on("finished", () => resolve()));
  const done = finished();
  chart.setOption({
    animation: false,
    xAxis: { type: "value", min: 0, max: N - 1 },
    yAxis: { type: "value", scale: true },
    dataZoom: [{ type: "inside", filterMode: "none" }],
    series: ys.map((y) => ({
      type: "line",
      showSymbol: false,
      silent: true,
      sampling: "lttb",
      progressive: 0,
      lineStyle: { width: 1, color: "rgba(0,114,178,0.25)" },
      data: Array.from(y, (v, i) => [x[i], v]),
    })),
  });
  await done;
  const firstDrawMs = performance.now() - t0;
  chart.off("finished");
  const zoomRedrawMs = await timeZooms(N, async (a, b) => {
    const next = finished();
    chart.dispatchAction({ type: "dataZoom", startValue: a, endValue: b });
    await next;
  });
  const pixels = inked(el);
  chart.dispose();
  return { library: "ECharts 6", firstDrawMs, zoomRedrawMs, inkedPixels: pixels };
}

/** Mean time of eight zoom steps into the middle and back out. */
async function timeZooms(N: number, zoom: (a: number, b: number) => unknown): Promise<number> {
  const spans = [0.8, 0.6, 0.4, 0.2, 0.1, 0.3, 0.7, 1];
  const t0 = performance.now();
  for (const s of spans) {
    const mid = N / 2;
    await zoom(mid - (s * N) / 2, mid + (s * N) / 2);
    await frame();
  }
  return (performance.now() - t0) / spans.length;
}

const BENCHES: Record<string, (R: number, N: number) => Promise<Result>> = {
  uplot: benchUplot,
  "uplot-hook": benchUplotHook,
  echarts: benchEcharts,
};

(window as unknown as { runBench: unknown }).runBench = (name: string, R: number, N: number) => BENCHES[name](R, N);
