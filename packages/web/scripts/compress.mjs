// Writes a gzip copy beside each built file, so the server sends the explorer compressed
// without compressing on every request.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";

const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "dist");
let raw = 0;
let gzipped = 0;
for (const entry of fs.readdirSync(dist, { recursive: true })) {
  const file = path.join(dist, entry);
  if (!fs.statSync(file).isFile() || !/\.(html|js|css|svg|json)$/.test(file)) continue;
  const content = fs.readFileSync(file);
  const gz = zlib.gzipSync(content, { level: 9 });
  fs.writeFileSync(`${file}.gz`, gz);
  raw += content.length;
  gzipped += gz.length;
}
console.log(`explorer: ${(raw / 1024).toFixed(1)} KiB, ${(gzipped / 1024).toFixed(1)} KiB gzipped`);
