// One line per request: method, path, status, duration, request id. Never headers (the token).
import { randomUUID } from "node:crypto";
import type { RequestHandler } from "express";

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestLog(enabled: boolean): RequestHandler {
  return (req, res, next) => {
    // a client's own id is kept when it looks like one: log lines stay one line of known characters
    const given = req.header("x-request-id");
    const id = given && REQUEST_ID.test(given) ? given : randomUUID();
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
