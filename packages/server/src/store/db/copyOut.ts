// Rows read with COPY (query) TO STDOUT (FORMAT binary). The pg driver has no binary
// results: a bytea comes back as hex text, twice its size, which PostgreSQL writes and
// the driver decodes again. COPY sends the bytes as they are: reading 200 rows of
// 160 kB took 200-270 ms as hex and 42-59 ms through COPY (PostgreSQL; the embedded
// database 19-23 ms and 5.5-12 ms for 20 rows). The matrix reads use it.
//
// COPY takes no bind parameters: the statement's $n are replaced by literals, which
// only these value kinds can be (see literal).
import { escapeLiteral, type PoolClient } from "pg";
import type { Statement } from "./sql";

/**
 * How a column's binary value is read. Text covers every type whose binary form is its
 * text (text, varchar, enums); int8 comes as a string, as the driver gives it.
 */
export type ColumnType = "text" | "bytea" | "int4" | "int8" | "bool" | "uuid" | "int4[]" | "float8[]" | "text[]" | "bool[]";

/** A row's columns in SELECT order, each with its type. */
export type Columns = readonly (readonly [name: string, type: ColumnType])[];

/** The statement as a COPY with its parameters written in as literals. */
export function copyStatement(statement: Statement): string {
  const values = statement.values ?? [];
  // $n is replaced wherever it is: a statement with quoted text or comments, where a $n
  // is not a parameter, is not taken
  if (/'|\$\$|--|\/\*/.test(statement.text)) throw new Error("A COPY statement may not hold quoted text or comments");
  const text = statement.text.replace(/\$(\d+)/g, (_, n: string) => {
    const index = Number(n) - 1;
    if (index < 0 || index >= values.length) throw new Error(`Statement has no parameter $${n}`);
    return literal(values[index]);
  });
  return `COPY (${text}) TO STDOUT (FORMAT binary)`;
}

function literal(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "boolean") return value ? "TRUE" : "FALSE";
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new Error(`Only integers are written into a COPY statement, not ${value}`);
    // every digit of it (String(2 ** 70) has an exponent): one too large for its column is
    // then refused by the database as a bound parameter is (22003, answered 422)
    const digits = BigInt(value).toString();
    return value < 0 ? `(${digits})` : digits; // -1::int would be -(1::int): -2^31 would overflow
  }
  if (typeof value === "string") {
    // A NUL would end the statement's text in the protocol: the database refuses it, as
    // it refuses NUL in a bound text parameter (22021, answered 422)
    if (value.includes("\0")) throw Object.assign(new Error("Text may not contain NUL"), { code: "22021" });
    return escapeLiteral(value);
  }
  if (Array.isArray(value)) return value.length === 0 ? "'{}'" : `ARRAY[${value.map(literal).join(", ")}]`;
  throw new Error(`A ${typeof value} cannot be written into a COPY statement`);
}

/** The 11-byte signature, the flags and the header extension's length. */
const SIGNATURE = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1");
const HEADER_BYTES = SIGNATURE.length + 8;

/**
 * A pg "submittable" (the driver's hook for queries of its own kind): sends the COPY
 * and decodes each CopyData message as it arrives. PostgreSQL sends one message per
 * row (the header comes with the first); the driver reuses its buffer, so each value
 * is copied out (bytea) or decoded (everything else) before the message handler returns.
 */
class CopyOutQuery<T> {
  private readonly rows: T[] = [];
  /** set: each row goes to it as it is read, bytea values as views into the driver's buffer (valid during the call only) */
  private readonly onRow: ((row: T) => void) | null;
  private headerSeen = false;
  /** per column, the last long text and its bytes: rows often repeat one (a name's labels) */
  private readonly lastText = new Map<number, { bytes: Buffer; text: string }>();
  private failure: Error | null = null;
  readonly done: Promise<T[]>;
  private resolve!: (rows: T[]) => void;
  private reject!: (error: unknown) => void;

  constructor(
    private readonly text: string,
    private readonly columns: Columns,
    onRow?: (row: T) => void,
  ) {
    this.onRow = onRow ?? null;
    this.done = new Promise<T[]>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  submit(connection: { query(text: string): void }): void {
    connection.query(this.text);
  }

  handleCopyData(message: { chunk: Buffer }): void {
    if (this.failure) return;
    try {
      this.decode(message.chunk);
    } catch (error) {
      this.failure = error as Error; // reported once the statement is over and the connection is free
    }
  }

  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}

  handleReadyForQuery(): void {
    if (this.failure) this.reject(this.failure);
    else this.resolve(this.rows);
  }

  /** The driver calls this instead of handleReadyForQuery when the statement failed or the connection broke. */
  handleError(error: unknown): void {
    this.reject(error);
  }

  private decode(chunk: Buffer): void {
    let at = 0;
    if (!this.headerSeen) {
      if (chunk.length < HEADER_BYTES || !chunk.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw framing("no COPY header");
      at = HEADER_BYTES + chunk.readInt32BE(SIGNATURE.length + 4); // skips the header extension
      this.headerSeen = true;
    }
    while (at < chunk.length) {
      const fields = need(chunk, at, 2).readInt16BE(at);
      at += 2;
      if (fields === -1) return; // the trailer
      if (fields !== this.columns.length) throw framing(`${fields} columns where ${this.columns.length} were expected`);
      const row: Record<string, unknown> = {};
      for (let column = 0; column < this.columns.length; column++) {
        const [name, type] = this.columns[column];
        const length = need(chunk, at, 4).readInt32BE(at);
        at += 4;
        if (length === -1) {
          row[name] = null;
          continue;
        }
        const bytes = need(chunk, at, length).subarray(at, at + length);
        row[name] =
          type === "text" && length >= LONG_TEXT
            ? this.longText(column, bytes)
            : type === "bytea" && this.onRow
              ? bytes
              : decodeValue(type, bytes);
        at += length;
      }
      if (this.onRow) this.onRow(row as T);
      else this.rows.push(row as T);
    }
  }

  /**
   * A long text, decoded once for a run of rows that repeat it: the 200 records of a
   * response share their 20000 date labels, 88 MB of JSON text to decode for one frame.
   * The same string also makes the label parser's cache lookup cheap.
   */
  private longText(column: number, bytes: Buffer): string {
    const last = this.lastText.get(column);
    if (last && last.bytes.equals(bytes)) return last.text;
    const text = bytes.toString("utf8");
    this.lastText.set(column, { bytes: Buffer.from(bytes), text });
    return text;
  }
}

/** Texts from this many bytes on are compared with the row before's (see longText). */
const LONG_TEXT = 1024;

/** The chunk, when it holds length more bytes from at: a row never spans two messages. */
function need(chunk: Buffer, at: number, length: number): Buffer {
  if (at + length > chunk.length) throw framing("a row continues past its message");
  return chunk;
}

function framing(what: string): Error {
  return new Error(`Unexpected COPY data: ${what}`);
}

function decodeValue(type: ColumnType, bytes: Buffer): unknown {
  switch (type) {
    case "text":
      return bytes.toString("utf8");
    case "bytea": {
      // a buffer of its own, 8-byte aligned for Float64Array views
      const copy = Buffer.allocUnsafeSlow(bytes.length);
      bytes.copy(copy);
      return copy;
    }
    case "int4":
      return bytes.readInt32BE(0);
    case "int8":
      return bytes.readBigInt64BE(0).toString();
    case "bool":
      return bytes[0] !== 0;
    case "uuid": {
      const hex = bytes.toString("hex");
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    }
    case "int4[]":
      return oneDimensional(bytes, "int4", INT4_OID, 4, (b, at) => b.readInt32BE(at));
    case "float8[]":
      return oneDimensional(bytes, "float8", FLOAT8_OID, 8, (b, at) => b.readDoubleBE(at));
    case "text[]":
      return oneDimensional(bytes, "text", TEXT_OID, null, (b, at, length) => b.toString("utf8", at, at + length));
    case "bool[]":
      return oneDimensional(bytes, "bool", BOOL_OID, 1, (b, at) => b[at] !== 0);
  }
}

/** The element types' OIDs, as an array's binary form names them. */
const BOOL_OID = 16;
const INT4_OID = 23;
const TEXT_OID = 25;
const FLOAT8_OID = 701;

/**
 * A one-dimensional array of the element type oid without NULLs (an empty array has no
 * dimensions), each element read from its bytes; size: the element's bytes when fixed.
 */
function oneDimensional<T>(
  bytes: Buffer,
  type: string,
  oid: number,
  size: number | null,
  element: (bytes: Buffer, at: number, length: number) => T,
): T[] {
  const dimensions = bytes.readInt32BE(0);
  if (dimensions === 0) return [];
  if (dimensions !== 1) throw framing(`a ${type} array of ${dimensions} dimensions`);
  if (bytes.readInt32BE(8) !== oid) throw framing(`an array of element type ${bytes.readInt32BE(8)} where ${type} was expected`);
  const length = bytes.readInt32BE(12);
  const values = new Array<T>(length);
  let at = 20; // ndim, flags, element type, length, lower bound
  for (let i = 0; i < length; i++) {
    const n = need(bytes, at, 4).readInt32BE(at);
    if (n < 0) throw framing(`a ${type} array with a NULL`);
    if (size !== null && n !== size) throw framing(`a ${type} of ${n} bytes`);
    values[i] = element(need(bytes, at + 4, n), at + 4, n);
    at += 4 + n;
  }
  return values;
}

/**
 * The statement's rows, one at a time, through COPY on this connection: onRow gets each as it
 * arrives, its bytea values as views valid only during the call (copy what is kept), so
 * big values are not copied twice. The views are into the pg parser's memory, which holds
 * another connection's messages next (see messageBuffers.ts). An error thrown by onRow fails the statement's promise.
 */
export function copyEach<T>(client: PoolClient, statement: Statement, columns: Columns, onRow: (row: T) => void): Promise<void> {
  const query = new CopyOutQuery<T>(copyStatement(statement), columns, onRow);
  void client.query(query as never);
  return query.done.then(() => undefined);
}

/** The statement's rows, read through COPY on this connection. */
export function copyRows<T>(client: PoolClient, statement: Statement, columns: Columns): Promise<T[]> {
  const query = new CopyOutQuery<T>(copyStatement(statement), columns);
  // the driver takes any object with submit() as a query of its own
  void client.query(query as never);
  return query.done;
}
