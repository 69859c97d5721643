// The Parquet writer (parquetWriter.ts, bytes written directly) against the Arrow and
// parquet-wasm writer it replaced, kept here only to compare with: the same schema as
// Arrow reads it (names, types, nullability, pandas metadata), every value bit for bit
// and every label; and DuckDB, a Parquet implementation of its own, reads the same values.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import * as arrow from "apache-arrow";
import fc from "fast-check";
import * as parquet from "parquet-wasm";
import { formatLabels, labelsFromText, labelsJson } from "./labels";
import { as2d, rangeLabels, rowBlocksOf, type Labels, type Matrix } from "./matrix";
import { FormatError } from "./matrix";
import { isoToNanos, nanosToIso, parquetPieces, readParquet, writeParquet } from "./parquet";
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

/** The file's schema as Arrow reads it: each field's name, type and nullability, and the metadata. */
function schemaOf(file: Buffer): { fields: string[]; pandas: unknown } {
  const table = arrow.tableFromIPC(parquet.readParquet(new Uint8Array(file)).intoIPCStream());
  return {
    fields: table.schema.fields.map((f) => `${f.name}: ${String(f.type)}${f.nullable ? "?" : ""}`),
    pandas: JSON.parse(table.schema.metadata.get("pandas") ?? "null"),
  };
}

function sameFrame(a: Matrix, b: Matrix): void {
  expect(a.shape).toEqual(b.shape);
  expect(sameBits(a.data, b.data)).toBe(true);
  expect(a.columns).toEqual(b.columns);
  expect(a.index).toEqual(b.index);
}

let duck: DuckDBConnection;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ert-parquet-property-"));
beforeAll(async () => {
  duck = await (await DuckDBInstance.create(":memory:")).connect();
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("Parquet writer and reader, property-based", () => {
  test("the file reads as the old writer's did: schema, values bit for bit, labels", () => {
    fc.assert(
      fc.property(anyMatrix(5, 8), (m) => {
        const file = writeParquet(m);
        const old = oldWriteParquet(m);
        expect(schemaOf(file)).toEqual(schemaOf(old));
        const back = readParquet(file);
        sameFrame(back, readParquet(old));
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

  test("DuckDB reads every value of the file bit for bit", async () => {
    const file = path.join(tmp, "frame.parquet");
    await fc.assert(
      fc.asyncProperty(anyMatrix(5, 8), async (m) => {
        const { rows, cols } = as2d(m);
        fs.writeFileSync(file, writeParquet(m));
        const result = await duck.runAndReadAll(`SELECT * FROM read_parquet('${file}')`);
        expect(result.columnCount).toBe(cols + 1);
        const got = result.getRows();
        expect(got.length).toBe(rows);
        const values = Float64Array.from(got.flatMap((row) => row.slice(0, cols) as number[]));
        expect(sameBits(values, m.data)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  test("a data column labelled as the index field is still a data column (float64, no text annotation)", async () => {
    for (const index of [null, { kind: "string" as const, values: ["a", "b"] }]) {
      const m: Matrix = { shape: [2, 2], data: new Float64Array([1, 2, 3, 4]), columns: { kind: "string", values: ["__index_level_0__", "x"] }, index };
      const file = path.join(tmp, "clash.parquet");
      fs.writeFileSync(file, writeParquet(m));
      const types = await duck.runAndReadAll(`SELECT name, type, logical_type FROM parquet_schema('${file}')`);
      const rows = types.getRows().filter(([name]) => name === "__index_level_0__");
      expect(rows.map(([, type]) => type)).toEqual(["DOUBLE", index ? "BYTE_ARRAY" : "INT64"]);
    }
  });

  test("written in pieces of any size, the file is the same bytes as written whole", () => {
    fc.assert(
      fc.property(anyMatrix(6, 40), fc.integer({ min: 1, max: 3000 }), (m, pieceBytes) => {
        const pieces = [...parquetPieces(rowBlocksOf(m), pieceBytes)].map((p) => p.bytes);
        const whole = writeParquet(m);
        expect(Buffer.concat(pieces).equals(whole)).toBe(true);
        // each piece but the last ends after the column that took it to pieceBytes or more
        for (const piece of pieces.slice(0, -1)) expect(piece.length).toBeGreaterThanOrEqual(pieceBytes);
        if (m.data.length * 8 >= pieceBytes) expect(pieces.length).toBeGreaterThan(1); // the values alone fill a piece
      }),
      { numRuns: 200 },
    );
  });

  test("rows in blocks of any sizes (a stack of records) give the bytes of the rows in one array", () => {
    fc.assert(
      fc.property(anyMatrix(6, 40), fc.array(fc.nat(), { maxLength: 8 }), (m, cuts) => {
        const { rows, cols } = as2d(m);
        const at = [...new Set(cuts.map((c) => c % (rows + 1)))].sort((a, b) => a - b);
        const edges = [0, ...at, rows];
        const blocks = edges.slice(1).map((end, i) => m.data.slice(edges[i] * cols, end * cols));
        expect(writeParquet({ rows, cols, blocks, columns: m.columns, index: m.index }).equals(writeParquet(m))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  test.each([
    [3000, 50], // strips of 21 columns: three of them
    [40_000, 3], // too tall for a strip of two columns: each column read from the blocks
  ])("%i rows of %i columns in blocks: every value in its column, bit for bit", (rows, cols) => {
    const data = new Float64Array(rows * cols);
    const bits = new BigUint64Array(data.buffer);
    for (let i = 0; i < bits.length; i++) bits[i] = (BigInt(i) * 0x9e3779b97f4a7c15n) & 0x7fefffffffffffffn;
    const cut = (r: number) => r * cols;
    const blocks = [data.subarray(0, cut(7)), data.subarray(cut(7), cut(7)), data.subarray(cut(7), cut(2000)), data.subarray(cut(2000))];
    const back = readParquet(writeParquet({ rows, cols, blocks, columns: null, index: null }));
    expect(back.shape).toEqual([rows, cols]);
    expect(Buffer.from(back.data.buffer, back.data.byteOffset, back.data.byteLength).equals(Buffer.from(data.buffer))).toBe(true);
  });

  test("blocks that are not whole rows are refused", () => {
    const blocks = [new Float64Array(3), new Float64Array(3)];
    expect(() => writeParquet({ rows: 3, cols: 2, blocks, columns: null, index: null })).toThrow("do not make 3 rows of 2");
  });

  test("a wide frame's footer and pandas metadata come in pieces too: no piece is much over the size asked for", () => {
    // 100000 columns: a footer of ~15 MB, which was one piece (the server answered nothing else while it was made)
    const cols = 100_000;
    const m: Matrix = { shape: [1, cols], data: new Float64Array(cols).map((_, i) => i), columns: null, index: null };
    const pieces = [...parquetPieces(rowBlocksOf(m), 1 << 16)].map((p) => Buffer.from(p.bytes));
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan((1 << 16) + 4096);
    expect(Buffer.concat(pieces).equals(writeParquet(m))).toBe(true);
    const back = readParquet(Buffer.concat(pieces));
    expect(back.shape).toEqual([1, cols]);
    expect(back.data).toEqual(m.data);
  });

  test("a wide frame comes in pieces of at most 8192 columns whatever their bytes, its long stored labels read a stretch at a time, never parsed whole", () => {
    // one row of 100000 dated columns: the names of a million were made at once, and each
    // piece of their pages or footer entries was ~30,000 columns (100-180 ms of the event loop)
    const cols = 100_000;
    const dates: Labels = { kind: "datetime", values: Array.from({ length: cols }, (_, c) => new Date(Date.UTC(2000, 0, 1) + c * 3_600_500).toISOString().slice(0, 23)) };
    const strings: Labels = { kind: "string", values: dates.values.map((d, c) => `${d} "${c}"`) };
    for (const columns of [dates, strings]) {
      const m: Matrix = { shape: [1, cols], data: new Float64Array(cols).map((_, i) => i / 3), columns, index: null };
      const text = labelsJson(columns);
      // a text that is no JSON after its list: parsing it whole throws
      const stored = labelsFromText(text.slice(0, -1) + ',"after":}', 0);
      const pieces = [...parquetPieces(rowBlocksOf({ ...m, columns: stored }), 1 << 20)].map((p) => Buffer.from(p.bytes));
      expect(Buffer.concat(pieces).equals(writeParquet(m))).toBe(true);
      // pieces too large to be handed on for their bytes: one after every 8192 columns of the
      // values' pages, of the schema and of the column chunks, and the last
      const counted = [...parquetPieces(rowBlocksOf({ ...m, columns: stored }), 1 << 30)].map((p) => Buffer.from(p.bytes));
      expect(counted.length).toBe(3 * Math.floor(cols / 8192) + 1);
      expect(Buffer.concat(counted).equals(Buffer.concat(pieces))).toBe(true);
      expect(writeParquet({ ...m, columns: stored }).equals(writeParquet(m))).toBe(true);
    }
  });

  test("a tall frame's index comes a page at a time: no piece holds more than a page of its labels", () => {
    // 600000 dates: their 4.8 MB were made, and sent, in one go (4M of them held the server for seconds)
    const rows = 600_000;
    // in the form the reader gives them back (no zero fraction of a second)
    const dates = Array.from({ length: rows }, (_, i) => new Date(Date.UTC(2000, 0, 1) + i * 60_000).toISOString().slice(0, 19));
    for (const index of [{ kind: "datetime" as const, values: dates }, { kind: "string" as const, values: dates }]) {
      const m: Matrix = { shape: [rows, 1], data: new Float64Array(rows), columns: null, index };
      const pieces = [...parquetPieces(rowBlocksOf(m), 1 << 16)].map((p) => Buffer.from(p.bytes));
      expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan((1 << 17) * (index.kind === "string" ? 28 : 8) + 4096);
      expect(Buffer.concat(pieces).equals(writeParquet(m))).toBe(true);
      // compared value by value: a diff of 600000 labels would take jest minutes to print
      const back = readParquet(Buffer.concat(pieces)).index!;
      expect([back.kind, back.values.length]).toEqual([index.kind, rows]);
      const differs = back.values.findIndex((v, i) => v !== dates[i]);
      expect(differs === -1 ? null : { row: differs, back: back.values[differs], sent: dates[differs] }).toBeNull();
    }
  });

  test("datetime labels of any text: refused before the first piece, or read back as the time they name", () => {
    // texts near what int64 nanoseconds hold (1677-09-21 to 2262-04-11), days and times out
    // of range, fractions of 0 to 10 digits, other separators: the writer decides nanoseconds
    // from the text without reading most labels, and reads the others before it writes
    const two = (max: number) => fc.integer({ min: 0, max }).map((v) => String(v).padStart(2, "0"));
    const label = fc.oneof(
      fc
        .tuple(
          fc.oneof(fc.integer({ min: 1670, max: 1685 }), fc.integer({ min: 2255, max: 2270 }), fc.integer({ min: 0, max: 12000 })),
          two(13),
          two(32),
          fc.option(fc.tuple(fc.constantFrom("T", " ", "t", "_"), two(25), two(61), two(61), fc.option(fc.stringMatching(/^[0-9]{0,10}$/)))),
        )
        .map(([y, mo, d, time]) => {
          const date = `${String(y).padStart(4, "0")}-${mo}-${d}`;
          if (!time) return date;
          const [sep, h, mi, se, frac] = time;
          return `${date}${sep}${h}:${mi}:${se}${frac === null ? "" : `.${frac}`}`;
        }),
      fc.constantFrom("2000-01-01Z", "+2000-01-01", "2000-1-01", "2000-01-01T00:00", "2000-02-29", "1900-02-29", "2261-12-31T23:59:59.999999999"),
    );
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 200 }), (labels, pieceBytes) => {
        const m: Matrix = { shape: [labels.length, 1], data: new Float64Array(labels.length), columns: null, index: { kind: "datetime", values: labels } };
        let nanos: bigint[];
        try {
          nanos = labels.map(isoToNanos);
        } catch {
          nanos = [];
        }
        const wraps = nanos.some((v) => v < -(2n ** 63n) || v >= 2n ** 63n);
        const pieces = parquetPieces(rowBlocksOf(m), pieceBytes);
        let first: IteratorResult<unknown>;
        try {
          first = pieces.next();
        } catch (error) {
          // refused at once, and only a label isoToNanos refuses, or one microseconds cannot hold
          expect(error).toBeInstanceOf(FormatError);
          expect(nanos.length === 0 || (wraps && nanos.some((v) => v % 1000n !== 0n || v / 1000n < -(2n ** 63n) || v / 1000n >= 2n ** 63n))).toBe(true);
          return;
        }
        expect(nanos).toHaveLength(labels.length);
        const file = Buffer.concat([Buffer.from((first.value as { bytes: Uint8Array }).bytes), ...[...pieces].map((p) => Buffer.from(p.bytes))]);
        expect(readParquet(file).index).toEqual({ kind: "datetime", values: nanos.map(nanosToIso) });
      }),
      { numRuns: 3000 },
    );
  });

  test("an int label BigInt refuses is refused before the first piece, not after the value columns went out", () => {
    for (const bad of [1.5, NaN, "x"]) {
      const values: (number | string)[] = Array.from({ length: 2 ** 17 + 3 }, (_, i) => i);
      values[values.length - 1] = bad;
      const m: Matrix = { shape: [values.length, 1], data: new Float64Array(values.length), columns: null, index: { kind: "int", values: values as number[] } };
      expect(() => parquetPieces(rowBlocksOf(m), 1 << 10).next()).toThrow();
    }
  });

  test("pieces taken and done one by one (their memory used again) still make the whole file", () => {
    fc.assert(
      fc.property(anyMatrix(6, 40), fc.integer({ min: 1, max: 3000 }), (m, pieceBytes) => {
        const copies: Buffer[] = [];
        for (const piece of parquetPieces(rowBlocksOf(m), pieceBytes)) {
          copies.push(Buffer.from(piece.bytes));
          piece.done();
        }
        expect(Buffer.concat(copies).equals(writeParquet(m))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  test("NaN payloads, -0 and subnormals keep their bits", () => {
    const bits = [0x7ff0000000000001n, 0xfff8000000000123n, 0x7ff4000000000000n, 0x8000000000000000n, 0x0000000000000001n, 0x7ff8000000000000n];
    const bytes = Buffer.alloc(bits.length * 8);
    bits.forEach((b, i) => bytes.writeBigUInt64LE(b, i * 8));
    const data = new Float64Array(bytes.buffer, bytes.byteOffset, bits.length);
    const back = readParquet(writeParquet({ shape: [3, 2], data, columns: null, index: null }));
    expect(sameBits(back.data, data)).toBe(true);
  });

  test("a frame of 20000 columns, and one of pages split (2^17 values a page): read back bit for bit, as the old writer's", () => {
    for (const [rows, cols] of [
      [3, 20_000],
      [300_000, 1],
    ]) {
      const data = Float64Array.from({ length: rows * cols }, (_, i) => (i % 7 === 0 ? NaN : Math.sin(i) * 10 ** ((i % 9) - 4)));
      const columns: Labels = { kind: "string", values: Array.from({ length: cols }, (_, i) => `c${i}`) };
      const m: Matrix = { shape: [rows, cols], data, columns, index: null };
      const file = writeParquet(m);
      const back = readParquet(file);
      sameFrame(back, readParquet(oldWriteParquet(m)));
      expect(sameBits(back.data, data)).toBe(true);
      expect(back.columns!.values).toEqual(columns.values);
    }
  });
});
