import fs from "node:fs";
import path from "node:path";

/**
 * The compiled file of a worker thread's module in src/formats (name without extension).
 * Run from the TypeScript sources (the tests, under ts-jest) it is the build's copy: the
 * root `pnpm test` builds first; null without a build, and the work is done in place.
 */
export function workerFile(name: string): string | null {
  const compiled = __filename.endsWith(".ts") ? path.join(__dirname, "..", "..", "dist", "src", "formats", `${name}.js`) : path.join(__dirname, `${name}.js`);
  return fs.existsSync(compiled) ? compiled : null;
}
