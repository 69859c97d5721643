// How a matrix is stored: float64 values as one little-endian blob in C order,
// its shape, and its labels as JSON text ({"kind", "values"}). Bytes and text
// both come back bit for bit.
import type { Labels, Matrix } from "../../formats/matrix";
import { fromJsonText, toJsonText } from "./values";

export interface MatrixColumns {
  shape: number[];
  data: Buffer;
  column_labels: string | null;
  row_labels: string | null;
}

/** The matrix as the parameters of an INSERT INTO matrix (shape, data, column_labels, row_labels). */
export function matrixParams(m: Matrix): [number[], Buffer, string | null, string | null] {
  return [
    m.shape,
    Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength),
    m.columns ? toJsonText(m.columns) : null,
    m.index ? toJsonText(m.index) : null,
  ];
}

export function matrixFromColumns(row: MatrixColumns): Matrix {
  return {
    shape: row.shape,
    data: float64s(row.data),
    columns: fromJsonText<Labels | null>(row.column_labels),
    index: fromJsonText<Labels | null>(row.row_labels),
  };
}

/** The blob's float64 values; copied when the driver's buffer is not 8-byte aligned. */
function float64s(bytes: Buffer): Float64Array {
  if (bytes.byteOffset % 8 === 0) return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
  return new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
