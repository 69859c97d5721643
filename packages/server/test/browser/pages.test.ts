// The documentation pages in a real browser (Debian's Chromium): they render, run their
// scripts without errors and load nothing from outside. Run by `pnpm test:pages` (CI).
import { chromium, type Browser } from "playwright-core";
import { startTestServer, type TestServer } from "../helpers/server";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

let t: TestServer;
let browser: Browser;
beforeAll(async () => {
  t = await startTestServer("pglite", { token: "page-token" });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

async function open(path: string) {
  const page = await browser.newPage();
  const errors: string[] = [];
  const outside: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  // A request the page's Content-Security-Policy stops never leaves the browser.
  const isOutside = (url: string) => !url.startsWith(t.api.base) && !url.startsWith("data:") && !url.startsWith("blob:");
  page.on("request", (r) => {
    if (isOutside(r.url())) outside.push(r.url());
  });
  page.on("requestfailed", (r) => {
    if (isOutside(r.url()) && ["csp", "net::ERR_BLOCKED_BY_CSP"].includes(r.failure()?.errorText ?? "")) outside.splice(outside.indexOf(r.url()), 1);
  });
  await page.goto(t.api.base + path);
  return { page, errors, outside };
}

test("Swagger UI lists the API", async () => {
  const { page, errors, outside } = await open("/docs");
  await page.getByText("ERT Storage API").first().waitFor();
  await page.getByText("/experiments/{experiment_id}/ensembles").first().waitFor();
  expect(errors).toEqual([]);
  expect(outside).toEqual([]);
});

test("ReDoc renders the operations", async () => {
  const { page, errors, outside } = await open("/redoc");
  await page.locator("h2", { hasText: "createExperiment" }).waitFor();
  expect(errors).toEqual([]);
  expect(outside).toEqual([]);
});

test("GraphiQL runs a query with the token header", async () => {
  const name = `page-${Date.now()}`;
  await t.experiment(name);
  const { page, errors, outside } = await open("/gql");
  await page.getByText("Headers").first().waitFor();
  const answer = (await page.evaluate(async (query) => {
    const res = await fetch("/gql", { method: "POST", headers: { "content-type": "application/json", Token: "page-token" }, body: JSON.stringify({ query }) });
    return res.json();
  }, "{experiments {name}}")) as { data: { experiments: { name: string }[] } };
  expect(answer.data.experiments.map((e: { name: string }) => e.name)).toContain(name);
  await page.locator(".graphiql-execute-button").click();
  await page.getByText("Not authenticated").first().waitFor();
  expect(errors).toEqual([]);
  expect(outside).toEqual([]);
});
