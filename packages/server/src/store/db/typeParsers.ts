// How the repositories' connections read values sent as text. pg's own parsers, except
// int4[]: its parser (postgres-array, then parseInt per element) took ~0.24 µs an element,
// 1.2 ms of a GET /ensembles/{id} (and of every record POST, which reads the ensemble's
// rules) for an ensemble of 5000 active realizations.
import { types } from "pg";

const INT4_ARRAY = 1007;

/**
 * PostgreSQL's text of a one-dimensional int4[] ("{1,-2,NULL}") as numbers; anything
 * else it can send (several dimensions, bounds other than 1: "[0:1]={1,2}") goes to
 * pg's parser.
 */
export function parseInt4Array(text: string): (number | null)[] {
  const n = text.length;
  if (n < 2 || text.charCodeAt(0) !== 0x7b || text.charCodeAt(n - 1) !== 0x7d) return pgInt4Array(text);
  const out: (number | null)[] = [];
  if (n === 2) return out;
  let value = 0;
  let sign = 1;
  let digits = 0;
  for (let i = 1; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      value = value * 10 + (c - 0x30);
      digits++;
    } else if (c === 0x2c || c === 0x7d) {
      // , or the closing }
      if (digits === 0) return pgInt4Array(text);
      out.push(sign * value);
      value = 0;
      sign = 1;
      digits = 0;
    } else if (c === 0x2d && digits === 0 && sign === 1) sign = -1;
    else if (c === 0x4e && text.startsWith("NULL", i) && digits === 0 && sign === 1) {
      out.push(null);
      i += 4; // at the , or } after NULL
      if (text.charCodeAt(i) !== 0x2c && i !== n - 1) return pgInt4Array(text);
    } else return pgInt4Array(text);
  }
  return out;
}

/** pg's parser of a type (its typings take only the OIDs pg-types names, not array types') */
const pgParser = types.getTypeParser as (oid: number, format?: "text" | "binary") => (text: string) => unknown;
const pgInt4Array = pgParser(INT4_ARRAY, "text") as (text: string) => (number | null)[];

/** pg's parsers, with parseInt4Array for int4[] as text. */
export function typeParser(oid: number, format?: "text" | "binary"): (text: string) => unknown {
  return oid === INT4_ARRAY && format !== "binary" ? parseInt4Array : pgParser(oid, format);
}

/** The pool's `types` */
export const TYPES = { getTypeParser: typeParser as typeof types.getTypeParser };
