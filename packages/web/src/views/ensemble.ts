// An ensemble at a glance: size, lineage, and links to its responses and parameters.
import { h, mount, shortId, when } from "../dom";
import { link } from "../router";
import { ensembleHeader, loadEnsemble, type ViewContext } from "./context";

export async function ensembleView(ctx: ViewContext, id: string): Promise<void> {
  const e = await loadEnsemble(id);
  if (!ctx.current()) return;
  const active = e.activeRealizations.length;
  mount(
    ctx.main,
    ensembleHeader(e, "overview"),
    h("h1", {}, `Ensemble ${shortId(e.id)}`),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Realizations"),
      h("dd", {}, e.size < 0 ? `unknown size, ${active} active` : `${e.size} (${active} active)`),
      h("dt", {}, "Created"),
      h("dd", {}, when(e.timeCreated)),
      h("dt", {}, "Updated from"),
      h(
        "dd",
        {},
        e.parent
          ? [h("a", { href: link(["ensemble", e.parent.ensembleReferenceId]) }, `ensemble ${shortId(e.parent.ensembleReferenceId)}`), ` by ${e.parent.algorithm}`]
          : "nothing: a prior ensemble",
      ),
      h("dt", {}, "Updated into"),
      h(
        "dd",
        {},
        e.children.length
          ? e.children.flatMap((c, i) => [
              i ? ", " : "",
              c.ensembleResultId ? h("a", { href: link(["ensemble", c.ensembleResultId]) }, `ensemble ${shortId(c.ensembleResultId)}`) : "(no result yet)",
              ` by ${c.algorithm}`,
            ])
          : "no update yet",
      ),
      h("dt", {}, "Id"),
      h("dd", {}, h("code", {}, e.id)),
    ),
    h("h2", {}, "Responses"),
    e.responseNames.length
      ? h("ul", { class: "names" }, e.responseNames.map((n) => h("li", {}, h("a", { href: link(["ensemble", e.id, "responses", n]) }, n))))
      : h("p", {}, "None."),
    h("h2", {}, "Parameters"),
    e.parameterNames.length
      ? h("p", {}, h("a", { href: link(["ensemble", e.id, "parameters"]) }, `Histograms of ${e.parameterNames.length} parameters`), `: ${e.parameterNames.join(", ")}`)
      : h("p", {}, "None."),
  );
}
