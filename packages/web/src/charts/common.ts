// What every chart shares: axes with labels, a focusable frame with keyboard zoom and pan,
// wheel zoom, zoom buttons, a tooltip box and resizing with its container.
import uPlot from "uplot";
import { h } from "../dom";

export const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
export const LABEL_FONT = 'bold 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

export function axis(label: string, extra: Partial<uPlot.Axis> = {}): uPlot.Axis {
  return {
    label,
    labelFont: LABEL_FONT,
    font: FONT,
    stroke: "#222",
    grid: { stroke: "rgba(0,0,0,0.08)", width: 1 },
    ticks: { stroke: "rgba(0,0,0,0.25)", width: 1, size: 5 },
    ...extra,
  };
}

export interface ChartFrame {
  /** the focusable element holding the chart */
  root: HTMLElement;
  /** where uPlot goes */
  plot: HTMLElement;
  tooltip: HTMLElement;
  /** wires the keys, wheel and buttons to a plot once it exists */
  attach(u: uPlot, full: () => { min: number; max: number }): void;
}

/** A chart's frame: title, toolbar, plot area, tooltip; keyboard usable. */
export function chartFrame(title: string, description: string): ChartFrame {
  const plot = h("div", { class: "plot" });
  const tooltip = h("div", { class: "tooltip", role: "status", "aria-live": "polite", "data-testid": "tooltip", hidden: true });
  const buttons = {
    zoomIn: h("button", { type: "button", "aria-keyshortcuts": "+", title: "Zoom in (+)" }, "Zoom in"),
    zoomOut: h("button", { type: "button", "aria-keyshortcuts": "-", title: "Zoom out (−)" }, "Zoom out"),
    reset: h("button", { type: "button", "aria-keyshortcuts": "0", title: "Reset zoom (0 or Escape)" }, "Reset zoom"),
  };
  const root = h(
    "figure",
    { class: "chart" },
    h("figcaption", {}, h("span", { class: "chart-title" }, title), h("span", { class: "toolbar" }, buttons.zoomIn, buttons.zoomOut, buttons.reset)),
    h(
      "div",
      {
        class: "plot-frame",
        tabindex: 0,
        role: "group",
        "aria-label": `${title}. ${description} Keys: arrows pan, + and − zoom, 0 or Escape resets the zoom.`,
      },
      plot,
      tooltip,
    ),
  );
  const frameEl = root.querySelector(".plot-frame") as HTMLElement;
  return {
    root,
    plot,
    tooltip,
    attach(u, full) {
      const zoom = (factor: number, centre?: number) => {
        const { min, max } = u.scales.x as { min: number; max: number };
        const c = centre ?? (min + max) / 2;
        u.setScale("x", { min: c - (c - min) * factor, max: c + (max - c) * factor });
      };
      const pan = (fraction: number) => {
        const { min, max } = u.scales.x as { min: number; max: number };
        const d = (max - min) * fraction;
        u.setScale("x", { min: min + d, max: max + d });
      };
      const reset = () => u.setScale("x", full());
      buttons.zoomIn.addEventListener("click", () => zoom(0.5));
      buttons.zoomOut.addEventListener("click", () => zoom(2));
      buttons.reset.addEventListener("click", reset);
      frameEl.addEventListener("keydown", (e) => {
        const actions: Record<string, () => void> = {
          "+": () => zoom(0.5),
          "=": () => zoom(0.5),
          "-": () => zoom(2),
          _: () => zoom(2),
          "0": reset,
          Escape: reset,
          Home: reset,
          ArrowLeft: () => pan(-0.1),
          ArrowRight: () => pan(0.1),
        };
        const action = actions[e.key];
        if (action && !e.ctrlKey && !e.metaKey && !e.altKey) {
          e.preventDefault();
          action();
        }
      });
      // wheel zoom around the pointer, at most once a frame
      let pending: { factor: number; at: number } | null = null;
      u.over.addEventListener(
        "wheel",
        (e) => {
          e.preventDefault();
          const at = u.posToVal(e.offsetX, "x");
          const factor = e.deltaY < 0 ? 0.8 : 1.25;
          if (pending) pending.factor *= factor;
          else {
            pending = { factor, at };
            requestAnimationFrame(() => {
              if (pending) zoom(pending.factor, pending.at);
              pending = null;
            });
          }
        },
        { passive: false },
      );
      u.over.addEventListener("mouseleave", () => (tooltip.hidden = true));
      const resize = new ResizeObserver(() => {
        const width = Math.max(320, plot.clientWidth);
        if (Math.abs(width - u.width) > 2) u.setSize({ width, height: u.height });
      });
      resize.observe(plot);
    },
  };
}

/** Places the tooltip beside the cursor inside the plot frame. */
export function showTooltip(u: uPlot, tooltip: HTMLElement, lines: (string | Node)[]): void {
  const { left, top } = u.cursor;
  if (left === undefined || top === undefined || left < 0) {
    tooltip.hidden = true;
    return;
  }
  tooltip.replaceChildren(...lines.map((l) => (typeof l === "string" ? Object.assign(document.createElement("div"), { textContent: l }) : l)));
  tooltip.hidden = false;
  const overLeft = u.over.offsetLeft;
  const overTop = u.over.offsetTop;
  const x = overLeft + left + 14;
  const flip = x + tooltip.offsetWidth > u.root.clientWidth;
  tooltip.style.left = `${flip ? overLeft + left - tooltip.offsetWidth - 14 : x}px`;
  tooltip.style.top = `${overTop + Math.max(0, top - tooltip.offsetHeight / 2)}px`;
}

/** Width for a new chart in `container`. */
export function widthOf(el: HTMLElement): number {
  return Math.max(320, Math.min(1400, el.clientWidth || 900));
}
