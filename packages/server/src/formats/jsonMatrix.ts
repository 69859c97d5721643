// A JSON matrix read straight from the request's bytes into float64 values: no text
// copy of the body, no tree of JavaScript arrays. Nested arrays of numbers (NaN,
// Infinity and -Infinity tokens, null as NaN, true/false as 1/0); anything else
// (strings, objects) goes to the general reader, which says what is wrong.
import { matrixFromJson, parseJson } from "./json";
import { checkShape, FormatError, MAX_DIMENSIONS, type Matrix } from "./matrix";

const SPACE = new Uint8Array(256);
for (const c of [0x20, 0x09, 0x0a, 0x0d]) SPACE[c] = 1;
/** Bytes a JSON number (or -Infinity) can be made of. */
const NUMBER = new Uint8Array(256);
for (const c of "0123456789+-.eE") NUMBER[c.charCodeAt(0)] = 1;

class NotFast extends Error {}

/** The most values in one block of the reader's output (8 MiB). */
const VALUE_BLOCK = 1 << 20;

/** Bytes of the body decoded to text at a time, for the numbers in them. */
const TEXT_WINDOW = 64 * 1024;

/**
 * Bodies up to this size are first tried with JSON.parse (V8's parser in C++, twice as
 * fast as the byte reader for ERT's 2000-value records); larger ones are not held as a
 * tree of JavaScript arrays.
 */
const TREE_BYTES = 1 << 20;

export function readJsonMatrix(body: Buffer): Matrix {
  return (body.length <= TREE_BYTES && fromTree(body)) || readJsonMatrixBytes(body);
}

/** The byte reader alone (readJsonMatrix for any size; tests compare both ways). */
export function readJsonMatrixBytes(body: Buffer): Matrix {
  try {
    return fastRead(body);
  } catch (error) {
    if (!(error instanceof NotFast)) throw error;
    return matrixFromJson(parseJson(body.toString("utf8")));
  }
}

/**
 * The matrix when the body is plain JSON of rectangular nested arrays of numbers, true,
 * false and null (read as fastRead reads them); null for anything else (NaN tokens,
 * strings, ragged arrays, syntax errors), which the byte reader then reads or names.
 * Latin-1 is exact here: a byte over 0x7f can only be inside a string, and a string
 * sends the body to the byte reader.
 */
function fromTree(body: Buffer): Matrix | null {
  let tree: unknown;
  try {
    tree = JSON.parse(body.toString("latin1"));
  } catch {
    return null;
  }
  const shape: number[] = [];
  for (let v = tree; Array.isArray(v); v = v[0]) {
    shape.push(v.length);
    if (shape.length > MAX_DIMENSIONS || v.length === 0) break;
  }
  if (shape.length > MAX_DIMENSIONS) return null;
  // every value takes a byte at least: a larger count is a ragged tree (not allocated)
  const total = shape.reduce((a, d) => a * d, 1);
  if (total > body.length) return null;
  const data = new Float64Array(total);
  let at = 0;
  const fill = (v: unknown, depth: number): boolean => {
    if (depth === shape.length) {
      if (typeof v === "number") data[at++] = v;
      else if (v === null) data[at++] = NaN;
      else if (typeof v === "boolean") data[at++] = v ? 1 : 0;
      else return false;
      return true;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) return false;
    for (let i = 0; i < v.length; i++) if (!fill(v[i], depth + 1)) return false;
    return true;
  };
  if (!fill(tree, 0)) return null;
  checkShape(shape);
  return { shape, data, columns: null, index: null };
}

function fastRead(b: Buffer): Matrix {
  const n = b.length;
  let i = 0;
  let windowStart = 0;
  let window = "";
  const skip = () => {
    while (i < n && SPACE[b[i]]) i++;
  };
  // values in blocks, joined once at the end: growing one array by doubling held up to
  // 2.6 times the values at once (the old array, the new, then the slice to size)
  const full: Float64Array[] = [];
  let values = new Float64Array(1024);
  let filled = 0;
  let count = 0;
  const push = (x: number) => {
    if (filled === values.length) {
      full.push(values);
      values = new Float64Array(Math.min(values.length * 2, VALUE_BLOCK));
      filled = 0;
    }
    values[filled++] = x;
    count++;
  };
  // shape[d]: the length every array at depth d has (-1 until the first one closes)
  const shape: number[] = [];
  const lengths: number[] = []; // items so far in the open array at each depth
  let leafDepth = -1; // the depth at which numbers sit, once known
  let depth = 0;
  skip();
  for (;;) {
    skip();
    if (i >= n) throw new FormatError("the JSON ends before the matrix does");
    const c = b[i];
    if (c === 0x5b /* [ */) {
      if (leafDepth >= 0 && depth >= leafDepth) throw new NotFast(); // an array where a number belongs: let the general reader say so
      if (depth >= MAX_DIMENSIONS) throw new FormatError(`a matrix has at most ${MAX_DIMENSIONS} dimensions, not more`);
      if (depth === shape.length) shape.push(-1);
      lengths[depth] = 0;
      depth++;
      i++;
      skip();
      if (b[i] === 0x5d /* ] */) {
        // an empty array: the innermost dimension is 0 here
        if (leafDepth < 0) leafDepth = depth;
        else if (leafDepth !== depth) throw ragged();
        i++;
        close(0);
        if (depth === 0) break;
        if (!next()) break;
      }
      continue;
    }
    // a value
    if (leafDepth < 0) leafDepth = depth;
    else if (leafDepth !== depth) throw ragged();
    push(scalar());
    if (depth === 0) break;
    lengths[depth - 1]++;
    if (!next()) break;
  }
  skip();
  if (i !== n) throw new NotFast(); // trailing text: let the general reader name it
  const dims = shape.slice(0, leafDepth);
  checkShape(dims);
  const total = dims.reduce((a, d) => a * d, 1);
  if (total !== count) throw ragged();
  return { shape: dims, data: joined(full, values, filled, count), columns: null, index: null };

  /** After a value or a closed array: "," continues, "]" closes (maybe several). False when the top closed. */
  function next(): boolean {
    for (;;) {
      skip();
      const c = b[i];
      if (c === 0x2c /* , */) {
        i++;
        return true;
      }
      if (c === 0x5d /* ] */) {
        i++;
        close(lengths[depth - 1]);
        if (depth === 0) return false;
        continue;
      }
      throw new NotFast();
    }
  }

  /** The array at depth-1 closes with this many items. */
  function close(items: number): void {
    depth--;
    if (shape[depth] === -1) shape[depth] = items;
    else if (shape[depth] !== items) throw ragged();
    if (depth > 0) lengths[depth - 1]++;
  }

  function scalar(): number {
    const c = b[i];
    if (c === 0x4e /* N */ && b.toString("latin1", i, i + 3) === "NaN") return (i += 3), NaN;
    if (c === 0x49 /* I */ && b.toString("latin1", i, i + 8) === "Infinity") return (i += 8), Infinity;
    if (c === 0x2d /* - */ && b[i + 1] === 0x49 && b.toString("latin1", i, i + 9) === "-Infinity") return (i += 9), -Infinity;
    if (c === 0x6e /* n */ && b.toString("latin1", i, i + 4) === "null") return (i += 4), NaN;
    if (c === 0x74 /* t */ && b.toString("latin1", i, i + 4) === "true") return (i += 4), 1;
    if (c === 0x66 /* f */ && b.toString("latin1", i, i + 5) === "false") return (i += 5), 0;
    // JSON's own number grammar, -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?, and no more
    // number characters after it; Number() alone would take "0x10", ".5" or "1."
    const start = i;
    if (b[i] === 0x2d /* - */) i++;
    if (b[i] === 0x30 /* 0 */) i++;
    else if (!digits()) throw new NotFast();
    if (b[i] === 0x2e /* . */) {
      i++;
      if (!digits()) throw new NotFast();
    }
    if (b[i] === 0x65 /* e */ || b[i] === 0x45 /* E */) {
      i++;
      if (b[i] === 0x2b /* + */ || b[i] === 0x2d /* - */) i++;
      if (!digits()) throw new NotFast();
    }
    if (i < n && NUMBER[b[i]]) throw new NotFast();
    return Number(text(start, i));
  }

  /**
   * The bytes start..end as text: a slice of a window of the body decoded once (a
   * Buffer.toString per number costs more than the number's parse).
   */
  function text(start: number, end: number): string {
    if (end - start > TEXT_WINDOW) return b.toString("latin1", start, end);
    if (start < windowStart || end > windowStart + window.length) {
      windowStart = start;
      window = b.toString("latin1", start, Math.min(n, start + TEXT_WINDOW));
    }
    return window.slice(start - windowStart, end - windowStart);
  }

  /** Skips a run of digits; false when there is none. */
  function digits(): boolean {
    const start = i;
    while (i < n && b[i] >= 0x30 && b[i] <= 0x39) i++;
    return i > start;
  }
}

/** The values of the full blocks and the first `filled` of the last, as one array. */
function joined(full: Float64Array[], last: Float64Array, filled: number, count: number): Float64Array {
  if (full.length === 0) return filled === last.length ? last : last.slice(0, filled);
  const data = new Float64Array(count);
  let at = 0;
  for (const block of full) {
    data.set(block, at);
    at += block.length;
  }
  data.set(last.subarray(0, filled), at);
  return data;
}

function ragged(): FormatError {
  return new FormatError("the nested arrays are ragged: every row must have the same length");
}
