// NPY and JSON matrices: the writers give the bytes they gave before they were made fast
// (the old writers are kept here, only to compare with), and every value read back is
// the one written, bit for bit.
import fc from "fast-check";
import { decodeMatrix, encodeMatrix } from "./index";
import { pyJsonFloat } from "./pyfloat";
import { readNpy, writeNpy } from "./npy";
import { encodeNestedJson, writeNestedJson } from "./json";
import { anyDouble, sameBits } from "./testing";

function oldWriteNestedJson(data: Float64Array, shape: number[]): string {
  if (shape.length === 0) return pyJsonFloat(data[0]);
  const width = shape[shape.length - 1];
  let offset = 0;
  const walk = (depth: number): string => {
    const items = new Array<string>(shape[depth]);
    if (depth === shape.length - 1) {
      for (let i = 0; i < width; i++) items[i] = pyJsonFloat(data[offset++]);
    } else {
      for (let i = 0; i < shape[depth]; i++) items[i] = walk(depth + 1);
    }
    return `[${items.join(", ")}]`;
  };
  return walk(0);
}

function oldWriteNpy(data: Float64Array, shape: number[]): Buffer {
  const shapeText = shape.length === 0 ? "()" : shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': ${shapeText}, }`;
  if (shape.length > 0) header += " ".repeat(21 - String(shape[0]).length);
  const hlen = header.length + 1;
  const pad = 64 - ((10 + hlen) % 64);
  const full = header + " ".repeat(pad) + "\n";
  const prefix = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]).copy(prefix, 0);
  prefix[6] = 1;
  prefix.writeUInt16LE(full.length, 8);
  return Buffer.concat([prefix, Buffer.from(full, "latin1"), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

/** A shape of 0 to 4 axes of 0 to 5, and that many doubles. */
const anyArray = fc
  .array(fc.integer({ min: 0, max: 5 }), { maxLength: 4 })
  .chain((shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return fc.tuple(fc.constant(shape), fc.array(anyDouble, { minLength: n, maxLength: n }).map((v) => Float64Array.from(v)));
  });

describe("NPY and JSON, property-based against the old writers", () => {
  test("JSON: the same text as before, and parsed back bit for bit", async () => {
    await fc.assert(
      fc.asyncProperty(anyArray, async ([shape, data]) => {
        const text = oldWriteNestedJson(data, shape);
        expect(encodeNestedJson(data, shape).equals(Buffer.from(text, "utf8"))).toBe(true);
        expect(writeNestedJson(data, shape)).toBe(text);
        if (shape.length === 0 || shape.includes(0)) return;
        const back = await decodeMatrix("application/json", Buffer.from(text));
        expect(back.shape).toEqual(shape);
        expect(sameBits(back.data, Float64Array.from(data, (v) => (Number.isNaN(v) ? NaN : v)))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  test("NPY: the same bytes as before, and read back bit for bit, aligned or not", () => {
    fc.assert(
      fc.property(anyArray, fc.integer({ min: 0, max: 15 }), ([shape, data], shift) => {
        const bytes = writeNpy(data, shape);
        expect(bytes.equals(oldWriteNpy(data, shape))).toBe(true);
        // the same file at any offset of a larger buffer, as a request body may sit
        const host = Buffer.alloc(bytes.length + shift);
        bytes.copy(host, shift);
        const back = readNpy(host.subarray(shift));
        expect(back.shape).toEqual(shape);
        expect(sameBits(back.data, data)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  test("encodeMatrix answers 1-row and 3-D matrices as before", () => {
    fc.assert(
      fc.property(anyArray, ([shape, data]) => {
        const m = { shape, data, columns: null, index: null };
        if (shape.length > 2) {
          const [first, ...rest] = shape;
          const want = first === 1 ? oldWriteNestedJson(data, rest) : oldWriteNestedJson(data, shape);
          expect(encodeMatrix("application/json", m).toString("utf8")).toBe(want);
        } else if (shape.length > 0 || data.length === 1) {
          const rows = shape.length === 2 ? shape[0] : 1;
          const cols = shape.length === 2 ? shape[1] : shape.length === 1 ? shape[0] : 1;
          const want = rows === 1 ? oldWriteNestedJson(data, [cols]) : oldWriteNestedJson(data, [rows, cols]);
          expect(encodeMatrix("application/json", m).toString("utf8")).toBe(want);
        }
      }),
      { numRuns: 300 },
    );
  });
});
