// How a matrix is stored: float64 values as one little-endian blob in C order,
// its shape, and its labels as JSON text ({"kind", "values"}). Bytes and text
// both come back bit for bit. A large matrix keeps its values in the blob store
// (blob_key, bounded chunks) instead of the data column; the domain reads them.
import { Errors } from "../../errors";
import { checkLabelsText, isStringTooLong, labelsFromText, labelsJson, storedJsonOf } from "../../formats/labels";
import { FormatError, type Labels, type Matrix } from "../../formats/matrix";
import type { Columns } from "./copyOut";

export interface MatrixColumns {
  shape: number[];
  data: Buffer | null;
  matrix_blob_key: string | null;
  column_labels: string | null;
  /** the column labels are the previous row's (column_labels is NULL) */
  column_labels_repeat: boolean;
  row_labels: string | null;
}

/** A stored matrix: its values at hand, or the blob store key they are under. */
export type StoredMatrix = Omit<Matrix, "data"> & ({ data: Float64Array; blobKey: null } | { data: null; blobKey: string });

/**
 * The columns every matrix query selects, for a matrix aliased m of a record aliased r,
 * in a query ordered by r.realization. Column labels equal to the row before's (the same
 * digest) are not sent again: column_labels_repeat says to take that row's. data: what
 * is selected as the values (m.data, or NULL where they are read later).
 */
export function matrixColumns(data = "m.data"): string {
  return `m.shape, ${data} AS data, m.blob_key AS matrix_blob_key,
  CASE WHEN m.column_labels_sha256 = lag(m.column_labels_sha256) OVER (ORDER BY r.realization) THEN NULL ELSE m.column_labels END AS column_labels,
  COALESCE(m.column_labels_sha256 = lag(m.column_labels_sha256) OVER (ORDER BY r.realization), false) AS column_labels_repeat,
  m.row_labels`;
}
export const MATRIX_COLUMNS = matrixColumns();
/** MATRIX_COLUMNS' types, for reading them through COPY (Sql.copyRows). */
export const MATRIX_COLUMN_TYPES: Columns = [
  ["shape", "int4[]"],
  ["data", "bytea"],
  ["matrix_blob_key", "text"],
  ["column_labels", "text"],
  ["column_labels_repeat", "bool"],
  ["row_labels", "text"],
];

/** The matrix as the parameters of an insert (shape, data, column_labels, row_labels). */
export function matrixParams(m: StoredMatrix): [number[], Buffer | null, LabelsParam | null, LabelsParam | null] {
  return [
    m.shape,
    m.data ? Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength) : null,
    m.columns ? labelsText(m.columns) : null,
    m.index ? labelsText(m.index) : null,
  ];
}

/** Labels' JSON text as a parameter: a string, or its UTF-8 (pg sends a Buffer as is, which a text column takes). */
export type LabelsParam = string | Buffer;

/** Labels as JSON text: the text they came as (from the Parquet thread), else made here. */
function labelsText(labels: Labels): LabelsParam {
  const stored = storedJsonOf(labels);
  if (stored) return stored;
  let text = labelTexts.get(labels);
  if (text === undefined) {
    try {
      checkLabelsText(labels, "labels");
      text = labelsJson(labels);
    } catch (error) {
      if (error instanceof FormatError) throw Errors.unprocessable(`The matrix's ${labels.values.length} labels are more text than can be stored`);
      // longer than a JavaScript string may be (~512 M characters): 64M row labels of a
      // Parquet frame without an index column were a 500
      if (isStringTooLong(error)) {
        throw Errors.unprocessable(`The matrix's ${labels.values.length} labels are more text than can be stored`);
      }
      throw error;
    }
    // kept only when small: a reader keeps its last column labels, and with them their text
    if (text.length <= CACHED_LABEL_TEXT) labelTexts.set(labels, text);
  }
  return text;
}

/** The longest label text kept for labels written again (ERT's 2000 dates: ~44 kB). */
const CACHED_LABEL_TEXT = 4 << 20;

/** The text of labels written before: a reader gives the same (never mutated) labels object to files of the same columns (see parquet.ts columnLabels). */
const labelTexts = new WeakMap<Labels, string>();

/**
 * Label texts parsed once each: the per-realization records of a name mostly share
 * their labels (20000 dates x 200 realizations would be 4 million strings to parse).
 * The matrices read in one query share the parsed labels, which nobody mutates. Rows
 * must be given in the query's order: a repeat means the previous row's column labels.
 */
export class LabelTexts {
  private readonly parsed = new Map<string, Labels | null>();
  private lastColumns: Labels | null = null;

  columns(row: Pick<MatrixColumns, "column_labels" | "column_labels_repeat">): Labels | null {
    if (!row.column_labels_repeat) this.lastColumns = this.parse(row.column_labels);
    return this.lastColumns;
  }

  parse(text: string | null): Labels | null {
    if (text === null) return null;
    let labels = this.parsed.get(text);
    if (labels === undefined) {
      labels = labelsFromText(text);
      this.parsed.set(text, labels);
    }
    return labels;
  }
}

/** A stored matrix without its values, read later (by record id, or from the blob store). */
export type MatrixMeta = Omit<StoredMatrix, "data" | "blobKey"> & { blobKey: string | null };

export function matrixMetaFromColumns(row: MatrixColumns, texts: LabelTexts): MatrixMeta {
  return { shape: row.shape, columns: texts.columns(row), index: texts.parse(row.row_labels), blobKey: row.matrix_blob_key };
}

export function matrixFromColumns(row: MatrixColumns, texts = new LabelTexts()): StoredMatrix {
  const { blobKey, ...labels } = matrixMetaFromColumns(row, texts);
  if (blobKey !== null) return { ...labels, data: null, blobKey };
  return { ...labels, data: float64s(row.data!), blobKey: null };
}

/** The blob's float64 values; copied when the driver's buffer is not 8-byte aligned. */
export function float64s(bytes: Buffer): Float64Array {
  if (bytes.byteOffset % 8 === 0) return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
  return new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
