// The explorer in real Chromium against a real server (embedded PostgreSQL, real HTTP),
// seeded through the SDK. Each view must load without a console error, without a request
// leaving the machine, with charts that drew (coloured pixels on their canvases), and with
// the numbers the seed posted. Run by `pnpm --filter @ert-storage/web test:pages` (CI).
import assert from "node:assert/strict";
import fs from "node:fs";
import { after, before, describe, test } from "node:test";
import server from "@ert-storage/server";
import { parseFrameCsv, parseNpy } from "@ert-storage/sdk";
import { launch } from "../scripts/chromium.mjs";
import { seed } from "../scripts/seed.mjs";

const TOKEN = "explorer-test-token";
const R = 12;
const POINTS = 60;

let base;
let db;
let listening;
let browser;
let s;

/** The page's own number format (src/dom.ts fmt). */
const fmt = (v) => (Number.isNaN(v) ? "–" : String(Number(v.toPrecision(6))));

before(async () => {
  db = await server.openDatabase({ kind: "pglite", dataDir: null });
  listening = server.createApp({ db, token: TOKEN }).listen(0, "127.0.0.1");
  await new Promise((resolve) => listening.once("listening", resolve));
  base = `http://127.0.0.1:${listening.address().port}`;
  s = await seed({ baseUrl: base, token: TOKEN, realizations: R, points: POINTS, name: "explorer test" });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  listening?.closeAllConnections();
  await new Promise((resolve) => (listening ? listening.close(resolve) : resolve()));
  await db?.close();
});

/** A page with the token already given, watching for errors and outside requests. */
async function open(hash, { token = TOKEN } = {}) {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1300, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  const requests = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && problems.push(`console error: ${m.text()}`));
  page.on("request", (r) => {
    requests.push(r);
    const url = r.url();
    if (!url.startsWith(base) && !url.startsWith("data:") && !url.startsWith("blob:")) problems.push(`outside request: ${url}`);
  });
  await page.goto(`${base}/ui${token ? `#token=${token}&${hash}` : hash ? `#${hash}` : ""}`);
  return { page, problems, requests, close: () => context.close() };
}

/** Pixels on the page's chart canvases that are coloured (data), not grey (axes, grid, text). */
function colouredPixels(page, selector = ".plot canvas") {
  return page.evaluate((sel) => {
    return Array.from(document.querySelectorAll(sel)).map((canvas) => {
      const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
      let n = 0;
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
        if (a > 20 && Math.max(Math.abs(r - g), Math.abs(g - b), Math.abs(r - b)) > 40) n++;
      }
      return n;
    });
  }, selector);
}

async function tableRows(page, testid) {
  return page.locator(`[data-testid=${testid}] tbody tr`).evaluateAll((rows) => rows.map((r) => Array.from(r.children, (c) => c.textContent.trim())));
}

function mean(values) {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function quantile(values, q) {
  const v = [...values].sort((a, b) => a - b);
  const pos = (v.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, v.length - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

describe("the explorer", () => {
  test("static files load without a token under a strict CSP, gzipped; data calls need the token", async () => {
    const index = await fetch(`${base}/ui`, { headers: { "accept-encoding": "gzip" } });
    assert.equal(index.status, 200);
    const csp = index.headers.get("content-security-policy");
    assert.match(csp, /script-src 'self';/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    assert.equal(index.headers.get("content-encoding"), "gzip");
    const html = await index.text();
    assert.doesNotMatch(html, /<script>(?!<\/script>)|<script(?![^>]*\bsrc=)[^>]*>/, "no inline script");
    const asset = html.match(/\/ui\/assets\/[^"]+\.js/)[0];
    const js = await fetch(`${base}${asset}`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get("cache-control"), /immutable/);
    assert.equal((await fetch(`${base}/experiments`)).status, 403);
  });

  test("the token moves from the fragment to sessionStorage, leaves the address bar and rides only in the Token header", async () => {
    const { page, problems, requests, close } = await open("/");
    await page.locator("[data-testid=experiments]").getByText("explorer test").waitFor();
    assert.doesNotMatch(page.url(), /token/);
    assert.equal(await page.evaluate(() => sessionStorage.getItem("ert-storage-token")), TOKEN);
    const data = requests.filter((r) => r.url().includes("/experiments"));
    assert.ok(data.length > 0);
    for (const r of requests) assert.doesNotMatch(r.url(), new RegExp(TOKEN), "no request URL carries the token");
    for (const r of data) assert.equal((await r.allHeaders()).token, TOKEN);
    assert.deepEqual(problems, []);
    await close();
  });

  test("without a token the page asks once, and asks again after a wrong one", async () => {
    const { page, problems, close } = await open("", { token: null });
    // the page's first probe is refused (403), as it should be
    problems.length = 0;
    await page.getByLabel("Token").fill("wrong");
    await page.getByRole("button", { name: "Open" }).click();
    await page.getByText("The server refused that token.").waitFor();
    problems.length = 0;
    await page.getByLabel("Token").fill(TOKEN);
    await page.getByRole("button", { name: "Open" }).click();
    await page.locator("[data-testid=experiments]").getByText("explorer test").waitFor();
    await page.reload();
    await page.locator("[data-testid=experiments]").getByText("explorer test").waitFor();
    assert.equal(await page.getByLabel("Token").count(), 0, "asked only once per session");
    assert.deepEqual(problems.filter((p) => !/403/.test(p)), []);
    await close();
  });

  test("lineage: the prior, the ES-MDA update and the posterior", async () => {
    const { page, problems, close } = await open(`/experiment/${s.experimentId}`);
    await page.locator("[data-testid=lineage]").waitFor();
    const nodes = await page.locator("[data-testid=lineage] [data-testid=ensemble]").allTextContents();
    assert.equal(nodes.length, 2);
    assert.match(nodes[0], new RegExp(`Ensemble ${s.priorId.slice(0, 8)}.*${R} realizations`));
    assert.match(nodes[1], new RegExp(`Ensemble ${s.posteriorId.slice(0, 8)}`));
    const update = await page.locator("[data-testid=lineage] [data-testid=update]").textContent();
    assert.match(update, new RegExp(`update ES-MDA · \\d{4}-\\d{2}-\\d{2} .* update ${s.updateId.slice(0, 8)}`));
    // the posterior is nested under the prior
    assert.equal(await page.locator("[data-testid=lineage] > li > ul [data-testid=ensemble]").count(), 1);
    assert.deepEqual(problems, []);
    await close();
  });

  test("responses: realizations, mean, P10-P90 of prior and posterior, observations; numbers as posted", async () => {
    const { page, problems, close } = await open(`/ensemble/${s.posteriorId}/responses/FOPR`);
    await page.locator("[data-testid=observations]").waitFor();
    const [pixels] = await colouredPixels(page);
    assert.ok(pixels > 5000, `the response chart drew (${pixels} coloured pixels)`);
    // the table: observed values, errors, and each ensemble's mean at the observed dates
    const rows = await tableRows(page, "observations");
    const obs = s.observations.FOPR;
    const labels = s.prior.responses.FOPR.labels;
    assert.equal(rows.length, obs.values.length);
    rows.forEach((row, j) => {
      const i = labels.indexOf(obs.x_axis[j]);
      const priorMean = mean(s.prior.responses.FOPR.rows.map((r) => r[i]));
      const postMean = mean(s.posterior.responses.FOPR.rows.map((r) => r[i]));
      assert.deepEqual(row, [obs.x_axis[j], fmt(obs.values[j]), fmt(obs.errors[j]), fmt(priorMean), fmt(postMean)]);
    });
    // the tooltip where the pointer is: the label's mean, P10 and P90 for both ensembles
    const over = await page.locator(".u-over").first().boundingBox();
    await page.mouse.move(over.x + over.width * 0.37, over.y + over.height / 2);
    const tip = page.locator("[data-testid=tooltip]");
    await tip.waitFor();
    const lines = await tip.locator("div").allTextContents();
    const i = labels.indexOf(lines[0]);
    assert.ok(i >= 0, `the tooltip names a posted label (${lines[0]})`);
    const expectLine = (name, id, rowsOf) => {
      const v = rowsOf.map((r) => r[i]);
      return `${name} (${id.slice(0, 8)}): mean ${fmt(mean(v))}, P10 ${fmt(quantile(v, 0.1))}, P90 ${fmt(quantile(v, 0.9))}`;
    };
    assert.equal(lines[1], expectLine("prior", s.priorId, s.prior.responses.FOPR.rows));
    assert.equal(lines[2], expectLine("posterior", s.posteriorId, s.posterior.responses.FOPR.rows));
    assert.deepEqual(problems, []);
    await close();
  });

  test("responses over integer labels, one ensemble; keyboard zoom and reset", async () => {
    const { page, problems, close } = await open(`/ensemble/${s.priorId}/responses/WOPR%3AOP1?compare=none`);
    await page.locator("[data-testid=observations]").waitFor();
    const [pixels] = await colouredPixels(page);
    assert.ok(pixels > 2000, `drew (${pixels} coloured pixels)`);
    assert.equal((await tableRows(page, "observations"))[0].length, 4, "label, observed, error, one mean");
    const over = await page.locator(".u-over").first().boundingBox();
    const labelAtLeft = async () => {
      await page.mouse.move(over.x + 3, over.y + over.height / 2);
      await page.mouse.move(over.x + 2, over.y + over.height / 2);
      return Number(await page.locator("[data-testid=tooltip] div").first().textContent());
    };
    const before = await labelAtLeft();
    await page.locator(".plot-frame").focus();
    await page.keyboard.press("+");
    const zoomed = await labelAtLeft();
    assert.ok(zoomed > before, `zooming in with + moved the left edge (${before} -> ${zoomed})`);
    await page.locator(".plot-frame").focus();
    await page.keyboard.press("0");
    assert.equal(await labelAtLeft(), before, "0 resets the zoom");
    assert.deepEqual(problems, []);
    await close();
  });

  test("parameters: a histogram per column with prior densities; means and stds as posted", async () => {
    const { page, problems, close } = await open(`/ensemble/${s.posteriorId}/parameters`);
    await page.locator("[data-testid=parameter-summary]").waitFor();
    const pixels = await colouredPixels(page);
    assert.equal(pixels.length, 6, "PORO, PERM, MULT and COEFFS a, b, c");
    for (const p of pixels) assert.ok(p > 1000, `every histogram drew (${pixels})`);
    const std = (v) => Math.sqrt(v.reduce((a, x) => a + (x - mean(v)) ** 2, 0) / (v.length - 1));
    const columns = (params) => ({
      PORO: Array.from(params.PORO),
      PERM: Array.from(params.PERM),
      MULT: Array.from(params.MULT),
      "COEFFS:a": Array.from({ length: R }, (_, r) => params.COEFFS[r * 3]),
      "COEFFS:b": Array.from({ length: R }, (_, r) => params.COEFFS[r * 3 + 1]),
      "COEFFS:c": Array.from({ length: R }, (_, r) => params.COEFFS[r * 3 + 2]),
    });
    const prior = columns(s.prior.params);
    const post = columns(s.posterior.params);
    const rows = await tableRows(page, "parameter-summary");
    assert.deepEqual(
      rows.map((r) => r.slice(0, 5)),
      Object.keys(prior).map((k) => [k, fmt(mean(prior[k])), fmt(std(prior[k])), fmt(mean(post[k])), fmt(std(post[k]))]),
    );
    assert.deepEqual(
      rows.map((r) => r[5]),
      ["uniform(min=0.1, max=0.3)", "lognormal(mean=5, std=0.4)", "ert_truncnormal(mean=1, std=0.3, min=0.4, max=1.6)", "normal(mean=0, std=1)", "loguniform(min=0.01, max=1)", "trig(min=0, max=2, mode=0.5)"],
    );
    assert.deepEqual(problems, []);
    await close();
  });

  test("misfits: one bar per realization, sorted, values as the formula gives", async () => {
    const { page, problems, close } = await open(`/ensemble/${s.priorId}/misfits/FOPR`);
    await page.locator("[data-testid=misfits]").waitFor();
    const [pixels] = await colouredPixels(page);
    assert.ok(pixels > 1000, `the bars drew (${pixels})`);
    const obs = s.observations.FOPR;
    const labels = s.prior.responses.FOPR.labels;
    const expected = s.prior.responses.FOPR.rows
      .map((row, r) => ({
        r,
        misfit: obs.values.reduce((sum, o, j) => sum + ((row[labels.indexOf(obs.x_axis[j])] - o) / obs.errors[j]) ** 2, 0),
      }))
      .sort((a, b) => a.misfit - b.misfit);
    const rows = await tableRows(page, "misfits");
    assert.deepEqual(
      rows.map(([rank, r, m]) => [Number(rank), Number(r), m]),
      expected.map((e, k) => [k + 1, e.r, fmt(e.misfit)]),
    );
    assert.deepEqual(problems, []);
    await close();
  });

  test("records: class, type, userdata, and downloads in every format with the posted numbers", async () => {
    const { page, problems, close } = await open(`/ensemble/${s.priorId}/records`);
    await page.locator("[data-testid=records]").waitFor();
    const rows = await tableRows(page, "records");
    assert.deepEqual(
      rows.map((r) => r.slice(0, 4)),
      [
        ["COEFFS", "parameter", "matrix", "–"],
        ["FOPR", "response", "matrix", "linked"],
        ["MULT", "parameter", "matrix", "–"],
        ["PERM", "parameter", "matrix", "–"],
        ["PORO", "parameter", "matrix", "–"],
        ["WOPR:OP1", "response", "matrix", "linked"],
      ],
    );
    assert.deepEqual(JSON.parse(rows[4][4]), { description: "porosity", unit: "fraction" });
    const poro = Array.from(s.prior.params.PORO);
    const fetchAs = async (format) => {
      const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: `Download PORO as ${format}` }).click()]);
      return { name: download.suggestedFilename(), bytes: fs.readFileSync(await download.path()) };
    };
    const npy = await fetchAs("NPY");
    assert.equal(npy.name, "PORO.npy");
    const parsed = parseNpy(npy.bytes);
    assert.deepEqual(parsed.shape, [R, 1]);
    assert.deepEqual(Array.from(parsed.data), poro, "NPY bit-exact");
    assert.deepEqual(JSON.parse((await fetchAs("JSON")).bytes.toString()), poro.map((v) => [v]));
    assert.deepEqual(Array.from(parseFrameCsv((await fetchAs("CSV")).bytes.toString()).data), poro);
    assert.equal((await fetchAs("PARQUET")).bytes.subarray(0, 4).toString(), "PAR1");
    assert.deepEqual(problems, []);
    await close();
  });

  test("every other view loads cleanly: experiments, ensemble overview, responses and misfit redirects", async () => {
    for (const [hash, ready] of [
      ["/", "[data-testid=experiments]"],
      [`/ensemble/${s.posteriorId}`, "dl.facts"],
      [`/ensemble/${s.posteriorId}/responses`, "[data-testid=observations]"],
      [`/ensemble/${s.posteriorId}/misfits`, "[data-testid=misfits]"],
      [`/ensemble/${s.priorId}/parameters?compare=none`, "[data-testid=parameter-summary]"],
    ]) {
      const { page, problems, close } = await open(hash);
      await page.locator(ready).waitFor();
      assert.deepEqual(problems, [], hash);
      await close();
    }
  });
});
