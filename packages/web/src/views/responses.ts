// Responses: every realization over the response's labels, mean and P10-P90, for this
// ensemble and the one it is compared with, with the observations and error bars.
import { ErtStorageError, readMatrix, readMatrixCsv, readResponses, unwrap, type Label, type Matrix } from "@ert-storage/sdk";
import { api } from "../api";
import { responseChart, responseLegend, type ObservedPoints } from "../charts/responses";
import { fmt, h, mount } from "../dom";
import { link } from "../router";
import { comparison, compareControl, ensembleHeader, loadEnsemble, type ViewContext } from "./context";

let firstPlotMarked = false;

/**
 * All realizations of a response. The numbers come as NPY (every realization's record
 * stacked by the server; several times faster to produce and parse than CSV for big
 * ensembles) with the labels from /labels; when the realizations' labels differ (the
 * stacked columns are then their union) the CSV frame says which column is which.
 * An ensemble-wide response matrix comes the same way.
 */
async function responseFrame(ensembleId: string, name: string): Promise<Matrix> {
  const fast = await readMatrix(api(), ensembleId, name);
  if (fast.columns !== null && fast.shape.length === 2) return fast;
  try {
    return await readResponses(api(), ensembleId, name);
  } catch (error) {
    if (error instanceof ErtStorageError && error.status === 404) return readMatrixCsv(api(), ensembleId, name);
    throw error;
  }
}

function unitOf(userdata: unknown): string | null {
  const u = userdata as { unit?: unknown; units?: unknown } | null;
  const unit = u?.unit ?? u?.units;
  return typeof unit === "string" && unit ? unit : null;
}

export async function responsesView(ctx: ViewContext, id: string, name: string | undefined): Promise<void> {
  const client = api();
  // this ensemble's data starts loading at once; the other one's once the lineage is known
  const own = name ? responseFrame(id, name).catch((error: unknown) => error as Error) : null;
  const lists = Promise.all([
    unwrap(client.GET("/ensembles/{ensemble_id}/responses", { params: { path: { ensemble_id: id } } })),
    unwrap(client.GET("/ensembles/{ensemble_id}/observations", { params: { path: { ensemble_id: id } } })),
  ]);
  lists.catch(() => undefined);
  const summary = await loadEnsemble(id);
  if (!ctx.current()) return;
  if (!name) {
    if (summary.responseNames.length) location.replace(link(["ensemble", id, "responses", summary.responseNames[0]], Object.fromEntries(ctx.route.query)));
    else mount(ctx.main, ensembleHeader(summary, "responses"), h("p", {}, "This ensemble has no responses."));
    return;
  }
  const c = comparison(summary, ctx.route);
  const [[records, observations], ...frames] = await Promise.all([
    lists,
    ...c.ids.map((e) => (e === id ? own! : responseFrame(e, name).catch((error: unknown) => error as Error))),
  ]);
  if (!ctx.current()) return;
  performance.mark("ert:response-data");
  const record = records[name];
  const linked = record ? observations.filter((o) => o.records?.includes(record.id)) : [];
  const obs: ObservedPoints | null = linked.length
    ? {
        name: linked.map((o) => o.name).join(", "),
        xAxis: linked.flatMap((o) => o.x_axis as Label[]),
        values: linked.flatMap((o) => o.values),
        errors: linked.flatMap((o) => o.errors),
      }
    : null;
  const unit = unitOf(record?.userdata);
  const shown = c.ids.map((eid, i) => ({ eid, name: c.names[i], colour: c.colours[i], frame: frames[i] }));
  const drawable = shown.filter((s): s is typeof s & { frame: Matrix } => !(s.frame instanceof Error));
  const failed = shown.filter((s) => s.frame instanceof Error);

  const chartHost = h("div", { class: "chart-host" });
  mount(
    ctx.main,
    ensembleHeader(summary, "responses", name),
    h("h1", {}, `Response ${name}`),
    h(
      "div",
      { class: "controls" },
      h(
        "p",
        { class: "control" },
        h("label", { for: "response" }, "Response "),
        (() => {
          const select = h("select", { id: "response" }, summary.responseNames.map((n) => h("option", { value: n, selected: n === name }, n)));
          select.addEventListener("change", () => (location.hash = link(["ensemble", id, "responses", select.value], Object.fromEntries(ctx.route.query))));
          return select;
        })(),
      ),
      compareControl(summary, c, (compare) => link(["ensemble", id, "responses", name], { compare })),
    ),
    failed.map((s) => h("p", { class: "error", role: "alert" }, `${s.name}: ${(s.frame as Error).message}`)),
    chartHost,
  );
  if (drawable.length === 0) return;
  const chart = responseChart(
    chartHost,
    `${name}${unit ? ` [${unit}]` : ""}: ${drawable.map((d) => `${d.name}, ${d.frame.shape[0]} realizations`).join(" vs ")}`,
    unit ? `${name} [${unit}]` : name,
    drawable.map((d) => ({ name: d.name, colour: d.colour, frame: d.frame })),
    obs,
    () => {
      if (firstPlotMarked) return;
      firstPlotMarked = true;
      performance.mark("ert:first-response-plot");
    },
  );
  chartHost.append(responseLegend(drawable, obs !== null));
  if (obs && chart.aligned.obs) {
    const a = chart.aligned;
    chartHost.append(
      h("h2", {}, `Observations: ${obs.name}`),
      h(
        "table",
        { class: "data", "data-testid": "observations" },
        h(
          "thead",
          {},
          h("tr", {}, h("th", { scope: "col" }, "Label"), h("th", { scope: "col" }, "Observed"), h("th", { scope: "col" }, "Error"), drawable.map((d) => h("th", { scope: "col" }, `Mean of ${d.name}`))),
        ),
        h(
          "tbody",
          {},
          a.obs!.at.map((i, j) =>
            h("tr", {}, h("td", {}, String(obs.xAxis[j])), h("td", { class: "num" }, fmt(obs.values[j])), h("td", { class: "num" }, fmt(obs.errors[j])), a.stats.map((s) => h("td", { class: "num" }, fmt(s.mean[i])))),
          ),
        ),
      ),
    );
  } else if (!obs) chartHost.append(h("p", { class: "muted" }, "No observations are linked to this response."));
}
