// Misfits per realization as bars, sorted from best to worst.
import uPlot from "uplot";
import { fmt } from "../dom";
import { OKABE_ITO, withAlpha } from "../palette";
import { axis, chartFrame, showTooltip, type ChartFrame } from "./common";

export function misfitChart(host: HTMLElement, title: string, realizations: number[], misfits: number[]): { frame: ChartFrame; plot: uPlot } {
  const frame = chartFrame(title, "Summary misfit of each realization, sorted from the smallest.");
  host.append(frame.root);
  const ranks = Float64Array.from(misfits, (_, i) => i + 1);
  const full = () => ({ min: 0.5, max: misfits.length + 0.5 });
  const plot = new uPlot(
    {
      width: Math.max(320, frame.plot.clientWidth || 900),
      height: 360,
      legend: { show: false },
      cursor: { points: { show: false }, drag: { x: true, y: false } },
      scales: { x: { time: false, range: (u, min, max) => (u.status ? [min, max] : [full().min, full().max]) }, y: { range: (_u, _min, max) => [0, (max || 1) * 1.05] } },
      axes: [axis("rank (realization sorted by misfit)"), axis("summary misfit (sum of |misfit|)", { size: 80 })],
      series: [
        {},
        {
          label: "misfit",
          stroke: OKABE_ITO.bluishGreen,
          fill: withAlpha(OKABE_ITO.bluishGreen, 0.6),
          paths: uPlot.paths.bars!({ size: [0.85, 40], align: 0 }),
          points: { show: false },
        },
      ],
      hooks: {
        setCursor: [
          (u) => {
            const i = u.cursor.idx;
            if (i === null || i === undefined) return void (frame.tooltip.hidden = true);
            showTooltip(u, frame.tooltip, [`rank ${i + 1}`, `realization ${realizations[i]}`, `misfit ${fmt(misfits[i])}`]);
          },
        ],
      },
    },
    [ranks, Float64Array.from(misfits)] as uPlot.AlignedData,
    frame.plot,
  );
  frame.attach(plot, full);
  return { frame, plot };
}
