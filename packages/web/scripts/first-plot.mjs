// Measures the time from navigation to the first drawn response plot, in Debian's
// Chromium, for R realizations x N points (a fresh browser context each run: no cache),
// and the page's transfer size. A measurement, not a test:
//   node scripts/first-plot.mjs [--sizes 200x2000,1000x2000] [--runs 3] [--compare]
import os from "node:os";
import server from "@ert-storage/server";
import { launch } from "./chromium.mjs";
import { seed } from "./seed.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const sizes = arg("sizes", "200x2000,1000x2000").split(",").map((s) => s.split("x").map(Number));
const runs = Number(arg("runs", "3"));
const compare = process.argv.includes("--compare");
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const { createApp, openDatabase } = server;
const db = await openDatabase({ kind: "pglite", dataDir: null });
const token = "first-plot-token";
const listening = createApp({ db, token }).listen(0, "127.0.0.1");
await new Promise((resolve) => listening.once("listening", resolve));
const base = `http://127.0.0.1:${listening.address().port}`;
const browser = await launch();
try {
  for (const [R, N] of sizes) {
    const started = Date.now();
    const s = await seed({ baseUrl: base, token, realizations: R, points: N, posterior: compare, name: `first-plot ${R}x${N}` });
    console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")} on ${os.cpus().length} cores (other work on the machine inflates every figure)`);
    console.log(`seeded ${R} x ${N}${compare ? " (prior and posterior)" : ""} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const id = s.posteriorId ?? s.priorId;
    const figures = [];
    for (let run = 0; run < runs; run++) {
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      await page.goto(`${base}/ui#token=${token}&/ensemble/${id}/responses/FOPR${compare ? "" : "?compare=none"}`);
      await page.waitForFunction(() => performance.getEntriesByName("ert:first-response-plot").length > 0, null, { timeout: 300_000 });
      figures.push(
        await page.evaluate(() => {
          const resources = performance.getEntriesByType("resource");
          const nav = performance.getEntriesByType("navigation")[0];
          const data = resources.filter((r) => /\/records\/FOPR(\?|$)|\/responses\/FOPR\/data/.test(r.name));
          const page = [nav, ...resources.filter((r) => r.name.includes("/ui/assets/"))];
          return {
            firstPlot: performance.getEntriesByName("ert:first-response-plot")[0].startTime,
            data: performance.getEntriesByName("ert:response-data")[0]?.startTime,
            stats: performance.getEntriesByName("ert:response-stats")[0]?.startTime,
            dataRequest: Math.max(...data.map((r) => r.responseEnd - r.startTime)),
            dataBytes: data.reduce((n, r) => n + r.encodedBodySize, 0),
            pageBytes: page.reduce((n, r) => n + r.encodedBodySize, 0),
            pageDecoded: page.reduce((n, r) => n + r.decodedBodySize, 0),
            timeline: [nav, ...resources].map((r) => `${r.startTime.toFixed(0).padStart(6)} -> ${r.responseEnd.toFixed(0).padStart(6)} ms  ${r.name.replace(location.origin, "")}`),
          };
        }),
      );
      await context.close();
    }
    const f = (key) => median(figures.map((x) => x[key]));
    console.log(
      `${R} x ${N}: first response plot ${f("firstPlot").toFixed(0)} ms after navigation (median of ${runs}; runs ${figures.map((x) => x.firstPlot.toFixed(0)).join(", ")} ms); ` +
        `response data request ${f("dataRequest").toFixed(0)} ms for ${(f("dataBytes") / 1e6).toFixed(1)} MB`,
    );
    console.log(`  of which: data in ${f("data").toFixed(0)} ms, statistics done ${f("stats").toFixed(0)} ms, drawn ${f("firstPlot").toFixed(0)} ms`);
    if (process.argv.includes("--timeline")) console.log(figures[figures.length - 1].timeline.join("\n"));
    console.log(`page transfer: ${(f("pageBytes") / 1024).toFixed(1)} KiB (gzip; ${(f("pageDecoded") / 1024).toFixed(1)} KiB decoded): HTML, JS, CSS`);
  }
} finally {
  await browser.close();
  listening.closeAllConnections();
  listening.close();
  await db.close();
}
