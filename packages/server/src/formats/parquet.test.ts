import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { FormatError, type Matrix } from "./matrix";
import { readParquet, writeParquet } from "./parquet";
import { readTable } from "./parquetReader";

// pyarrow is not installable here (no Debian package), so DuckDB is the independent
// Parquet implementation these tests check our files against.
let duck: DuckDBConnection;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ert-parquet-"));
beforeAll(async () => {
  duck = await (await DuckDBInstance.create(":memory:")).connect();
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The pandas metadata text of a file. */
const pandasText = (file: Buffer) => readTable(file)!.metadata.get("pandas")!;

const frame = (partial: Partial<Matrix>): Matrix => ({
  shape: [2, 3],
  data: new Float64Array([1.5, NaN, 3, -4, 5e-324, Infinity]),
  columns: { kind: "string", values: ["2010-01-01", "2010-02-01", "2010-03-01"] },
  index: { kind: "int", values: [0, 7] },
  ...partial,
});

describe("Parquet as pandas writes it", () => {
  test.each([
    ["string columns, int index", frame({})],
    ["int columns, string index", frame({ columns: { kind: "int", values: [0, 1, 2] }, index: { kind: "string", values: ["a", "b"] } })],
    ["float columns, float index", frame({ columns: { kind: "float", values: [0.5, 1, 1e-5] }, index: { kind: "float", values: [0.25, 2] } })],
    [
      "datetime columns and index",
      frame({
        columns: { kind: "datetime", values: ["2010-01-01T00:00:00", "2010-02-01T00:00:00", "2010-03-01T12:00:00.5"] },
        index: { kind: "datetime", values: ["2020-01-01T00:00:00", "1969-12-31T23:59:59.999999999"] },
      }),
    ],
  ])("round-trips %s with label kinds kept", (_name, m) => {
    const back = readParquet(writeParquet(m));
    expect(back.shape).toEqual(m.shape);
    expect(Array.from(back.data)).toEqual(Array.from(m.data));
    expect(back.columns).toEqual(m.columns);
    expect(back.index).toEqual(m.index);
  });

  test("dates outside what int64 nanoseconds hold (1677-09-21 to 2262-04-11) are written in microseconds, not wrapped", async () => {
    // a date32 index of a posted file may say any year; an int64 of nanoseconds wrapped the year 3000 to 1830
    const index = { kind: "datetime" as const, values: ["3000-01-01T00:00:00", "1600-06-01T00:00:00.123456", "2020-01-01T00:00:00"] };
    const m = frame({ shape: [3, 1], data: new Float64Array([1, 2, 3]), columns: { kind: "string", values: ["a"] }, index });
    const bytes = writeParquet(m);
    expect(readParquet(bytes).index).toEqual(index);
    const file = path.join(tmp, "micros.parquet");
    fs.writeFileSync(file, bytes);
    const rows = await duck.runAndReadAll(`SELECT CAST(__index_level_0__ AS VARCHAR) FROM read_parquet('${file}')`);
    expect(rows.getRows().map(([d]) => d)).toEqual(["3000-01-01 00:00:00", "1600-06-01 00:00:00.123456", "2020-01-01 00:00:00"]);
    // within the range they stay nanoseconds
    const ns = writeParquet(frame({ index: { kind: "datetime", values: ["1677-09-22T00:00:00", "2262-04-10T00:00:00"] } }));
    expect(JSON.parse(pandasText(ns)).columns.at(-1).numpy_type).toBe("datetime64[ns]");
    expect(JSON.parse(pandasText(bytes)).columns.at(-1).numpy_type).toBe("datetime64[us]");
  });

  test("DuckDB reads our file: columns, values and pandas metadata", async () => {
    const file = path.join(tmp, "ours.parquet");
    fs.writeFileSync(file, writeParquet(frame({})));
    const rows = await duck.runAndReadAll(`SELECT * FROM read_parquet('${file}')`);
    expect(rows.columnNames()).toEqual(["2010-01-01", "2010-02-01", "2010-03-01", "__index_level_0__"]);
    expect(rows.getRows()).toEqual([
      [1.5, NaN, 3, 0n],
      [-4, 5e-324, Infinity, 7n],
    ]);
    const kv = await duck.runAndReadAll(`SELECT decode(key), decode(value) FROM parquet_kv_metadata('${file}')`);
    const pandas = kv.getRows().find(([key]) => key === "pandas");
    const meta = JSON.parse(String(pandas![1]));
    expect(meta.index_columns).toEqual(["__index_level_0__"]);
    expect(meta.column_indexes[0].pandas_type).toBe("unicode");
    expect(meta.columns.map((c: { name: string | null }) => c.name)).toEqual(["2010-01-01", "2010-02-01", "2010-03-01", null]);
  });

  test("reads a file another writer made, without pandas metadata", async () => {
    const file = path.join(tmp, "duck.parquet");
    await duck.run(`COPY (SELECT * FROM (VALUES (1.5::DOUBLE, 2::BIGINT), (3.5, 4)) t("A", "B")) TO '${file}' (FORMAT parquet)`);
    const m = readParquet(fs.readFileSync(file));
    expect(m.shape).toEqual([2, 2]);
    expect(Array.from(m.data)).toEqual([1.5, 2, 3.5, 4]);
    expect(m.columns).toEqual({ kind: "string", values: ["A", "B"] });
    expect(m.index).toBeNull(); // no index column: numbered 0..n-1, as every answer numbers rows without labels
  });

  test("a non-numeric column or a non-parquet body is an error", async () => {
    const file = path.join(tmp, "text.parquet");
    await duck.run(`COPY (SELECT 'x' AS s) TO '${file}' (FORMAT parquet)`);
    expect(() => readParquet(fs.readFileSync(file))).toThrow(FormatError);
    expect(() => readParquet(Buffer.from("PAR1 but not really"))).toThrow(FormatError);
  });
});
