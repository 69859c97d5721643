// Writes a PNG of every explorer view, from a real server with seeded data, in Debian's
// Chromium: node scripts/screenshots.mjs [--out screenshots] [--realizations 100] [--points 400]
import fs from "node:fs";
import path from "node:path";
import server from "@ert-storage/server";
import { launch } from "./chromium.mjs";
import { seed } from "./seed.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const out = path.resolve(arg("out", "screenshots"));
fs.mkdirSync(out, { recursive: true });

const { createApp, openDatabase } = server;
const db = await openDatabase({ kind: "pglite", dataDir: null });
const token = "screenshot-token";
const listening = createApp({ db, token }).listen(0, "127.0.0.1");
await new Promise((resolve) => listening.once("listening", resolve));
const base = `http://127.0.0.1:${listening.address().port}`;
const browser = await launch();
try {
  const s = await seed({ baseUrl: base, token, realizations: Number(arg("realizations", "100")), points: Number(arg("points", "400")), name: "SPE1 demo" });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, deviceScaleFactor: 1 });
  page.on("console", (m) => m.type() === "error" && console.error(`console: ${m.text()}`));
  await page.goto(`${base}/ui#token=${token}`);
  const views = [
    ["experiments", "#/", "table"],
    ["lineage", `#/experiment/${s.experimentId}`, "[data-testid=lineage]"],
    ["ensemble", `#/ensemble/${s.posteriorId}`, "dl.facts"],
    ["responses-fopr", `#/ensemble/${s.posteriorId}/responses/FOPR`, "[data-testid=observations]"],
    ["responses-wopr", `#/ensemble/${s.posteriorId}/responses/WOPR%3AOP1`, "[data-testid=observations]"],
    ["parameters", `#/ensemble/${s.posteriorId}/parameters`, "[data-testid=parameter-summary]"],
    ["misfits", `#/ensemble/${s.posteriorId}/misfits/FOPR`, "[data-testid=misfits]"],
    ["records", `#/ensemble/${s.posteriorId}/records`, "[data-testid=records]"],
  ];
  for (const [name, hash, ready] of views) {
    await page.evaluate((h) => (location.hash = h), hash);
    await page.locator(ready).first().waitFor();
    await page.waitForTimeout(300);
    const file = path.join(out, `${name}.png`);
    await page.screenshot({ path: file, fullPage: name !== "parameters" });
    console.log(file);
  }
  // a tooltip over the responses chart
  await page.evaluate((h) => (location.hash = h), `#/ensemble/${s.posteriorId}/responses/FOPR`);
  await page.locator("[data-testid=observations]").waitFor();
  const box = await page.locator(".u-over").first().boundingBox();
  await page.mouse.move(box.x + box.width * 0.44, box.y + box.height * 0.5);
  await page.waitForTimeout(200);
  await page.screenshot({ path: path.join(out, "responses-tooltip.png"), clip: { x: 0, y: 0, width: 1400, height: 700 } });
  console.log(path.join(out, "responses-tooltip.png"));
} finally {
  await browser.close();
  listening.close();
  listening.closeAllConnections();
  await db.close();
}
