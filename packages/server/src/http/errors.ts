// The one error handler after the routes: every error becomes the contract's body.
import type { ErrorRequestHandler, Express, Request, Response } from "express";
import { ValidateError } from "@tsoa/runtime";
import { MulterError } from "multer";
import { AppError, Errors, type ValidationItem } from "../errors";
import { BlobStoreUnavailable } from "../store/blob";
import { translateDbError } from "../store/db/sql";

/** The request's query parameters as a flat object of strings, as the original echoes them. */
function queryParams(req: Request): Record<string, string> {
  const url = new URL(req.originalUrl, "http://localhost");
  return Object.fromEntries(url.searchParams.entries());
}

/** Path parameters of the matched route, kept by routeParams below (Express resets req.params for error handlers). */
function pathParams(res: Response): Record<string, string> {
  return (res.locals.params as Record<string, string> | undefined) ?? {};
}

export const PATH_PARAMS = ["experiment_id", "ensemble_id", "name", "record_id", "observation_id", "update_id"];

/** Registers app.param hooks that remember the path parameters for error bodies. */
export function rememberPathParams(app: Express): void {
  for (const name of PATH_PARAMS) {
    app.param(name, (_req, res, next, value) => {
      res.locals.params = { ...pathParams(res), [name]: String(value) };
      next();
    });
  }
}

function validationItems(res: Response, error: ValidateError): ValidationItem[] {
  return Object.entries(error.fields).flatMap(([key, field]) => {
    const union = unionIssues(field.message);
    if (union) return union.map(([k, message]) => ({ loc: locOf(res, k), ...describe(message) }));
    return [{ loc: locOf(res, key), ...describe(field.message) }];
  });
}

/**
 * Where a tsoa field key points, as pydantic writes it: ["body", "size"], ["query", "x"],
 * ["path", "id"]; array positions ("$0") as numbers. tsoa drops the "body." prefix for
 * items of a body array, so a key that names no path or query parameter is the body's.
 */
function locOf(res: Response, key: string): (string | number)[] {
  const parts: (string | number)[] = key.split(".").map((p) => (/^\$\d+$/.test(p) ? Number(p.slice(1)) : p));
  if (parts[0] === "file") return ["body", "file"];
  if (parts[0] === "body") return parts;
  if (key in pathParams(res)) return ["path", key];
  // tsoa names items of a body array without the "body." prefix ("active_realizations.$0")
  const inQuery = typeof parts[0] === "string" && parts[0] in (res.req?.query ?? {});
  if (!inQuery && parts.some((p) => typeof p === "number")) return ["body", ...parts];
  return ["query", ...parts];
}

const UNION = "Could not match the union against any of the items. Issues: ";
type Issues = Record<string, { message: string }>;

/**
 * tsoa reports a value that matches no member of a union as one message holding every
 * member's issues. Clients need the few that matter: for a tagged union (a prior's
 * `function`) the tag itself when no member takes it, else the issues of the member
 * that came closest (ignoring the `null` of an optional field).
 */
function unionIssues(message: string): [string, string][] | null {
  if (!message.startsWith(UNION)) return null;
  let members: Issues[];
  try {
    members = JSON.parse(message.slice(UNION.length)) as Issues[];
  } catch {
    return null;
  }
  if (!Array.isArray(members) || members.length === 0) return null;
  const oneOf = /^should be one of the following; \[(.*)\]$/;
  // the tag no member takes: a key every member refuses with "should be one of"
  for (const key of Object.keys(members[0])) {
    const allowed = members.map((m) => oneOf.exec(m[key]?.message ?? "")?.[1]);
    if (allowed.every((a) => a !== undefined) && !allowed.includes("null")) {
      return [[key, `unexpected value; permitted: ${allowed.join(", ")}`]];
    }
  }
  // keys every member requires and none got (the tag missing)
  const required = Object.keys(members[0]).filter((key) => members.every((m) => /is required$/.test(m[key]?.message ?? "")));
  if (required.length > 0) return required.map((key) => [key, members[0][key].message]);
  const candidates = members.filter((m) => !Object.values(m).some((i) => /^should be one of the following; \[null\]$/.test(i.message)));
  const closest = (candidates.length > 0 ? candidates : members).reduce((best, m) => (Object.keys(m).length < Object.keys(best).length ? m : best));
  return Object.entries(closest).map(([key, issue]) => [key, issue.message]);
}

/** tsoa's messages in the words pydantic uses, which clients may match on. */
function describe(message: string): { msg: string; type: string } {
  if (/required/i.test(message)) return { msg: "field required", type: "value_error.missing" };
  if (message.startsWith("Not match in '^[0-9a-fA-F]{8}")) return { msg: "value is not a valid uuid", type: "type_error.uuid" };
  if (/invalid integer/i.test(message)) return { msg: "value is not a valid integer", type: "type_error.integer" };
  if (/invalid float|invalid number/i.test(message)) return { msg: "value is not a valid float", type: "type_error.float" };
  if (/invalid boolean/i.test(message)) return { msg: "value could not be parsed to a boolean", type: "type_error.bool" };
  if (/^invalid array$/i.test(message)) return { msg: "value is not a valid list", type: "type_error.list" };
  if (/^invalid object$/i.test(message)) return { msg: "value is not a valid dict", type: "type_error.dict" };
  if (/^invalid string value$/i.test(message)) return { msg: "str type expected", type: "type_error.str" };
  if (message.startsWith("unexpected value; permitted:")) return { msg: message, type: "value_error.const" };
  const min = /^min (-?\d+(?:\.\d+)?)$/.exec(message);
  if (min) return { msg: `ensure this value is greater than or equal to ${min[1]}`, type: "value_error.number.not_ge" };
  const max = /^max (-?\d+(?:\.\d+)?)$/.exec(message);
  if (max) return { msg: `ensure this value is less than or equal to ${max[1]}`, type: "value_error.number.not_le" };
  return { msg: message, type: "type_error" };
}

/** Any error as an AppError: ours as they are, the libraries' translated; undefined for a bug. */
export function asAppError(error: unknown, res: Response): AppError | undefined {
  if (error instanceof AppError) return error;
  if (error instanceof ValidateError) return Errors.invalid(validationItems(res, error));
  if (error instanceof MulterError) {
    return Errors.invalidField(["body", error.field ?? "file"], error.message, "value_error.multipart");
  }
  if (error instanceof BlobStoreUnavailable) return Errors.unavailable(error.message);
  const e = error as { type?: string; limit?: number; status?: number; message?: string };
  if (e?.type === "entity.too.large") return Errors.tooLarge(`Request body larger than ${e.limit} bytes`);
  if (typeof e?.status === "number" && e.status >= 400 && e.status < 500) {
    return Errors.http(e.status, String(e.message ?? "Bad request"));
  }
  const translated = translateDbError(error);
  return translated instanceof AppError ? translated : undefined;
}

/** What is read and dropped of a refused body at most, and for how long. */
const DRAIN_BYTES = 64 * 1024 * 1024;
const DRAIN_MS = 10_000;

/** Reads the rest of the request's body, then done(false); done(true) when it gives up. */
function drain(req: Request, done: (close: boolean) => void): void {
  let finished = false;
  let dropped = 0;
  const finish = (close: boolean) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    req.removeListener("data", onData);
    if (close) req.pause();
    done(close);
  };
  const onData = (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > DRAIN_BYTES) finish(true);
  };
  const timer = setTimeout(() => finish(true), DRAIN_MS);
  timer.unref();
  req.unpipe();
  req.on("data", onData);
  req.once("end", () => finish(false));
  req.once("close", () => finish(!req.complete));
  req.resume();
}

/** The one error handler after the routes: every error becomes the contract's body. */
export const errorHandler: ErrorRequestHandler = (error, req, res, _next) => {
  if (res.headersSent) {
    // broken off mid-answer (the client sees it cut short): logged as ours, with the request's id
    console.error(`[${String(res.getHeader("x-request-id"))}] ${req.method} ${req.path} failed mid-answer:`, error);
    res.destroy();
    return;
  }
  const known = asAppError(error, res);
  if (known) {
    const { shape } = known;
    const detail =
      shape.kind === "domain"
        ? { ...queryParams(req), ...pathParams(res), ...shape.extra, error: known.message }
        : shape.kind === "validation"
          ? shape.items
          : known.message;
    const send = (close: boolean) => {
      if (res.headersSent) return;
      if (close) res.setHeader("Connection", "close");
      res.status(known.status).json({ detail });
    };
    // A body refused half-read (a streamed matrix, a block, one over its limit) leaves bytes
    // on the way: the rest is read and dropped before the answer, so that the client, still
    // sending, gets to read it (closing at once made it fail writing, EPIPE or a reset) and
    // the connection serves the next request. A body declaring more than DRAIN_BYTES is not
    // read, nor is more than DRAIN_BYTES of one: the connection closes after the answer.
    if (req.complete) return send(false);
    // a client gone (or a length beyond reading): nothing to wait for
    if (req.socket.destroyed || Number(req.headers["content-length"]) > DRAIN_BYTES) return send(true);
    drain(req, send);
    return;
  }
  const requestId = res.getHeader("x-request-id");
  console.error(`[${String(requestId)}] ${req.method} ${req.path} failed:`, error);
  res.status(500).json({ detail: "Internal server error", request_id: requestId });
};
