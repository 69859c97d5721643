// Request bodies: JSON with NaN/Infinity for the API models, raw bytes for matrices.
// Block uploads and multipart files are left unread so they stream.
import express, { type Request, type RequestHandler } from "express";
import { parseJson, stringifyJson } from "../formats/json";
import { Errors } from "../errors";

const MATRIX_PATH = /\/records\/[^/]+\/matrix$/;
const BLOCK_PATH = /\/records\/[^/]+\/blob$/;
const FILE_PATH = /\/records\/[^/]+\/file$/;

const raw = express.raw({ type: () => true, limit: "4gb" });
const text = express.text({ type: () => true, limit: "512mb" });

export const parseBodies: RequestHandler = (req, res, next) => {
  if (req.method === "PUT" && BLOCK_PATH.test(req.path)) return next();
  if (req.is("multipart/*")) return next();
  if (req.method === "POST" && FILE_PATH.test(req.path)) {
    // a file upload that is not multipart has no `file` field
    return next(Errors.invalidField(["body", "file"], "field required", "value_error.missing"));
  }
  if (MATRIX_PATH.test(req.path)) return raw(req, res, next);
  text(req, res, (error?: unknown) => {
    if (error) return next(error);
    if (typeof req.body !== "string") {
      req.body = undefined;
      return next();
    }
    if (req.body.trim() === "") {
      req.body = undefined;
      return next();
    }
    try {
      const parsed = parseJson(req.body);
      // tsoa validates (and, in unions, re-serializes with JSON.stringify) a copy; the
      // parse itself is kept for the numbers, which must stay exact (-0, NaN).
      res.locals.exactBody = parsed;
      req.body = structuredClone(parsed);
      next();
    } catch (e) {
      next(Errors.invalidField(["body", 0], `invalid JSON: ${(e as Error).message}`, "value_error.jsondecode"));
    }
  });
};

/**
 * res.json writes NaN and Infinity as Python's json module does, labelled plain
 * `application/json` as FastAPI labels it (Express would add "; charset=utf-8").
 */
export const pythonJson: RequestHandler = (_req, res, next) => {
  res.json = (body: unknown) => {
    if (!res.get("Content-Type")) res.setHeader("Content-Type", "application/json");
    return res.send(Buffer.from(stringifyJson(body)));
  };
  next();
};

/** The request's JSON body exactly as parsed, before validation touched it. */
export function exactBody<T>(req: Request): T {
  return req.res!.locals.exactBody as T;
}
