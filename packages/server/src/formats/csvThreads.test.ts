import fc from "fast-check";
import { encodeCsv } from "./csv";
import { encodeCsvParts } from "./csvThreads";
import type { Labels, Matrix } from "./matrix";

// three threads whatever the machine, so a frame is really split (read when the pool starts)
process.env.ERT_STORAGE_CSV_THREADS = "3";

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

  test("the same bytes as encodeCsv in place, in parts (the first with the header)", async () => {
    const frames = fc.integer({ min: 7, max: 12 }).chain((rows) =>
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
        const parts = await encodeCsvParts(m);
        expect(parts.length).toBe(3);
        expect(parts[0].toString("latin1", 0, 1)).toBe(","); // the header line comes first
        expect(parts[1].toString("latin1").startsWith(",")).toBe(index !== null && index.kind === "string" && index.values[Math.round(rows / 3)] === "");
        expect(Buffer.concat(parts).equals(encodeCsv(m))).toBe(true);
        // the frame the caller holds is untouched (threads get copies)
        expect(m.data.length).toBe(rows * cols);
      }),
      { numRuns: 15 },
    );
  });

  test("small frames and vectors are written in place, as one part", async () => {
    const m: Matrix = { shape: [3, 4], data: Float64Array.from({ length: 12 }, (_, i) => i / 7), columns: null, index: null };
    const parts = await encodeCsvParts(m);
    expect(parts).toHaveLength(1);
    expect(parts[0].equals(encodeCsv(m))).toBe(true);
    const v: Matrix = { shape: [200000], data: new Float64Array(200000).fill(0.1), columns: null, index: null };
    expect(await encodeCsvParts(v)).toHaveLength(1);
  });

  test("many answers at once, more than threads: each gets its own bytes", async () => {
    const frames = Array.from({ length: 7 }, (_, k): Matrix => ({
      shape: [8, cols],
      data: Float64Array.from({ length: 8 * cols }, (_, i) => (i + k) / 3),
      columns: null,
      index: { kind: "int", values: Array.from({ length: 8 }, (_, r) => r + 100 * k) },
    }));
    const answers = await Promise.all(frames.map((m) => encodeCsvParts(m)));
    answers.forEach((parts, k) => expect(Buffer.concat(parts).equals(encodeCsv(frames[k]))).toBe(true));
  });
});
