// Types shared by the controllers; tsoa reads their JSDoc for validation.

/**
 * A UUID.
 * @pattern ^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$
 * @example "8b3a6f0e-2f54-4b7c-9d1e-3f0a2b4c5d6e"
 */
export type UUID = string;

/**
 * A whole number.
 * @isInt
 */
export type Int = number;

/**
 * A float64, exact to the bit: NaN, Infinity and -Infinity are written as bare
 * JSON tokens, -0 as -0.0. (Its spec type is set in tsoa.json: tsoa's own number
 * check would turn -0 into 0 and refuse NaN.)
 */
export type Float64 = unknown;

export type { Userdata } from "../domain/userdata";

/** A domain error: the request's query and path parameters, extra fields, and `error`. */
export interface ErrorBody {
  detail: { error: string; [key: string]: unknown } | string;
}

/** A schema validation error, one entry per offending field. */
export interface ValidationErrorBody {
  detail: { loc: (string | number)[]; msg: string; type: string }[];
}
