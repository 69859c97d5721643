// Request bodies: JSON with NaN/Infinity for the API models, raw bytes for matrices.
// Block uploads and multipart files are left unread so they stream.
import { Transform, type Readable } from "node:stream";
import zlib from "node:zlib";
import express, { type Request, type RequestHandler } from "express";
import { LIMIT_VARIABLES, type Limits } from "../config";
import { encodeJson, parseJson } from "../formats/json";
import { AppError, Errors } from "../errors";
import { INLINE_MATRIX_BYTES, PARQUET_AS_POSTED_LIMIT, WHOLE_TEXT_BYTES } from "../domain/matrixValues";
import { matrixMediaType } from "../formats";

const MATRIX_PATH = /\/records\/[^/]+\/matrix$/;
const BLOCK_PATH = /\/records\/[^/]+\/blob$/;
const FILE_PATH = /\/records\/[^/]+\/file$/;

/** 413 naming the limit and the variable that sets it. */
export function tooLarge(limit: number, what: string, variable: string | null): AppError {
  const set = variable ? `; ${variable} sets it` : "";
  return Errors.tooLarge(`Request body larger than ${limit} bytes, the limit for ${what}${set}`);
}

export function parseBodies(limits: Limits): RequestHandler {
  const json = express.text({ type: () => true, limit: limits.jsonBytes });
  const matrix = matrixBody(limits.matrixBytes);
  return (req, res, next) => {
    if (req.method === "PUT" && BLOCK_PATH.test(req.path)) return next();
    if (req.is("multipart/*")) return next();
    if (req.method === "POST" && FILE_PATH.test(req.path)) {
      // a file upload that is not multipart has no `file` field
      return next(Errors.invalidField(["body", "file"], "field required", "value_error.missing"));
    }
    if (MATRIX_PATH.test(req.path)) {
      // a body of a type that is no matrix format is not read: the route refuses it (422)
      // and the error handler drops the rest, never holding it (inflated, had it gzip)
      if (matrixMediaType(req.header("content-type")) === null) return next();
      if (streamsNpy(req) || streamsText(req) || streamsParquet(req)) {
        res.locals.streamBody = true;
        return next();
      }
      return matrix(req, res, (error?: unknown) =>
        next(isTooLarge(error) ? tooLarge(limits.matrixBytes, "matrices", LIMIT_VARIABLES.matrixBytes) : error),
      );
    }
    // a declared length over the limit is refused before any of the body is read (express.text
    // would read all of it first, however long); the error handler reads and drops a few MiB
    const overLimit = () => next(tooLarge(limits.jsonBytes, "JSON bodies", LIMIT_VARIABLES.jsonBytes));
    if ((declaredLength(req) ?? 0) > limits.jsonBytes) return overLimit();
    json(req, res, (error?: unknown) => {
      if (isTooLarge(error)) return overLimit();
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

/** The first buffer of a matrix body; larger bodies grow into their declared length. */
const FIRST_BODY_BYTES = 64 * 1024 * 1024;

/**
 * A matrix body as one Buffer. With a Content-Length (and no Content-Encoding) the bytes
 * go straight into a buffer of that length: express.raw keeps the chunks and then their
 * concatenation, twice the body at its peak (760 MB for a 380 MB JSON matrix). Other
 * bodies (chunked ones of a type that is no matrix format, or of an encoding that is not
 * decoded as it streams, which express.raw refuses: 415) go through express.raw. Errors are express.raw's: a
 * body over the limit has type "entity.too.large", a cut-off one is a 400.
 */
function matrixBody(limit: number): RequestHandler {
  const fallback = express.raw({ type: () => true, limit });
  return (req, res, next) => {
    const declared = req.header("content-length") ?? "";
    if (!/^\d{1,16}$/.test(declared) || encodingOf(req) !== "identity") return fallback(req, res, next);
    const length = Number(declared);
    if (length > limit) return next(Object.assign(new Error("request entity too large"), { type: "entity.too.large", status: 413, limit }));
    // 64 MiB at first, then the declared length once that much came: a client that
    // declares 2 GiB and sends little holds little
    let body = Buffer.allocUnsafe(Math.min(length, FIRST_BODY_BYTES));
    let at = 0;
    let done = false;
    const finish = (error?: unknown) => {
      if (done) return;
      done = true;
      req.removeListener("data", onData);
      if (error) return next(error);
      req.body = body;
      next();
    };
    // Node's parser never gives more bytes than Content-Length says; fewer means the client went away
    const onData = (chunk: Buffer) => {
      if (at + chunk.length > body.length) {
        const grown = Buffer.allocUnsafe(length); // the client sent the first 64 MiB: room for all of it
        body.copy(grown, 0, 0, at);
        body = grown;
      }
      at += chunk.copy(body, at);
    };
    req.on("data", onData);
    req.on("end", () => finish(at === length ? undefined : Object.assign(new Error("request size did not match content length"), { status: 400 })));
    req.on("aborted", () => finish(Object.assign(new Error("request aborted"), { status: 400 })));
    req.on("error", (error) => finish(Object.assign(error, { status: 400 })));
    req.on("close", () => finish(at === length ? undefined : Object.assign(new Error("request aborted"), { status: 400 })));
  };
}

/**
 * A large NPY body (or one of unknown length) is not read here: its values stream into
 * the blob store (MatrixValues.receiveNpy) instead of being held whole.
 */
function streamsNpy(req: Request): boolean {
  if ((req.header("content-type") ?? "").split(";")[0].trim().toLowerCase() !== "application/x-numpy" || undecodable(req)) return false;
  const length = declaredLength(req);
  return length === undefined || length > INLINE_MATRIX_BYTES;
}

/**
 * A large JSON or CSV matrix (or one of unknown length) is not read here either:
 * MatrixValues.receiveText reads it piece by piece, never holding its text. A small one
 * with a declared length is read here into one buffer, as small NPY bodies are: the same
 * reader then parses it (ERT's 2000-value records cost ~0.2 ms more server CPU each
 * through the stream's machinery).
 */
function streamsText(req: Request): boolean {
  const type = matrixMediaType(req.header("content-type"));
  if ((type !== "application/json" && type !== "text/csv") || undecodable(req)) return false;
  const length = declaredLength(req);
  return length === undefined || length > WHOLE_TEXT_BYTES;
}

/**
 * A Parquet body too large to be kept as posted (and so answered byte for byte), or of
 * unknown length (chunked), is not read here: MatrixValues.receiveParquet holds one up to
 * that size and spools a larger one to a file.
 */
function streamsParquet(req: Request): boolean {
  if (matrixMediaType(req.header("content-type")) !== "application/x-parquet" || undecodable(req)) return false;
  const length = declaredLength(req);
  return length === undefined || length > PARQUET_AS_POSTED_LIMIT;
}

/** The body's Content-Encoding, lower case ("identity" when there is none). */
export function encodingOf(req: Request): string {
  return (req.header("content-encoding") ?? "identity").trim().toLowerCase();
}

/** The decoders of the Content-Encodings a matrix body may have while it streams. */
const DECODERS = new Map<string, () => Transform>([
  ["gzip", () => zlib.createGunzip()],
  ["x-gzip", () => zlib.createGunzip()],
  ["deflate", () => zlib.createInflate()],
]);

/**
 * A matrix body of an encoding that is not decoded as it streams: it goes through
 * express.raw, which refuses it (415). A gzip or deflate body streams, decoded as it
 * arrives: a few megabytes of gzip can hold gigabytes of zeros, which express.raw held
 * whole (a 1.7 MB body of a 400 MB matrix took the server to 859 MB).
 */
function undecodable(req: Request): boolean {
  const encoding = encodingOf(req);
  return encoding !== "identity" && !DECODERS.has(encoding);
}

/** The body's length as declared: none when it is compressed (its Content-Length is not the decoded length) or chunked. */
export function declaredLength(req: Request): number | undefined {
  const declared = req.header("content-length");
  return declared === undefined || encodingOf(req) !== "identity" ? undefined : Number(declared);
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
 * A streamed body (a staged block, a matrix) cut off at limit bytes with a 413. A declared
 * Content-Length over the limit is refused before anything is read. With decode, a gzip or
 * deflate body (Content-Encoding) is decoded as it arrives and the limit counts decoded
 * bytes (as express.raw's does); a block is stored as sent, whatever its encoding.
 */
export function limitedBody(req: Request, limit: number, what: string, variable: string, decode = false): Readable {
  const encoding = decode ? encodingOf(req) : "identity";
  const decoder = encoding === "identity" ? null : DECODERS.get(encoding);
  if (decoder === undefined) throw Errors.http(415, `Unsupported Content-Encoding '${encoding}'; gzip and deflate are decoded`);
  const declared = declaredLength(req);
  if (decoder === null && declared !== undefined && declared > limit) throw tooLarge(limit, what, variable);
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
  // pipe() passes no abort on: a client that goes away mid-body would leave the reader
  // waiting for ever. The body ends in an error instead (the answer goes nowhere).
  const cutOff = () => {
    if (!req.complete && !limited.destroyed) limited.destroy(Object.assign(new Error("request aborted"), { status: 400 }));
  };
  req.on("aborted", cutOff);
  req.on("close", cutOff);
  if (decoder === null) return req.pipe(limited);
  const decoding = decoder();
  decoding.on("error", (error) => {
    req.unpipe(decoding);
    limited.destroy(Object.assign(new Error(`The body is not valid ${encoding} (Content-Encoding): ${error.message}`), { status: 400 }));
  });
  // read to its end, refused or left by its reader: the decoder goes with it
  limited.on("close", () => {
    req.unpipe(decoding);
    decoding.destroy();
  });
  req.pipe(decoding).pipe(limited);
  return limited;
}

/**
 * res.json writes NaN and Infinity as Python's json module does, labelled plain
 * `application/json` as FastAPI labels it (Express would add "; charset=utf-8").
 */
export const pythonJson: RequestHandler = (_req, res, next) => {
  res.json = (body: unknown) => {
    if (!res.get("Content-Type")) res.setHeader("Content-Type", "application/json");
    return res.send(encodeJson(body));
  };
  next();
};

/** The request's JSON body exactly as parsed, before validation touched it. */
export function exactBody<T>(req: Request): T {
  return req.res!.locals.exactBody as T;
}
