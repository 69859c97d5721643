// Parquet as pandas writes and reads it (DataFrame.to_parquet / pd.read_parquet):
// the index is a column named in the "pandas" schema metadata, and the kinds of
// column and index labels are kept. Arrow reads the format (apache-arrow + parquet-wasm);
// parquetWriter.ts writes it.
import * as arrow from "apache-arrow";
import * as parquet from "parquet-wasm";
import { FormatError, rangeLabels, type LabelKind, type Labels, type Matrix } from "./matrix";

import { nanosToIso, readTable, type ParquetTable } from "./parquetReader";

export { INDEX_FIELD, isoToNanos, writeParquet } from "./parquetWriter";
export { nanosToIso } from "./parquetReader";

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
 * The schema with a linear Schema.assign. Arrow's RecordBatch constructor (which its IPC
 * reader also calls, once per batch) passes every field through schema.assign(fields),
 * whose findIndex per field is O(fields²): 2e8 name comparisons, seconds, for 20000
 * columns. This does the same (the first field of each name takes the new field, with
 * the two fields' metadata merged; unknown names are appended) with a Map.
 */
function withLinearAssign<T extends arrow.TypeMap>(schema: arrow.Schema<T>): arrow.Schema<T> {
  const original = arrow.Schema.prototype.assign;
  const assign = function (this: arrow.Schema, ...args: unknown[]): arrow.Schema {
    if (args.length !== 1 || !Array.isArray(args[0])) return (original as (...a: unknown[]) => arrow.Schema).apply(this, args);
    const other = new arrow.Schema(args[0] as arrow.Field[]);
    const fields = [...this.fields];
    const first = new Map<string, number>();
    fields.forEach((f, i) => {
      if (!first.has(f.name)) first.set(f.name, i);
    });
    const added: arrow.Field[] = [];
    for (const f of other.fields) {
      const i = first.get(f.name);
      if (i === undefined) added.push(f);
      else fields[i] = f.clone({ metadata: new Map([...fields[i].metadata, ...f.metadata]) });
    }
    const metadata = new Map([...this.metadata, ...other.metadata]);
    return new arrow.Schema([...fields, ...added], metadata, new Map([...this.dictionaries, ...new arrow.Schema(added).dictionaries]));
  };
  Object.defineProperty(schema, "assign", { value: assign, configurable: true, writable: true });
  return schema;
}

/**
 * The file through Arrow and parquet-wasm: every file Arrow reads. Its columns are
 * given as readTable gives them (parquetReader.ts), so both ways end in one matrix.
 */
export function arrowTable(buf: Buffer): ParquetTable {
  let table: arrow.Table;
  try {
    // tableFromIPC, with the reader's schema given a linear assign before any batch is read
    const reader = arrow.RecordBatchReader.from(parquet.readParquet(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)).intoIPCStream());
    reader.open();
    if (reader.schema) withLinearAssign(reader.schema);
    table = new arrow.Table(reader.readAll());
  } catch (error) {
    throw new FormatError(`not a readable parquet file: ${String(error instanceof Error ? error.message : error)}`);
  }
  return {
    numRows: table.numRows,
    metadata: table.schema.metadata,
    fields: table.schema.fields.map((f, i) => {
      const column = table.getChildAt(i)!;
      return {
        name: f.name,
        numbers() {
          if (arrow.DataType.isFloat(column.type) && column.nullCount === 0) return column.toArray() as Float64Array | Float32Array;
          const values = new Float64Array(table.numRows);
          for (let r = 0; r < values.length; r++) values[r] = toNumber(cell(column, r, f.name), f.name);
          return values;
        },
        labels: () => labelsFromColumn(column, f.name),
      };
    }),
  };
}

/** The frame in a Parquet file: read directly when it is as pandas writes it, else through Arrow. */
export function readParquet(buf: Buffer): Matrix {
  return frameOf(readTable(buf) ?? arrowTable(buf));
}

/** The matrix a table holds: its index column and labels as pandas' metadata names them. */
export function frameOf(table: ParquetTable): Matrix {
  const meta = pandasMeta(table);
  const indexFields = (meta?.index_columns ?? []).filter((c): c is string => typeof c === "string");
  if (indexFields.length > 1) throw new FormatError("a parquet frame with a MultiIndex is not supported");
  const rows = table.numRows;

  const dataFields = table.fields.map((f, i) => ({ f, i })).filter(({ f }) => !indexFields.includes(f.name));
  const cols = dataFields.length;
  const data = new Float64Array(rows * cols);
  // Float columns without nulls are copied in blocks of columns, so the writes into the
  // row-major matrix stay in cache; other columns value by value.
  const BLOCK = 32;
  for (let c0 = 0; c0 < cols; c0 += BLOCK) {
    const block: (Float64Array | Float32Array)[] = [];
    for (let c = c0; c < Math.min(c0 + BLOCK, cols); c++) block.push(dataFields[c].f.numbers());
    for (let r = 0; r < rows; r++) {
      const base = r * cols + c0;
      for (let k = 0; k < block.length; k++) data[base + k] = block[k][r];
    }
  }

  // the name pandas' metadata gives the first column of each field name
  const metaNames = new Map<string, unknown>();
  for (const c of meta?.columns ?? []) {
    if (typeof c.field_name === "string" && !metaNames.has(c.field_name)) metaNames.set(c.field_name, c.name);
  }
  const names = dataFields.map(({ f }) => {
    const name = metaNames.get(f.name);
    return name === null || name === undefined ? f.name : String(name);
  });
  const columnKind = kindOfPandasType(meta?.column_indexes?.[0]?.pandas_type);
  const columns = labelsFromNames(names, columnKind);

  let index: Labels;
  if (indexFields.length === 1) {
    index = table.fields.find((f) => f.name === indexFields[0])!.labels();
  } else {
    const range = meta?.index_columns.find((c) => typeof c === "object");
    index =
      range && typeof range === "object"
        ? { kind: "int", values: Array.from({ length: rows }, (_, i) => range.start + i * range.step) }
        : rangeLabels(rows);
  }
  return { shape: [rows, cols], data, columns, index };
}

/**
 * The "pandas" schema metadata, checked where this reader relies on it. A file without
 * it (DuckDB, Polars) is a plain table; a file whose metadata is broken is refused, as
 * pandas would refuse to read it.
 */
function pandasMeta(table: ParquetTable): PandasMeta | null {
  const text = table.metadata.get("pandas");
  if (!text) return null;
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch {
    throw new FormatError("the parquet file's pandas metadata is not JSON");
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

function toNumber(value: unknown, field: string): number {
  if (value === null || value === undefined) return NaN;
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "boolean") return value ? 1 : 0;
  throw new FormatError(`parquet column '${field}' is not numeric`);
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

/** One value of a column; arrow refuses some (a timestamp beyond 2^53 of its unit) by throwing. */
function cell(column: arrow.Vector, row: number, field: string): unknown {
  try {
    return column.get(row);
  } catch (error) {
    throw new FormatError(`parquet column '${field}' holds a value that cannot be read: ${(error as Error).message}`);
  }
}

function labelsFromColumn(column: arrow.Vector, field: string): Labels {
  const type = column.type;
  if (arrow.DataType.isTimestamp(type)) {
    const perUnit = [1_000_000_000n, 1_000_000n, 1_000n, 1n][type.unit];
    const raw = column.toArray() as BigInt64Array;
    return { kind: "datetime", values: Array.from(raw, (v) => nanosToIso(BigInt(v) * perUnit)) };
  }
  const values: unknown[] = [];
  for (let i = 0; i < column.length; i++) values.push(cell(column, i, field));
  if (arrow.DataType.isDate(type)) {
    return { kind: "datetime", values: values.map((v) => nanosToIso(BigInt(Number(v)) * 1_000_000n)) };
  }
  if (arrow.DataType.isInt(type)) return { kind: "int", values: values.map((v) => Number(v)) };
  if (arrow.DataType.isFloat(type)) return { kind: "float", values: values.map((v) => Number(v)) };
  return { kind: "string", values: values.map((v) => String(v)) };
}

