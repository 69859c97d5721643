import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { encodeCsv } from "./csv";
import { encodeNestedJson } from "./json";
import { writeParquet } from "./parquetWriter";
import type { Labels, Matrix } from "./matrix";
import { encodeMatrixStream, textBlocks, type Piece } from "./textThreads";

// three threads whatever the machine, so blocks really are written side by side (read when the pool starts)
process.env.ERT_STORAGE_TEXT_THREADS = "3";

/** Copies of the pieces' bytes, each piece done once copied (its memory then holds later ones). */
async function collect(pieces: AsyncIterable<Piece>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const piece of pieces) {
    out.push(Buffer.from(piece.bytes));
    piece.done();
  }
  return out;
}

describe("CSV and JSON answers written on worker threads", () => {
  test("the threads run the build's worker: build first (the root `pnpm test` does)", () => {
    expect(fs.existsSync(path.join(__dirname, "..", "..", "dist", "src", "formats", "textWorker.js"))).toBe(true);
  });

  const cols = 20000;
  /** rows of 20000 values a block (2^17 values) */
  const perBlock = 6;
  const float = fc.oneof(
    fc.double(),
    fc.constantFrom(-0, 0, NaN, Infinity, -Infinity, 5e-324, 1e16, 1e-5, 123456789.125),
    fc.integer().map((n) => n * 1.0),
  );
  const labels = (n: number): fc.Arbitrary<Labels | null> =>
    fc.oneof(
      fc.constant(null),
      fc.constant({ kind: "int", values: Array.from({ length: n }, (_, i) => i * 3 - 7) } as Labels),
      fc.array(fc.string({ unit: "grapheme", maxLength: 6 }), { minLength: n, maxLength: n }).map((values) => ({ kind: "string", values }) as Labels),
      fc.constant({ kind: "datetime", values: Array.from({ length: n }, (_, i) => `2020-01-01T00:00:${String(i % 60).padStart(2, "0")}`) } as Labels),
      fc.constant({ kind: "float", values: Array.from({ length: n }, (_, i) => i / 3) } as Labels),
    );
  // at least 2^20 values (53 rows of 20000): smaller frames are written in place
  const frames = fc.integer({ min: 53, max: 70 }).chain((rows) =>
    fc.record({
      rows: fc.constant(rows),
      // random values spread over the frame: every row differs
      seed: fc.array(float, { minLength: 64, maxLength: 64 }),
      index: labels(rows),
      columns: fc.option(fc.constant({ kind: "datetime", values: Array.from({ length: cols }, (_, i) => `2000-01-01T00:00:${i}`) } as Labels)),
    }),
  );
  const frameOf = ({ rows, seed, index, columns }: { rows: number; seed: number[]; index: Labels | null; columns: Labels | null }): Matrix => {
    const data = new Float64Array(rows * cols);
    for (let i = 0; i < data.length; i++) data[i] = seed[(i * 2654435761) % seed.length] * (1 + (i % 97) / 1e3);
    return { shape: [rows, cols], data, columns, index };
  };

  test("CSV: the same bytes as encodeCsv in place, in blocks of rows (the header with the first)", async () => {
    await fc.assert(
      fc.asyncProperty(frames, async (f) => {
        const m = frameOf(f);
        const body = encodeMatrixStream("text/csv", m);
        expect(Buffer.isBuffer(body)).toBe(false);
        const blocks = await collect(body as AsyncIterable<Piece>);
        expect(blocks.length).toBe(Math.ceil(f.rows / perBlock));
        expect(blocks[0].toString("latin1", 0, 1)).toBe(","); // the header line comes first
        expect(Buffer.concat(blocks).equals(encodeCsv(m))).toBe(true);
        expect(m.data.length).toBe(f.rows * cols); // the caller's frame is untouched (threads get copies)
      }),
      { numRuns: 6 },
    );
  });

  test("JSON: the same bytes as the 2-D list written in place", async () => {
    await fc.assert(
      fc.asyncProperty(frames, async (f) => {
        const m = frameOf(f);
        const blocks = await collect(textBlocks("json", m)!);
        expect(blocks.length).toBe(Math.ceil(f.rows / perBlock));
        expect(Buffer.concat(blocks).equals(encodeNestedJson(m.data, [f.rows, cols]))).toBe(true);
      }),
      { numRuns: 6 },
    );
  });

  test("row labels of a kind are formatted together, not block by block", async () => {
    // datetimes all at midnight are written as dates; one row at noon makes every row a full time,
    // and fractions take the digits the most precise one needs
    const rows = 60;
    const days = Array.from({ length: rows }, (_, i) => `2020-01-${String((i % 28) + 1).padStart(2, "0")}T00:00:00`);
    for (const values of [days, days.map((d, i) => (i === 0 ? d.replace("T00", "T12") : d)), days.map((d, i) => (i === 59 ? `${d}.000001` : d))]) {
      const m: Matrix = { shape: [rows, cols], data: new Float64Array(rows * cols).fill(1.5), columns: null, index: { kind: "datetime", values } };
      const blocks = await collect(encodeMatrixStream("text/csv", m) as AsyncIterable<Piece>);
      expect(blocks.length).toBeGreaterThan(1);
      expect(Buffer.concat(blocks).equals(encodeCsv(m))).toBe(true);
    }
  });

  test("small frames and vectors are written in place; no table form is refused before anything", async () => {
    const m: Matrix = { shape: [52, cols], data: new Float64Array(52 * cols).fill(1 / 3), columns: null, index: null };
    const small = encodeMatrixStream("text/csv", m);
    expect(Buffer.isBuffer(small) && small.equals(encodeCsv(m))).toBe(true);
    expect(textBlocks("json", m)).toBeNull();
    const v: Matrix = { shape: [60_000], data: new Float64Array(60_000).fill(0.1), columns: null, index: null };
    expect(Buffer.isBuffer(encodeMatrixStream("text/csv", v))).toBe(true);
    expect(() => encodeMatrixStream("text/csv", { shape: [100, 100, 200], data: new Float64Array(2e6), columns: null, index: null })).toThrow("no table form");
  });

  test("CSV of wide frames (over 65,536 columns) is written on a thread however few its rows: none (the header alone), one, a vector", async () => {
    // 0 x 1M values (a 128-byte NPY body) had its header of a million labels written in place: 0.3-0.45 s of the event loop
    const wide = 70_000;
    const frames: Matrix[] = [
      { shape: [0, wide], data: new Float64Array(0), columns: null, index: null },
      { shape: [0, wide], data: new Float64Array(0), columns: { kind: "string", values: Array.from({ length: wide }, (_, c) => `a,"${c}"`) }, index: { kind: "string", values: [] } },
      { shape: [1, wide], data: new Float64Array(wide).map((_, c) => c / 7), columns: null, index: { kind: "datetime", values: ["2020-01-01T00:00:00"] } },
      { shape: [wide], data: new Float64Array(wide).map((_, c) => -c / 3), columns: null, index: null },
    ];
    for (const m of frames) {
      const pieces = encodeMatrixStream("text/csv", m);
      expect(Buffer.isBuffer(pieces)).toBe(false);
      expect(Buffer.concat(await collect(pieces as AsyncIterable<Piece>)).equals(encodeCsv(m))).toBe(true);
    }
  });

  test("Parquet of frames of over 8192 columns is made a piece at a time however few its values; ERT's 1 x 2000 whole", async () => {
    // 0 x 1M values answered as Parquet whole (172 MB, ~170 bytes of footer a column) held the event loop 1.7-1.9 s
    for (const [rows, cols, whole] of [[0, 10_000, false], [1, 10_000, false], [1, 2000, true]] as const) {
      const m: Matrix = { shape: [rows, cols], data: new Float64Array(rows * cols).map((_, c) => c / 3), columns: null, index: null };
      const answer = encodeMatrixStream("application/x-parquet", m);
      expect(Buffer.isBuffer(answer)).toBe(whole);
      const bytes = Buffer.isBuffer(answer) ? answer : Buffer.concat(await collect(answer));
      expect(bytes.equals(writeParquet(m))).toBe(true);
    }
  });

  test("many answers at once, more than threads: each gets its own bytes", async () => {
    const frames = Array.from({ length: 5 }, (_, k): Matrix => ({
      shape: [60, cols],
      data: Float64Array.from({ length: 60 * cols }, (_, i) => (i + k) / 3),
      columns: null,
      index: { kind: "int", values: Array.from({ length: 60 }, (_, r) => r + 100 * k) },
    }));
    const answers = await Promise.all(frames.map((m, k) => collect(textBlocks(k % 2 ? "json" : "csv", m)!)));
    answers.forEach((blocks, k) => {
      const expected = k % 2 ? encodeNestedJson(frames[k].data, [60, cols]) : encodeCsv(frames[k]);
      expect(Buffer.concat(blocks).equals(expected)).toBe(true);
    });
  });
});
