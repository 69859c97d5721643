// The Parquet writer gives the bytes it gave before it was made fast for wide frames
// (the old writer is kept here, only to compare with), and reading gives back every
// value bit for bit and every label.
import * as arrow from "apache-arrow";
import fc from "fast-check";
import * as parquet from "parquet-wasm";
import { formatLabels } from "./labels";
import { as2d, rangeLabels, type Labels, type Matrix } from "./matrix";
import { isoToNanos, readParquet, writeParquet } from "./parquet";
import { anyMatrix, sameBits } from "./testing";

const PANDAS_TYPE: Record<string, [string, string, unknown]> = {
  string: ["unicode", "object", { encoding: "UTF-8" }],
  int: ["int64", "int64", null],
  float: ["float64", "float64", null],
  datetime: ["datetime", "datetime64[ns]", null],
};

/** writeParquet as it was: a Float64Array and Vector per column, arrow's RecordBatch constructor. */
function oldWriteParquet(m: Matrix): Buffer {
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
  vectors.push(oldLabelVector(index));
  const fields = [...names, "__index_level_0__"].map((name, i) => new arrow.Field(name, vectors[i].type, true));
  const [cType, cNumpy, cMeta] = PANDAS_TYPE[columns.kind];
  const [iType, iNumpy] = PANDAS_TYPE[index.kind];
  const meta = {
    index_columns: ["__index_level_0__"],
    column_indexes: [{ name: null, field_name: null, pandas_type: cType, numpy_type: cNumpy, metadata: cMeta }],
    columns: [
      ...names.map((name) => ({ name, field_name: name, pandas_type: "float64", numpy_type: "float64", metadata: null })),
      { name: null, field_name: "__index_level_0__", pandas_type: iType, numpy_type: iNumpy, metadata: null },
    ],
    creator: { library: "ert-storage", version: "0.1.0" },
    pandas_version: "2.1.0",
  };
  const schema = new arrow.Schema(fields, new Map([["pandas", JSON.stringify(meta)]]));
  const struct = arrow.makeData({ type: new arrow.Struct(fields), length: rows, nullCount: 0, children: vectors.map((v) => v.data[0]) });
  const table = new arrow.Table(schema, [new arrow.RecordBatch(schema, struct)]);
  const wasmTable = parquet.Table.fromIPCStream(arrow.tableToIPC(table, "stream"));
  const properties = new parquet.WriterPropertiesBuilder()
    .setCompression(parquet.Compression.SNAPPY)
    .setDictionaryEnabled(false)
    .setStatisticsEnabled(parquet.EnabledStatistics.Chunk)
    .setKeyValueMetadata(new Map([["pandas", JSON.stringify(meta)]]))
    .build();
  return Buffer.from(parquet.writeParquet(wasmTable, properties));
}

function oldLabelVector(labels: Labels): arrow.Vector {
  switch (labels.kind) {
    case "string":
      return arrow.vectorFromArray(labels.values.map(String), new arrow.Utf8());
    case "int":
      return arrow.makeVector(BigInt64Array.from(labels.values, (v) => BigInt(v)));
    case "float":
      return arrow.makeVector(Float64Array.from(labels.values, Number));
    case "datetime":
      return arrow.makeVector(
        arrow.makeData({ type: new arrow.TimestampNanosecond(), length: labels.values.length, nullCount: 0, data: BigInt64Array.from(labels.values, (v) => isoToNanos(String(v))) }),
      );
  }
}

/** The frame's shape as pandas sees it, and its labels as the reader gives them back. */
function expectedBack(m: Matrix): { shape: number[]; columns: string[]; index: string[] } {
  const { rows, cols } = as2d(m);
  return {
    shape: [rows, cols],
    columns: formatLabels(m.columns ?? rangeLabels(cols)),
    index: formatLabels(m.index ?? rangeLabels(rows)),
  };
}

describe("Parquet writer and reader, property-based", () => {
  test("the writer's bytes are the old writer's, and reading gives back the frame bit for bit", () => {
    fc.assert(
      fc.property(anyMatrix(5, 8), (m) => {
        const file = writeParquet(m);
        expect(file.equals(oldWriteParquet(m))).toBe(true);
        const back = readParquet(file);
        const want = expectedBack(m);
        expect(back.shape).toEqual(want.shape);
        expect(sameBits(back.data, m.data)).toBe(true);
        expect(formatLabels(back.columns!)).toEqual(want.columns);
        expect(formatLabels(back.index!)).toEqual(want.index);
        expect(back.columns!.kind).toBe((m.columns ?? { kind: "int" }).kind);
      }),
      { numRuns: 150 },
    );
  });

  test("a frame of 20000 columns: the same bytes as before, and back bit for bit", () => {
    const rows = 3;
    const cols = 20_000;
    const data = Float64Array.from({ length: rows * cols }, (_, i) => (i % 7 === 0 ? NaN : Math.sin(i) * 10 ** ((i % 9) - 4)));
    const m: Matrix = { shape: [rows, cols], data, columns: { kind: "string", values: Array.from({ length: cols }, (_, i) => `c${i}`) }, index: null };
    const file = writeParquet(m);
    expect(file.equals(oldWriteParquet(m))).toBe(true);
    const back = readParquet(file);
    expect(back.shape).toEqual([rows, cols]);
    expect(sameBits(back.data, data)).toBe(true);
    expect(back.columns!.values).toEqual(m.columns!.values);
  });
});
