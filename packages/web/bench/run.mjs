// Chart library benchmark: builds bench/ with Vite, serves it on loopback and, in real
// Chromium, draws R realizations x N points with each candidate. Prints a table.
//   node bench/run.mjs [--runs 3] [--sizes 200x2000,1000x2000] [--only uplot,echarts]
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launch } from "../scripts/chromium.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const runs = Number(arg("runs", "3"));
const sizes = arg("sizes", "200x2000,1000x2000").split(",").map((s) => s.split("x").map(Number));
const libraries = arg("only", "uplot,uplot-hook,echarts").split(",");

execFileSync(process.execPath, [path.join(here, "..", "node_modules", "vite", "bin", "vite.js"), "build", "--config", path.join(here, "vite.config.ts")], {
  stdio: "inherit",
});
const dist = path.join(here, "dist");
const types = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css" };
const server = http.createServer((req, res) => {
  const file = path.join(dist, decodeURIComponent(new URL(req.url, "http://x").pathname).replace(/^\/$/, "/index.html"));
  if (!file.startsWith(dist) || !fs.existsSync(file)) return res.writeHead(404).end();
  res.writeHead(200, { "content-type": types[path.extname(file)] ?? "application/octet-stream" });
  fs.createReadStream(file).pipe(res);
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${server.address().port}/`;

const browser = await launch();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
try {
  for (const [R, N] of sizes) {
    for (const library of libraries) {
      const first = [];
      const zoom = [];
      let name = library;
      let pixels = 0;
      for (let run = 0; run < runs; run++) {
        const page = await browser.newPage({ viewport: { width: 1280, height: 700 } });
        page.setDefaultTimeout(180_000);
        await page.goto(base);
        await page.waitForFunction(() => "runBench" in window);
        const result = await page.evaluate(([l, r, n]) => window.runBench(l, r, n), [library, R, N]);
        first.push(result.firstDrawMs);
        zoom.push(result.zoomRedrawMs);
        name = result.library;
        pixels = result.inkedPixels;
        await page.close();
      }
      rows.push({ size: `${R} x ${N}`, library: name, first: median(first), zoom: median(zoom), pixels });
      console.log(`${R} x ${N}  ${name.padEnd(28)} first draw ${median(first).toFixed(0).padStart(6)} ms   zoom redraw ${median(zoom).toFixed(0).padStart(6)} ms   (${pixels} inked pixels; median of ${runs})`);
    }
  }
} finally {
  await browser.close();
  server.close();
}
