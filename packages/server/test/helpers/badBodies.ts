// Broken matrix bodies for the bad-input tests: NPY with wrong headers and dtypes,
// parquet with broken pandas metadata, deeply nested JSON.
import * as arrow from "apache-arrow";
import * as parquet from "parquet-wasm";
import { writeParquet } from "../../src/formats/parquet";

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

/** An NPY file with this header dict text; headerLength overrides the length field. */
export function npy(header: string, body: Buffer, options: { major?: number; headerLength?: number } = {}): Buffer {
  const major = options.major ?? 1;
  const prefixLength = major === 1 ? 10 : 12;
  const pad = (64 - ((prefixLength + header.length + 1) % 64)) % 64;
  const text = `${header}${" ".repeat(pad)}\n`;
  const prefix = Buffer.alloc(prefixLength);
  MAGIC.copy(prefix);
  prefix[6] = major;
  const length = options.headerLength ?? text.length;
  if (major === 1) prefix.writeUInt16LE(length, 8);
  else prefix.writeUInt32LE(length, 8);
  return Buffer.concat([prefix, Buffer.from(text, "latin1"), body]);
}

export const f8 = (values: number[]) => Buffer.from(new Float64Array(values).buffer);

/** A well-formed 2x2 '<f8' NPY. */
export const goodNpy = () => npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", f8([1, 2, 3, 4]));

/** A parquet file of these columns, with this text as its "pandas" schema metadata (none when undefined). */
export function parquetWith(columns: Record<string, arrow.Vector>, pandas?: string | object): Buffer {
  const table = new arrow.Table(columns);
  if (pandas !== undefined) table.schema.metadata.set("pandas", typeof pandas === "string" ? pandas : JSON.stringify(pandas));
  return Buffer.from(parquet.writeParquet(parquet.Table.fromIPCStream(arrow.tableToIPC(table, "stream"))));
}

export const floats = (values: number[]) => arrow.makeVector(new Float64Array(values));

/** A well-formed 2x2 frame as pandas writes it. */
export const goodParquet = () =>
  writeParquet({ shape: [2, 2], data: new Float64Array([1, 2, 3, 4]), columns: { kind: "string", values: ["a", "b"] }, index: null });

/** Timestamps in seconds that no date can hold. */
export function hugeTimestamps(): arrow.Vector {
  return arrow.makeVector(
    arrow.makeData({ type: new arrow.TimestampSecond(), length: 2, nullCount: 0, data: BigInt64Array.from([2n ** 62n, -(2n ** 62n)]) }),
  );
}

export const nestedArrays = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
export const nestedObjects = (depth: number, key = "a") => `{"${key}":`.repeat(depth) + "1" + "}".repeat(depth);
