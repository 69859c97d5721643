// A Parquet reader for the files pandas and this server write: a flat schema of number
// columns and one index column, SNAPPY or no compression, data pages v1, PLAIN or
// dictionary encoding, in any number of row groups and pages. Anything else (other
// codecs, v2 pages, nested or other types) is left to Arrow and parquet-wasm: readTable
// answers null. Through Arrow, a 2000-column frame took ~45 ms warm and its first file in
// a process ~0.5 s (WASM start); the file's bytes were copied into WASM memory, which
// never shrinks. The layout is parquet.thrift's: https://github.com/apache/parquet-format
import fs from "node:fs";
import { MAX_LABELS_TEXT } from "./labels";
import { FormatError, TooManyValues, type Labels } from "./matrix";

/** A column of the file: its values as numbers (a data column) or as labels (the index). */
export interface TableField {
  name: string;
  /**
   * into: gives an array of `numRows` values a float64 column may be decoded into (the
   * answer is then that array, with NaN for missing values); asked for only when it is used
   */
  numbers(into?: () => Float64Array): Float64Array | Float32Array;
  labels(): Labels;
}

export interface ParquetTable {
  numRows: number;
  metadata: Map<string, string>;
  /** the "pandas" metadata already parsed (undefined: parse metadata.get("pandas")) */
  pandas?: unknown;
  fields: TableField[];
}

/** A file this reader does not read; Arrow will. Thrown by readTable's fields too (see readParquet). */
export class Unsupported extends Error {}

/** Why a file that does not start and end with Parquet's magic bytes is refused. */
export const NOT_PARQUET = "not a readable parquet file: it does not start and end with PAR1";

const Type = { BOOLEAN: 0, INT32: 1, INT64: 2, INT96: 3, FLOAT: 4, DOUBLE: 5, BYTE_ARRAY: 6 } as const;
const Codec = { UNCOMPRESSED: 0, SNAPPY: 1 } as const;
const Page = { DATA: 0, DICTIONARY: 2 } as const;
const Encoding = { PLAIN: 0, PLAIN_DICTIONARY: 2, RLE: 3, RLE_DICTIONARY: 8 } as const;
const ConvertedType = { UTF8: 0, ENUM: 4, DATE: 6, TIMESTAMP_MILLIS: 9, TIMESTAMP_MICROS: 10, INT_32: 17, INT_64: 18 } as const;
/** nanoseconds per unit of a TIMESTAMP's TimeUnit (union field 1 MILLIS, 2 MICROS, 3 NANOS) */
const NANOS_PER = [0n, 1_000_000n, 1_000n, 1n];
/**
 * pandas types this reader gives as Arrow would; a categorical, say, is Arrow's (its
 * ARROW:schema makes it a dictionary). Text is checked by the column's own type.
 */
const PANDAS_TYPES = /^(float(16|32|64)|u?int(8|16|32)|int64|bool|unicode|string|object|bytes|datetime|datetimetz|date|empty)$/;

/**
 * The most values a Parquet frame is ever decoded to: 2 GiB of float64, the default matrix
 * body limit (a lower limit gives a lower maxValues). Other formats carry every value in
 * the body; Parquet may compress them away.
 */
export const MAX_FRAME_VALUES = 2 ** 28;

/**
 * The table, or null when Arrow has to read the file. Never a wrong table: it checks what
 * it reads. A data column is decoded when its numbers are asked for (one at a time, so a
 * frame is never held twice over); one this reader cannot decode then throws Unsupported.
 * `counted` hears what the footer says once it is checked; when it answers false, reading
 * stops there (null), before the index columns are decoded.
 */
export function readTable(file: Buffer | ParquetSource, maxValues = MAX_FRAME_VALUES, counted?: (count: FooterCount) => boolean | void): ParquetTable | null {
  try {
    return read(Buffer.isBuffer(file) ? inMemory(file) : file, maxValues, counted);
  } catch (error) {
    if (error instanceof FormatError) throw error;
    return null; // Unsupported, or a file it cannot make sense of: Arrow says what is wrong
  }
}

/** The length of a Parquet file's footer, as its last 8 bytes give it; -1 for bytes that are not a Parquet file's (the reader says what is wrong). */
export function footerLength(file: Buffer | ParquetSource): number {
  const source = Buffer.isBuffer(file) ? inMemory(file) : file;
  const n = source.length;
  if (n < 12 || source.range(0, 4).toString("latin1") !== "PAR1") return -1;
  const tail = source.range(n - 8, n);
  const length = tail.readUInt32LE(0);
  return tail.toString("latin1", 4) === "PAR1" && length <= n - 12 ? length : -1;
}

interface Leaf {
  name: string;
  type: number;
  optional: boolean;
  /** what the values are as labels */
  kind: "number" | "string" | "datetime";
  /** datetime: nanoseconds per stored unit (a DATE: per day) */
  nanosPer: bigint;
}

type Values = Float64Array | Float32Array | Int32Array | BigInt64Array | Uint8Array | string[];

/** A Parquet file's bytes, a range at a time: in memory, or read from a file on disk. */
export interface ParquetSource {
  length: number;
  /** the open file it reads, when it is one (a worker thread may read it too) */
  fd?: number;
  /** the bytes start..end (0 <= start <= end <= length) */
  range(start: number, end: number): Buffer;
  /** the same bytes, in a buffer the source may reuse at its next call: read at once, never kept */
  transient?(start: number, end: number): Buffer;
}

function inMemory(buf: Buffer): ParquetSource {
  return { length: buf.length, range: (start, end) => buf.subarray(start, end) };
}

/** The bytes of an open file of `length` bytes, read where they are asked for (the reader asks for its footer, then a column chunk at a time). */
export function fileSource(fd: number, length: number): ParquetSource {
  const readInto = (out: Buffer, start: number) => {
    for (let at = 0; at < out.length; ) {
      const n = fs.readSync(fd, out, at, out.length - at, start + at);
      if (n === 0) throw new FormatError(`the parquet file ended at byte ${start + at}, before the ${length} bytes it had`);
      at += n;
    }
    return out;
  };
  // column chunks are read into one buffer, not a new one each: a 1000 x 20000 frame is
  // 20,000 chunks of 8 kB, whose buffers (malloc'd, freed only when V8 collects them) took
  // the thread's memory ~70 MB over the frame it filled
  let scratch: Buffer = Buffer.alloc(0);
  return {
    length,
    fd,
    range: (start, end) => readInto(Buffer.allocUnsafe(end - start), start),
    transient(start, end) {
      const size = end - start;
      if (size > SCRATCH_BYTES) return this.range(start, end);
      scratch = roomFor(scratch, size);
      return readInto(scratch.subarray(0, size), start);
    },
  };
}

/** The largest buffer a file source or the snappy decoder keeps to reuse. */
const SCRATCH_BYTES = 1 << 20;

/** A buffer to reuse of at least `size` bytes (at most SCRATCH_BYTES): `scratch` when it is that long, else a larger one. */
function roomFor(scratch: Buffer, size: number): Buffer {
  return scratch.length >= size ? scratch : Buffer.allocUnsafe(Math.max(size, Math.min(2 * scratch.length, SCRATCH_BYTES)));
}

function read(file: ParquetSource, maxValues: number, onCount?: (count: FooterCount) => boolean | void): ParquetTable | null {
  const n = file.length;
  // not Parquet at all: said here, before Arrow would be given the file whole to say it (a
  // 1 MB gzip body of 1 GiB of zeros went to Arrow through memory: 2.2 GB, 19 s)
  const tail = n < 12 ? null : file.range(n - 8, n);
  if (!tail || file.range(0, 4).toString("latin1") !== "PAR1" || tail.toString("latin1", 4) !== "PAR1") {
    throw new FormatError(NOT_PARQUET);
  }
  const footerLength = tail.readUInt32LE(0);
  const footerStart = n - 8 - footerLength;
  if (footerStart < 4) throw new Unsupported();
  const footer = file.range(footerStart, n - 8);
  const meta = counted(() => new CompactReader(footer, 0, footer.length).struct(FILE_META));
  const schema = meta[2] as Struct[];
  const metadata = new Map<string, string>();
  let pandas: PandasEntry | undefined;
  let arrows = false; // a key-value entry this reader does not read
  for (const kv of (meta[5] as Struct[] | undefined) ?? []) {
    const key = kv[1];
    const value = kv[2] ?? Buffer.alloc(0);
    if (typeof key !== "string" || !Buffer.isBuffer(value)) arrows = true;
    else if (key === "pandas") {
      pandas = pandasEntry(value);
      metadata.set(key, pandas.text);
    } else metadata.set(key, value.toString("utf8"));
  }
  const count = checkValues(meta, pandas?.parsed?.index_columns ?? [], maxValues); // even when no one asks for the count
  if (onCount?.(count) === false) return null;
  if (arrows) throw new Unsupported();
  const numRows = toNumber(meta[3]);
  // Arrow takes the schema's metadata from ARROW:schema (an Arrow IPC schema) when there
  // is one: without a "pandas" entry of the file's own to read, the file is Arrow's
  if (pandas === undefined && metadata.has("ARROW:schema")) throw new Unsupported();
  // the index columns pandas names; their metadata is checked by readParquet, on either path
  const parsed = pandas?.parsed;
  if (parsed === null) throw new Unsupported();
  const indexNames = parsed?.index_columns ?? [];
  if (!schema || schema.length === 0 || toNumber(schema[0][5] ?? 0) !== schema.length - 1) throw new Unsupported(); // flat only
  const leaves = schema.slice(1).map(leaf);
  // each row group's column chunks, checked here, read only when their values are asked for
  const groups: { rows: number; chunks: Chunk[] }[] = [];
  for (const group of (meta[4] as Struct[] | undefined) ?? []) {
    const groupChunks = group[1] as Struct[];
    if (groupChunks.length !== leaves.length) throw new Unsupported();
    const rows = toNumber(group[3]);
    const chunks = new Array<Chunk>(leaves.length);
    for (let i = 0; i < leaves.length; i++) {
      if (groupChunks[i][1] !== undefined) throw new Unsupported(); // in another file
      chunks[i] = checkChunk(n, groupChunks[i][3] as Struct, leaves[i], rows);
    }
    groups.push({ rows, chunks });
  }
  if (groups.reduce((a, g) => a + g.rows, 0) !== numRows) throw new Unsupported();
  const column = (i: number, into?: () => Float64Array) =>
    groups.length === 1
      ? readChunk(file, groups[0].chunks[i], leaves[i], groups[0].rows, into)
      : concat(groups.map((g) => readChunk(file, g.chunks[i], leaves[i], g.rows)), leaves[i].type);
  // what Arrow gives differently is left to it: times among the values, an index with missing labels
  const fields = leaves.map((l, i): TableField => {
    if (!indexNames.includes(l.name)) {
      if (l.kind === "datetime") throw new Unsupported();
      return new ColumnField(l, i, column);
    }
    const values = column(i);
    if ((values as { present?: Uint8Array }).present) throw new Unsupported();
    return new ColumnField(l, i, () => values);
  });
  return { numRows, metadata, pandas: parsed, fields };
}

/**
 * Refuses (TooManyValues) a file of more values than maxValues, from its footer, before any
 * is decoded: on the way to Arrow too, which decodes the whole file first (a 221 kB ZSTD
 * file of 64M zeros took 34 s and 4.7 GB before a 500). Rows: the most the file or its row
 * groups say (Arrow reads the groups'). Columns: every leaf but the index columns pandas
 * names (all of them when its metadata is not this reader's). A list column is no
 * matrix's; a footer that cannot say is refused. Gives the number of values.
 */
function checkValues(meta: Struct, indexColumns: unknown[], maxValues: number): FooterCount {
  const { rows, columns, labelChars } = counted(() => {
    let groupRows = 0;
    for (const group of (meta[4] as Struct[] | undefined) ?? []) groupRows += toNumber(group[3]);
    let leaves = 0;
    let labelChars = 0; // the least JSON text a row's label can be
    for (const e of ((meta[2] as Struct[] | undefined) ?? []).slice(1)) {
      // a repeated group or leaf: a list, any number of values a row
      if (e[3] === 2 /* REPEATED */) throw new FormatError("a parquet file with a list column is not a matrix");
      if (toNumber(e[5] ?? 0) > 0) continue; // a group of columns
      if (!indexColumns.includes(text(e[4]))) leaves++;
      else labelChars = Math.max(labelChars, leastLabelText(e));
    }
    return { rows: Math.max(toNumber(meta[3]), groupRows), columns: leaves, labelChars };
  });
  if (rows * columns > maxValues) throw new TooManyValues(`a parquet file of ${rows} rows x ${columns} columns`, maxValues);
  // row labels are made one string or number a row before their text can be counted (a 439 kB
  // file of 2^26 dictionary-encoded dates ran the heap out): refused here when even the
  // shortest labels of the index's kind are more text than can be stored
  if (rows * labelChars > MAX_LABELS_TEXT) {
    throw new FormatError(`its ${rows} row labels are more text than can be stored (over ${MAX_LABELS_TEXT} characters as JSON)`);
  }
  return { rows, values: rows * columns };
}

/** What a file's footer says it holds: its rows, and its values (the index columns' not counted). */
export interface FooterCount {
  rows: number;
  values: number;
}

/** The shortest JSON text (with its comma) of a label in this index column: a date "YYYY-MM-DDTHH:MM:SS", a string "", a number 0. */
function leastLabelText(e: Struct): number {
  const type = e[1] as number | undefined;
  const converted = e[6] as number | undefined;
  const logical = e[10] as Struct | undefined;
  const dated =
    type === Type.INT96 ||
    (type === Type.INT64 && (logical?.[8] !== undefined || converted === ConvertedType.TIMESTAMP_MILLIS || converted === ConvertedType.TIMESTAMP_MICROS)) ||
    (type === Type.INT32 && (logical?.[6] !== undefined || converted === ConvertedType.DATE));
  return dated ? 22 : type === Type.BYTE_ARRAY ? 3 : 2;
}

/** What a footer says, or a FormatError when it cannot be read (what Arrow would find too). */
function counted<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof FormatError) throw error;
    throw new FormatError("not a readable parquet file: its footer cannot be read");
  }
}

type PandasMetadata = { columns: { pandas_type?: unknown }[]; index_columns?: unknown[] };

/** A "pandas" metadata entry: its text, and what it says if this reader can use it (null: Arrow must read the file). */
interface PandasEntry {
  bytes: Buffer;
  text: string;
  parsed: Readonly<PandasMetadata> | null;
}

/**
 * The "pandas" entries of the last files read, most recent first. ERT posts each response
 * one realization at a time, every file with the same columns and so the same entry: for
 * 2000 columns 260 kB of JSON, which took longer to decode and parse (~1.4 ms) than the
 * rest of the file. A file's entry is compared byte for byte with those kept.
 */
const pandasEntries: PandasEntry[] = [];
const PANDAS_ENTRIES_KEPT = 32;
const PANDAS_BYTES_KEPT = 16 * 1024 * 1024;

function pandasEntry(bytes: Buffer): PandasEntry {
  const at = pandasEntries.findIndex((e) => e.bytes.length === bytes.length && e.bytes.equals(bytes));
  if (at >= 0) {
    const [entry] = pandasEntries.splice(at, 1);
    pandasEntries.unshift(entry);
    return entry;
  }
  const text = bytes.toString("utf8");
  let parsed: PandasMetadata | null = null;
  try {
    const value = JSON.parse(text) as Partial<PandasMetadata> | null;
    const valid =
      typeof value === "object" &&
      value !== null &&
      Array.isArray(value.columns) &&
      Array.isArray(value.index_columns ?? []) &&
      value.columns.every((c) => typeof c?.pandas_type === "string" && PANDAS_TYPES.test(c.pandas_type));
    if (valid) parsed = value as PandasMetadata;
  } catch {
    // not JSON: Arrow's path says so (see pandasMeta)
  }
  const entry = { bytes: Buffer.from(bytes), text, parsed };
  pandasEntries.unshift(entry);
  let kept = 0;
  for (let i = 0; i < pandasEntries.length; i++) {
    kept += pandasEntries[i].bytes.length;
    if (i >= PANDAS_ENTRIES_KEPT || (i > 0 && kept > PANDAS_BYTES_KEPT)) {
      pandasEntries.length = i;
      break;
    }
  }
  return entry;
}

function leaf(e: Struct): Leaf {
  const type = e[1] as number | undefined;
  const repetition = (e[3] as number | undefined) ?? 0;
  if (type === undefined || e[5] !== undefined || repetition > 1) throw new Unsupported();
  const name = text(e[4]);
  const optional = repetition === 1;
  const [kind, nanosPer] = leafKind(type, e[6] as number | undefined, e[10] as Struct | undefined);
  return { name, type, optional, kind, nanosPer };
}

/** What a column's values are as labels, and a datetime's nanoseconds per stored unit. */
function leafKind(type: number, converted: number | undefined, logical: Struct | undefined): [Leaf["kind"], bigint] {
  let logicalKind: number | undefined;
  if (logical) for (const key in logical) logicalKind ??= Number(key);
  switch (type) {
    case Type.DOUBLE:
    case Type.FLOAT:
    case Type.BOOLEAN:
      if (converted !== undefined || logical !== undefined) throw new Unsupported();
      return ["number", 0n];
    case Type.INT32:
    case Type.INT64: {
      if (logicalKind === 10 /* INTEGER */) {
        const int = logical![10] as Struct;
        if (int[2] !== true) throw new Unsupported(); // unsigned: Arrow reads it as such
        return ["number", 0n];
      }
      if (type === Type.INT32 && (logicalKind === 6 /* DATE */ || (logical === undefined && converted === ConvertedType.DATE))) {
        return ["datetime", 86_400_000_000_000n];
      }
      if (type === Type.INT64 && logicalKind === 8 /* TIMESTAMP */) {
        const unit = Number(Object.keys((logical![8] as Struct)[2] as Struct)[0]);
        if (!(unit >= 1 && unit <= 3)) throw new Unsupported();
        return ["datetime", NANOS_PER[unit]];
      }
      if (type === Type.INT64 && logical === undefined && (converted === ConvertedType.TIMESTAMP_MILLIS || converted === ConvertedType.TIMESTAMP_MICROS)) {
        return ["datetime", converted === ConvertedType.TIMESTAMP_MILLIS ? 1_000_000n : 1_000n];
      }
      if (logical !== undefined || (converted !== undefined && converted !== ConvertedType.INT_32 && converted !== ConvertedType.INT_64)) throw new Unsupported();
      return ["number", 0n];
    }
    case Type.BYTE_ARRAY:
      // text only: Arrow reads other bytes as binary
      if (logicalKind === 1 /* STRING */ || logicalKind === 4 /* ENUM */ || (logical === undefined && (converted === ConvertedType.UTF8 || converted === ConvertedType.ENUM))) {
        return ["string", 0n];
      }
      throw new Unsupported();
    default:
      throw new Unsupported();
  }
}

/**
 * A column's values as readParquet wants them, with missing values NaN (numbers) or
 * refused (labels: Arrow's reader is left the index with missing values). A class, not
 * closures: a wide file has thousands of columns, and ERT posts one a realization.
 */
class ColumnField implements TableField {
  readonly name: string;

  constructor(
    private readonly leaf: Leaf,
    private readonly index: number,
    private readonly read: (index: number, into?: () => Float64Array) => Values,
  ) {
    this.name = leaf.name;
  }

  /** the values, decoded now; a column this reader cannot decode after all is Arrow's (Unsupported) */
  private decoded(into?: () => Float64Array): Values {
    try {
      return this.read(this.index, into);
    } catch (error) {
      throw error instanceof FormatError ? error : error instanceof Unsupported ? error : new Unsupported();
    }
  }

  numbers(into?: () => Float64Array): Float64Array | Float32Array {
    const values = this.decoded(into);
    const present = (values as { present?: Uint8Array }).present;
    if (this.leaf.kind === "string") {
      if (present ? present.some((p) => p === 1) : values.length > 0) throw new FormatError(`parquet column '${this.name}' is not numeric`);
      return new Float64Array(values.length).fill(NaN);
    }
    if (!present && (values instanceof Float64Array || values instanceof Float32Array)) return values;
    const out = new Float64Array(values.length);
    for (let i = 0; i < out.length; i++) out[i] = present && !present[i] ? NaN : Number((values as ArrayLike<number | bigint>)[i]);
    return out;
  }

  labels(): Labels {
    const values = this.decoded();
    const l = this.leaf;
    if (l.kind === "string") return { kind: "string", values: values as string[] };
    if (l.kind === "datetime") {
      return { kind: "datetime", values: isoDatetimes(values as BigInt64Array | Int32Array, l.nanosPer) };
    }
    const numbers = Array.from(values as ArrayLike<number | bigint>, (v) => Number(v));
    const isInt = l.type === Type.INT32 || l.type === Type.INT64;
    return isInt ? { kind: "int", values: numbers } : l.type === Type.BOOLEAN ? { kind: "string", values: numbers.map((v) => String(v === 1)) } : { kind: "float", values: numbers };
  }
}

/** Where a column chunk's pages are in the file, and their codec. */
interface Chunk {
  pos: number;
  end: number;
  codec: number;
}

/** A column chunk's metadata as this reader reads it: its type, its rows, a codec it knows, inside the file; where its pages are. */
function checkChunk(fileLength: number, meta: Struct, l: Leaf, rows: number): Chunk {
  if (meta[1] !== l.type || toNumber(meta[5]) !== rows) throw new Unsupported();
  const codec = meta[4] as number;
  if (codec !== Codec.UNCOMPRESSED && codec !== Codec.SNAPPY) throw new Unsupported();
  const dataOffset = toNumber(meta[9]);
  const dictOffset = meta[11] === undefined ? Infinity : toNumber(meta[11]);
  const pos = Math.min(dataOffset, dictOffset > 0 ? dictOffset : Infinity);
  const end = pos + toNumber(meta[7]);
  if (end > fileLength) throw new Unsupported();
  return { pos, end, codec };
}

/** One column chunk: its pages, decompressed and decoded, `rows` values (missing ones marked). */
function readChunk(file: ParquetSource, chunk: Chunk, l: Leaf, rows: number, into?: () => Float64Array): Values {
  // the chunk's bytes, its pages all inside them
  const buf = file.transient ? file.transient(chunk.pos, chunk.end) : file.range(chunk.pos, chunk.end);
  const { codec } = chunk;
  const end = buf.length;
  let pos = 0;
  let dictionary: Values | null = null;
  const given = into && l.type === Type.DOUBLE ? into() : null;
  const values = given && given.length === rows ? given : newValues(l.type, rows);
  /** which rows hold a value: made at the first missing one */
  let present: Uint8Array | null = null;
  let row = 0;
  while (row < rows) {
    if (pos >= end) throw new Unsupported();
    const reader = new CompactReader(buf, pos, end);
    const header = reader.pageHeader();
    pos = reader.pos;
    const size = header.compressedSize;
    if (pos + size > buf.length) throw new Unsupported();
    // the page's bytes: body[at..bodyEnd]
    const body = codec === Codec.SNAPPY ? snappy(buf.subarray(pos, pos + size)) : buf;
    let at = codec === Codec.SNAPPY ? 0 : pos;
    const bodyEnd = at + header.uncompressedSize;
    if (codec === Codec.SNAPPY ? body.length !== header.uncompressedSize : size !== header.uncompressedSize) throw new Unsupported();
    pos += size;
    if (header.type === Page.DICTIONARY) {
      if (header.dictionaryEncoding !== Encoding.PLAIN && header.dictionaryEncoding !== Encoding.PLAIN_DICTIONARY) throw new Unsupported();
      const n = header.dictionaryValues;
      dictionary = newValues(l.type, n);
      plain(body, at, bodyEnd, l.type, dictionary, 0, n);
      continue;
    }
    if (header.type !== Page.DATA || header.values < 0) throw new Unsupported();
    const n = header.values;
    if (row + n > rows) throw new Unsupported();
    // definition levels: which of the n slots hold a value (null: all of them)
    let levels: Uint32Array | null = null;
    let defined = n;
    if (l.optional) {
      if (header.levelEncoding !== Encoding.RLE || at + 4 > bodyEnd) throw new Unsupported();
      const length = body.readUInt32LE(at);
      const levelsEnd = at + 4 + length;
      if (levelsEnd > bodyEnd) throw new Unsupported();
      if (!allOnes(body, at + 4, levelsEnd, n)) {
        levels = hybrid(body, at + 4, levelsEnd, 1, n);
        defined = 0;
        for (let i = 0; i < n; i++) {
          if (levels[i] > 1) throw new Unsupported();
          defined += levels[i];
        }
      }
      at = levelsEnd;
    }
    // the values go straight into their rows when none is missing
    const page = levels ? newValues(l.type, defined) : values;
    const from = levels ? 0 : row;
    const encoding = header.encoding;
    if (encoding === Encoding.PLAIN) plain(body, at, bodyEnd, l.type, page, from, defined);
    else if (encoding === Encoding.PLAIN_DICTIONARY || encoding === Encoding.RLE_DICTIONARY) {
      if (!dictionary || at >= bodyEnd) throw new Unsupported();
      const indices = hybrid(body, at + 1, bodyEnd, body[at], defined);
      const d = dictionary as unknown as unknown[];
      const out = page as unknown as unknown[];
      for (let i = 0; i < defined; i++) {
        if (indices[i] >= d.length) throw new Unsupported();
        out[from + i] = d[indices[i]];
      }
    } else throw new Unsupported();
    if (levels) {
      present ??= new Uint8Array(rows).fill(1, 0, row);
      for (let i = 0, k = 0; i < n; i++) {
        if (levels[i]) {
          present[row + i] = 1;
          (values as unknown as unknown[])[row + i] = (page as unknown as unknown[])[k++];
        }
      }
    } else if (present) present.fill(1, row, row + n);
    row += n;
  }
  if (present && values === given) {
    // an array the caller gives again for other columns keeps no mark of this one's missing values
    for (let i = 0; i < rows; i++) if (!present[i]) given[i] = NaN;
  } else if (present) Object.defineProperty(values, "present", { value: present });
  return values;
}

/** The hybrid-encoded levels start..end are one run of n 1s (every value present). */
function allOnes(body: Buffer, start: number, end: number, n: number): boolean {
  let at = start;
  let header = 0;
  for (let shift = 1; at < end; shift *= 128) {
    const b = body[at++];
    header += (b & 0x7f) * shift;
    if (b < 0x80) break;
  }
  return header % 2 === 0 && header / 2 === n && at + 1 === end && body[at] === 1;
}

function newValues(type: number, n: number): Values {
  switch (type) {
    case Type.DOUBLE:
      return new Float64Array(n);
    case Type.FLOAT:
      return new Float32Array(n);
    case Type.INT32:
      return new Int32Array(n);
    case Type.INT64:
      return new BigInt64Array(n);
    case Type.BOOLEAN:
      return new Uint8Array(n);
    default:
      return new Array<string>(n);
  }
}

/** n PLAIN values from body[at] (the page ends at end) into out[from]. */
function plain(body: Buffer, at: number, end: number, type: number, out: Values, from: number, n: number): void {
  const width = type === Type.DOUBLE || type === Type.INT64 ? 8 : type === Type.FLOAT || type === Type.INT32 ? 4 : 0;
  if (width > 0) {
    if (at + n * width > end) throw new Unsupported();
    if (type === Type.DOUBLE && n <= 8) {
      // a few values (a wide frame of one row has 2000 columns of one): read, not copied through a view
      for (let i = 0; i < n; i++) (out as Float64Array)[from + i] = body.readDoubleLE(at + 8 * i);
      return;
    }
    // copied bytes: the page's offset need not be aligned for a typed view
    const bytes = new Uint8Array((out as Float64Array).buffer, (out as Float64Array).byteOffset + from * width, n * width);
    bytes.set(body.subarray(at, at + n * width));
    return;
  }
  if (type === Type.BOOLEAN) {
    if (at + Math.ceil(n / 8) > end) throw new Unsupported();
    for (let i = 0; i < n; i++) (out as Uint8Array)[from + i] = (body[at + (i >> 3)] >> (i & 7)) & 1;
    return;
  }
  const strings = out as string[];
  for (let i = 0; i < n; i++) {
    if (at + 4 > end) throw new Unsupported();
    const length = body.readUInt32LE(at);
    if (at + 4 + length > end) throw new Unsupported();
    strings[from + i] = body.toString("utf8", at + 4, at + 4 + length);
    at += 4 + length;
  }
}

/** n values of the RLE / bit-packed hybrid encoding of the given bit width, from body[at] up to end. */
function hybrid(body: Buffer, at: number, end: number, bitWidth: number, n: number): Uint32Array {
  if (bitWidth > 32 || end > body.length) throw new Unsupported();
  const out = new Uint32Array(n);
  const bytes = Math.ceil(bitWidth / 8);
  let k = 0;
  while (k < n) {
    if (at >= end) throw new Unsupported();
    let header = 0;
    for (let shift = 1; ; shift *= 128) {
      const b = body[at++];
      header += (b & 0x7f) * shift;
      if (b < 0x80) break;
      if (at >= end) throw new Unsupported();
    }
    if (header % 2 === 0) {
      // a run of one value
      const count = header / 2;
      if (at + bytes > end) throw new Unsupported();
      let value = 0;
      for (let i = 0; i < bytes; i++) value += body[at + i] * 2 ** (8 * i);
      at += bytes;
      for (let i = 0; i < count && k < n; i++) out[k++] = value;
    } else {
      // groups of 8 values, bitWidth bits each, least significant bit first
      const count = ((header - 1) / 2) * 8;
      if (at + (count * bitWidth) / 8 > end) throw new Unsupported();
      if (bitWidth <= 24) {
        // bits gathered a byte at a time: at most 31 of them held
        const mask = 2 ** bitWidth - 1;
        let acc = 0;
        let held = 0;
        let p = at;
        for (let i = 0; i < count; i++) {
          while (held < bitWidth) {
            acc |= body[p++] << held;
            held += 8;
          }
          if (k < n) out[k++] = acc & mask;
          acc >>>= bitWidth;
          held -= bitWidth;
        }
      } else {
        let bit = at * 8;
        for (let i = 0; i < count; i++, bit += bitWidth) {
          let value = 0;
          for (let b = 0; b < bitWidth; b++) {
            const p = bit + b;
            value += ((body[p >> 3] >> (p & 7)) & 1) * 2 ** b;
          }
          if (k < n) out[k++] = value;
        }
      }
      at += (count * bitWidth) / 8;
    }
  }
  return out;
}

let snappyScratch: Buffer = Buffer.alloc(0);

/** Snappy's raw format: a varint length, then literals and back references. The bytes are valid until the next call. */
function snappy(src: Buffer): Buffer {
  let at = 0;
  let length = 0;
  for (let shift = 1; ; shift *= 128) {
    if (at >= src.length) throw new Unsupported();
    const b = src[at++];
    length += (b & 0x7f) * shift;
    if (b < 0x80) break;
  }
  // decoded into one buffer reused page after page (a page is read before the next one is decoded)
  let out: Buffer;
  if (length > SCRATCH_BYTES) out = Buffer.allocUnsafe(length);
  else {
    snappyScratch = roomFor(snappyScratch, length);
    out = snappyScratch.subarray(0, length);
  }
  let o = 0;
  while (at < src.length) {
    const tag = src[at++];
    const kind = tag & 3;
    if (kind === 0) {
      let n = tag >> 2;
      if (n >= 60) {
        const extra = n - 59;
        n = 0;
        for (let i = 0; i < extra; i++) n += src[at + i] * 2 ** (8 * i);
        at += extra;
      }
      n += 1;
      if (at + n > src.length || o + n > length) throw new Unsupported();
      src.copy(out, o, at, at + n);
      at += n;
      o += n;
      continue;
    }
    let n: number;
    let offset: number;
    if (kind === 1) {
      n = ((tag >> 2) & 7) + 4;
      offset = ((tag >> 5) << 8) | src[at++];
    } else if (kind === 2) {
      n = (tag >> 2) + 1;
      offset = src.readUInt16LE(at);
      at += 2;
    } else {
      n = (tag >> 2) + 1;
      offset = src.readUInt32LE(at);
      at += 4;
    }
    if (offset === 0 || offset > o || o + n > length) throw new Unsupported();
    if (offset >= n) out.copy(out, o, o - offset, o - offset + n);
    else for (let i = 0; i < n; i++) out[o + i] = out[o - offset + i];
    o += n;
  }
  if (o !== length) throw new Unsupported();
  return out;
}

function concat(parts: Values[], type: number): Values {
  if (parts.length === 1) return parts[0];
  const total = parts.reduce((a, p) => a + p.length, 0);
  const out = newValues(type, total);
  const present = parts.some((p) => (p as { present?: Uint8Array }).present) ? new Uint8Array(total) : null;
  let at = 0;
  for (const p of parts) {
    if (Array.isArray(out)) for (let i = 0; i < p.length; i++) out[at + i] = (p as string[])[i];
    else (out as Float64Array).set(p as Float64Array, at);
    const pp = (p as { present?: Uint8Array }).present;
    if (present) present.fill(1, at, at + p.length);
    if (present && pp) present.set(pp, at);
    at += p.length;
  }
  if (present) Object.defineProperty(out, "present", { value: present });
  return out;
}

type Struct = Record<number, unknown>;

export function nanosToIso(nanos: bigint): string {
  const seconds = nanos / 1_000_000_000n - (nanos % 1_000_000_000n < 0n ? 1n : 0n);
  const rest = nanos - seconds * 1_000_000_000n;
  const date = new Date(Number(seconds) * 1000);
  if (Number.isNaN(date.getTime())) throw new FormatError(`timestamp ${nanos} ns is outside the range of dates`);
  const base = date.toISOString().slice(0, 19);
  const frac = rest === 0n ? "" : "." + rest.toString().padStart(9, "0").replace(/0+$/, "");
  return base + frac;
}

/**
 * nanosToIso(BigInt(v) * nanosPer) of every value. Int64 times in a unit that divides a
 * second, of the years 0000-9999, are read without BigInt arithmetic or a Date a value:
 * 4M of pandas' nanosecond dates took the Parquet thread 2.8 s that way.
 */
export function isoDatetimes(raw: BigInt64Array | Int32Array, nanosPer: bigint): string[] {
  const out = new Array<string>(raw.length);
  const clock = raw instanceof BigInt64Array && LITTLE_ENDIAN && nanosPer <= NANOS_PER_SECOND && NANOS_PER_SECOND % nanosPer === 0n ? new IsoClock(nanosPer) : null;
  if (!clock) {
    for (let i = 0; i < raw.length; i++) out[i] = isoOrNaT(raw[i], nanosPer);
    return out;
  }
  const halves = new Int32Array(raw.buffer, raw.byteOffset, raw.length * 2);
  for (let i = 0; i < raw.length; i++) {
    const [hi, lo] = [halves[2 * i + 1], halves[2 * i] >>> 0];
    out[i] = (hi === NAT_HI && lo === 0 ? null : clock.iso(hi, lo)) ?? isoOrNaT(raw[i], nanosPer);
  }
  return out;
}

/** nanosToIso of an int64 time, but the smallest int64 (numpy's NaT, as this server writes a missing datetime) is null. */
function isoOrNaT(v: bigint | number, nanosPer: bigint): string {
  return typeof v === "bigint" && v === NAT ? (null as unknown as string) : nanosToIso(BigInt(v) * nanosPer);
}

/** The int64 numpy's datetime64 reads as NaT (pandas reads it so from a Parquet file too), and its high 32 bits. */
export const NAT = -(2n ** 63n);
const NAT_HI = -0x80000000;

const NANOS_PER_SECOND = 1_000_000_000n;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** 0000-01-01T00:00:00 and 9999-12-31T23:59:59, in seconds since 1970: the dates toISOString writes with 4 digits */
const FIRST_SECOND = -62_167_219_200;
const LAST_SECOND = 253_402_300_799;

/** ISO texts of int64 times (hi and lo 32 bits) in one unit, nanosToIso's. */
class IsoClock {
  /** units a second, and 2^48 and 2^32 as a multiple of it and a rest */
  private readonly unit: number;
  private readonly nanosPerUnit: number;
  private readonly a48: number;
  private readonly r48: number;
  private readonly a32: number;
  private readonly r32: number;
  private day = NaN;
  private date = "";
  /** "THH:MM:SS" of the seconds of a day, made once each */
  private readonly times: string[] = [];

  constructor(nanosPer: bigint) {
    const unit = NANOS_PER_SECOND / nanosPer;
    [this.unit, this.nanosPerUnit] = [Number(unit), Number(nanosPer)];
    [this.a48, this.r48] = [Number((1n << 48n) / unit), Number((1n << 48n) % unit)];
    [this.a32, this.r32] = [Number((1n << 32n) / unit), Number((1n << 32n) % unit)];
  }

  /** The ISO text of hi * 2^32 + lo units; null outside the years 0000-9999. */
  iso(hi: number, lo: number): string | null {
    // v = hh 2^48 + hl 2^32 + lo = unit (hh a48 + hl a32) + (hh r48 + hl r32 + lo), the rest exact in a double
    const hh = hi >> 16;
    const hl = hi & 0xffff;
    const unit = this.unit;
    const r = hh * this.r48 + hl * this.r32 + lo;
    let q = Math.floor(r / unit);
    let rest = r - q * unit;
    if (rest < 0) {
      q--;
      rest += unit;
    } else if (rest >= unit) {
      q++;
      rest -= unit;
    }
    // inexact only beyond 2^53 seconds, far outside the years written here
    const seconds = hh * this.a48 + hl * this.a32 + q;
    if (!(seconds >= FIRST_SECOND && seconds <= LAST_SECOND)) return null;
    const day = Math.floor(seconds / 86_400);
    if (day !== this.day) [this.day, this.date] = [day, new Date(day * 86_400_000).toISOString().slice(0, 10)];
    const second = seconds - day * 86_400;
    const time = (this.times[second] ??= `T${two(Math.floor(second / 3600))}:${two(Math.floor(second / 60) % 60)}:${two(second % 60)}`);
    return rest === 0 ? this.date + time : this.date + time + fraction(rest * this.nanosPerUnit);
  }
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** ".ddd" of 1-999999999 nanoseconds, without trailing zeros. */
function fraction(nanos: number): string {
  let digits = 9;
  for (; nanos % 10 === 0; digits--) nanos /= 10;
  return "." + String(nanos).padStart(digits, "0");
}

function text(value: unknown): string {
  if (typeof value !== "string") throw new Unsupported();
  return value;
}

function toNumber(value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw new Unsupported();
  return value;
}

/**
 * Which fields of a Thrift struct are read: true reads the field whole, a shape reads a
 * struct (or a list of structs) with that shape; other fields are skipped unread. A
 * 2000-column file has 2000 column chunks and page headers whose statistics, paths and
 * encodings lists this reader never looks at.
 */
interface Shape {
  [id: number]: Shape | true | typeof BYTES;
}

/** In a Shape: a binary field read as its bytes (a view into the footer), not as text. */
const BYTES = "bytes";

/** parquet.thrift's FileMetaData, as far as read() uses it. */
const FILE_META: Shape = {
  2: { 1: true, 3: true, 4: true, 5: true, 6: true, 10: true }, // schema: SchemaElement
  3: true, // num_rows
  4: { 1: { 1: true, 3: { 1: true, 4: true, 5: true, 7: true, 9: true, 11: true } }, 3: true }, // row_groups: RowGroup { columns: ColumnChunk { file_path, meta_data } }
  5: { 1: true, 2: BYTES }, // key_value_metadata
};

/** A page's header (parquet.thrift's PageHeader with its data or dictionary page header); -1 where absent. */
interface PageHeader {
  type: number;
  uncompressedSize: number;
  compressedSize: number;
  /** data page: values (nulls included), their encoding, the definition levels' encoding */
  values: number;
  encoding: number;
  levelEncoding: number;
  /** dictionary page: values and their encoding */
  dictionaryValues: number;
  dictionaryEncoding: number;
}

/** One more than the largest field id a shape reads (cached on the shape). */
const widths = new WeakMap<Shape, number>();
function widthOf(shape: Shape): number {
  let width = widths.get(shape);
  if (width === undefined) {
    width = Math.max(0, ...Object.keys(shape).map(Number)) + 1;
    widths.set(shape, width);
  }
  return width;
}

/** Thrift's compact protocol, read into plain objects keyed by field id. */
/**
 * buf's bytes start..end as UTF-8 text. Buffer's own utf8Slice where Node has it: for the
 * short names a wide file holds thousands of (every column's, in the schema), toString's
 * argument handling cost several times the decoding.
 */
const utf8: (buf: Buffer, start: number, end: number) => string =
  typeof (Buffer.prototype as { utf8Slice?: unknown }).utf8Slice === "function"
    ? (buf, start, end) => (buf as Buffer & { utf8Slice(start: number, end: number): string }).utf8Slice(start, end)
    : (buf, start, end) => buf.toString("utf8", start, end);

class CompactReader {
  constructor(
    private readonly buf: Buffer,
    public pos: number,
    private readonly end: number,
  ) {}

  private byte(): number {
    if (this.pos >= this.end) throw new Unsupported();
    return this.buf[this.pos++];
  }

  private varint(): number {
    let value = 0;
    for (let shift = 1; ; shift *= 128) {
      const b = this.byte();
      value += (b & 0x7f) * shift;
      if (b < 0x80) break;
      if (shift > 2 ** 49) throw new Unsupported(); // beyond 2^56: no size or offset is
    }
    return value;
  }

  private zigzag(): number {
    const n = this.varint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  /** A struct: every field, or (with a shape) only the shape's. */
  struct(shape?: Shape): Struct {
    // an array sized for the field ids wanted: its elements are not grown field by field
    const out: Struct = new Array(shape ? widthOf(shape) : 0);
    let id = 0;
    for (;;) {
      const head = this.byte();
      if (head === 0) return out;
      const type = head & 0x0f;
      const delta = head >> 4;
      id = delta === 0 ? this.zigzag() : id + delta;
      if (shape === undefined) out[id] = this.value(type);
      else {
        const wanted = shape[id];
        if (wanted === undefined) this.skip(type);
        else out[id] = this.value(type, wanted === true ? undefined : wanted);
      }
    }
  }

  /** A PageHeader: read field by field (one per column chunk, 2000 in a wide file), the rest skipped. */
  pageHeader(): PageHeader {
    const h: PageHeader = { type: -1, uncompressedSize: -1, compressedSize: -1, values: -1, encoding: -1, levelEncoding: -1, dictionaryValues: -1, dictionaryEncoding: -1 };
    for (let id = 0; ; ) {
      const head = this.byte();
      if (head === 0) break;
      const type = head & 0x0f;
      id = head >> 4 === 0 ? this.zigzag() : id + (head >> 4);
      if (type === 5 && id <= 3) {
        const v = this.zigzag();
        if (id === 1) h.type = v;
        else if (id === 2) h.uncompressedSize = v;
        else h.compressedSize = v;
      } else if (type === 12 && (id === 5 || id === 7)) {
        // DataPageHeader (num_values, encoding, definition_level_encoding) or DictionaryPageHeader (num_values, encoding)
        for (let sub = 0; ; ) {
          const subHead = this.byte();
          if (subHead === 0) break;
          const subType = subHead & 0x0f;
          sub = subHead >> 4 === 0 ? this.zigzag() : sub + (subHead >> 4);
          if (subType === 5 && sub <= (id === 5 ? 3 : 2)) {
            const v = this.zigzag();
            if (id === 5) {
              if (sub === 1) h.values = v;
              else if (sub === 2) h.encoding = v;
              else h.levelEncoding = v;
            } else if (sub === 1) h.dictionaryValues = v;
            else h.dictionaryEncoding = v;
          } else this.skip(subType);
        }
      } else this.skip(type);
    }
    if (h.compressedSize < 0 || h.uncompressedSize < 0) throw new Unsupported();
    return h;
  }

  /** A value of the type; structs (and lists of them) with the shape given. */
  private value(type: number, shape?: Shape | typeof BYTES): unknown {
    switch (type) {
      case 1:
        return true;
      case 2:
        return false;
      case 3: {
        const b = this.byte();
        return b > 127 ? b - 256 : b;
      }
      case 4:
      case 5:
      case 6:
        return this.zigzag();
      case 7: {
        if (this.pos + 8 > this.end) throw new Unsupported();
        const d = this.buf.readDoubleLE(this.pos);
        this.pos += 8;
        return d;
      }
      case 8: {
        // the binaries read are text (names, metadata, paths); statistics are skipped
        const n = this.varint();
        if (this.pos + n > this.end) throw new Unsupported();
        const start = this.pos;
        this.pos += n;
        return shape === BYTES ? this.buf.subarray(start, start + n) : utf8(this.buf, start, start + n);
      }
      case 9:
      case 10: {
        const head = this.byte();
        const size = head >> 4 === 15 ? this.varint() : head >> 4;
        const element = head & 0x0f;
        // every element takes a byte at least: a size past the end is no list of this footer
        if (size > this.end - this.pos) throw new Unsupported();
        const items = new Array<unknown>(size); // made at its size, not grown (a wide file's lists have thousands)
        for (let i = 0; i < size; i++) items[i] = element === 1 || element === 2 ? this.byte() === 1 : this.value(element, shape);
        return items;
      }
      case 12:
        if (shape === BYTES) throw new Unsupported();
        return this.struct(shape);
      default:
        throw new Unsupported(); // maps and anything else: not in a file this reader reads
    }
  }

  /** Past a value of the type, reading nothing into memory. */
  private skip(type: number): void {
    switch (type) {
      case 1:
      case 2:
        return;
      case 3:
        this.byte();
        return;
      case 4:
      case 5:
      case 6:
        this.varint();
        return;
      case 7:
        this.advance(8);
        return;
      case 8:
        this.advance(this.varint());
        return;
      case 9:
      case 10: {
        const head = this.byte();
        const size = head >> 4 === 15 ? this.varint() : head >> 4;
        const element = head & 0x0f;
        for (let i = 0; i < size; i++) {
          if (element === 1 || element === 2) this.byte();
          else this.skip(element);
        }
        return;
      }
      case 12:
        for (;;) {
          const head = this.byte();
          if (head === 0) return;
          if (head >> 4 === 0) this.zigzag();
          this.skip(head & 0x0f);
        }
      default:
        throw new Unsupported();
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw new Unsupported();
    this.pos += n;
  }
}
