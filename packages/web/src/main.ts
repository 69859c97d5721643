// The explorer's entry: token from the fragment, connection, hash routes to views.
import "uplot/dist/uPlot.min.css";
import "./style.css";
import { connect, isAuthError, refused } from "./api";
import { errorBox, h, mount } from "./dom";
import { currentRoute } from "./router";
import { takeTokenFromFragment } from "./token";
import type { ViewContext } from "./views/context";
import { ensembleView } from "./views/ensemble";
import { experimentsView, experimentView } from "./views/experiments";
import { misfitsView } from "./views/misfits";
import { parametersView } from "./views/parameters";
import { recordsView } from "./views/records";
import { responsesView } from "./views/responses";

const main = document.getElementById("main") as HTMLElement;
let generation = 0;

async function render(): Promise<void> {
  const mine = ++generation;
  const route = currentRoute();
  const ctx: ViewContext = { main, route, current: () => mine === generation };
  const [section, id, sub, name] = route.path;
  mount(main, h("p", { class: "loading", role: "status" }, "Loading…"));
  try {
    if (!section) await experimentsView(ctx);
    else if (section === "experiment" && id) await experimentView(ctx, id);
    else if (section === "ensemble" && id && !sub) await ensembleView(ctx, id);
    else if (section === "ensemble" && id && sub === "responses") await responsesView(ctx, id, name);
    else if (section === "ensemble" && id && sub === "parameters") await parametersView(ctx, id);
    else if (section === "ensemble" && id && sub === "misfits") await misfitsView(ctx, id, name);
    else if (section === "ensemble" && id && sub === "records") await recordsView(ctx, id);
    else mount(main, h("h1", {}, "Not found"), h("p", {}, h("a", { href: "#/" }, "Back to the experiments")));
  } catch (error) {
    if (isAuthError(error) && ctx.current()) {
      await refused(main);
      return render();
    }
    if (ctx.current()) mount(main, errorBox(error), h("p", {}, h("a", { href: "#/" }, "Back to the experiments")));
  }
  if (ctx.current()) {
    const title = main.querySelector("h1")?.textContent;
    document.title = title ? `${title} · ERT Storage explorer` : "ERT Storage explorer";
  }
}

async function start(): Promise<void> {
  takeTokenFromFragment();
  await connect(main);
  window.addEventListener("hashchange", () => {
    void render().then(() => main.focus({ preventScroll: true }));
  });
  await render();
}

start().catch((error) => mount(main, errorBox(error)));
