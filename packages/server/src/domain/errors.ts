// The one error type of the domain. The HTTP layer turns it into
// {"detail": {...query, ...path, ...extra, "error": message}}.

export type ErrorKind = "not_found" | "conflict" | "expectation" | "unprocessable" | "bad_request";

const STATUS: Record<ErrorKind, number> = {
  bad_request: 400,
  not_found: 404,
  conflict: 409,
  expectation: 417,
  unprocessable: 422,
};

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.status = STATUS[kind];
  }
}

/** A row looked up by id that does not exist: the original answers {"detail": "Item not found"}. */
export class ItemNotFound extends Error {
  constructor(readonly what: string) {
    super(`${what} not found`);
  }
}

export const Errors = {
  notFound: (message: string, extra?: Record<string, unknown>) => new AppError("not_found", message, extra),
  conflict: (message: string, extra?: Record<string, unknown>) => new AppError("conflict", message, extra),
  expectation: (message: string, extra?: Record<string, unknown>) => new AppError("expectation", message, extra),
  unprocessable: (message: string, extra?: Record<string, unknown>) =>
    new AppError("unprocessable", message, extra),
  badRequest: (message: string, extra?: Record<string, unknown>) => new AppError("bad_request", message, extra),
};
