// How a matrix is stored: float64 values as one little-endian blob in C order,
// its shape, and its labels as JSON text ({"kind", "values"}). Bytes and text
// both come back bit for bit. A large matrix keeps its values in the blob store
// (blob_key, bounded chunks) instead of the data column; the domain reads them.
import type { Labels, Matrix } from "../../formats/matrix";
import type { Columns } from "./copyOut";
import { fromJsonText, toJsonText } from "./values";

export interface MatrixColumns {
  shape: number[];
  data: Buffer | null;
  matrix_blob_key: string | null;
  column_labels: string | null;
  row_labels: string | null;
}

/** A stored matrix: its values at hand, or the blob store key they are under. */
export type StoredMatrix = Omit<Matrix, "data"> & ({ data: Float64Array; blobKey: null } | { data: null; blobKey: string });

/** The columns every matrix query selects, for a matrix aliased m. */
export const MATRIX_COLUMNS = "m.shape, m.data, m.blob_key AS matrix_blob_key, m.column_labels, m.row_labels";
/** MATRIX_COLUMNS' types, for reading them through COPY (Sql.copyRows). */
export const MATRIX_COLUMN_TYPES: Columns = [
  ["shape", "int4[]"],
  ["data", "bytea"],
  ["matrix_blob_key", "text"],
  ["column_labels", "text"],
  ["row_labels", "text"],
];

/** The matrix as the parameters of an insert (shape, data, column_labels, row_labels). */
export function matrixParams(m: StoredMatrix): [number[], Buffer | null, string | null, string | null] {
  return [
    m.shape,
    m.data ? Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength) : null,
    m.columns ? labelsText(m.columns) : null,
    m.index ? labelsText(m.index) : null,
  ];
}

/**
 * Labels as JSON text. Labels that are all strings (ERT's dates) go through
 * JSON.stringify, exact for strings and many times faster than the writer numbers
 * need (-0, NaN, Python's float text).
 */
function labelsText(labels: Labels): string {
  return labels.values.every((v) => typeof v === "string") ? JSON.stringify(labels) : toJsonText(labels);
}

/**
 * Label texts parsed once each: the per-realization records of a name mostly share
 * their labels (20000 dates x 200 realizations would be 4 million strings to parse).
 * The matrices read in one query share the parsed labels, which nobody mutates.
 */
export class LabelTexts {
  private readonly parsed = new Map<string, Labels | null>();

  parse(text: string | null): Labels | null {
    if (text === null) return null;
    let labels = this.parsed.get(text);
    if (labels === undefined) {
      labels = fromJsonText<Labels | null>(text);
      this.parsed.set(text, labels);
    }
    return labels;
  }
}

export function matrixFromColumns(row: MatrixColumns, texts = new LabelTexts()): StoredMatrix {
  const labels = {
    shape: row.shape,
    columns: texts.parse(row.column_labels),
    index: texts.parse(row.row_labels),
  };
  if (row.matrix_blob_key !== null) return { ...labels, data: null, blobKey: row.matrix_blob_key };
  return { ...labels, data: float64s(row.data!), blobKey: null };
}

/** The blob's float64 values; copied when the driver's buffer is not 8-byte aligned. */
export function float64s(bytes: Buffer): Float64Array {
  if (bytes.byteOffset % 8 === 0) return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
  return new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
