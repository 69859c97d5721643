// A Parquet writer for the one kind of file the server writes: a frame of float64
// columns and one index column, as pandas' DataFrame.to_parquet lays it out (the index
// a column named in the "pandas" metadata). One row group, PLAIN encoding, no
// compression, no statistics. parquet-wasm wrote the same tables through Arrow at
// ~50 MB/s for 20000 columns (most of it per-column work in Arrow and its metadata);
// this writes the bytes directly. The file structure is parquet.thrift's, in Thrift's
// compact protocol: https://github.com/apache/parquet-format
import { endianness } from "node:os";
import { labelFormatter, labelSlices, labelText } from "./labels";
import type { Piece } from "./piece";
import { NAT } from "./parquetReader";
import { FormatError, rangeLabels, rowBlocksOf, type LabelKind, type Labels, type Matrix, type RowBlocks } from "./matrix";

export const INDEX_FIELD = "__index_level_0__";

const PANDAS_TYPE: Record<LabelKind, [string, string, unknown]> = {
  string: ["unicode", "object", { encoding: "UTF-8" }],
  int: ["int64", "int64", null],
  float: ["float64", "float64", null],
  datetime: ["datetime", "datetime64[ns]", null],
};

/** parquet.thrift's enums, the values used here. */
const Type = { INT64: 2, DOUBLE: 5, BYTE_ARRAY: 6 } as const;
const OPTIONAL = 1;
const ConvertedType = { UTF8: 0, INT_64: 18 } as const;
const Encoding = { PLAIN: 0, RLE: 3 } as const;
const UNCOMPRESSED = 0;
const DATA_PAGE = 0;

/** Values per data page at most (1 MiB of float64): readers hold a page whole. */
const PAGE_VALUES = 1 << 17;

/** Column strips of at most this many values are transposed at a time (512 KiB: they stay in cache). */
const STRIP_VALUES = 1 << 16;

const LITTLE_ENDIAN = endianness() === "LE";

/** The frame as one Parquet file in memory. */
export function writeParquet(m: Matrix | RowBlocks): Buffer {
  const [file] = parquetPieces("blocks" in m ? m : rowBlocksOf(m), Infinity); // one piece: the whole file
  return file.bytes;
}

/**
 * The frame as a Parquet file in pieces of about pieceBytes (a column's pages are not
 * split), each made when it is asked for: a big frame's file is never whole in memory.
 * A piece's memory is used again for a later piece once it is done.
 */
export function* parquetPieces(table: RowBlocks, pieceBytes: number): Generator<Piece> {
  const { rows, cols } = table;
  if (table.blocks.reduce((n, b) => n + b.length, 0) !== rows * cols || (cols > 0 && table.blocks.some((b) => b.length % cols !== 0))) {
    throw new Error(`Blocks of values do not make ${rows} rows of ${cols}`);
  }
  const columns = table.columns ?? rangeLabels(cols);
  const index = table.index ?? rangeLabels(rows);
  const nameOf = fieldNames(columns);
  const indexColumn = encodeIndex(index);

  const pages = cols * Math.ceil(rows / PAGE_VALUES);
  // room for all of it at once (the values, the pages' headers, each name four times in
  // the footer), or for a piece and one page more (a piece is handed on after any page: a
  // buffer sized for a whole column of 4M rows held 32 MB, three of them kept)
  const piece = pieceBytes + Math.min(rows, PAGE_VALUES) * 8 + 40 + 4096;
  const whole = () => {
    let nameBytes = 0;
    for (let c = 0; c < cols; c++) nameBytes += Buffer.byteLength(nameOf(c), "utf8");
    return rows * cols * 8 + indexColumn.byteLength(0, rows) + pages * 40 + cols * 160 + 4 * nameBytes + 4096;
  };
  const out = new ByteWriter(pieceBytes === Infinity ? whole() : Math.min(piece, rows * cols * 8 + 4096));
  out.raw(MAGIC);
  const chunks: ColumnChunk[] = [];
  // Columns are made a strip at a time: a strip's values are read row by row (runs of
  // adjacent values), not a column at a time with the whole row's width between values
  // (a 200 x 20000 frame: a page, and a cache miss, for every value). A frame too tall for
  // strips of two columns is read a column at a time, straight from its blocks.
  const width = Math.floor(STRIP_VALUES / Math.max(rows, 1));
  const strip = width >= 2 ? new Float64Array(Math.min(width, cols) * rows) : null;
  for (let c = 0; c < cols; c++) {
    let values: (from: number, to: number) => void;
    if (strip) {
      const k = c % width;
      if (k === 0) transpose(table, c, Math.min(width, cols - c), strip);
      values = (from, to) => out.float64s(strip, k * rows + from, to - from);
    } else values = (from, to) => gather(out, table, c, from, to);
    const valueBytes = (from: number, to: number) => (to - from) * 8;
    const name = nameOf(c);
    chunks.push(rows <= PAGE_VALUES ? writeOnePage(out, name, Type.DOUBLE, rows, valueBytes, values) : yield* writeColumn(out, name, Type.DOUBLE, rows, valueBytes, values, pieceBytes));
    if (out.held >= pieceBytes || pause(c, pieceBytes)) yield out.take();
  }
  const names = chunks.map((chunk) => chunk.name);
  // the index's values made a page at a time: 4M dates made at once held the event loop for seconds
  const indexChunk = yield* writeColumn(out, INDEX_FIELD, indexColumn.type, rows, indexColumn.byteLength, (from, to) => indexColumn.write(out, from, to), pieceBytes);
  chunks.push({ ...indexChunk, isIndex: true });

  const footerStart = out.length;
  yield* writeFileMetaData(out, { rows, names, index: indexColumn, chunks, columnKind: columns.kind }, pieceBytes);
  out.u32(out.length - footerStart);
  out.raw(MAGIC);
  yield out.take(true);
}

const MAGIC = Buffer.from("PAR1");

/**
 * Columns of a wide frame made between pieces, whatever their bytes: a piece of a million
 * one-value columns' pages or footer entries is ~30,000 of them, which held the event loop
 * 100-180 ms.
 */
const COLUMN_RUN = 1 << 13;

/** Whether a piece is handed on after column c (of an answer made a piece at a time) for its count alone. */
function pause(c: number, pieceBytes: number): boolean {
  return pieceBytes !== Infinity && c % COLUMN_RUN === COLUMN_RUN - 1;
}

/**
 * The Parquet field names of column labels, c after c (pandas' str of each: datetimes with
 * a space), made a run of COLUMN_RUN at a time: long stored labels are read a stretch of
 * their text at a time (labelSlices), never parsed whole (a million dates and their names
 * made at once held the event loop 0.6 s).
 */
function fieldNames(columns: Labels): (c: number) => string {
  const slice = columns.kind === "datetime" || columns.kind === "string" ? labelSlices(columns) : null;
  const format = columns.kind === "datetime" ? (v: string | number) => String(v).replace("T", " ") : String;
  const run = slice ? (from: number, to: number) => slice(from, to).map(format) : labelFormatter(columns);
  let [from, names] = [0, [] as string[]];
  return (c) => {
    if (c < from || c >= from + names.length) {
      from = c - (c % COLUMN_RUN);
      names = run(from, from + COLUMN_RUN);
    }
    return names[c - from];
  };
}

/** Rows from .. to - 1 of column c, read straight from the blocks. */
function gather(out: ByteWriter, table: RowBlocks, c: number, from: number, to: number): void {
  const { cols } = table;
  let start = 0; // the block's first row
  for (const block of table.blocks) {
    const blockRows = block.length / cols;
    const [first, end] = [Math.max(from, start), Math.min(to, start + blockRows)];
    if (first < end) out.float64sStrided(block, (first - start) * cols + c, cols, end - first);
    start += blockRows;
    if (start >= to) return;
  }
}

/** Columns c0 .. c0 + width - 1 of the table into strip, column after column (column k from strip[k * rows]). */
function transpose(table: RowBlocks, c0: number, width: number, strip: Float64Array): void {
  const { rows, cols } = table;
  let r = 0;
  for (const block of table.blocks) {
    for (let at = c0; at < block.length; at += cols, r++) {
      for (let k = 0, to = r; k < width; k++, to += rows) strip[to] = block[at + k];
    }
  }
}

function pandasMeta(names: string[], columnKind: LabelKind, indexKind: LabelKind, micros = false): Record<string, unknown> {
  const [cType, cNumpy, cMeta] = PANDAS_TYPE[columnKind];
  const [iType, iNumpy] = micros ? ["datetime", "datetime64[us]"] : PANDAS_TYPE[indexKind];
  return {
    index_columns: [INDEX_FIELD],
    column_indexes: [{ name: null, field_name: null, pandas_type: cType, numpy_type: cNumpy, metadata: cMeta }],
    columns: [
      ...names.map(valueColumn),
      { name: null, field_name: INDEX_FIELD, pandas_type: iType, numpy_type: iNumpy, metadata: null },
    ],
    creator: { library: "ert-storage", version: "0.1.0" },
    pandas_version: "2.1.0",
  };
}

interface IndexColumn {
  type: number;
  kind: LabelKind;
  /** datetime: microseconds when a date is outside what int64 nanoseconds hold (1677-09-21 to 2262-04-11), else nanoseconds */
  micros?: boolean;
  /** the PLAIN-encoded bytes of labels from .. to - 1 */
  byteLength(from: number, to: number): number;
  /** labels from .. to - 1 PLAIN-encoded */
  write(out: ByteWriter, from: number, to: number): void;
}

/**
 * The index labels as a column: int64, float64, timestamp[ns] or UTF-8 text, as pandas
 * writes them, encoded a range (a page) at a time as it is written. Whatever would refuse
 * a label is found here, before anything is written.
 */
function encodeIndex(labels: Labels): IndexColumn {
  const values = labels.values;
  const int64s = (from: number, to: number, int64: (v: string | number) => bigint) => new Uint8Array(BigInt64Array.from(values.slice(from, to), int64).buffer);
  const fixed = (type: number, write: IndexColumn["write"], micros?: boolean): IndexColumn => ({ type, kind: labels.kind, micros, byteLength: (from, to) => (to - from) * 8, write });
  switch (labels.kind) {
    case "string":
      return {
        type: Type.BYTE_ARRAY,
        kind: "string",
        // a missing label (null) is written as an empty text: every value of the column is present
        byteLength: (from, to) => {
          let n = 0;
          for (let i = from; i < to; i++) n += 4 + Buffer.byteLength(labelText(values[i]), "utf8");
          return n;
        },
        write: (out, from, to) => {
          for (let i = from; i < to; i++) {
            const text = labelText(values[i]);
            out.u32(Buffer.byteLength(text, "utf8"));
            out.utf8(text);
          }
        },
      };
    case "float":
      return fixed(Type.DOUBLE, (out, from, to) => out.float64s(Float64Array.from(values.slice(from, to), Number), 0, to - from));
    case "int":
      // a label BigInt refuses is refused now, not once the answer has begun
      for (const v of values) if (typeof v !== "number" || !Number.isInteger(v)) BigInt(v);
      return fixed(Type.INT64, (out, from, to) => out.raw(int64s(from, to, (v) => BigInt(v))));
    case "datetime": {
      // every label read, or surely readable, before anything is written (a refusal then
      // would cut off an answer already begun); an int64 array wraps what it cannot hold: a
      // date in the year 3000 came back as 1830
      // (a missing one, null, is written as numpy's NaT, which pandas reads as such)
      let micros = false;
      for (let i = 0; i < values.length && !micros; i++) {
        if (values[i] === null) continue;
        const text = String(values[i]);
        micros = !surelyNanos(text) && outsideInt64(isoToNanos(text));
      }
      if (!micros) return fixed(Type.INT64, (out, from, to) => out.raw(int64s(from, to, (v) => (v === null ? NAT : isoToNanos(String(v))))));
      // a rare frame: its microseconds made at once (every label read first, so the first one
      // that is no datetime is named before any that is out of range)
      const nanos = values.map((v) => (v === null ? null : isoToNanos(String(v))));
      const all = BigInt64Array.from(nanos, (v, i) => {
        if (v === null) return NAT;
        if (v % 1000n !== 0n || outsideInt64(v / 1000n)) throw new FormatError(`the datetime label '${values[i]}' cannot be written to parquet`);
        return v / 1000n;
      });
      return fixed(Type.INT64, (out, from, to) => out.raw(new Uint8Array(all.buffer, from * 8, (to - from) * 8)), true);
    }
  }
}

/**
 * Whether isoToNanos surely reads the label, to a time int64 nanoseconds hold: its text is
 * YYYY-MM-DD, then maybe [T ]hh:mm:ss and a fraction of 1 to 9 digits, of a year 1678 to
 * 2261, a day its month has, hh 00-23, mm and ss 00-59. Read from the text, nothing made;
 * any other label is read by isoToNanos itself before anything is written.
 */
function surelyNanos(iso: string): boolean {
  const n = iso.length;
  if (n !== 10 && (n < 19 || n === 20 || n > 29)) return false;
  const year = digitsAt(iso, 0, 4);
  const month = digitsAt(iso, 5, 2);
  const day = digitsAt(iso, 8, 2);
  if (year < 1678 || year > 2261 || iso[4] !== "-" || iso[7] !== "-" || month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31)) return false;
  if (n === 10) return true;
  const hour = digitsAt(iso, 11, 2);
  const minute = digitsAt(iso, 14, 2);
  const second = digitsAt(iso, 17, 2);
  if ((iso[10] !== "T" && iso[10] !== " ") || iso[13] !== ":" || iso[16] !== ":" || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  return n === 19 || (iso[19] === "." && digitsAt(iso, 20, n - 20) >= 0);
}

/** The number the `count` ASCII digits of text at `at` make; -1 if any is not a digit (count <= 9: exact). */
function digitsAt(text: string, at: number, count: number): number {
  let v = 0;
  for (let i = at; i < at + count; i++) {
    const c = text.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

function outsideInt64(v: bigint): boolean {
  return v < INT64_MIN || v > INT64_MAX;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function isoToNanos(iso: string): bigint {
  const match = /^(\d{4,}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?)?$/.exec(iso);
  if (!match) throw new FormatError(`'${iso}' is not a datetime`);
  const ms = Date.parse(`${match[1]}T${match[2] ?? "00:00:00"}Z`);
  if (Number.isNaN(ms)) throw new FormatError(`'${iso}' is not a datetime JavaScript can read`);
  return BigInt(ms) * 1_000_000n + BigInt((match[3] ?? "").padEnd(9, "0") || "0");
}

interface ColumnChunk {
  name: string;
  /** the index column (the last): known by its place, as a column may carry its name too */
  isIndex: boolean;
  type: number;
  start: number;
  size: number;
}

/**
 * One column chunk of data pages (v1) of at most PAGE_VALUES values each, handing on a
 * piece after any page but the last once `out` holds pieceBytes. Every column is OPTIONAL
 * (nullable, as Arrow and pandas write them) with no value missing: the definition levels
 * are one RLE run of 1s.
 */
function* writeColumn(
  out: ByteWriter,
  name: string,
  type: number,
  rows: number,
  valueBytes: (from: number, to: number) => number,
  writeValues: (from: number, to: number) => void,
  pieceBytes: number,
): Generator<Piece, ColumnChunk> {
  const start = out.length;
  for (let from = 0; ; from += PAGE_VALUES) {
    const to = Math.min(rows, from + PAGE_VALUES);
    writePage(out, from, to, valueBytes, writeValues);
    if (to >= rows) break;
    if (out.held >= pieceBytes) yield out.take();
  }
  return { name, isIndex: false, type, start, size: out.length - start };
}

/** writeColumn for a column of one page (ERT's 1 x 2000 frames: 2000 of them), without a generator. */
function writeOnePage(out: ByteWriter, name: string, type: number, rows: number, valueBytes: (from: number, to: number) => number, writeValues: (from: number, to: number) => void): ColumnChunk {
  const start = out.length;
  writePage(out, 0, rows, valueBytes, writeValues);
  return { name, isIndex: false, type, start, size: out.length - start };
}

/** A data page of the values from .. to - 1 (none: an empty page). */
function writePage(out: ByteWriter, from: number, to: number, valueBytes: (from: number, to: number) => number, writeValues: (from: number, to: number) => void): void {
  const count = to - from;
  const levels = count === 0 ? 0 : varintLength(count * 2) + 1;
  const size = 4 + levels + valueBytes(from, to);
  const header = new CompactWriter(out);
  header.i32(1, DATA_PAGE);
  header.i32(2, size);
  header.i32(3, size);
  header.struct(5, () => {
    header.i32(1, count);
    header.i32(2, Encoding.PLAIN);
    header.i32(3, Encoding.RLE);
    header.i32(4, Encoding.RLE);
  });
  header.stop();
  // the definition levels: their length, then one RLE run of `count` 1s (bit width 1)
  out.u32(levels);
  if (count > 0) {
    out.varint(count * 2);
    out.byte(1);
  }
  writeValues(from, to);
}

function varintLength(n: number): number {
  let length = 1;
  for (; n >= 128; n = Math.floor(n / 128)) length++;
  return length;
}

/**
 * The footer, a piece whenever pieceBytes are held: a frame of a million columns has a
 * footer of ~100 MB that took 2.5 s to write in one go (the server answered nothing else
 * meanwhile). The pandas metadata is made alongside, a run of columns at a time.
 */
function* writeFileMetaData(
  out: ByteWriter,
  file: { rows: number; names: string[]; index: IndexColumn; chunks: ColumnChunk[]; columnKind: LabelKind },
  pieceBytes: number,
): Generator<Piece> {
  const pandas = new PandasText(file.names, file.columnKind, file.index.kind, file.index.micros);
  const w = new CompactWriter(out);
  w.i32(1, 1); // version
  w.listStart(2, STRUCT, file.chunks.length + 1);
  // the root, then one leaf per column
  w.struct(null, () => {
    w.binary(4, "schema");
    w.i32(5, file.chunks.length);
  });
  for (const [c, chunk] of file.chunks.entries()) {
    w.struct(null, () => {
      w.i32(1, chunk.type);
      w.i32(3, OPTIONAL);
      w.binary(4, chunk.name);
      if (chunk.isIndex) logicalType(w, file.index.kind, file.index.micros);
    });
    if (out.held >= pieceBytes || pause(c, pieceBytes)) yield out.take();
  }
  w.i64(3, file.rows);
  const total = file.chunks.reduce((a, c) => a + c.size, 0);
  w.listStart(4, STRUCT, 1);
  w.structStart(null);
  w.listStart(1, STRUCT, file.chunks.length);
  for (const [c, chunk] of file.chunks.entries()) {
    w.struct(null, () => {
      w.i64(2, chunk.start);
      w.struct(3, () => {
        w.i32(1, chunk.type);
        w.list(2, I32, 2, () => {
          w.element32(Encoding.PLAIN);
          w.element32(Encoding.RLE);
        });
        w.list(3, BINARY, 1, () => w.elementBinary(chunk.name));
        w.i32(4, UNCOMPRESSED);
        w.i64(5, file.rows);
        w.i64(6, chunk.size);
        w.i64(7, chunk.size);
        w.i64(9, chunk.start);
      });
    });
    if (out.held >= pieceBytes || pause(c, pieceBytes)) {
      pandas.more();
      yield out.take();
    }
  }
  w.i64(2, total);
  w.i64(3, file.rows);
  w.structEnd();
  w.listStart(5, STRUCT, 1);
  w.structStart(null);
  w.binary(1, "pandas");
  w.binaryStart(2, pandas.byteLength());
  yield* pandas.write(out, pieceBytes);
  w.structEnd();
  w.binary(6, "ert-storage");
  w.stop();
}

/** Column entries of the pandas metadata made per more() call: a run small enough to make in one go. */
const PANDAS_RUN = COLUMN_RUN;

/**
 * The pandas metadata's JSON text (as JSON.stringify writes pandasMeta), made a run of
 * columns at a time (more) and written out a piece at a time: for a million columns it is
 * ~110 MB, whose making and writing in one go took 2 s.
 */
class PandasText {
  /** the value columns' entries counted so far, and their bytes */
  private counted = 0;
  private entryBytes = 0;
  /** the text before the value columns, the index column's entry, the text after it */
  private readonly head: string;
  private readonly index: string;
  private readonly tail: string;

  constructor(private readonly names: string[], columnKind: LabelKind, indexKind: LabelKind, micros = false) {
    // the whole text without the value columns, split where they go: the first array of
    // "columns" (the keys before it, index_columns and column_indexes, hold no such text)
    const rest = JSON.stringify(pandasMeta([], columnKind, indexKind, micros));
    const at = rest.indexOf('"columns":[') + '"columns":['.length;
    const end = rest.indexOf("}", at) + 1;
    [this.head, this.index, this.tail] = [rest.slice(0, at), rest.slice(at, end), rest.slice(end)];
  }

  /** Counts the bytes of a run of entries (none is kept: a million of them would be ~110 MB of strings to collect). */
  more(): void {
    const end = Math.min(this.names.length, this.counted + PANDAS_RUN);
    for (; this.counted < end; this.counted++) this.entryBytes += Buffer.byteLength(valueEntry(this.names[this.counted]), "utf8") + 1; // and its comma
  }

  /** The text's length in bytes (every entry counted first). */
  byteLength(): number {
    while (this.counted < this.names.length) this.more();
    return Buffer.byteLength(this.head) + this.entryBytes + Buffer.byteLength(this.index) + Buffer.byteLength(this.tail);
  }

  /** Writes the text, a piece whenever pieceBytes are held. */
  *write(out: ByteWriter, pieceBytes: number): Generator<Piece> {
    out.utf8(this.head);
    for (const name of this.names) {
      out.utf8(valueEntry(name));
      out.byte(0x2c); // ,
      if (out.held >= pieceBytes) yield out.take();
    }
    out.utf8(this.index);
    out.utf8(this.tail);
  }
}

/** JSON.stringify(valueColumn(name)), without the object. */
function valueEntry(name: string): string {
  const text = JSON.stringify(name);
  return `{"name":${text},"field_name":${text},"pandas_type":"float64","numpy_type":"float64","metadata":null}`;
}

function valueColumn(name: string): Record<string, unknown> {
  return { name, field_name: name, pandas_type: "float64", numpy_type: "float64", metadata: null };
}

/** The index column's converted and logical types (SchemaElement fields 6 and 10). */
function logicalType(w: CompactWriter, kind: LabelKind, micros = false): void {
  if (kind === "string") {
    w.i32(6, ConvertedType.UTF8);
    w.struct(10, () => w.struct(1, () => undefined)); // STRING
  } else if (kind === "int") {
    w.i32(6, ConvertedType.INT_64);
    w.struct(10, () =>
      w.struct(10, () => {
        w.byte(1, 64); // INTEGER(bitWidth 64, signed)
        w.bool(2, true);
      }),
    );
  } else if (kind === "datetime") {
    w.struct(10, () =>
      w.struct(8, () => {
        w.bool(1, false); // TIMESTAMP(isAdjustedToUTC false, NANOS or MICROS)
        w.struct(2, () => w.struct(micros ? 2 : 3, () => undefined));
      }),
    );
  }
}

/** Thrift compact protocol type ids. */
const TRUE = 1;
const FALSE = 2;
const BYTE = 3;
const I32 = 5;
const I64 = 6;
const BINARY = 8;
const LIST = 9;
const STRUCT = 12;

/** Thrift's compact protocol, the parts parquet.thrift needs, onto a ByteWriter. */
class CompactWriter {
  private last = 0;
  private readonly outer: number[] = [];
  constructor(private readonly out: ByteWriter) {}

  private field(id: number, type: number): void {
    const delta = id - this.last;
    if (delta > 0 && delta <= 15) this.out.byte((delta << 4) | type);
    else {
      this.out.byte(type);
      this.out.varint(zigzag(id));
    }
    this.last = id;
  }

  i32(id: number, value: number): void {
    this.field(id, I32);
    this.out.varint(zigzag(value));
  }

  i64(id: number, value: number): void {
    this.field(id, I64);
    this.out.varint(zigzag(value));
  }

  byte(id: number, value: number): void {
    this.field(id, BYTE);
    this.out.byte(value & 0xff);
  }

  bool(id: number, value: boolean): void {
    this.field(id, value ? TRUE : FALSE);
  }

  binary(id: number, text: string): void {
    this.field(id, BINARY);
    this.elementBinary(text);
  }

  /** A binary field's header: its length bytes follow. */
  binaryStart(id: number, length: number): void {
    this.field(id, BINARY);
    this.out.varint(length);
  }

  /** A struct: a field (id) or a list element (null); body writes its fields. */
  struct(id: number | null, body: () => void): void {
    this.structStart(id);
    body();
    this.structEnd();
  }

  /** struct() in two calls, for a writer that stops between its fields (a generator). */
  structStart(id: number | null): void {
    if (id !== null) this.field(id, STRUCT);
    this.outer.push(this.last);
    this.last = 0;
  }

  structEnd(): void {
    this.stop();
    this.last = this.outer.pop()!;
  }

  list(id: number, elementType: number, size: number, body: () => void): void {
    this.listStart(id, elementType, size);
    body();
  }

  /** A list's header: its size elements follow. */
  listStart(id: number, elementType: number, size: number): void {
    this.field(id, LIST);
    if (size < 15) this.out.byte((size << 4) | elementType);
    else {
      this.out.byte(0xf0 | elementType);
      this.out.varint(size);
    }
  }

  element32(value: number): void {
    this.out.varint(zigzag(value));
  }

  elementBinary(text: string): void {
    this.out.text(text);
  }

  stop(): void {
    this.out.byte(0);
  }
}

/** Zigzag for integers up to 2^52 in magnitude (sizes and offsets; exact in a double). */
function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

/** Done pieces' buffers kept for later ones (an answer has at most two pieces in flight). */
const SPARE_BUFFERS = 2;

/** Bytes appended to a growing buffer, taken out of it a piece at a time. */
class ByteWriter {
  private buffer: Buffer;
  private view: DataView;
  /** bytes in buffer */
  held = 0;
  /** bytes taken before them */
  private taken = 0;
  /** buffers of pieces that are done, for the next ones */
  private readonly spare: Buffer[] = [];

  constructor(private readonly capacity: number) {
    this.buffer = Buffer.allocUnsafe(Math.max(capacity, 64));
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.length);
  }

  /** Bytes written so far: where the next one goes in the file. */
  get length(): number {
    return this.taken + this.held;
  }

  /**
   * The bytes held, taken out; last: nothing more is written. Once the piece is done its
   * buffer may hold a later piece: a big answer goes through a few buffers instead of a
   * new one per piece (whose page faults, and the collections they bring on, cost more
   * than the writing).
   */
  take(last = false): Piece {
    const buffer = this.buffer;
    const piece = buffer.subarray(0, this.held);
    this.taken += this.held;
    this.held = 0;
    this.buffer = last ? Buffer.alloc(0) : (this.spare.pop() ?? Buffer.allocUnsafe(Math.max(this.capacity, 64)));
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.length);
    let done = false;
    return {
      bytes: piece,
      done: () => {
        if (done || last) return;
        done = true;
        if (this.spare.length < SPARE_BUFFERS) this.spare.push(buffer);
      },
    };
  }

  private room(n: number): void {
    if (this.held + n <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.held + n));
    this.buffer.copy(grown, 0, 0, this.held);
    this.buffer = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.length);
  }

  /** count float64s, little-endian, from values[first], values[first + stride], ... */
  float64sStrided(values: Float64Array, first: number, stride: number, count: number): void {
    this.room(count * 8);
    const view = this.view;
    let at = this.held;
    for (let i = 0, k = first; i < count; i++, k += stride, at += 8) view.setFloat64(at, values[k], true);
    this.held = at;
  }

  /** count float64s, little-endian, from values[first] on */
  float64s(values: Float64Array, first: number, count: number): void {
    this.room(count * 8);
    if (LITTLE_ENDIAN) {
      this.buffer.set(new Uint8Array(values.buffer, values.byteOffset + first * 8, count * 8), this.held);
      this.held += count * 8;
      return;
    }
    this.float64sStrided(values, first, 1, count);
  }

  byte(b: number): void {
    this.room(1);
    this.buffer[this.held++] = b;
  }

  /** An unsigned LEB128 varint of a non-negative integer up to 2^53. */
  varint(n: number): void {
    this.room(10);
    while (n >= 128) {
      this.buffer[this.held++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buffer[this.held++] = n;
  }

  u32(n: number): void {
    this.room(4);
    this.held = this.buffer.writeUInt32LE(n, this.held);
  }

  raw(bytes: Uint8Array): void {
    this.room(bytes.length);
    if (bytes.length < 32) {
      // TypedArray.set costs more than the copy for a few bytes
      for (let i = 0; i < bytes.length; i++) this.buffer[this.held + i] = bytes[i];
    } else this.buffer.set(bytes, this.held);
    this.held += bytes.length;
  }

  /** UTF-8 text as it is. */
  utf8(text: string): void {
    this.room(text.length * 3);
    this.held += this.buffer.write(text, this.held, "utf8");
  }

  /** UTF-8 text preceded by its length in bytes (a varint), as Thrift writes a string. */
  text(text: string): void {
    const length = Buffer.byteLength(text, "utf8");
    this.varint(length);
    this.room(length);
    this.held += this.buffer.write(text, this.held, "utf8");
  }

}
