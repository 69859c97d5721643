// Parquet as pandas writes and reads it (DataFrame.to_parquet / pd.read_parquet):
// the index is a column named in the "pandas" schema metadata, and the kinds of
// column and index labels are kept. Arrow handles the format (apache-arrow + parquet-wasm).
import * as arrow from "apache-arrow";
import * as parquet from "parquet-wasm";
import { formatDatetimes, formatLabels } from "./labels";
import { as2d, FormatError, rangeLabels, type LabelKind, type Labels, type Matrix } from "./matrix";

const INDEX_FIELD = "__index_level_0__";

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

const PANDAS_TYPE: Record<LabelKind, [string, string, unknown]> = {
  string: ["unicode", "object", { encoding: "UTF-8" }],
  int: ["int64", "int64", null],
  float: ["float64", "float64", null],
  datetime: ["datetime", "datetime64[ns]", null],
};

export function writeParquet(m: Matrix): Buffer {
  const { rows, cols } = as2d(m);
  const columns = m.columns ?? rangeLabels(cols);
  const index = m.index ?? rangeLabels(rows);
  const names = columns.kind === "datetime" ? columns.values.map((v) => String(v).replace("T", " ")) : formatLabels(columns);

  const vectors: arrow.Vector[] = [];
  for (let c = 0; c < cols; c++) {
    const column = new Float64Array(rows);
    for (let r = 0; r < rows; r++) column[r] = m.data[r * cols + c];
    vectors.push(arrow.makeVector(column));
  }
  vectors.push(labelVector(index));
  const fields = [...names, INDEX_FIELD].map((name, i) => new arrow.Field(name, vectors[i].type, true));

  const [cType, cNumpy, cMeta] = PANDAS_TYPE[columns.kind];
  const [iType, iNumpy] = PANDAS_TYPE[index.kind];
  const meta: PandasMeta & Record<string, unknown> = {
    index_columns: [INDEX_FIELD],
    column_indexes: [{ name: null, field_name: null as unknown as string, pandas_type: cType, numpy_type: cNumpy, metadata: cMeta }],
    columns: [
      ...names.map((name) => ({ name, field_name: name, pandas_type: "float64", numpy_type: "float64", metadata: null })),
      { name: null, field_name: INDEX_FIELD, pandas_type: iType, numpy_type: iNumpy, metadata: null },
    ],
    creator: { library: "ert-storage", version: "0.1.0" },
    pandas_version: "2.1.0",
  };
  const schema = new arrow.Schema(fields, new Map([["pandas", JSON.stringify(meta)]]));
  const struct = arrow.makeData({
    type: new arrow.Struct(fields),
    length: rows,
    nullCount: 0,
    children: vectors.map((v) => v.data[0]),
  });
  const table = new arrow.Table(schema, [new arrow.RecordBatch(schema, struct)]);
  const wasmTable = parquet.Table.fromIPCStream(arrow.tableToIPC(table, "stream"));
  // Also a key-value entry of the file, where pyarrow and fastparquet look for it.
  // Dictionary encoding of float columns rarely pays: off, it writes 2000 columns in
  // ~25 ms instead of ~900 ms.
  const properties = new parquet.WriterPropertiesBuilder()
    .setCompression(parquet.Compression.SNAPPY)
    .setDictionaryEnabled(false)
    .setStatisticsEnabled(parquet.EnabledStatistics.Chunk)
    .setKeyValueMetadata(new Map([["pandas", JSON.stringify(meta)]]))
    .build();
  return Buffer.from(parquet.writeParquet(wasmTable, properties));
}

function labelVector(labels: Labels): arrow.Vector {
  switch (labels.kind) {
    case "string":
      return arrow.vectorFromArray(labels.values.map(String), new arrow.Utf8());
    case "int":
      return arrow.makeVector(BigInt64Array.from(labels.values, (v) => BigInt(v)));
    case "float":
      return arrow.makeVector(Float64Array.from(labels.values, Number));
    case "datetime":
      return arrow.makeVector(
        arrow.makeData({
          type: new arrow.TimestampNanosecond(),
          length: labels.values.length,
          nullCount: 0,
          data: BigInt64Array.from(labels.values, (v) => isoToNanos(String(v))),
        }),
      );
  }
}

export function readParquet(buf: Buffer): Matrix {
  let table: arrow.Table;
  try {
    table = arrow.tableFromIPC(parquet.readParquet(new Uint8Array(buf)).intoIPCStream());
  } catch (error) {
    throw new FormatError(`not a readable parquet file: ${String(error instanceof Error ? error.message : error)}`);
  }
  const meta = pandasMeta(table);
  const indexFields = (meta?.index_columns ?? []).filter((c): c is string => typeof c === "string");
  if (indexFields.length > 1) throw new FormatError("a parquet frame with a MultiIndex is not supported");
  const rows = table.numRows;

  const dataFields = table.schema.fields.map((f, i) => ({ f, i })).filter(({ f }) => !indexFields.includes(f.name));
  const cols = dataFields.length;
  const data = new Float64Array(rows * cols);
  dataFields.forEach(({ f, i }, c) => {
    const column = table.getChildAt(i)!;
    if (arrow.DataType.isFloat(column.type) && column.nullCount === 0) {
      const values = column.toArray() as Float64Array | Float32Array;
      for (let r = 0; r < rows; r++) data[r * cols + c] = values[r];
    } else {
      for (let r = 0; r < rows; r++) data[r * cols + c] = toNumber(cell(column, r, f.name), f.name);
    }
  });

  const names = dataFields.map(({ f }) => {
    const name = meta?.columns.find((c) => c.field_name === f.name)?.name;
    return name === null || name === undefined ? f.name : String(name);
  });
  const columnKind = kindOfPandasType(meta?.column_indexes?.[0]?.pandas_type);
  const columns = labelsFromNames(names, columnKind);

  let index: Labels;
  if (indexFields.length === 1) {
    const position = table.schema.fields.findIndex((f) => f.name === indexFields[0]);
    index = labelsFromColumn(table.getChildAt(position)!, indexFields[0]);
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
function pandasMeta(table: arrow.Table): PandasMeta | null {
  const text = table.schema.metadata.get("pandas");
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
      if (!table.schema.fields.some((f) => f.name === c)) throw broken(`index column '${c}' is not in the file`);
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

export function nanosToIso(nanos: bigint): string {
  const seconds = nanos / 1_000_000_000n - (nanos % 1_000_000_000n < 0n ? 1n : 0n);
  const rest = nanos - seconds * 1_000_000_000n;
  const date = new Date(Number(seconds) * 1000);
  if (Number.isNaN(date.getTime())) throw new FormatError(`timestamp ${nanos} ns is outside the range of dates`);
  const base = date.toISOString().slice(0, 19);
  const frac = rest === 0n ? "" : "." + rest.toString().padStart(9, "0").replace(/0+$/, "");
  return base + frac;
}

export function isoToNanos(iso: string): bigint {
  const match = /^(\d{4,}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?)?$/.exec(iso);
  if (!match) throw new FormatError(`'${iso}' is not a datetime`);
  const ms = Date.parse(`${match[1]}T${match[2] ?? "00:00:00"}Z`);
  return BigInt(ms) * 1_000_000n + BigInt((match[3] ?? "").padEnd(9, "0") || "0");
}

