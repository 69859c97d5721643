import fc from "fast-check";
import { encodeCsv } from "./csv";
import { encodeCsvStream } from "./csvThreads";
import type { Labels, Matrix } from "./matrix";

// three threads whatever the machine, so blocks really are written side by side (read when the pool starts)
process.env.ERT_STORAGE_CSV_THREADS = "3";

/** The blocks of a streamed answer; a Buffer answer (written in place) is one block. */
async function blocksOf(m: Matrix): Promise<Buffer[]> {
  const body = encodeCsvStream(m);
  if (Buffer.isBuffer(body)) return [body];
  const out: Buffer[] = [];
  for await (const block of body) out.push(block);
  return out;
}

describe("CSV answers written on worker threads", () => {
  const cols = 20000;
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

  test("the same bytes as encodeCsv in place, in blocks of rows (the first with the header)", async () => {
    const frames = fc.integer({ min: 14, max: 40 }).chain((rows) =>
      fc.record({
        rows: fc.constant(rows),
        // a few random values at random places on a random background: every row differs
        seed: fc.array(float, { minLength: 64, maxLength: 64 }),
        index: labels(rows),
        columns: fc.option(fc.constant({ kind: "datetime", values: Array.from({ length: cols }, (_, i) => `2000-01-01T00:00:${i}`) } as Labels)),
      }),
    );
    await fc.assert(
      fc.asyncProperty(frames, async ({ rows, seed, index, columns }) => {
        const data = new Float64Array(rows * cols);
        for (let i = 0; i < data.length; i++) data[i] = seed[(i * 2654435761) % seed.length] * (1 + (i % 97) / 1e3);
        const m: Matrix = { shape: [rows, cols], data, columns, index };
        const blocks = await blocksOf(m);
        // 13 rows of 20000 values a block
        expect(blocks.length).toBe(Math.ceil(rows / 13));
        expect(blocks[0].toString("latin1", 0, 1)).toBe(","); // the header line comes first
        expect(blocks[1].toString("latin1", 0, 1)).not.toBe("\n");
        expect(Buffer.concat(blocks).equals(encodeCsv(m))).toBe(true);
        // the frame the caller holds is untouched (threads get copies)
        expect(m.data.length).toBe(rows * cols);
      }),
      { numRuns: 15 },
    );
  });

  test("small frames and vectors are written in place, as one buffer; no table form is refused before anything", async () => {
    const m: Matrix = { shape: [3, 4], data: Float64Array.from({ length: 12 }, (_, i) => i / 7), columns: null, index: null };
    const small = encodeCsvStream(m);
    expect(Buffer.isBuffer(small) && small.equals(encodeCsv(m))).toBe(true);
    const v: Matrix = { shape: [200000], data: new Float64Array(200000).fill(0.1), columns: null, index: null };
    expect(Buffer.isBuffer(encodeCsvStream(v))).toBe(true);
    expect(() => encodeCsvStream({ shape: [100, 100, 100], data: new Float64Array(1e6), columns: null, index: null })).toThrow("no table form");
  });

  test("many answers at once, more than threads: each gets its own bytes", async () => {
    const frames = Array.from({ length: 7 }, (_, k): Matrix => ({
      shape: [8, cols],
      data: Float64Array.from({ length: 8 * cols }, (_, i) => (i + k) / 3),
      columns: null,
      index: { kind: "int", values: Array.from({ length: 8 }, (_, r) => r + 100 * k) },
    }));
    const answers = await Promise.all(frames.map((m) => blocksOf(m)));
    answers.forEach((blocks, k) => expect(Buffer.concat(blocks).equals(encodeCsv(frames[k]))).toBe(true));
  });
});
