// Parquet files through Arrow (apache-arrow + parquet-wasm): every file the direct reader
// (parquetReader.ts) leaves, as a table of the same shape, so that one function
// (frameOf in parquet.ts) makes the matrix of either.
import * as arrow from "apache-arrow";
import * as parquet from "parquet-wasm";
import { FormatError, type Labels } from "./matrix";
import { nanosToIso, type ParquetTable } from "./parquetReader";

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

function toNumber(value: unknown, field: string): number {
  if (value === null || value === undefined) return NaN;
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "boolean") return value ? 1 : 0;
  throw new FormatError(`parquet column '${field}' is not numeric`);
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
  // a missing datetime (pandas' NaT) is null: its slot holds any value (it read as another row's date)
  if (arrow.DataType.isTimestamp(type)) {
    const perUnit = [1_000_000_000n, 1_000_000n, 1_000n, 1n][type.unit];
    const raw = column.toArray() as BigInt64Array;
    return { kind: "datetime", values: Array.from(raw, (v, i) => (column.isValid(i) ? nanosToIso(BigInt(v) * perUnit) : (null as unknown as string))) };
  }
  const values: unknown[] = [];
  for (let i = 0; i < column.length; i++) values.push(cell(column, i, field));
  if (arrow.DataType.isDate(type)) {
    return { kind: "datetime", values: values.map((v) => (v === null ? (null as unknown as string) : nanosToIso(BigInt(Number(v)) * 1_000_000n))) };
  }
  // a missing number is NaN (it read as 0): pandas makes an int index with one a float index
  const numbers = values.map((v) => (v === null ? NaN : Number(v)));
  if (arrow.DataType.isInt(type)) return { kind: column.nullCount > 0 ? "float" : "int", values: numbers };
  if (arrow.DataType.isFloat(type)) return { kind: "float", values: numbers };
  // a missing label is null (pandas' None), not the text "null"
  return { kind: "string", values: values.map((v) => (v === null ? (null as unknown as string) : String(v))) };
}

