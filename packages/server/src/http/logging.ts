// One line per request: method, path, status, duration, request id. Never headers (the token).
import { randomUUID } from "node:crypto";
import type { RequestHandler } from "express";

export function requestLog(enabled: boolean): RequestHandler {
  return (req, res, next) => {
    const id = req.header("x-request-id") || randomUUID();
    res.setHeader("X-Request-Id", id);
    if (enabled) {
      const start = process.hrtime.bigint();
      res.on("finish", () => {
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        console.log(`${req.method} ${req.path} ${res.statusCode} ${ms.toFixed(1)}ms ${id}`);
      });
    }
    next();
  };
}
