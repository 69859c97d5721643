// The direct Parquet reader against Arrow (parquet-wasm) and against pandas itself:
// files pandas and pyarrow wrote (test/fixtures/parquet, made by make_parquet_fixtures.py),
// files this server writes, and files Arrow wrote with each of its encodings.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as arrow from "apache-arrow";
import fc from "fast-check";
import * as parquet from "parquet-wasm";
import { encodeCsv } from "./csv";
import { formatLabels } from "./labels";
import { rangeLabels, type Matrix } from "./matrix";
import { arrowTable, frameOf, MAX_FRAME_VALUES, readParquet, writeParquet } from "./parquet";
import { fileSource, isoDatetimes, nanosToIso, readTable, Unsupported, type FooterCount } from "./parquetReader";
import { anyMatrix, compactZeros, indexedBy, sameBits, withFileRows } from "./testing";

const FIXTURES = path.join(__dirname, "..", "..", "test", "fixtures", "parquet");
const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, "expected.json"), "utf8")) as Record<
  string,
  { shape: number[]; bits: string[]; columns: string[]; index: string[] }
>;
/** Files the direct reader leaves to Arrow. */
const THROUGH_ARROW = new Set(["zstd", "page_v2", "categorical_index"]);

function sameFrame(a: Matrix, b: Matrix): void {
  expect(a.shape).toEqual(b.shape);
  expect(sameBits(a.data, b.data)).toBe(true);
  expect(a.columns).toEqual(b.columns);
  expect(a.index).toEqual(b.index);
}

describe("Parquet read directly", () => {
  test.each(Object.keys(expected))("%s.parquet (pandas): the frame pandas reads, and Arrow's", (name) => {
    const file = fs.readFileSync(path.join(FIXTURES, `${name}.parquet`));
    const table = readTable(file);
    const viaArrow = frameOf(arrowTable(file));
    const want = expected[name];
    expect(viaArrow.shape).toEqual(want.shape);
    const bits = Buffer.from(viaArrow.data.buffer, viaArrow.data.byteOffset, viaArrow.data.byteLength);
    expect(Array.from({ length: viaArrow.data.length }, (_, i) => bits.readBigUInt64LE(i * 8).toString(16).padStart(16, "0"))).toEqual(want.bits);
    expect(formatLabels(viaArrow.columns!)).toEqual(want.columns);
    // no index column: the rows numbered 0..n-1, which a matrix says with no labels (null)
    const index = viaArrow.index ?? rangeLabels(viaArrow.shape[0]);
    expect(formatLabels(index).map((v) => v.replace("T", " "))).toEqual(want.index.map((v) => v.replace(/ 00:00:00$/, "")));
    if (THROUGH_ARROW.has(name)) {
      // refused whole (a codec it does not know), or a column when it is read (v2 pages)
      if (table !== null) expect(() => frameOf(table)).toThrow(Unsupported);
      return sameFrame(readParquet(file), viaArrow);
    }
    expect(table).not.toBeNull();
    sameFrame(frameOf(table!), viaArrow);
  });

  test("this server's files, any frame: read directly, the same as through Arrow", () => {
    fc.assert(
      fc.property(anyMatrix(6, 6), (m) => {
        const file = writeParquet(m);
        const table = readTable(file);
        expect(table).not.toBeNull();
        sameFrame(frameOf(table!), frameOf(arrowTable(file)));
      }),
      { numRuns: 200 },
    );
  });

  test("files read one after another whose pandas metadata differ only slightly (same length): each gets its own labels, also read again", () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-c]{3}$/), { minLength: 2, maxLength: 2 }), fc.integer({ min: 1, max: 40 }), ([x, y], cols) => {
        const frame = (name: string): Matrix => ({
          shape: [1, cols],
          data: Float64Array.from({ length: cols }, (_, c) => c),
          columns: { kind: "string", values: Array.from({ length: cols }, (_, c) => (c === cols - 1 ? name : `c${c}`)) },
          index: null,
        });
        const [a, b] = [writeParquet(frame(x)), writeParquet(frame(y))];
        for (const [file, name] of [[a, x], [b, y], [a, x], [b, y]] as const) expect(readParquet(file).columns!.values[cols - 1]).toBe(name);
      }),
      { numRuns: 100 },
    );
  });

  test("Arrow's files with dictionaries, compression, small pages and nulls: the same frame both ways, in memory and on disk", () => {
    const onDisk = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "parquet-reader-")), "frame.parquet");
    const options = fc.record({
      dictionary: fc.boolean(),
      codec: fc.constantFrom(parquet.Compression.SNAPPY, parquet.Compression.UNCOMPRESSED),
      pageBytes: fc.integer({ min: 8, max: 400 }),
      groupRows: fc.integer({ min: 1, max: 80 }),
      nulls: fc.boolean(),
    });
    fc.assert(
      fc.property(anyMatrix(60, 4), options, (m, o) => {
        const rows = m.shape[0];
        const cols = m.shape[1] ?? 1;
        const vectors = Array.from({ length: cols }, (_, c) => {
          const values = Array.from({ length: rows }, (_, r) => (o.nulls && (r + c) % 3 === 0 ? null : m.data[r * cols + c]));
          return arrow.vectorFromArray(values, new arrow.Float64());
        });
        // as pandas' files have it: a "pandas" entry of the file's own beside ARROW:schema
        const pandas = JSON.stringify({
          index_columns: [],
          column_indexes: [],
          columns: vectors.map((_, c) => ({ name: `c${c}`, field_name: `c${c}`, pandas_type: "float64", numpy_type: "float64", metadata: null })),
        });
        const table = new arrow.Table(Object.fromEntries(vectors.map((v, c) => [`c${c}`, v])));
        table.schema.metadata.set("pandas", pandas);
        const properties = new parquet.WriterPropertiesBuilder()
          .setCompression(o.codec)
          .setDictionaryEnabled(o.dictionary)
          .setDataPageSizeLimit(o.pageBytes)
          .setWriteBatchSize(4)
          .setKeyValueMetadata(new Map([["pandas", pandas]]))
          .setMaxRowGroupSize(o.groupRows)
          .build();
        const file = Buffer.from(parquet.writeParquet(parquet.Table.fromIPCStream(arrow.tableToIPC(table, "stream")), properties));
        const direct = readTable(file);
        expect(direct).not.toBeNull();
        const expected = frameOf(arrowTable(file));
        sameFrame(frameOf(direct!), expected);
        // from disk too: chunks read into one reused buffer, pages decompressed into another
        fs.writeFileSync(onDisk, file);
        const fd = fs.openSync(onDisk, "r");
        try {
          sameFrame(frameOf(readTable(fileSource(fd, file.length))!), expected);
        } finally {
          fs.closeSync(fd);
        }
      }),
      { numRuns: 150 },
    );
    fs.rmSync(path.dirname(onDisk), { recursive: true, force: true });
  });

  test("wide files of float64 columns with nulls in some (pandas' NaN as pyarrow writes it): each column's own missing values, in memory and on disk", () => {
    // more columns than frameOf decodes at once (32), so its arrays serve several columns each
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parquet-reader-"));
    const onDisk = path.join(dir, "wide.parquet");
    const frames = fc.integer({ min: 1, max: 12 }).chain((rows) =>
      fc.record({
        rows: fc.constant(rows),
        columns: fc.array(fc.array(fc.option(fc.double(), { freq: 3 }), { minLength: rows, maxLength: rows }), { minLength: 33, maxLength: 80 }),
        codec: fc.constantFrom(parquet.Compression.SNAPPY, parquet.Compression.UNCOMPRESSED),
        groupRows: fc.integer({ min: 1, max: 16 }),
      }),
    );
    fc.assert(
      fc.property(frames, ({ rows, columns, codec, groupRows }) => {
        const names = columns.map((_, c) => `c${c}`);
        const table = new arrow.Table(Object.fromEntries(columns.map((values, c) => [names[c], arrow.vectorFromArray(values, new arrow.Float64())])));
        const pandas = JSON.stringify({
          index_columns: [],
          column_indexes: [],
          columns: names.map((name) => ({ name, field_name: name, pandas_type: "float64", numpy_type: "float64", metadata: null })),
        });
        table.schema.metadata.set("pandas", pandas);
        const properties = new parquet.WriterPropertiesBuilder().setCompression(codec).setKeyValueMetadata(new Map([["pandas", pandas]])).setMaxRowGroupSize(groupRows).build();
        const file = Buffer.from(parquet.writeParquet(parquet.Table.fromIPCStream(arrow.tableToIPC(table, "stream")), properties));
        const expected = Float64Array.from({ length: rows * columns.length }, (_, i) => columns[i % columns.length][Math.floor(i / columns.length)] ?? NaN);
        fs.writeFileSync(onDisk, file);
        const fd = fs.openSync(onDisk, "r");
        try {
          for (const source of [file, fileSource(fd, file.length)]) {
            const direct = readTable(source);
            expect(direct).not.toBeNull();
            const m = frameOf(direct!);
            expect(m.shape).toEqual([rows, columns.length]);
            expect(sameBits(m.data, expected)).toBe(true);
          }
        } finally {
          fs.closeSync(fd);
        }
      }),
      { numRuns: 150 },
    );
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("a missing string row label (pandas' None) is null, with or without a dictionary: an empty cell in CSV, an empty text in our Parquet", () => {
    for (const dictionary of [false, true]) {
      // (an index with missing values is Arrow's to read)
      const m = readParquet(indexedBy(arrow.vectorFromArray(["r1", null, "null"], new arrow.Utf8()), "unicode", "object", dictionary));
      expect(m.index!.values).toEqual(["r1", null, "null"]);
      expect(encodeCsv(m).toString()).toBe(",a\nr1,1.0\n,2.0\nnull,3.0\n");
      expect(readParquet(writeParquet(m)).index!.values).toEqual(["r1", "", "null"]);
    }
  });

  test("a missing number row label is NaN (it read as 0), an int index with one a float index as in pandas", () => {
    const cases = [
      { index: arrow.vectorFromArray([1.5, null, 2.5], new arrow.Float64()), type: "float64", values: [1.5, NaN, 2.5] },
      { index: arrow.vectorFromArray([1n, null, 3n], new arrow.Int64()), type: "int64", values: [1, NaN, 3] },
    ];
    for (const { index, type, values } of cases) {
      const m = readParquet(indexedBy(index, type, type));
      expect(m.index).toEqual({ kind: "float", values });
      expect(readParquet(writeParquet(m)).index).toEqual(m.index);
    }
  });

  test("a missing datetime row label (pandas' NaT) is null (it read as another row's date): an empty cell in CSV, numpy's NaT in our Parquet, read back as null", () => {
    const dates = [new Date(Date.UTC(2020, 0, 1)), null, new Date(Date.UTC(2020, 0, 3, 12))];
    const m = readParquet(indexedBy(arrow.vectorFromArray(dates, new arrow.TimestampNanosecond()), "datetime", "datetime64[ns]"));
    expect(m.index).toEqual({ kind: "datetime", values: ["2020-01-01T00:00:00", null, "2020-01-03T12:00:00"] });
    // the form of the others is theirs alone: a NaT does not make every date show a time (nor the opposite)
    expect(encodeCsv(m).toString()).toBe(",a\n2020-01-01 00:00:00,1.0\n,2.0\n2020-01-03 12:00:00,3.0\n");
    const twoRows = { ...m, shape: [2, 1], data: m.data.subarray(0, 2), index: { kind: "datetime" as const, values: ["2020-01-01T00:00:00", null as unknown as string] } };
    expect(encodeCsv(twoRows).toString()).toBe(",a\n2020-01-01,1.0\n,2.0\n");
    const ours = writeParquet(m);
    expect(readTable(ours)).not.toBeNull(); // read directly: no missing value, the int64 NaT
    expect(readParquet(ours).index).toEqual(m.index);
  });

  test("a file cut short (no PAR1 at its end) is refused at once, not left to Arrow", () => {
    const file = writeParquet({ shape: [2, 2], data: new Float64Array([1, 2, 3, 4]), columns: null, index: null });
    expect(() => readTable(file.subarray(0, file.length - 20))).toThrow(/not a readable parquet file: it does not start and end with PAR1/);
    expect(() => readParquet(file.subarray(0, file.length - 20))).toThrow(/not a readable parquet file/);
    // a big file that is not Parquet is refused from its first and last bytes, never read whole
    const asked: number[] = [];
    const notParquet = { length: 2 ** 30, range: (start: number, end: number) => (asked.push(end - start), Buffer.alloc(end - start)) };
    expect(() => readParquet(notParquet)).toThrow(/not a readable parquet file: it does not start and end with PAR1/);
    expect(Math.max(...asked)).toBeLessThanOrEqual(8);
  });

  test("a column whose pages are broken is found out when it is read, and left to Arrow", () => {
    const file = writeParquet({ shape: [2, 2], data: new Float64Array([1, 2, 3, 4]), columns: null, index: null });
    const broken = Buffer.concat([file.subarray(0, 8), Buffer.alloc(40, 0xff), file.subarray(48)]);
    const table = readTable(broken);
    expect(table).not.toBeNull(); // the footer is whole; the first column's pages are not
    expect(() => table!.fields[0].numbers()).toThrow(Unsupported);
    expect(() => readParquet(broken)).toThrow(/not a readable parquet file/);
  });
});

describe("frameOf", () => {
  /** A table whose footer claims rows x cols values; decoding any of them fails the test. */
  const claimed = (rows: number, cols: number) => ({
    numRows: rows,
    metadata: new Map<string, string>(),
    fields: Array.from({ length: cols }, (_, i) => ({
      name: `c${i}`,
      numbers: (): Float64Array => {
        throw new Error("decoded");
      },
      labels: () => ({ kind: "int" as const, values: [] }),
    })),
  });

  test("a footer claiming more values than a frame may decode to is refused before any is decoded", () => {
    for (const [rows, cols] of [[2 ** 31 - 1, 1], [2 ** 25, 9], [MAX_FRAME_VALUES + 1, 1]]) {
      expect(() => frameOf(claimed(rows, cols))).toThrow(new RegExp(`parquet frame of ${rows} x ${cols} values is more than the ${MAX_FRAME_VALUES}`));
    }
    expect(() => frameOf(claimed(4, 2))).toThrow(/^decoded$/); // a frame within the limit is read
  });

  test("a file of more values than may be decoded is refused from its footer, by either reader, before any is decoded", () => {
    for (const codec of ["SNAPPY", "ZSTD"] as const) {
      const file = compactZeros(100_000, 2, codec);
      expect(file.length).toBeLessThan(20_000); // 1.6 MB of float64
      const refused = /^a parquet file of 100000 rows x 2 columns is more than the 199999 values \(1599992 bytes of float64\) one may decode to$/;
      // the direct reader refuses it rather than leave it to Arrow, which decodes the whole file first
      expect(() => readTable(file, 199_999)).toThrow(refused);
      expect(() => readParquet(file, 199_999)).toThrow(refused);
      const m = readParquet(file, 200_000);
      expect(m.shape).toEqual([100_000, 2]);
      expect(m.data.every((v) => Object.is(v, 0))).toBe(true);
      expect(readTable(file) === null).toBe(codec === "ZSTD");
    }
  });

  test("the values are counted from the most rows the file or its row groups say, and without pandas' index columns", () => {
    // a footer saying 1 row over row groups of 100000: Arrow decodes the groups' rows
    for (const codec of ["SNAPPY", "ZSTD"] as const) {
      const lying = withFileRows(compactZeros(100_000, 2, codec), 100_000, 1);
      expect(() => readTable(lying, 199_999)).toThrow(/^a parquet file of 100000 rows x 2 columns is more than the 199999 values/);
      const claiming = withFileRows(compactZeros(1000, 1, codec), 1000, 2 ** 28 + 1);
      expect(() => readTable(claiming)).toThrow(/^a parquet file of 268435457 rows x 1 columns is more than the 268435456 values/);
    }
    // an index column (here of dates) is labels, not values
    const rows = 1000;
    const indexed = writeParquet({
      shape: [rows, 1],
      data: new Float64Array(rows).fill(0.5),
      columns: null,
      index: { kind: "datetime", values: Array.from({ length: rows }, (_, k) => new Date(Date.UTC(2000, 0, 1 + k)).toISOString().slice(0, 19)) },
    });
    expect(readParquet(indexed, rows).shape).toEqual([rows, 1]);
    expect(() => readParquet(indexed, rows - 1)).toThrow(/^a parquet file of 1000 rows x 1 columns is more than the 999 values/);
  });

  test("reading stops at the footer when the count's listener answers false: no column, the index neither, is read", () => {
    const rows = 1000;
    const file = writeParquet({ shape: [rows, 1], data: new Float64Array(rows), columns: null, index: { kind: "string", values: Array.from({ length: rows }, (_, k) => `r${k}`) } });
    const footerStart = file.length - 8 - file.readUInt32LE(file.length - 8);
    const read: number[] = [];
    const source = { length: file.length, range: (start: number, end: number) => (read.push(start), file.subarray(start, end)) };
    const counts: FooterCount[] = [];
    expect(readTable(source, undefined, (count) => (counts.push(count), false))).toBeNull();
    expect(counts).toEqual([{ rows, values: rows }]);
    expect(read.every((start) => start === 0 || start >= footerStart)).toBe(true);
    // answering anything else, the index is read with the rest
    read.length = 0;
    expect(readTable(source, undefined, () => true)!.numRows).toBe(rows);
    expect(read.some((start) => start > 0 && start < footerStart)).toBe(true);
  });
});

describe("isoDatetimes", () => {
  /** nanosToIso's text of each, or the error it gives; null for the smallest int64 (numpy's NaT) */
  const expected = (raw: bigint[], nanosPer: bigint) =>
    raw.map((v) => {
      if (v === -(2n ** 63n)) return null;
      try {
        return nanosToIso(v * nanosPer);
      } catch (error) {
        return (error as Error).message;
      }
    });
  const got = (raw: BigInt64Array | Int32Array, nanosPer: bigint) =>
    Array.from({ length: raw.length }, (_, i) => {
      try {
        return isoDatetimes(raw.subarray(i, i + 1) as BigInt64Array | Int32Array, nanosPer)[0];
      } catch (error) {
        return (error as Error).message;
      }
    });

  test("is nanosToIso of each value times its unit, for any int64 and any unit (generated; dates of years 0000-9999 most)", () => {
    const second = 1_000_000_000n;
    const years = 253_402_300_800n * second; // 9999-12-31 ends, in nanoseconds
    const units = fc.constantFrom(1n, 1000n, 1_000_000n, second, 86_400n * second, 3n, 7n * second);
    const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    fc.assert(
      fc.property(units, fc.array(fc.oneof(int64, fc.bigInt({ min: -62_167_219_200n * second, max: years }), fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n })), { maxLength: 12 }), (nanosPer, wanted) => {
        const raw = wanted.map((v) => v / nanosPer).filter((v) => v >= -(2n ** 63n) && v < 2n ** 63n); // in the unit, as a file holds it
        expect(got(BigInt64Array.from(raw), nanosPer)).toEqual(expected(raw, nanosPer));
        // all at once (one date part made a day): the texts, or the first value's error
        const want = expected(raw, nanosPer);
        const whole = (() => {
          try {
            return isoDatetimes(BigInt64Array.from(raw), nanosPer);
          } catch (error) {
            return (error as Error).message;
          }
        })();
        expect(whole).toEqual(want.find((w) => w?.startsWith("timestamp")) ?? want);
      }),
      { numRuns: 3000 },
    );
    // int32 days (dates)
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 8 }), (days) => {
        expect(got(Int32Array.from(days), 86_400n * second)).toEqual(expected(days.map(BigInt), 86_400n * second));
      }),
    );
  });

  test("consecutive times across days, with and without fractions of a second", () => {
    const start = BigInt(Date.UTC(1999, 11, 31, 23, 59, 0)) * 1_000_000n;
    for (const step of [1_000_000_000n, 1_500_000_000n, 86_399_999_999_999n, 1n, 333_333_333n]) {
      const raw = BigInt64Array.from({ length: 500 }, (_, i) => start + BigInt(i) * step);
      expect(isoDatetimes(raw, 1n)).toEqual(Array.from(raw, (v) => nanosToIso(v)));
    }
  });
});
