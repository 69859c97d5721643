// What every ensemble view shares: the ensemble with its lineage, the breadcrumbs and
// tabs, and the choice of a second ensemble to compare with (prior vs posterior).
import { ensembleSummary, type EnsembleSummary } from "@ert-storage/sdk";
import { api } from "../api";
import { h, shortId } from "../dom";
import { ENSEMBLE_COLOURS } from "../palette";
import { link, type Route } from "../router";

export interface ViewContext {
  main: HTMLElement;
  route: Route;
  /** false once the user has moved on; a view stops drawing then */
  current(): boolean;
}

export type Tab = "overview" | "responses" | "parameters" | "misfits" | "records";

export async function loadEnsemble(id: string): Promise<EnsembleSummary> {
  return ensembleSummary(api(), id);
}

export function ensembleHeader(summary: EnsembleSummary, tab: Tab, responseName?: string): HTMLElement {
  const tabs: [Tab, string, string][] = [
    ["overview", "Overview", link(["ensemble", summary.id])],
    ["responses", "Responses", link(["ensemble", summary.id, "responses", ...(responseName ? [responseName] : summary.responseNames.slice(0, 1))])],
    ["parameters", "Parameters", link(["ensemble", summary.id, "parameters"])],
    ["misfits", "Misfits", link(["ensemble", summary.id, "misfits"])],
    ["records", "Records", link(["ensemble", summary.id, "records"])],
  ];
  return h(
    "header",
    { class: "view-header" },
    h(
      "nav",
      { "aria-label": "Breadcrumbs", class: "crumbs" },
      h("a", { href: link([]) }, "Experiments"),
      " / ",
      h("a", { href: link(["experiment", summary.experiment.id]) }, summary.experiment.name),
      " / ",
      h("span", {}, `Ensemble ${shortId(summary.id)}`),
    ),
    h(
      "nav",
      { "aria-label": "Ensemble views", class: "tabs" },
      tabs.map(([t, label, href]) => h("a", { href, "aria-current": t === tab ? "page" : null }, label)),
    ),
  );
}

export interface Comparison {
  /** ensembles in drawing order: the older (prior) first */
  ids: string[];
  names: string[];
  colours: string[];
  /** the other ensemble, null when comparing with none */
  other: string | null;
}

/** The ensembles to show: this one and, unless ?compare=none, its parent (else its first child). */
export function comparison(summary: EnsembleSummary, route: Route): Comparison {
  const asked = route.query.get("compare");
  const parent = summary.parent?.ensembleReferenceId ?? null;
  const child = summary.children.find((c) => c.ensembleResultId)?.ensembleResultId ?? null;
  const other = asked === "none" ? null : asked ?? parent ?? child;
  const isChild = summary.children.some((c) => c.ensembleResultId === other);
  const olderFirst = other === null ? [summary.id] : isChild ? [summary.id, other] : [other, summary.id];
  const role = (id: string) => {
    if (other === null) return "this ensemble";
    if (id === olderFirst[0]) return "prior";
    return "posterior";
  };
  return {
    ids: olderFirst,
    names: olderFirst.map((id) => `${role(id)} (${shortId(id)})`),
    colours: olderFirst.map((_, i) => ENSEMBLE_COLOURS[olderFirst.length === 1 ? 1 : i]),
    other,
  };
}

/** A select of ensembles to compare with: the parent, the children, or none. */
export function compareControl(summary: EnsembleSummary, c: Comparison, hrefFor: (compare: string) => string): HTMLElement {
  const options: [string, string][] = [];
  if (summary.parent) options.push([summary.parent.ensembleReferenceId, `the prior it was updated from (${shortId(summary.parent.ensembleReferenceId)}, ${summary.parent.algorithm})`]);
  for (const child of summary.children) {
    if (child.ensembleResultId) options.push([child.ensembleResultId, `the posterior of ${child.algorithm} (${shortId(child.ensembleResultId)})`]);
  }
  if (c.other && !options.some(([id]) => id === c.other)) options.push([c.other, `ensemble ${shortId(c.other)}`]);
  options.push(["none", "no other ensemble"]);
  const select = h(
    "select",
    { id: "compare" },
    options.map(([id, label]) => h("option", { value: id, selected: (c.other ?? "none") === id }, label)),
  );
  select.addEventListener("change", () => {
    location.hash = hrefFor(select.value);
  });
  return h("p", { class: "control" }, h("label", { for: "compare" }, "Compare with "), select);
}
