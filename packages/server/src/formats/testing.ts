// Test helpers: Python's float.hex() text to a number, and arbitraries for property tests.
import fc from "fast-check";
import type { Labels, Matrix } from "./matrix";

/** Python's float.hex() text to a number, exactly. */
export function fromHex(text: string): number {
  if (text === "inf") return Infinity;
  if (text === "-inf") return -Infinity;
  if (text === "nan") return NaN;
  const match = /^(-)?0x([01])\.([0-9a-f]*)p([+-]\d+)$/.exec(text);
  if (!match) throw new Error(`not a hex float: ${text}`);
  const [, sign, lead, frac, exp] = match;
  const mantissa = BigInt(`0x${lead}${frac || "0"}`);
  const value = Number(mantissa) * 2 ** (Number(exp) - 4 * (frac || "0").length);
  return sign ? -value : value;
}

// Arbitraries for property tests of the codecs.

/** Any float64, with the edges the formats print differently made likely. */
export const anyDouble: fc.Arbitrary<number> = fc.oneof(
  fc.double(),
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.double({ min: -1e-3, max: 1e-3 }),
  fc.constantFrom(
    0, -0, NaN, Infinity, -Infinity, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
    1e-4, 9.999999999999999e-5, 1e-5, 1e-7, 0.1, 1e15, 1e16, 9999999999999998, 1e21, 123456789012345680000, 2 ** 53,
  ),
);

const datetime = fc
  .tuple(fc.date({ min: new Date("1700-01-01T00:00:00Z"), max: new Date("2250-01-01T00:00:00Z"), noInvalidDate: true }), fc.constantFrom("", ".5", ".123456", ".000000001", ".999999999"))
  .map(([d, frac]) => d.toISOString().slice(0, 19) + frac);

/** Labels of any kind, n of them; text labels with characters CSV has to quote. */
export function anyLabels(n: number): fc.Arbitrary<Labels> {
  // ASCII, any Unicode text (accents, CJK, emoji and their joiners, beyond the BMP), and the cells that need quoting
  const text = fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.constantFrom("a,b", 'say "hi"', "line\nbreak", "cr\r", "", " x ", "æøå", "0", "1.5"));
  return fc.oneof(
    fc.array(text, { minLength: n, maxLength: n }).map((values) => ({ kind: "string" as const, values })),
    fc.array(fc.integer({ min: -1e9, max: 1e9 }), { minLength: n, maxLength: n }).map((values) => ({ kind: "int" as const, values })),
    fc.array(anyDouble, { minLength: n, maxLength: n }).map((values) => ({ kind: "float" as const, values })),
    fc.array(datetime, { minLength: n, maxLength: n }).map((values) => ({ kind: "datetime" as const, values })),
  );
}

/** A 2-D matrix of any doubles, with or without labels. */
export function anyMatrix(maxRows = 6, maxCols = 6, labels = true): fc.Arbitrary<Matrix> {
  return fc
    .tuple(fc.integer({ min: 0, max: maxRows }), fc.integer({ min: 0, max: maxCols }))
    .chain(([rows, cols]) =>
      fc.record({
        shape: fc.constant([rows, cols]),
        data: fc.array(anyDouble, { minLength: rows * cols, maxLength: rows * cols }).map((v) => Float64Array.from(v)),
        columns: labels ? fc.option(anyLabels(cols), { nil: null }) : fc.constant(null),
        index: labels ? fc.option(anyLabels(rows), { nil: null }) : fc.constant(null),
      }),
    );
}

/** True when both hold the same float64s bit for bit (NaN payloads and -0 included). */
export function sameBits(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return Buffer.compare(x, y) === 0;
}

/**
 * A Parquet file of rows x cols zeros as Arrow (parquet-wasm) writes it, dictionary
 * encoded and compressed: a few kB that decode to rows * cols float64 values. With
 * pandas metadata the direct reader reads it (SNAPPY); ZSTD is left to Arrow.
 */
export function compactZeros(rows: number, cols: number, codec: "SNAPPY" | "ZSTD"): Buffer {
  // loaded here: the codecs' own tests need neither
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const arrow = require("apache-arrow") as typeof import("apache-arrow");
  const names = Array.from({ length: cols }, (_, c) => `c${c}`);
  const pandas = JSON.stringify({
    index_columns: [],
    column_indexes: [],
    columns: names.map((name) => ({ name, field_name: name, pandas_type: "float64", numpy_type: "float64", metadata: null })),
  });
  return dictionaryEncoded(arrow.tableFromArrays(Object.fromEntries(names.map((name) => [name, new Float64Array(rows)]))), pandas, codec);
}

/** The table as parquet-wasm writes it, dictionary encoded (or not), with the codec and pandas metadata given. */
function dictionaryEncoded(table: import("apache-arrow").Table, pandas: string, codec: "SNAPPY" | "ZSTD", dictionary = true): Buffer {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const arrow = require("apache-arrow") as typeof import("apache-arrow");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const parquet = require("parquet-wasm") as typeof import("parquet-wasm");
  const properties = new parquet.WriterPropertiesBuilder()
    .setCompression(parquet.Compression[codec])
    .setDictionaryEnabled(dictionary)
    .setKeyValueMetadata(new Map([["pandas", pandas]]))
    .build();
  return Buffer.from(parquet.writeParquet(parquet.Table.fromIPCStream(arrow.tableToIPC(table, "stream")), properties));
}

/** pandas metadata of float64 columns and one index column of the pandas and numpy types given. */
function indexedMeta(columns: string[], index: string, pandasType: string, numpyType: string): string {
  return JSON.stringify({
    index_columns: [index],
    column_indexes: [],
    columns: [
      ...columns.map((name) => ({ name, field_name: name, pandas_type: "float64", numpy_type: "float64", metadata: null })),
      { name: null, field_name: index, pandas_type: pandasType, numpy_type: numpyType, metadata: null },
    ],
  });
}

/** A frame of one float64 column "a" (1, 2, ...) indexed by the vector given, as pyarrow writes pandas' (SNAPPY, a dictionary or not). */
export function indexedBy(index: import("apache-arrow").Vector, pandasType: string, numpyType: string, dictionary = false): Buffer {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const arrow = require("apache-arrow") as typeof import("apache-arrow");
  const a = arrow.vectorFromArray(Array.from({ length: index.length }, (_, i) => i + 1), new arrow.Float64());
  return dictionaryEncoded(new arrow.Table({ a, __index_level_0__: index }), indexedMeta(["a"], "__index_level_0__", pandasType, numpyType), "SNAPPY", dictionary);
}

/**
 * The file with its footer's file-level row count (num_rows, fileRows now) said to be rows,
 * its row groups unchanged: a footer that lies. Throws when the count is not found.
 */
export function withFileRows(file: Buffer, fileRows: number, rows: number): Buffer {
  const footerStart = file.length - 8 - file.readUInt32LE(file.length - 8);
  const footer = file.subarray(footerStart, file.length - 8);
  // field 3 of FileMetaData, an i64, just after the schema (field 2): a field header of
  // delta 1 and type 6, then the zigzag varint (row groups' own num_rows come later)
  const field = (n: number) => {
    const bytes = [0x16];
    for (let v = 2 * n; ; v = Math.floor(v / 128)) {
      if (v < 128) {
        bytes.push(v);
        break;
      }
      bytes.push((v % 128) | 128);
    }
    return Buffer.from(bytes);
  };
  const at = footer.indexOf(field(fileRows));
  if (at < 0) throw new Error(`the footer's num_rows ${fileRows} was not found`);
  const patched = Buffer.concat([footer.subarray(0, at), field(rows), footer.subarray(at + field(fileRows).length)]);
  const tail = Buffer.alloc(8);
  tail.writeUInt32LE(patched.length, 0);
  tail.write("PAR1", 4, "latin1");
  return Buffer.concat([file.subarray(0, footerStart), patched, tail]);
}

/** The file written again by parquet-wasm with another codec (its schema and metadata kept): a file the direct reader leaves to Arrow. */
export function recoded(file: Buffer, codec: "ZSTD" | "SNAPPY"): Buffer {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const parquet = require("parquet-wasm") as typeof import("parquet-wasm");
  const properties = new parquet.WriterPropertiesBuilder().setCompression(parquet.Compression[codec]).build();
  return Buffer.from(parquet.writeParquet(parquet.readParquet(new Uint8Array(file)), properties));
}

/**
 * A frame of rows zeros whose string index repeats one label of `length` characters,
 * dictionary encoded: a few kB (ZSTD) that name rows * length characters of row labels.
 */
export function repeatedLabel(rows: number, length: number, codec: "SNAPPY" | "ZSTD"): Buffer {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const arrow = require("apache-arrow") as typeof import("apache-arrow");
  // the dictionary made by hand: one value, every row's key 0 (Arrow's builder hashes each row's string)
  const type = new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32());
  const dictionary = arrow.vectorFromArray(["x".repeat(length)], new arrow.Utf8());
  const idx = arrow.makeVector(arrow.makeData({ type, length: rows, nullCount: 0, data: new Int32Array(rows), dictionary }));
  const table = new arrow.Table({ idx, c0: arrow.makeVector(new Float64Array(rows)) });
  return dictionaryEncoded(table, indexedMeta(["c0"], "idx", "unicode", "object"), codec);
}
