// Picks the codec for a media type, both ways.
import { decodeCsv, encodeCsv } from "./csv";
import { encodeNestedJson, matrixFromJson } from "./json";
import { readJsonMatrix } from "./jsonMatrix";
import { as2d, FormatError, type Matrix, type RowBlocks } from "./matrix";
import type { Piece } from "./piece";
import { readNpy, writeNpy } from "./npy";

/** The Parquet codecs load on first use (and Arrow with its WASM only for files the direct reader leaves: ~150 ms). */
function parquet(): typeof import("./parquet") {
  return require("./parquet");
}

function parquetThread(): typeof import("./parquetThread") {
  return require("./parquetThread");
}

export type MatrixMediaType = "application/json" | "application/x-numpy" | "text/csv" | "application/x-parquet";

export const MATRIX_MEDIA_TYPES: MatrixMediaType[] = [
  "application/json",
  "application/x-numpy",
  "text/csv",
  "application/x-parquet",
];

/** The media type of a Content-Type header; `application/x-dataframe` is the old name of text/csv. */
export function matrixMediaType(header: string | undefined): MatrixMediaType | null {
  const type = (header ?? "application/json").split(";")[0].trim().toLowerCase() || "application/json";
  if (type === "application/x-dataframe") return "text/csv";
  return (MATRIX_MEDIA_TYPES as string[]).includes(type) ? (type as MatrixMediaType) : null;
}

/** The answer's media type from an Accept header; JSON unless another matrix type is asked for. */
export function acceptedMediaType(accept: string | undefined): MatrixMediaType {
  const a = (accept ?? "").toLowerCase();
  if (a.includes("application/x-numpy")) return "application/x-numpy";
  if (a.includes("text/csv") || a.includes("application/x-dataframe")) return "text/csv";
  if (a.includes("application/x-parquet")) return "application/x-parquet";
  return "application/json";
}

/** body is the raw bytes, or for JSON the already parsed value. */
/** maxParquetValues: the most values a Parquet body may decode to (TooManyValues) */
export async function decodeMatrix(type: MatrixMediaType, body: unknown, maxParquetValues?: number): Promise<Matrix> {
  switch (type) {
    case "application/json":
      return Buffer.isBuffer(body) ? readJsonMatrix(body) : matrixFromJson(body);
    case "application/x-numpy":
      return readNpy(asBuffer(body));
    case "text/csv":
      return decodeCsv(asBuffer(body));
    case "application/x-parquet":
      return parquetThread().decodeParquet(asBuffer(body), maxParquetValues);
  }
}

/** The frame in a Parquet file on disk, read a column chunk at a time (fd open for reading). */
export function decodeParquetFile(fd: number, length: number, maxValues?: number): Promise<Matrix> {
  return parquetThread().decodeParquet(parquet().fileSource(fd, length), maxValues);
}

function asBuffer(body: unknown): Buffer {
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === "string") return Buffer.from(body, "utf8");
  throw new FormatError("the request body is empty");
}

/** The shape of a matrix's NPY answer: a table is 2-D (a vector one row), more dimensions stay. */
export function npyShape(m: Pick<Matrix, "shape">): number[] {
  if (m.shape.length > 2) return m.shape;
  const { rows, cols } = as2d(m);
  return [rows, cols];
}

export function encodeMatrix(type: MatrixMediaType, m: Matrix): Buffer {
  switch (type) {
    case "application/json": {
      if (m.shape.length > 2) {
        const [first, ...rest] = m.shape;
        return first === 1 ? encodeNestedJson(m.data, rest) : encodeNestedJson(m.data, m.shape);
      }
      const { rows, cols } = as2d(m);
      return rows === 1 ? encodeNestedJson(m.data, [cols]) : encodeNestedJson(m.data, [rows, cols]);
    }
    case "application/x-numpy":
      return writeNpy(m.data, npyShape(m));
    case "text/csv":
      return encodeCsv(m);
    case "application/x-parquet":
      return parquet().writeParquet(m);
  }
}

/** Parquet answers of frames with more value bytes than this are made a piece at a time. */
export const PARQUET_WHOLE_BYTES = 4 * 1024 * 1024;

/**
 * ... and of frames of more columns than this, however few their values: each column has
 * its entries in the footer and the pandas metadata (~170 bytes). A 128-byte NPY body of
 * 0 x 1,000,000 values answered as Parquet (172 MB) held the event loop 1.7-1.9 s.
 */
export const PARQUET_WHOLE_COLUMNS = 8192;
const PARQUET_PIECE_BYTES = 1024 * 1024;

/** The frame as one Parquet file. */
export function encodeParquet(table: RowBlocks): Buffer {
  return parquet().writeParquet(table);
}

/**
 * The frame as Parquet in pieces of about a megabyte, each made when the iterator is asked
 * for it; the first is made here, so a frame that has no Parquet form is refused now.
 */
export function encodeParquetPieces(table: RowBlocks): Iterable<Piece> {
  const pieces = parquet().parquetPieces(table, PARQUET_PIECE_BYTES);
  const first = pieces.next();
  return (function* () {
    if (first.done) return;
    yield first.value;
    yield* pieces;
  })();
}

export { FormatError } from "./matrix";
export type { Matrix } from "./matrix";
