// Parquet as pandas writes and reads it (DataFrame.to_parquet / pd.read_parquet):
// the index is a column named in the "pandas" schema metadata, and the kinds of
// column and index labels are kept. parquetWriter.ts writes the files; parquetReader.ts
// reads those pandas and this server write, parquetArrow.ts (Arrow) any other.
import { checkLabelsText } from "./labels";
import { checkShape, FormatError, TooManyValues, type LabelKind, type Labels, type Matrix } from "./matrix";
import { MAX_FRAME_VALUES, readTable, Unsupported, type FooterCount, type ParquetSource, type ParquetTable } from "./parquetReader";

export { INDEX_FIELD, isoToNanos, parquetPieces, writeParquet } from "./parquetWriter";
export { fileSource, MAX_FRAME_VALUES, nanosToIso, NOT_PARQUET, type ParquetSource } from "./parquetReader";

interface PandasColumn {
  name: string | null;
  field_name: string;
  pandas_type: string;
  numpy_type: string;
  metadata: unknown;
}

interface PandasMeta {
  index_columns: (string | { kind: "range"; start: number; stop: number; step: number })[];
  column_indexes: PandasColumn[];
  columns: PandasColumn[];
}

/**
 * The file through Arrow and parquet-wasm (parquetArrow.ts), loaded at its first use:
 * the files pandas and this server write are read without them.
 */
export function arrowTable(buf: Buffer): ParquetTable {
  return (require("./parquetArrow") as typeof import("./parquetArrow")).arrowTable(buf);
}

/**
 * The frame in a Parquet file, in memory or on disk (a ParquetSource: read a column at a
 * time): read directly when it is as pandas writes it, else through Arrow (which needs
 * the file whole in memory), on this thread. The server reads through decodeParquet
 * (parquetThread.ts), which leaves Arrow's part to a worker thread.
 */
export function readParquet(file: Buffer | ParquetSource, maxValues = MAX_FRAME_VALUES): Matrix {
  return readDirect(file, maxValues) ?? frameOf(arrowTable(wholeFile(file)), maxValues);
}

/** The frame when the direct reader reads the file; null when it is Arrow's to read. `counted` hears the values its footer says. */
export function readDirect(file: Buffer | ParquetSource, maxValues = MAX_FRAME_VALUES, counted?: (count: FooterCount) => void): Matrix | null {
  // the listener only hears: readTable would stop at the footer were it to answer false
  const table = readTable(file, maxValues, (count) => void counted?.(count));
  return table && directFrame(table, maxValues);
}

/** The frame of a table the direct reader gave; null when a column is one it cannot decode (Arrow's). */
export function directFrame(table: ParquetTable, maxValues = MAX_FRAME_VALUES): Matrix | null {
  try {
    return frameOf(table, maxValues);
  } catch (error) {
    if (!(error instanceof Unsupported)) throw error;
    return null;
  }
}

/**
 * The most values a file read through Arrow may decode to: Arrow holds ~8-15 times the
 * values while it decodes (a file of 16M zeros: ~1 GB), whatever ERT_STORAGE_MAX_MATRIX_BYTES allows.
 */
export const ARROW_MAX_VALUES = 2 ** 25;

/**
 * The frame in a file read directly, else through Arrow, on this thread, with Arrow's files
 * held to ARROW_MAX_VALUES: what the server's Parquet thread does with a file (parquetThread.ts).
 */
export function readHere(file: Buffer | ParquetSource, maxValues = MAX_FRAME_VALUES): Matrix {
  let values = 0;
  const direct = readDirect(file, maxValues, (count) => (values = count.values));
  if (direct) return direct;
  if (values > ARROW_MAX_VALUES) {
    throw new TooManyValues(`a parquet file of ${values} values read through Arrow (codecs other than SNAPPY, v2 pages, categoricals)`, ARROW_MAX_VALUES);
  }
  return frameOf(arrowTable(wholeFile(file)), maxValues);
}

/** The file's bytes, read whole from disk when it is there. */
export function wholeFile(file: Buffer | ParquetSource): Buffer {
  return Buffer.isBuffer(file) ? file : file.range(0, file.length);
}

/** The matrix a table holds: its index column and labels as pandas' metadata names them. */
export function frameOf(table: ParquetTable, maxValues = MAX_FRAME_VALUES): Matrix {
  const meta = pandasMeta(table);
  const indexFields = (meta?.index_columns ?? []).filter((c): c is string => typeof c === "string");
  if (indexFields.length > 1) throw new FormatError("a parquet frame with a MultiIndex is not supported");
  const rows = table.numRows;

  const dataFields = indexFields.length === 0 ? table.fields : table.fields.filter((f) => !indexFields.includes(f.name));
  const cols = dataFields.length;
  checkShape([rows, cols]); // a footer may claim any number of rows for no columns
  // and dictionary pages hold a billion equal values in a few bytes: the values are counted
  // before any is decoded
  if (rows * cols > maxValues) throw new TooManyValues(`a parquet frame of ${rows} x ${cols} values`, maxValues);
  const data = new Float64Array(rows * cols);
  // Columns are copied in blocks of BLOCK, so the writes into the row-major matrix stay in
  // cache. Float64 columns are decoded into the same BLOCK arrays block after block (made
  // when first asked for; Arrow's columns and others come in arrays of their own): a new
  // array a column (1000 x 20000: 20,000 arrays of 8 kB, freed only when V8 collects them)
  // took the memory ~30 MB over the frame, more in the malloc arenas they left behind.
  const BLOCK = 32;
  const arrays: Float64Array[] = [];
  const into = Array.from({ length: Math.min(BLOCK, cols) }, (_, k) => () => (arrays[k] ??= new Float64Array(rows)));
  for (let c0 = 0; c0 < cols; c0 += BLOCK) {
    const block: (Float64Array | Float32Array)[] = [];
    for (let c = c0; c < Math.min(c0 + BLOCK, cols); c++) block.push(dataFields[c].numbers(into[c - c0]));
    for (let r = 0; r < rows; r++) {
      const base = r * cols + c0;
      for (let k = 0; k < block.length; k++) data[base + k] = block[k][r];
    }
  }

  const columns = columnLabels(meta, table.pandas, dataFields.map((f) => f.name));

  let index: Labels | null;
  if (indexFields.length === 1) {
    index = table.fields.find((f) => f.name === indexFields[0])!.labels();
  } else {
    // no index column: pandas' default 0..n-1 is no labels at all (every answer numbers
    // the rows so); 16M of them, made, written as JSON and stored, were 2.1 of the 3.7 s of
    // CPU a 49 kB file of 16M zeros took
    const range = meta?.index_columns.find((c) => typeof c === "object");
    index =
      range && typeof range === "object" && !(range.start === 0 && range.step === 1)
        ? { kind: "int", values: Array.from({ length: rows }, (_, i) => range.start + i * range.step) }
        : null;
  }
  checkLabelsText(columns, "column labels");
  if (index) checkLabelsText(index, "row labels");
  return { shape: [rows, cols], data, columns, index };
}

/**
 * The column labels of a file's data fields, the last ones kept per parsed pandas metadata
 * (the reader gives the same object for the same metadata text): ERT posts a file per
 * realization with the same 2000 column names, which were mapped and checked (dates) anew
 * for each (~0.5 ms). Labels are never mutated, so the same object serves every file.
 */
const lastColumnLabels = new WeakMap<object, { fields: string[]; columns: Labels }>();

function columnLabels(meta: PandasMeta | null, parsed: unknown, fields: string[]): Labels {
  const cacheable = meta !== null && typeof parsed === "object" && parsed !== null;
  if (cacheable) {
    const last = lastColumnLabels.get(parsed);
    if (last && last.fields.length === fields.length && last.fields.every((name, i) => name === fields[i])) return last.columns;
  }
  // the name pandas' metadata gives the first column of each field name
  const metaNames = new Map<string, unknown>();
  for (const c of meta?.columns ?? []) {
    if (typeof c.field_name === "string" && !metaNames.has(c.field_name)) metaNames.set(c.field_name, c.name);
  }
  const names = fields.map((field) => {
    const name = metaNames.get(field);
    return name === null || name === undefined ? field : String(name);
  });
  const columns = labelsFromNames(names, kindOfPandasType(meta?.column_indexes?.[0]?.pandas_type));
  if (cacheable) lastColumnLabels.set(parsed, { fields, columns });
  return columns;
}

/**
 * The "pandas" schema metadata, checked where this reader relies on it. A file without
 * it (DuckDB, Polars) is a plain table; a file whose metadata is broken is refused, as
 * pandas would refuse to read it.
 */
function pandasMeta(table: ParquetTable): PandasMeta | null {
  const text = table.metadata.get("pandas");
  if (!text) return null;
  let meta: unknown = table.pandas;
  if (meta === undefined) {
    try {
      meta = JSON.parse(text);
    } catch {
      throw new FormatError("the parquet file's pandas metadata is not JSON");
    }
  }
  const broken = (what: string) => new FormatError(`the parquet file's pandas metadata is malformed: ${what}`);
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) throw broken("not an object");
  const m = meta as Record<string, unknown>;
  for (const key of ["index_columns", "column_indexes", "columns"]) {
    if (m[key] !== undefined && !Array.isArray(m[key])) throw broken(`'${key}' is not a list`);
  }
  const objects = (key: string) => ((m[key] ?? []) as unknown[]).every((c) => typeof c === "object" && c !== null);
  if (!objects("column_indexes") || !objects("columns")) throw broken("'columns' and 'column_indexes' must hold objects");
  for (const c of (m.index_columns ?? []) as unknown[]) {
    if (typeof c === "string") {
      if (!table.fields.some((f) => f.name === c)) throw broken(`index column '${c}' is not in the file`);
    } else {
      const range = c as { kind?: unknown; start?: unknown; step?: unknown } | null;
      if (typeof range !== "object" || range === null || range.kind !== "range" || !Number.isInteger(range.start) || !Number.isInteger(range.step)) {
        throw broken("an index is neither a column name nor a range with integer start and step");
      }
    }
  }
  return { index_columns: [], column_indexes: [], columns: [], ...m } as PandasMeta;
}

function kindOfPandasType(pandasType: unknown): LabelKind {
  if (typeof pandasType !== "string") return "string";
  if (/^u?int\d*$/.test(pandasType)) return "int";
  if (/^float\d*$/.test(pandasType)) return "float";
  if (pandasType.startsWith("datetime")) return "datetime";
  return "string";
}

/** How pandas names float columns that are not finite. */
const FLOAT_WORDS: Record<string, number> = { nan: NaN, inf: Infinity, "-inf": -Infinity };
const DATETIME_TEXT = /^\d{4,}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)?$/;

/** Column names as labels of the kind pandas' metadata gives them; a name that is not of that kind is refused. */
function labelsFromNames(names: string[], kind: LabelKind): Labels {
  switch (kind) {
    case "int":
    case "float": {
      const values = names.map((n) => (kind === "float" && n in FLOAT_WORDS ? FLOAT_WORDS[n] : n.trim() === "" ? NaN : Number(n)));
      const bad = names.findIndex((n, i) => (Number.isNaN(values[i]) && n !== "nan") || (kind === "int" && !Number.isInteger(values[i])));
      if (bad >= 0) throw new FormatError(`parquet column name '${names[bad]}' is not a number, though pandas' metadata says the column labels are ${kind === "int" ? "integers" : "floats"}`);
      return { kind, values };
    }
    case "datetime": {
      const bad = names.find((n) => !DATETIME_TEXT.test(n));
      if (bad !== undefined) throw new FormatError(`parquet column name '${bad}' is not a datetime, though pandas' metadata says the column labels are datetimes`);
      return { kind, values: names.map((n) => n.replace(" ", "T")) };
    }
    case "string":
      return { kind, values: names };
  }
}
