import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as arrow from "apache-arrow";
import fc from "fast-check";
import * as parquet from "parquet-wasm";
import { labelsJson, storedJsonOf } from "./labels";
import { FormatError, TooManyValues } from "./matrix";
import { NOT_PARQUET, readDirect, readParquet, writeParquet } from "./parquet";
import { fileSource, footerLength } from "./parquetReader";
import { ARROW_MAX_VALUES, decodeParquet, parquetThreadLives } from "./parquetThread";
import { anyMatrix, compactZeros, recoded, repeatedLabel, sameBits, withFileRows } from "./testing";

/** A ZSTD file of columns a and b whose pandas metadata is the given text: Arrow's to read. */
function withPandas(pandas: string): Buffer {
  const table = arrow.tableFromArrays({ a: Float64Array.from([1, 2]), b: Float64Array.from([3, 4]) });
  const properties = new parquet.WriterPropertiesBuilder().setCompression(parquet.Compression.ZSTD).setKeyValueMetadata(new Map([["pandas", pandas]])).build();
  return Buffer.from(parquet.writeParquet(parquet.Table.fromIPCStream(arrow.tableToIPC(table, "stream")), properties));
}

/** The work's result, and how many turns the event loop took while it ran. */
async function turnsWhile<T>(work: () => Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0;
  let done = false;
  const spin = () => {
    if (done) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  const result = await work();
  done = true;
  return { result, turns };
}

describe("Parquet files read on a worker thread", () => {
  test("the thread runs the build's worker: build first (the root `pnpm test` does)", () => {
    expect(fs.existsSync(path.join(__dirname, "..", "..", "dist", "src", "formats", "parquetWorker.js"))).toBe(true);
  });

  test("a file Arrow reads comes back from the thread as read in place: values bit for bit, labels", async () => {
    await fc.assert(
      fc.asyncProperty(anyMatrix(5, 5), async (m) => {
        const file = recoded(writeParquet(m), "ZSTD");
        expect(readDirect(file)).toBeNull(); // Arrow's file, not the direct reader's
        const inPlace = readParquet(file);
        const threaded = await decodeParquet(file);
        expect(threaded.shape).toEqual(inPlace.shape);
        expect(sameBits(threaded.data, inPlace.data)).toBe(true);
        expect(threaded.columns).toEqual(inPlace.columns);
        expect(threaded.index).toEqual(inPlace.index);
        // the labels came as the text they are stored as, one buffer, not a value at a time
        if (threaded.columns) expect(storedJsonOf(threaded.columns)!.toString("utf8")).toBe(labelsJson(inPlace.columns!));
        if (threaded.index) expect(storedJsonOf(threaded.index)!.toString("utf8")).toBe(labelsJson(inPlace.index!));
        // and as the direct reader reads the file it was made from
        expect(sameBits(threaded.data, readParquet(writeParquet(m)).data)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  test.each(["ZSTD", "SNAPPY"] as const)("the main thread goes on while a large file decodes (%s: through Arrow, or directly)", async (codec) => {
    const file = compactZeros(2_000_000, 1, codec);
    const { result: m, turns } = await turnsWhile(() => decodeParquet(file));
    expect(m.shape).toEqual([2_000_000, 1]);
    expect(m.data.every((v) => v === 0)).toBe(true);
    // read in place, the whole decode is one call: no turn of the event loop until it returns
    expect(turns).toBeGreaterThan(1);
  });

  test("a file of many columns (a long footer) is read on the thread, footer and all: the main thread goes on meanwhile, and the frame is the one read in place", async () => {
    const cols = 30_000;
    const dates = Array.from({ length: cols }, (_, i) => new Date(Date.UTC(2000, 0, 1) + i * 86_400_000).toISOString().slice(0, 19));
    const m = { shape: [1, cols], data: Float64Array.from({ length: cols }, (_, i) => Math.sin(i) * 1e6), columns: { kind: "datetime" as const, values: dates }, index: { kind: "int" as const, values: [7] } };
    const file = Buffer.from(writeParquet(m));
    expect(footerLength(file)).toBeGreaterThan(2 << 20);
    const { result: threaded, turns } = await turnsWhile(() => decodeParquet(file));
    expect(turns).toBeGreaterThan(1); // read in place, footer and values are one call
    const inPlace = readParquet(file);
    expect(sameBits(threaded.data, inPlace.data)).toBe(true);
    expect(threaded.columns).toEqual(inPlace.columns);
    expect(threaded.index).toEqual(inPlace.index);
  });

  test("bytes that are not a Parquet file are refused here, whatever their last bytes say a footer's length is", async () => {
    const file = Buffer.from(writeParquet({ shape: [1, 2], data: Float64Array.from([1, 2]), columns: null, index: null }));
    expect(footerLength(file)).toBe(file.readUInt32LE(file.length - 8));
    const bogus = [Buffer.concat([Buffer.from("nope"), Buffer.alloc(16, 0xff)]), Buffer.concat([Buffer.from("PAR1"), Buffer.alloc(8, 0xff), Buffer.from("PAR1")]), Buffer.concat([file.subarray(0, -4), Buffer.from("PAR2")])];
    for (const bytes of bogus) {
      expect(footerLength(bytes)).toBe(-1);
      await expect(decodeParquet(bytes)).rejects.toBeInstanceOf(FormatError);
    }
    await expect(decodeParquet(bogus[0])).rejects.toThrow(NOT_PARQUET);
  });

  test("a large file on disk is read by the thread from the open file, the same as in place", async () => {
    const dates = Array.from({ length: 300_000 }, (_, i) => new Date(Date.UTC(2000, 0, 1) + i * 1000).toISOString().slice(0, 19));
    const m = { shape: [300_000, 2], data: Float64Array.from({ length: 600_000 }, (_, i) => Math.sin(i) * 1e6), columns: { kind: "string" as const, values: ["a", "b"] }, index: { kind: "datetime" as const, values: dates } };
    const file = path.join(os.tmpdir(), `parquetThread-${process.pid}.parquet`);
    fs.writeFileSync(file, writeParquet(m));
    const fd = fs.openSync(file, "r");
    try {
      const threaded = await decodeParquet(fileSource(fd, fs.fstatSync(fd).size));
      expect(threaded.shape).toEqual([300_000, 2]);
      expect(sameBits(threaded.data, m.data)).toBe(true);
      expect(threaded.columns).toEqual(m.columns);
      expect(storedJsonOf(threaded.index!)!.toString("utf8")).toBe(JSON.stringify(m.index));
      expect(threaded.index).toEqual(m.index);
    } finally {
      fs.closeSync(fd);
      fs.rmSync(file);
    }
  });

  test("the thread ends as soon as no file waits after a frame of 2^22 values; files sent together are all read", async () => {
    const large = (k: number) => writeParquet({ shape: [1 << 20, 4], data: Float64Array.from({ length: 1 << 22 }, (_, i) => i + k), columns: null, index: null });
    const [a, b] = [large(0.5), large(0.25)];
    const small = writeParquet({ shape: [1 << 17, 4], data: Float64Array.from({ length: 1 << 19 }, (_, i) => i - 0.5), columns: null, index: null });
    const [x, y] = await Promise.all([decodeParquet(a), decodeParquet(b)]);
    expect([x.data[7], y.data[7], x.data.length]).toEqual([7.5, 7.25, 1 << 22]);
    expect(parquetThreadLives()).toBe(false);
    const s = await decodeParquet(small);
    expect(s.data[3]).toBe(2.5);
    expect(parquetThreadLives()).toBe(true); // a smaller frame's thread waits for the next file
    expect((await decodeParquet(a)).data[1]).toBe(1.5);
    expect(parquetThreadLives()).toBe(false);
    // a smaller file queued behind a large one: the thread ends once both are read
    const [l, m] = await Promise.all([decodeParquet(b), decodeParquet(small)]);
    expect([l.data[0], m.data[0]]).toEqual([0.25, -0.5]);
    expect(parquetThreadLives()).toBe(false);
  });

  test("a body the caller keeps is left as it was (bytes sent to the thread are a copy)", async () => {
    // over 4 kB: a buffer of its own, which a transfer would empty
    const file = recoded(writeParquet({ shape: [1000, 2], data: Float64Array.from({ length: 2000 }, (_, i) => Math.sin(i)), columns: null, index: null }), "ZSTD");
    expect(file.byteOffset === 0 && file.byteLength === file.buffer.byteLength).toBe(true);
    const copy = Buffer.from(file);
    await decodeParquet(file);
    expect(file.equals(copy)).toBe(true);
  });

  test("files sent at once each come back as their own frame", async () => {
    const files = Array.from({ length: 8 }, (_, k) => writeParquet({ shape: [k + 1, 2], data: Float64Array.from({ length: 2 * (k + 1) }, (_, i) => k * 100 + i + 0.5), columns: null, index: null }));
    const frames = await Promise.all(files.map((f) => decodeParquet(recoded(f, "ZSTD"))));
    frames.forEach((m, k) => {
      expect(m.shape).toEqual([k + 1, 2]);
      expect(Array.from(m.data)).toEqual(Array.from({ length: 2 * (k + 1) }, (_, i) => k * 100 + i + 0.5));
    });
  });

  test("a file the thread refuses is a FormatError with the reader's message, and the thread goes on", async () => {
    await expect(decodeParquet(withPandas("{not json"))).rejects.toThrow(new FormatError("the parquet file's pandas metadata is not JSON"));
    const error = await decodeParquet(withPandas(JSON.stringify({ index_columns: ["nope"], column_indexes: [], columns: [] }))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FormatError);
    expect((error as Error).message).toBe("the parquet file's pandas metadata is malformed: index column 'nope' is not in the file");
    expect((await decodeParquet(withPandas(JSON.stringify({ index_columns: [], column_indexes: [], columns: [] })))).shape).toEqual([2, 2]);
  });

  test.each(["ZSTD", "SNAPPY"] as const)("row labels of one 1 MiB string on 520 rows (%s, a few kB) are refused before they are text", async (codec) => {
    const file = repeatedLabel(520, 1 << 20, codec);
    expect(file.length).toBeLessThan(60_000);
    const error = await decodeParquet(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FormatError);
    expect((error as Error).message).toBe("its 520 row labels are more text than can be stored (over 536870888 characters as JSON)");
  });

  test("a file Arrow would read, of more values than it may decode to, is refused from its footer (a few kB claiming 2^25 + 1)", async () => {
    const file = withFileRows(compactZeros(1000, 1, "ZSTD"), 1000, ARROW_MAX_VALUES + 1);
    const error = await decodeParquet(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TooManyValues);
    expect((error as TooManyValues).maxValues).toBe(ARROW_MAX_VALUES);
    expect((error as Error).message).toMatch(/^a parquet file of 33554433 values read through Arrow/);
    expect((await decodeParquet(compactZeros(1000, 1, "ZSTD"))).shape).toEqual([1000, 1]);
  });

  test("dates as row labels on more rows than their text can be stored for (a footer claiming 2^26 rows) are refused before any is made", async () => {
    const rows = 2 ** 26;
    const dated = writeParquet({ shape: [1000, 1], data: new Float64Array(1000), columns: null, index: { kind: "datetime", values: Array.from({ length: 1000 }, (_, i) => new Date(Date.UTC(2020, 0, 1) + i * 86_400_000).toISOString().slice(0, 19)) } });
    const file = withFileRows(dated, 1000, rows);
    const error = await decodeParquet(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FormatError);
    expect((error as Error).message).toBe(`its ${rows} row labels are more text than can be stored (over 536870888 characters as JSON)`);
  });

  test("a script that only waits for a file Arrow reads gets it (the thread is held while it reads)", () => {
    const dir = path.join(__dirname, "..", "..", "dist", "src", "formats");
    const script = `
      const { decodeParquet } = require(${JSON.stringify(path.join(dir, "parquetThread.js"))});
      const { compactZeros } = require(${JSON.stringify(path.join(dir, "testing.js"))});
      decodeParquet(compactZeros(1000, 2, "ZSTD")).then((m) => console.log(m.shape.join("x")));`;
    expect(execFileSync(process.execPath, ["-e", script], { encoding: "utf8" }).trim()).toBe("1000x2");
  });
});
