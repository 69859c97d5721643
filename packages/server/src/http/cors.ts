// Cross-origin requests from browsers: none unless ERT_STORAGE_CORS_ORIGINS lists the
// origins (comma-separated, e.g. "https://webviz.example.com,http://localhost:8080";
// "*" for any). A listed origin gets its own origin back, preflights are answered
// before authentication (browsers send no Token in them), and the headers a page needs
// to read a file's name are exposed. No cookies are involved: no credentials mode.
import type { RequestHandler } from "express";

const METHODS = "GET, POST, PUT, PATCH, DELETE";
/** The request headers pages send: the token, and bodies' and answers' types. */
const HEADERS = "Token, Content-Type, Accept, X-Request-Id";
const EXPOSED = "Content-Disposition, X-Request-Id";

/** The allowed origins from the variable's text; null when CORS is off. */
export function parseCorsOrigins(text: string | undefined): string[] | null {
  const origins = (text ?? "")
    .split(",")
    .map((o) => o.trim().replace(/\/+$/, ""))
    .filter((o) => o !== "");
  return origins.length > 0 ? origins : null;
}

/** The CORS middleware for ERT_STORAGE_CORS_ORIGINS as the process was started with. */
export function cors(origins: string[] | null = parseCorsOrigins(process.env.ERT_STORAGE_CORS_ORIGINS)): RequestHandler {
  if (origins === null) return (_req, _res, next) => next();
  const any = origins.includes("*");
  const allowed = new Set(origins);
  return (req, res, next) => {
    const origin = req.header("origin");
    res.vary("Origin");
    if (!origin || !(any || allowed.has(origin))) return next();
    res.setHeader("Access-Control-Allow-Origin", any ? "*" : origin);
    res.setHeader("Access-Control-Expose-Headers", EXPOSED);
    if (req.method === "OPTIONS" && req.header("access-control-request-method")) {
      res.setHeader("Access-Control-Allow-Methods", METHODS);
      res.setHeader("Access-Control-Allow-Headers", HEADERS);
      res.setHeader("Access-Control-Max-Age", "600");
      res.status(204).end();
      return;
    }
    next();
  };
}
