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
  return Object.entries(error.fields).map(([key, field]) => {
    const parts = key.split(".");
    let loc: (string | number)[];
    if (parts[0] === "body" || parts[0] === "file") loc = parts[0] === "file" ? ["body", "file"] : parts;
    else if (key in pathParams(res)) loc = ["path", key];
    else loc = ["query", ...parts];
    return { loc, ...describe(field.message) };
  });
}

/** tsoa's messages in the words pydantic uses, which clients may match on. */
function describe(message: string): { msg: string; type: string } {
  if (/required/i.test(message)) return { msg: "field required", type: "value_error.missing" };
  if (message.startsWith("Not match in '^[0-9a-fA-F]{8}")) return { msg: "value is not a valid uuid", type: "type_error.uuid" };
  if (/invalid integer/i.test(message)) return { msg: "value is not a valid integer", type: "type_error.integer" };
  if (/invalid float|invalid number/i.test(message)) return { msg: "value is not a valid float", type: "type_error.float" };
  if (/invalid boolean/i.test(message)) return { msg: "value could not be parsed to a boolean", type: "type_error.bool" };
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

/** The one error handler after the routes: every error becomes the contract's body. */
export const errorHandler: ErrorRequestHandler = (error, req, res, next) => {
  if (res.headersSent) return next(error);
  const known = asAppError(error, res);
  if (known) {
    const { shape } = known;
    const detail =
      shape.kind === "domain"
        ? { ...queryParams(req), ...pathParams(res), ...shape.extra, error: known.message }
        : shape.kind === "validation"
          ? shape.items
          : known.message;
    res.status(known.status).json({ detail });
    return;
  }
  const requestId = res.getHeader("x-request-id");
  console.error(`[${String(requestId)}] ${req.method} ${req.path} failed:`, error);
  res.status(500).json({ detail: "Internal server error", request_id: requestId });
};
