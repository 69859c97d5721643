// The experiments, and one experiment's ensembles as a lineage tree.
import { experimentEnsembles, unwrap, type LineageEnsemble } from "@ert-storage/sdk";
import { api } from "../api";
import { h, mount, shortId, when } from "../dom";
import { link } from "../router";
import type { ViewContext } from "./context";

export async function experimentsView(ctx: ViewContext): Promise<void> {
  const experiments = await unwrap(api().GET("/experiments"));
  if (!ctx.current()) return;
  mount(
    ctx.main,
    h("h1", {}, "Experiments"),
    experiments.length === 0
      ? h("p", {}, "No experiments yet. ERT writes them here when it runs with this storage server.")
      : h(
          "table",
          { class: "data", "data-testid": "experiments" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Ensembles"), h("th", { scope: "col" }, "Priors"), h("th", { scope: "col" }, "Id"))),
          h(
            "tbody",
            {},
            experiments.map((e) =>
              h(
                "tr",
                {},
                h("td", {}, h("a", { href: link(["experiment", e.id]) }, e.name)),
                h("td", { class: "num" }, e.ensemble_ids.length),
                h("td", { class: "num" }, Object.keys(e.priors ?? {}).length),
                h("td", {}, h("code", {}, e.id)),
              ),
            ),
          ),
        ),
  );
}

export async function experimentView(ctx: ViewContext, id: string): Promise<void> {
  const client = api();
  const [experiment, ensembles] = await Promise.all([
    unwrap(client.GET("/experiments/{experiment_id}", { params: { path: { experiment_id: id } } })),
    experimentEnsembles(client, id),
  ]);
  if (!ctx.current()) return;
  const byParent = new Map<string | null, LineageEnsemble[]>();
  const ids = new Set(ensembles.map((e) => e.id));
  for (const e of ensembles) {
    const parent = e.parent && ids.has(e.parent.ensembleReferenceId) ? e.parent.ensembleReferenceId : null;
    byParent.set(parent, [...(byParent.get(parent) ?? []), e]);
  }
  const node = (e: LineageEnsemble): HTMLElement =>
    h(
      "li",
      {},
      e.parent
        ? h(
            "div",
            { class: "edge", "data-testid": "update" },
            h("span", { class: "arrow", "aria-hidden": "true" }, "↳ "),
            `update ${e.parent.algorithm}`,
            h("span", { class: "muted" }, ` · ${when(e.timeCreated)} · update ${shortId(e.parent.updateId)}`),
          )
        : null,
      h(
        "div",
        { class: "node", "data-testid": "ensemble" },
        h("a", { href: link(["ensemble", e.id]) }, h("strong", {}, `Ensemble ${shortId(e.id)}`)),
        h("span", { class: "muted" }, ` · ${e.size < 0 ? "unknown size" : `${e.size} realizations`} · ${e.parameterNames.length} parameters · ${e.responseNames.length} responses · created ${when(e.timeCreated)}`),
        h(
          "span",
          { class: "links" },
          e.responseNames.length ? h("a", { href: link(["ensemble", e.id, "responses", e.responseNames[0]]) }, "responses") : null,
          h("a", { href: link(["ensemble", e.id, "parameters"]) }, "parameters"),
          h("a", { href: link(["ensemble", e.id, "misfits"]) }, "misfits"),
          h("a", { href: link(["ensemble", e.id, "records"]) }, "records"),
        ),
      ),
      byParent.has(e.id) ? h("ul", {}, byParent.get(e.id)!.map(node)) : null,
    );
  const priors = Object.entries(experiment.priors ?? {});
  mount(
    ctx.main,
    h("nav", { "aria-label": "Breadcrumbs", class: "crumbs" }, h("a", { href: link([]) }, "Experiments"), " / ", h("span", {}, experiment.name)),
    h("h1", {}, experiment.name),
    h("h2", {}, "Ensembles and the updates between them"),
    ensembles.length === 0 ? h("p", {}, "No ensembles yet.") : h("ul", { class: "tree", "data-testid": "lineage" }, (byParent.get(null) ?? []).map(node)),
    h("h2", {}, "Priors"),
    priors.length === 0
      ? h("p", {}, "This experiment holds no priors.")
      : h(
          "table",
          { class: "data" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Distribution"), h("th", { scope: "col" }, "Arguments"))),
          h(
            "tbody",
            {},
            priors.map(([name, p]) => {
              const { function: fn, ...args } = p as { function: string } & Record<string, unknown>;
              return h(
                "tr",
                {},
                h("td", {}, name),
                h("td", {}, fn),
                h("td", {}, Object.entries(args).map(([k, v]) => `${k} = ${v}`).join(", ")),
              );
            }),
          ),
        ),
  );
}
