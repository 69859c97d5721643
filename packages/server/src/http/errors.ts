// The one error handler after the routes: every error becomes the contract's body.
import type { ErrorRequestHandler, Express, Request, Response } from "express";
import { ValidateError } from "@tsoa/runtime";
import { MulterError } from "multer";
import { AppError, ItemNotFound } from "../domain/errors";
import { BlobStoreUnavailable } from "../store/blob";
import { AuthError } from "./auth";

export interface ValidationItem {
  loc: (string | number)[];
  msg: string;
  type: string;
}

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

export class BodyError extends Error {
  constructor(
    readonly items: ValidationItem[],
    readonly status = 422,
  ) {
    super(items.map((i) => i.msg).join("; "));
  }
}

export const errorHandler: ErrorRequestHandler = (error, req, res, next) => {
  if (res.headersSent) return next(error);
  if (error instanceof AppError) {
    res.status(error.status).json({ detail: { ...queryParams(req), ...pathParams(res), ...error.extra, error: error.message } });
  } else if (error instanceof ItemNotFound) {
    res.status(404).json({ detail: "Item not found" });
  } else if (error instanceof AuthError) {
    res.status(403).json({ detail: error.message });
  } else if (error instanceof ValidateError) {
    res.status(422).json({ detail: validationItems(res, error) });
  } else if (error instanceof BodyError) {
    res.status(error.status).json({ detail: error.items });
  } else if (error instanceof BlobStoreUnavailable) {
    // file content cannot be stored or read right now (Azure unreachable); everything else still works
    res.status(503).json({ detail: error.message });
  } else if (error instanceof MulterError) {
    res.status(422).json({ detail: [{ loc: ["body", error.field ?? "file"], msg: error.message, type: "value_error.multipart" }] });
  } else if (error?.type === "entity.too.large") {
    res.status(413).json({ detail: `Request body larger than ${error.limit} bytes` });
  } else if (typeof error?.status === "number" && error.status >= 400 && error.status < 500) {
    res.status(error.status).json({ detail: String(error.message ?? "Bad request") });
  } else {
    const requestId = res.getHeader("x-request-id");
    console.error(`[${String(requestId)}] ${req.method} ${req.path} failed:`, error);
    res.status(500).json({ detail: "Internal server error", request_id: requestId });
  }
};
