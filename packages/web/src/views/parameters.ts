// Parameters: a histogram per parameter column, this ensemble against the one it is
// compared with (prior vs posterior across an update), with the prior's density.
import { parameterPriors, readMatrix, unwrap, type Label, type Matrix } from "@ert-storage/sdk";
import { api } from "../api";
import { histogramChart, histogramLegend } from "../charts/histogram";
import { fmt, h, mount } from "../dom";
import { priorCurve, type Prior } from "../priors";
import { link } from "../router";
import { summary as describe } from "../stats";
import { comparison, compareControl, ensembleHeader, loadEnsemble, type ViewContext } from "./context";

function columnOf(m: Matrix, c: number): Float64Array {
  const cols = m.shape.length > 1 ? m.shape[m.shape.length - 1] : 1;
  const rows = m.data.length / cols;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) out[r] = m.data[r * cols + c];
  return out;
}

export async function parametersView(ctx: ViewContext, id: string): Promise<void> {
  const client = api();
  const summary = await loadEnsemble(id);
  if (!ctx.current()) return;
  const c = comparison(summary, ctx.route);
  const [experiment, linkedPriors, ...lists] = await Promise.all([
    unwrap(client.GET("/experiments/{experiment_id}", { params: { path: { experiment_id: summary.experiment.id } } })),
    parameterPriors(client, id),
    ...c.ids.map((e) => unwrap(client.GET("/ensembles/{ensemble_id}/parameters", { params: { path: { ensemble_id: e } } }))),
  ]);
  if (!ctx.current()) return;
  const names = lists[c.ids.indexOf(id)].map((p) => p.name);
  // every parameter of every ensemble shown, as NPY, labels known from /parameters
  const matrices = await Promise.all(
    c.ids.map((e, i) =>
      Promise.all(
        names.map((n) => {
          const listed = lists[i].find((p) => p.name === n);
          return listed ? readMatrix(client, e, n, { labels: listed.labels as Label[] }).catch(() => null) : Promise.resolve(null);
        }),
      ),
    ),
  );
  if (!ctx.current()) return;
  const experimentPriors = (experiment.priors ?? {}) as Record<string, Prior>;
  const grid = h("div", { class: "grid" });
  const table = h("tbody", {});
  mount(
    ctx.main,
    ensembleHeader(summary, "parameters"),
    h("h1", {}, "Parameters"),
    h("div", { class: "controls" }, compareControl(summary, c, (compare) => link(["ensemble", id, "parameters"], { compare }))),
    names.length === 0 ? h("p", {}, "This ensemble has no parameters.") : null,
    grid,
    names.length
      ? h(
          "section",
          {},
          h("h2", {}, "Summary"),
          h(
            "table",
            { class: "data", "data-testid": "parameter-summary" },
            h(
              "thead",
              {},
              h("tr", {}, h("th", { scope: "col" }, "Parameter"), c.names.flatMap((n) => [h("th", { scope: "col" }, `Mean of ${n}`), h("th", { scope: "col" }, `Std of ${n}`)]), h("th", { scope: "col" }, "Prior")),
            ),
            table,
          ),
        )
      : null,
  );
  names.forEach((name, p) => {
    const own = matrices[c.ids.indexOf(id)][p];
    if (!own) return;
    const cols = own.shape.length > 1 ? own.shape[own.shape.length - 1] : 1;
    for (let col = 0; col < cols; col++) {
      const label = own.columns?.[col];
      const title = cols > 1 || (label !== undefined && label !== 0) ? `${name}:${label ?? col}` : name;
      const samples = c.ids
        .map((_, i) => {
          const m = matrices[i][p];
          if (!m) return null;
          const mc = m.columns && label !== undefined ? m.columns.indexOf(label) : col;
          return mc < 0 ? null : { name: c.names[i], colour: c.colours[i], values: columnOf(m, mc) };
        })
        .filter((s): s is { name: string; colour: string; values: Float64Array } => s !== null);
      const spec = linkedPriors[name] ?? experimentPriors[title] ?? (label !== undefined ? experimentPriors[String(label)] : undefined) ?? (cols === 1 ? experimentPriors[name] : undefined);
      const prior = spec ? priorCurve(spec as Prior) : null;
      const cell = h("div", { class: "cell" });
      grid.append(cell);
      histogramChart(cell, title, title, samples, prior);
      cell.append(histogramLegend(samples, prior));
      table.append(
        h(
          "tr",
          {},
          h("th", { scope: "row" }, title),
          c.ids.flatMap((_, i) => {
            const s = samples.find((x) => x.name === c.names[i]);
            const d = s ? describe(s.values) : null;
            return [h("td", { class: "num" }, fmt(d?.mean)), h("td", { class: "num" }, fmt(d?.std))];
          }),
          h("td", {}, prior?.describe ?? "–"),
        ),
      );
    }
  });
}
