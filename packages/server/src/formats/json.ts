// JSON with Python's extensions: NaN, Infinity and -Infinity as bare tokens.
import { randomBytes } from "node:crypto";
import { checkShape, FormatError, size, type Matrix } from "./matrix";
import { bufferFor, MAX_FLOAT_TEXT, writeAscii, writeJsonFloat } from "./floatText";
import { pyFloat, pyJsonFloat } from "./pyfloat";

/** Parses JSON text, accepting NaN, Infinity and -Infinity outside strings. Numbers are exact (-0 included). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (!/NaN|Infinity/.test(text)) throw error;
  }
  // Quote the bare tokens as strings no input can hold (a random tag), then turn them back.
  let tag: string;
  do tag = `\u0000${randomBytes(8).toString("hex")}`;
  while (text.includes(tag));
  const special: Record<string, number> = { [`${tag}NaN`]: NaN, [`${tag}Infinity`]: Infinity, [`${tag}-Infinity`]: -Infinity };
  return JSON.parse(quoteSpecialNumbers(text, tag), (_key, value) =>
    typeof value === "string" && value.startsWith(tag) && value in special ? special[value] : value,
  );
}

function quoteSpecialNumbers(text: string, tag: string): string {
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
      out += JSON.stringify(`${tag}NaN`);
      i += 3;
    } else if (text.startsWith("-Infinity", i)) {
      out += JSON.stringify(`${tag}-Infinity`);
      i += 9;
    } else if (text.startsWith("Infinity", i)) {
      out += JSON.stringify(`${tag}Infinity`);
      i += 8;
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

/**
 * Serializes like Python's json.dumps(allow_nan=True), compact: NaN and Infinity as
 * bare tokens, -0 as -0.0, every other number in its shortest exact form. Parsing the
 * text with parseJson gives back every number bit for bit.
 */
export function stringifyJson(value: unknown): string {
  return encodeJson(value).toString("utf8");
}

/**
 * stringifyJson's text as UTF-8, written straight into one growing buffer: answers
 * of a few hundred thousand numbers (an observation's values and errors) are 12 MB,
 * which a token per string and a join took ~0.5 s to write.
 */
export function encodeJson(value: unknown): Buffer {
  const writer = new JsonWriter();
  writer.write(value);
  return writer.bytes();
}

/**
 * A float64 as JSON number text that reads back bit for bit. Outside [1e-4, 1e16)
 * it is written as Python writes floats (1e-05, 1.2345678901234568e+20): JavaScript
 * would write 123456789012345680000, which Python reads as an int that is not equal
 * to the float.
 */
export function jsonNumber(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "NaN" : x > 0 ? "Infinity" : "-Infinity";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0";
  const abs = Math.abs(x);
  return abs >= 1e16 || abs < 1e-4 ? pyFloat(x) : String(x);
}

/**
 * jsonNumber(x) as ASCII at out[at..]; the new end (out needs MAX_FLOAT_TEXT bytes of room).
 * Python's repr and JavaScript's String agree on the digits of a fraction in [1e-4, 1e16)
 * (both the shortest that reads back, the nearest of those); a whole number there is
 * written as an integer ("3", not Python's "3.0"), as JavaScript writes it.
 */
export function writeJsonNumber(out: Uint8Array, at: number, x: number): number {
  if (x === 0) return writeAscii(out, at, Object.is(x, -0) ? "-0.0" : "0");
  if ((x | 0) === x) return writeInt32(out, at, x); // indices and counts: ~4x faster than the float path
  const end = writeJsonFloat(out, at, x);
  return Number.isInteger(x) && x < 1e16 && x > -1e16 ? end - 2 : end; // drop ".0"
}

/** A nonzero int32 in decimal at out[at..]; the new end. */
function writeInt32(out: Uint8Array, at: number, x: number): number {
  if (x < 0) {
    out[at++] = 0x2d; // -
    x = -x; // 2^31 for -2^31: still exact
  }
  let end = at;
  for (let rest = x; rest >= 1; rest = Math.floor(rest / 10)) end++;
  for (let i = end - 1, rest = x; i >= at; i--) {
    const next = Math.floor(rest / 10);
    out[i] = 0x30 + rest - next * 10;
    rest = next;
  }
  return end;
}

/** A string that JSON writes as itself between quotes: printable ASCII without " and \. */
const PLAIN_STRING = /^[ !#-[\]-~]*$/;

class JsonWriter {
  private out = Buffer.allocUnsafe(1024);
  private at = 0;

  bytes(): Buffer {
    return this.out.subarray(0, this.at);
  }

  write(v: unknown): void {
    switch (typeof v) {
      case "number":
        this.room(MAX_FLOAT_TEXT);
        this.at = writeJsonNumber(this.out, this.at, v);
        return;
      case "string":
        this.string(v);
        return;
      case "boolean":
        this.ascii(v ? "true" : "false");
        return;
      case "bigint":
        this.ascii(v.toString());
        return;
      case "object": {
        if (v === null) break;
        const withJson = v as { toJSON?: () => unknown };
        if (typeof withJson.toJSON === "function") return this.write(withJson.toJSON());
        if (Array.isArray(v) || ArrayBuffer.isView(v)) {
          const items = v as ArrayLike<unknown>;
          this.byte(0x5b); // [
          for (let i = 0; i < items.length; i++) {
            if (i > 0) this.byte(0x2c); // ,
            const item = items[i];
            this.write(item === undefined || typeof item === "function" ? null : item);
          }
          this.byte(0x5d); // ]
          return;
        }
        this.byte(0x7b); // {
        let first = true;
        for (const key of Object.keys(v)) {
          const item = (v as Record<string, unknown>)[key];
          if (item === undefined || typeof item === "function") continue;
          if (!first) this.byte(0x2c);
          first = false;
          this.string(key);
          this.byte(0x3a); // :
          this.write(item);
        }
        this.byte(0x7d); // }
        return;
      }
    }
    this.ascii("null");
  }

  private string(s: string): void {
    if (PLAIN_STRING.test(s)) {
      this.room(s.length + 2);
      this.out[this.at++] = 0x22;
      this.at += this.out.write(s, this.at, "latin1");
      this.out[this.at++] = 0x22;
      return;
    }
    const quoted = JSON.stringify(s);
    this.room(3 * quoted.length); // UTF-8 takes at most 3 bytes a UTF-16 unit
    this.at += this.out.write(quoted, this.at, "utf8");
  }

  private ascii(text: string): void {
    this.room(text.length);
    this.at = writeAscii(this.out, this.at, text);
  }

  private byte(b: number): void {
    this.room(1);
    this.out[this.at++] = b;
  }

  /** Makes room for n more bytes. */
  private room(n: number): void {
    if (this.at + n <= this.out.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.out.length, this.at + n));
    this.out.copy(grown, 0, 0, this.at);
    this.out = grown;
  }
}

/** Deeper than any matrix may be (see checkShape): probing stops there. */
const MAX_DEPTH = 1000;

/** A nested array of numbers of any dimension to a matrix; ragged arrays are an error. */
export function matrixFromJson(value: unknown): Matrix {
  const shape: number[] = [];
  let probe = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0];
    if (shape.length > MAX_DEPTH) break;
  }
  checkShape(shape);
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
  throw new FormatError(`${shortJson(node)} is not a number`);
}

/** A value as JSON for a message: at most 100 characters, and no stack overflow on deep nesting. */
function shortJson(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    return "a deeply nested value";
  }
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}

/** Nested arrays in Python's float notation (1.0, 1e-05, NaN), the way the original answers. */
export function writeNestedJson(data: Float64Array, shape: number[]): string {
  return encodeNestedJson(data, shape).toString("latin1");
}

/**
 * writeNestedJson's text as bytes (all ASCII), written straight into one buffer: `into`
 * when the longest text the values could take fits there, else one of its own sized so
 * (its pages past the end are never touched).
 */
export function encodeNestedJson(data: Float64Array, shape: number[], into?: Uint8Array): Buffer {
  if (shape.length === 0) return Buffer.from(pyJsonFloat(data[0]), "latin1");
  let arrays = 0;
  for (let d = 0, count = 1; d < shape.length; count *= shape[d], d++) arrays += count;
  const out = bufferFor(size(shape) * (MAX_FLOAT_TEXT + 2) + arrays * 4, into);
  const width = shape[shape.length - 1];
  let at = 0;
  let offset = 0;
  const walk = (depth: number): void => {
    out[at++] = 0x5b; // [
    if (depth === shape.length - 1) {
      for (let i = 0; i < width; i++) {
        if (i > 0) {
          out[at++] = 0x2c; // ,
          out[at++] = 0x20;
        }
        at = writeJsonFloat(out, at, data[offset++]);
      }
    } else {
      for (let i = 0; i < shape[depth]; i++) {
        if (i > 0) {
          out[at++] = 0x2c;
          out[at++] = 0x20;
        }
        walk(depth + 1);
      }
    }
    out[at++] = 0x5d; // ]
  };
  walk(0);
  return out.subarray(0, at);
}
