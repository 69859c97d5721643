// Request bodies: JSON with NaN/Infinity for the API models, raw bytes for matrices.
// Block uploads and multipart files are left unread so they stream.
import { Transform, type Readable } from "node:stream";
import express, { type Request, type RequestHandler } from "express";
import { LIMIT_VARIABLES, type Limits } from "../config";
import { parseJson, stringifyJson } from "../formats/json";
import { AppError, Errors } from "../errors";
import { INLINE_MATRIX_BYTES } from "../domain/matrixValues";

const MATRIX_PATH = /\/records\/[^/]+\/matrix$/;
const BLOCK_PATH = /\/records\/[^/]+\/blob$/;
const FILE_PATH = /\/records\/[^/]+\/file$/;

/** V8 holds strings up to 2^29 - 24 characters: CSV matrices, read as text, stop there. */
const TEXT_LIMIT = 512 * 1024 * 1024 - 64;
const TEXT_MATRIX = /^(text\/csv|application\/x-dataframe)\b/;

/** 413 naming the limit and the variable that sets it. */
export function tooLarge(limit: number, what: string, variable: string | null): AppError {
  const set = variable ? `; ${variable} sets it` : "";
  return Errors.tooLarge(`Request body larger than ${limit} bytes, the limit for ${what}${set}`);
}

export function parseBodies(limits: Limits): RequestHandler {
  const json = express.text({ type: () => true, limit: limits.jsonBytes });
  const binaryMatrix = express.raw({ type: () => true, limit: limits.matrixBytes });
  const textLimit = Math.min(limits.matrixBytes, TEXT_LIMIT);
  const textMatrix = express.raw({ type: () => true, limit: textLimit });
  const matrixLimit = (req: Request) =>
    TEXT_MATRIX.test((req.header("content-type") ?? "").toLowerCase())
      ? { parse: textMatrix, limit: textLimit, variable: textLimit < limits.matrixBytes ? null : LIMIT_VARIABLES.matrixBytes, what: "CSV matrices" }
      : { parse: binaryMatrix, limit: limits.matrixBytes, variable: LIMIT_VARIABLES.matrixBytes, what: "matrices" };
  return (req, res, next) => {
    if (req.method === "PUT" && BLOCK_PATH.test(req.path)) return next();
    if (req.is("multipart/*")) return next();
    if (req.method === "POST" && FILE_PATH.test(req.path)) {
      // a file upload that is not multipart has no `file` field
      return next(Errors.invalidField(["body", "file"], "field required", "value_error.missing"));
    }
    if (MATRIX_PATH.test(req.path)) {
      if (streamsNpy(req)) {
        res.locals.streamBody = true;
        return next();
      }
      const matrix = matrixLimit(req);
      return matrix.parse(req, res, (error?: unknown) =>
        next(isTooLarge(error) ? tooLarge(matrix.limit, matrix.what, matrix.variable) : error),
      );
    }
    json(req, res, (error?: unknown) => {
      if (isTooLarge(error)) return next(tooLarge(limits.jsonBytes, "JSON bodies", LIMIT_VARIABLES.jsonBytes));
      if (error) return next(error);
      if (typeof req.body !== "string") {
        req.body = undefined;
        return next();
      }
      if (req.body.trim() === "") {
        req.body = undefined;
        return next();
      }
      if (!isJson(req.header("content-type"))) {
        // as FastAPI: a body that does not say it is JSON is not read as JSON (422 from validation)
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
}

/**
 * A large NPY body (or one of unknown length) is not read here: its values stream into
 * the blob store (MatrixValues.receiveNpy) instead of being held whole.
 */
function streamsNpy(req: Request): boolean {
  if ((req.header("content-type") ?? "").split(";")[0].trim().toLowerCase() !== "application/x-numpy") return false;
  const length = req.header("content-length");
  return length === undefined || Number(length) > INLINE_MATRIX_BYTES;
}

/** No Content-Type, application/json or any +json type. */
function isJson(contentType: string | undefined): boolean {
  if (!contentType) return true;
  const type = contentType.split(";")[0].trim().toLowerCase();
  return type === "application/json" || type.endsWith("+json");
}

function isTooLarge(error: unknown): boolean {
  return (error as { type?: string } | undefined)?.type === "entity.too.large";
}

/**
 * A streamed body (a staged block) cut off at limit bytes with a 413. A declared
 * Content-Length over the limit is refused before anything is read.
 */
export function limitedBody(req: Request, limit: number, what: string, variable: string): Readable {
  const declared = Number(req.header("content-length"));
  if (declared > limit) throw tooLarge(limit, what, variable);
  let seen = 0;
  const limited = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > limit) done(tooLarge(limit, what, variable));
      else done(null, chunk);
    },
  });
  // the error reaches whoever reads the stream (it is destroyed with it), not the process
  limited.on("error", () => req.unpipe(limited));
  return req.pipe(limited);
}

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
