// The explorer (packages/web, built by Vite) at /ui: static files under a strict CSP.
// Like the docs pages it loads without a token; its data calls carry the Token header.
import fs from "node:fs";
import path from "node:path";
import { Router, type Response } from "express";

/** Only our own files; no inline script or style, no frames, no plugins. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
  "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** packages/web/dist beside this package, found from the package root (src/ under ts-jest, dist/src/ when built). */
export function defaultUiDir(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return path.resolve(dir, "..", "web", "dist");
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json",
};

export function uiRouter(dir: string = defaultUiDir()): Router {
  const router = Router();
  const send = (res: Response, file: string, acceptsGzip: boolean, cache: string) => {
    res.setHeader("Content-Security-Policy", CSP);
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Referrer-Policy", "no-referrer");
    res.setHeader("Cache-Control", cache);
    res.setHeader("Vary", "Accept-Encoding");
    res.setHeader("Content-Type", TYPES[path.extname(file)] ?? "application/octet-stream");
    const gz = `${file}.gz`;
    if (acceptsGzip && fs.existsSync(gz)) {
      res.setHeader("Content-Encoding", "gzip");
      return res.sendFile(gz);
    }
    return res.sendFile(file);
  };
  router.get(["/ui", "/ui/", "/ui/index.html"], (req, res) => {
    const index = path.join(dir, "index.html");
    if (!fs.existsSync(index)) {
      return res.status(503).type("text/plain").send("The explorer is not built: run `pnpm build` (or `pnpm start`).\n");
    }
    send(res, index, req.acceptsEncodings("gzip") === "gzip", "no-cache");
  });
  router.get("/ui/assets/:file", (req, res, next) => {
    const name = req.params.file;
    const file = path.join(dir, "assets", name);
    if (name.includes("/") || name.startsWith(".") || name.endsWith(".gz") || !fs.existsSync(file)) return next();
    // file names carry a content hash
    send(res, file, req.acceptsEncodings("gzip") === "gzip", "public, max-age=31536000, immutable");
  });
  return router;
}
