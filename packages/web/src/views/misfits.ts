// Misfits per realization (summary misfits from /compute/misfits), sorted.
import { computeMisfits, unwrap } from "@ert-storage/sdk";
import { api } from "../api";
import { misfitChart } from "../charts/bars";
import { errorBox, fmt, h, mount } from "../dom";
import { link } from "../router";
import { ensembleHeader, loadEnsemble, type ViewContext } from "./context";

export async function misfitsView(ctx: ViewContext, id: string, name: string | undefined): Promise<void> {
  const client = api();
  const [summary, responses] = await Promise.all([
    loadEnsemble(id),
    unwrap(client.GET("/ensembles/{ensemble_id}/responses", { params: { path: { ensemble_id: id } } })),
  ]);
  if (!ctx.current()) return;
  const observed = Object.values(responses)
    .filter((r) => r.has_observations)
    .map((r) => r.name);
  if (!name && observed.length) {
    location.replace(link(["ensemble", id, "misfits", observed[0]]));
    return;
  }
  const header = [ensembleHeader(summary, "misfits"), h("h1", {}, name ? `Misfits of ${name}` : "Misfits")];
  if (!name) {
    mount(ctx.main, header, h("p", {}, "No response of this ensemble is linked to an observation, so it has no misfits."));
    return;
  }
  const select = h("select", { id: "misfit-response" }, observed.map((n) => h("option", { value: n, selected: n === name }, n)));
  select.addEventListener("change", () => (location.hash = link(["ensemble", id, "misfits", select.value])));
  const host = h("div", { class: "chart-host" });
  mount(ctx.main, header, h("div", { class: "controls" }, h("p", { class: "control" }, h("label", { for: "misfit-response" }, "Response "), select)), host);
  let frame;
  try {
    frame = await computeMisfits(client, id, name, { summary: true });
  } catch (error) {
    host.append(errorBox(error));
    return;
  }
  if (!ctx.current()) return;
  const order = Array.from(frame.data, (v, i) => ({ realization: Number(frame.index?.[i] ?? i), misfit: v })).sort((a, b) => a.misfit - b.misfit);
  misfitChart(
    host,
    `Summary misfit of ${name} per realization, ${order.length} realizations, sorted`,
    order.map((o) => o.realization),
    order.map((o) => o.misfit),
  );
  host.append(
    h(
      "div",
      { class: "scroll", tabindex: 0, role: "region", "aria-label": "Misfits per realization" },
      h(
      "table",
      { class: "data", "data-testid": "misfits" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Rank"), h("th", { scope: "col" }, "Realization"), h("th", { scope: "col" }, "Misfit"))),
      h(
        "tbody",
        {},
        order.map((o, i) => h("tr", {}, h("td", { class: "num" }, i + 1), h("td", { class: "num" }, o.realization), h("td", { class: "num" }, fmt(o.misfit)))),
      ),
      ),
    ),
  );
}
