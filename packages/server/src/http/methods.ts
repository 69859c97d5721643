// A known path asked with a method it does not take: 405 with Allow, as FastAPI answers.
import type { RequestHandler } from "express";

interface Spec {
  paths: Record<string, Record<string, unknown>>;
}

/** Paths served outside the spec, with their methods. */
const OTHER_PATHS: Record<string, string[]> = { "/gql": ["GET", "POST"], "/openapi.json": ["GET"], "/redoc": ["GET"] };

export function methodNotAllowed(spec: Spec): RequestHandler {
  const routes = [
    ...Object.entries(spec.paths).map(([path, operations]) => ({ path, allow: Object.keys(operations).map((m) => m.toUpperCase()) })),
    ...Object.entries(OTHER_PATHS).map(([path, allow]) => ({ path, allow })),
  ].map(({ path, allow }) => ({
    pattern: new RegExp(`^${path.replace(/[.+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")}/?$`),
    allow: allow.join(", "),
  }));
  return (req, res, next) => {
    const route = routes.find((r) => r.pattern.test(req.path));
    if (!route) return next();
    res.setHeader("Allow", route.allow);
    res.status(405).json({ detail: "Method Not Allowed" });
  };
}
