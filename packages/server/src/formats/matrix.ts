// The in-memory form of a stored matrix: float64 values in C order, a shape,
// and optional column and row labels that remember their kind.

export type LabelKind = "string" | "int" | "float" | "datetime";

/** Datetime values are ISO-8601 strings without a zone, e.g. "2010-01-01T00:00:00". */
export interface Labels {
  kind: LabelKind;
  values: (string | number)[];
}

export interface Matrix {
  shape: number[];
  data: Float64Array;
  columns: Labels | null;
  index: Labels | null;
}

/**
 * A 2-D frame whose values are blocks of whole rows, row-major, one after another. A
 * matrix's data is one block; a stack of records is a block per record, left where each
 * was read (a Parquet answer writes them column by column: copying them into one array
 * first cost more than the writing).
 */
export interface RowBlocks {
  rows: number;
  cols: number;
  blocks: Float64Array[];
  columns: Labels | null;
  index: Labels | null;
}

export function rowBlocksOf(m: Matrix): RowBlocks {
  return { ...as2d(m), blocks: [m.data], columns: m.columns, index: m.index };
}

/** The blocks' values one after the other in one array: the frame as a matrix. */
export function joinBlocks(table: RowBlocks): Matrix {
  const data = new Float64Array(table.rows * table.cols);
  let offset = 0;
  for (const block of table.blocks) {
    data.set(block, offset);
    offset += block.length;
  }
  return { shape: [table.rows, table.cols], data, columns: table.columns, index: table.index };
}

export class FormatError extends Error {}

/** A body that decodes to more than maxValues values (Parquet may hold many in few bytes), refused before they are decoded. */
export class TooManyValues extends FormatError {
  constructor(
    readonly what: string,
    readonly maxValues: number,
  ) {
    super(`${what} is more than the ${maxValues} values (${maxValues * 8} bytes of float64) one may decode to`);
  }
}

/** NumPy 2's limit; arrays nested deeper are not matrices anyone wrote on purpose. */
export const MAX_DIMENSIONS = 64;
/** Each axis is stored as a PostgreSQL integer. */
const MAX_AXIS = 2 ** 31 - 1;

/**
 * The longest axis of a matrix without values. Its axes cost nothing to post (an NPY
 * header of (2147483647, 0) is a hundred bytes) but everything to answer: a CSV or
 * Parquet answer holds a label for each row and column.
 */
export const MAX_EMPTY_AXIS = 1_000_000;

/** Refuses a shape that no stored matrix can have: too many axes, an axis too long, or an empty matrix too large. */
export function checkShape(shape: number[]): void {
  if (shape.length > MAX_DIMENSIONS) {
    throw new FormatError(`a matrix has at most ${MAX_DIMENSIONS} dimensions, not ${shape.length}`);
  }
  const long = shape.find((n) => n > MAX_AXIS);
  if (long !== undefined) throw new FormatError(`an axis of ${long} values is longer than the ${MAX_AXIS} a matrix can have`);
  if (shape.includes(0)) {
    const wide = shape.find((n) => n > MAX_EMPTY_AXIS);
    if (wide !== undefined) throw new FormatError(`a matrix without values has axes of at most ${MAX_EMPTY_AXIS}, not ${wide} (shape ${shape.join(" x ")})`);
  }
}

export function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function labelsOf(kind: LabelKind, values: (string | number)[]): Labels {
  return { kind, values };
}

/** Range labels 0..n-1 as pandas gives a frame without labels. */
export function rangeLabels(n: number, start = 0): Labels {
  // a loop into an array of its length: Array.from with a function took ~70 ms for a million, push ~35
  const values = new Array<number>(n);
  for (let i = 0; i < n; i++) values[i] = i + start;
  return { kind: "int", values };
}

/**
 * A 2-D view of a matrix as pandas would make a DataFrame of it: a scalar is
 * 1x1, a vector is one row, a 2-D matrix is itself.
 */
export function as2d(m: Pick<Matrix, "shape">): { rows: number; cols: number } {
  if (m.shape.length === 0) return { rows: 1, cols: 1 };
  if (m.shape.length === 1) return { rows: 1, cols: m.shape[0] };
  if (m.shape.length === 2) return { rows: m.shape[0], cols: m.shape[1] };
  throw new FormatError(`a ${m.shape.length}-dimensional matrix has no table form`);
}
