// The one error type of the server. Every layer throws it; the HTTP error
// handler and GraphQL turn it into the contract's bodies:
//   "domain"     -> {"detail": {...query, ...path, ...extra, "error": message}}
//   "plain"      -> {"detail": message}
//   "validation" -> {"detail": [{"loc": [...], "msg": ..., "type": ...}]}  (pydantic's shape)

export interface ValidationItem {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export type ErrorShape =
  | { kind: "domain"; extra: Record<string, unknown> }
  | { kind: "plain" }
  | { kind: "validation"; items: ValidationItem[] };

export type ErrorCode =
  | "not_found"
  | "conflict"
  | "expectation"
  | "unprocessable"
  | "invalid"
  | "bad_request"
  | "unauthenticated"
  | "too_large"
  | "unsupported_media_type"
  | "unavailable";

const STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthenticated: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media_type: 415,
  expectation: 417,
  unprocessable: 422,
  invalid: 422,
  unavailable: 503,
};

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly shape: ErrorShape = { kind: "domain", extra: {} },
    status?: number,
  ) {
    super(message);
    this.status = status ?? STATUS[code];
  }
}

const domain = (code: ErrorCode) => (message: string, extra: Record<string, unknown> = {}) =>
  new AppError(code, message, { kind: "domain", extra });

export const Errors = {
  notFound: domain("not_found"),
  conflict: domain("conflict"),
  expectation: domain("expectation"),
  unprocessable: domain("unprocessable"),
  badRequest: domain("bad_request"),
  /** A row looked up by id that does not exist: the original answers {"detail": "Item not found"}. */
  itemNotFound: () => new AppError("not_found", "Item not found", { kind: "plain" }),
  /** 403 with a plain detail: "Not authenticated" or "Invalid token". */
  unauthenticated: (message: string) => new AppError("unauthenticated", message, { kind: "plain" }),
  /** Schema validation of a request: a 422 list naming each offending field. */
  invalid: (items: ValidationItem[]) =>
    new AppError("invalid", items.map((i) => `${i.loc.join(".")}: ${i.msg}`).join("; "), { kind: "validation", items }),
  /** One malformed field of a request. */
  invalidField: (loc: (string | number)[], msg: string, type: string) => Errors.invalid([{ loc, msg, type }]),
  /** A client error the HTTP machinery found (a 4xx of its own), with a plain detail. */
  http: (status: number, message: string) => new AppError("bad_request", message, { kind: "plain" }, status),
  tooLarge: (message: string) => new AppError("too_large", message, { kind: "plain" }),
  /** A backend (database, blob store) cannot be reached; the client may retry. */
  unavailable: (message: string) => new AppError("unavailable", message, { kind: "plain" }),
};
