// Values on their way into SQL parameters, exact: float64 arrays as array
// literals we write (node-postgres would send -0 as 0), JSON documents as text.
import { Errors } from "../../errors";
import { MAX_FLOAT_TEXT, writeJsonFloat } from "../../formats/floatText";
import { parseJson, stringifyJson } from "../../formats/json";

/** A float8[] literal that PostgreSQL reads back to the same bits (-0, NaN, ±Infinity included). */
export function float8Array(values: readonly number[]): string {
  const out = Buffer.allocUnsafe(2 + values.length * (MAX_FLOAT_TEXT + 1));
  let at = 0;
  out[at++] = 0x7b; // {
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out[at++] = 0x2c; // ,
    at = writeJsonFloat(out, at, values[i]); // Python's text (1.0, 1e-05, -0.0, NaN, Infinity): PostgreSQL reads each exactly
  }
  out[at++] = 0x7d; // }
  return out.toString("latin1", 0, at);
}

/** A JSON document as the text stored in a TEXT column. */
export function toJsonText(value: unknown): string {
  return stringifyJson(value);
}

/** A stored JSON document; null stays null. */
export function fromJsonText<T>(text: string | null): T {
  return (text === null ? null : parseJson(text)) as T;
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === "string" && UUID.test(value);
}

/** An id on its way into a query: a malformed one is a 422 naming its field, not a driver error. */
export function uuid(field: string, value: string): string {
  if (!isUuid(value)) throw Errors.unprocessable(`${field} '${String(value)}' is not a valid UUID`, { [field]: value });
  return value;
}
