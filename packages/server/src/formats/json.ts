// JSON with Python's extensions: NaN, Infinity and -Infinity as bare tokens.
import { FormatError, type Matrix } from "./matrix";
import { pyJsonFloat } from "./pyfloat";

const NAN = "\u0000ert-nan\u0000";
const POS_INF = "\u0000ert-inf\u0000";
const NEG_INF = "\u0000ert--inf\u0000";

/** Parses JSON text, accepting NaN, Infinity and -Infinity outside strings. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (!/NaN|Infinity/.test(text)) throw error;
  }
  return JSON.parse(quoteSpecialNumbers(text), (_key, value) =>
    value === NAN ? NaN : value === POS_INF ? Infinity : value === NEG_INF ? -Infinity : value,
  );
}

function quoteSpecialNumbers(text: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (text.startsWith("NaN", i)) {
      out += JSON.stringify(NAN);
      i += 3;
    } else if (text.startsWith("-Infinity", i)) {
      out += JSON.stringify(NEG_INF);
      i += 9;
    } else if (text.startsWith("Infinity", i)) {
      out += JSON.stringify(POS_INF);
      i += 8;
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

/** Serializes like Python's json.dumps(allow_nan=True): NaN and Infinity as bare tokens. */
export function stringifyJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (typeof v === "number" && !Number.isFinite(v)) return Number.isNaN(v) ? NAN : v > 0 ? POS_INF : NEG_INF;
    return v;
  })
    .split(JSON.stringify(NAN))
    .join("NaN")
    .split(JSON.stringify(POS_INF))
    .join("Infinity")
    .split(JSON.stringify(NEG_INF))
    .join("-Infinity");
}

/** A nested array of numbers of any dimension to a matrix; ragged arrays are an error. */
export function matrixFromJson(value: unknown): Matrix {
  const shape: number[] = [];
  let probe = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0];
  }
  const total = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(total);
  let offset = 0;
  const walk = (node: unknown, depth: number): void => {
    if (depth === shape.length) {
      data[offset++] = toFloat(node);
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      throw new FormatError("the nested arrays are ragged: every row must have the same length");
    }
    for (const child of node) walk(child, depth + 1);
  };
  walk(value, 0);
  return { shape, data, columns: null, index: null };
}

function toFloat(node: unknown): number {
  if (typeof node === "number") return node;
  if (node === null) return NaN;
  if (typeof node === "boolean") return node ? 1 : 0;
  if (typeof node === "string" && node.trim() !== "" && !Number.isNaN(Number(node))) return Number(node);
  throw new FormatError(`${JSON.stringify(node)} is not a number`);
}

/** Nested arrays in Python's float notation (1.0, 1e-05, NaN), the way the original answers. */
export function writeNestedJson(data: Float64Array, shape: number[]): string {
  if (shape.length === 0) return pyJsonFloat(data[0]);
  const width = shape[shape.length - 1];
  let offset = 0;
  const walk = (depth: number): string => {
    const items = new Array<string>(shape[depth]);
    if (depth === shape.length - 1) {
      for (let i = 0; i < width; i++) items[i] = pyJsonFloat(data[offset++]);
    } else {
      for (let i = 0; i < shape[depth]; i++) items[i] = walk(depth + 1);
    }
    return `[${items.join(", ")}]`;
  };
  return walk(0);
}
