import fc from "fast-check";
import { encodeMatrix } from "./index";
import type { Labels, Matrix } from "./matrix";
import { encodeRowFrame, type Piece, type RowFrame, type RowFrameType } from "./textThreads";

process.env.ERT_STORAGE_TEXT_THREADS = "2";

/**
 * The frame of m, handed out in parts of whole rows of at most `values` values (at least one
 * row), read into the memory alloc gives, as the domain reads them.
 */
function frameOf(m: Matrix, rowsPerPart?: number[]): RowFrame & { partsRead: () => number } {
  const [rows, cols] = m.shape;
  let read = 0;
  return {
    rows,
    cols,
    columns: m.columns,
    index: m.index!,
    partsRead: () => read,
    async *parts(values: number, alloc: (n: number) => Float64Array) {
      for (let r = 0, k = 0; r < rows; k++) {
        const n = Math.min(rows - r, rowsPerPart?.[k % rowsPerPart.length] ?? Math.max(1, Math.floor(values / cols)));
        read++;
        const part = alloc(n * cols);
        part.set(m.data.subarray(r * cols, (r + n) * cols));
        yield part;
        r += n;
      }
    },
  };
}

/** The answer's bytes, each piece copied and then done (its memory then holds later pieces). */
async function bytesOf(type: RowFrameType, frame: RowFrame): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const piece of encodeRowFrame(type, frame)) {
    out.push(Buffer.from(piece.bytes));
    piece.done();
  }
  return Buffer.concat(out);
}

/** The pieces as they come, none done. */
async function piecesOf(type: RowFrameType, frame: RowFrame): Promise<Piece[]> {
  const out: Piece[] = [];
  for await (const piece of encodeRowFrame(type, frame)) out.push(piece);
  return out;
}

function matrix(rows: number, cols: number, seed: number, columns: Labels | null): Matrix {
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(seed + i) * 10 ** ((i % 9) - 4);
  data[seed % data.length] = NaN;
  data[(seed * 7) % data.length] = -0;
  data[(seed * 13) % data.length] = -Infinity;
  data[(seed * 17) % data.length] = 5e-324;
  return { shape: [rows, cols], data, columns, index: { kind: "int", values: Array.from({ length: rows }, (_, r) => 3 * r + (seed % 5)) } };
}

describe("encodeRowFrame", () => {
  test("any parts, any size: the bytes the whole frame gives, in CSV, JSON and NPY", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 120 }),
        fc.integer({ min: 1, max: 3000 }),
        fc.integer({ min: 0, max: 1000 }),
        // parts of any rows: none (an empty part), a few, more than a block holds
        fc.option(
          fc.array(fc.oneof(fc.integer({ min: 0, max: 9 }), fc.constant(300)), { minLength: 1, maxLength: 4 }).map((k) => [...k, 1]),
          { nil: undefined },
        ),
        fc.boolean(),
        async (rows, cols, seed, rowsPerPart, labelled) => {
          const columns: Labels | null = labelled ? { kind: "string", values: Array.from({ length: cols }, (_, c) => `c${c},"${c}"`) } : null;
          const m = matrix(rows, cols, seed, columns);
          for (const type of ["text/csv", "application/json", "application/x-numpy"] as const) {
            expect((await bytesOf(type, frameOf(m, rowsPerPart))).equals(encodeMatrix(type, m))).toBe(true);
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  test("pieces are written in a few buffers used again once done; pieces not done keep their bytes", async () => {
    const m = matrix(704, 4000, 4, null); // 22 parts of 32 rows
    for (const type of ["text/csv", "application/json", "application/x-numpy"] as const) {
      const expected = encodeMatrix(type, m);
      // not done: every piece has memory of its own and keeps its bytes to the end
      const kept = await piecesOf(type, frameOf(m));
      expect(Buffer.concat(kept.map((p) => p.bytes)).equals(expected)).toBe(true);
      expect(new Set(kept.map((p) => p.bytes.buffer)).size).toBe(kept.length);
      // done as soon as copied: later pieces are written in the memory of earlier ones
      const buffers = new Set<ArrayBufferLike>();
      const out: Buffer[] = [];
      for await (const piece of encodeRowFrame(type, frameOf(m))) {
        buffers.add(piece.bytes.buffer);
        out.push(Buffer.from(piece.bytes));
        piece.done();
      }
      expect(Buffer.concat(out).equals(expected)).toBe(true);
      expect(out.length).toBeGreaterThan(20);
      expect(buffers.size).toBeLessThan(8);
    }
  });

  test("parts that hold other than the frame's rows fail the answer", async () => {
    const m = matrix(6, 10, 1, null);
    const short: RowFrame = { ...frameOf(m), rows: 7 };
    await expect(bytesOf("text/csv", short)).rejects.toThrow("The frame's parts held 6 rows, not 7");
  });

  test("answers left half-read give their parts back: many of them, then one more that completes", async () => {
    const m = matrix(200, 2000, 2, null);
    for (let i = 0; i < 20; i++) {
      const frame = frameOf(m, [3]);
      const pieces = encodeRowFrame("text/csv", frame);
      await pieces.next(); // the first piece, then the reader goes away
      await pieces.return(undefined);
      expect(frame.partsRead()).toBeLessThan(200 / 3);
    }
    const frame = frameOf(m, [3]);
    expect((await bytesOf("text/csv", frame)).equals(encodeMatrix("text/csv", m))).toBe(true);
  });

  test("a part that cannot be read fails the answer and its slot is given back", async () => {
    const m = matrix(20, 100, 3, null);
    for (let i = 0; i < 12; i++) {
      const failing: RowFrame = {
        ...frameOf(m),
        async *parts() {
          yield m.data.slice(0, 100);
          throw new Error("gone");
        },
      };
      await expect(bytesOf("application/json", failing)).rejects.toThrow("gone");
    }
    expect((await bytesOf("application/json", frameOf(m))).equals(encodeMatrix("application/json", m))).toBe(true);
  });
});
