import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { MAX_FLOAT_TEXT, writeJsonFloat, writePyFloat } from "./floatText";
import { pyFloat, pyJsonFloat } from "./pyfloat";
import { anyDouble, fromHex } from "./testing";

const out = Buffer.alloc(64);

/** The text written at out[3..]; "overrun" when a byte before it or past its end changed, or it is too long. */
function text(x: number, write = writePyFloat): string {
  out[2] = 0xff;
  out.fill(0xff, 3 + 1, 3 + MAX_FLOAT_TEXT + 2);
  const end = write(out, 3, x);
  if (out[2] !== 0xff || out[end] !== 0xff || end - 3 > MAX_FLOAT_TEXT) return "overrun";
  return out.toString("latin1", 3, end);
}

/** The double next to x, up (+1) or down (-1), through its bits. */
function step(x: number, direction: 1 | -1): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigUint64(0, view.getBigUint64(0) + BigInt(x >= 0 ? direction : -direction));
  return view.getFloat64(0);
}

/** Doubles of the fixed range by their bits: any mantissa, any binary exponent from -14 to 53. */
const fixedRangeBits = fc
  .tuple(fc.integer({ min: 1023 - 14, max: 1023 + 53 }), fc.bigInt({ min: 0n, max: (1n << 52n) - 1n }), fc.boolean())
  .map(([exponent, mantissa, negative]) => {
    const view = new DataView(new ArrayBuffer(8));
    view.setBigUint64(0, (BigInt(exponent) << 52n) | mantissa | (negative ? 1n << 63n : 0n));
    return view.getFloat64(0);
  });

/** Short decimals (the shortest digits sit near a bound of their double) and their neighbours. */
const shortDecimals = fc
  .tuple(fc.integer({ min: 1, max: 17 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: -21, max: 16 }), fc.constantFrom(0, 1, -1))
  .map(([digits, fraction, exponent, neighbour]) => {
    const x = Number(`${Math.floor(fraction * 10 ** digits)}e${exponent}`);
    return neighbour === 0 || x === 0 ? x : step(x, neighbour as 1 | -1);
  });

describe("writePyFloat", () => {
  const pythonReprs: [string, string][] = JSON.parse(fs.readFileSync(path.join(__dirname, "../../test/fixtures/float_reprs.json"), "utf8"));

  test("writes what Python's repr() wrote for 4005 hard doubles", () => {
    const wrong = pythonReprs.filter(([repr, hex]) => text(fromHex(hex)) !== repr);
    expect(wrong).toEqual([]);
  });

  test.each([
    [0.1, "0.1"],
    [100, "100.0"],
    [-1.5, "-1.5"],
    [1e-4, "0.0001"],
    [9999999999999998, "9999999999999998.0"],
    [1e16, "1e+16"],
    [9.999999999999999e-5, "9.999999999999999e-05"],
    [0.30000000000000004, "0.30000000000000004"],
    [0.09999999999999999, "0.09999999999999999"], // x * 10^17 rounds up to 10^16
    [1.7976931348623157e308, "1.7976931348623157e+308"],
    [2 ** 53, "9007199254740992.0"],
    [0, "0.0"],
    [-0, "-0.0"],
    [NaN, "nan"],
    [-Infinity, "-inf"],
  ])("%p is %s", (x, expected) => {
    expect(text(x)).toBe(expected);
  });

  test("any double: the same text as pyFloat, which reads back bit for bit", () => {
    fc.assert(
      fc.property(fc.oneof(anyDouble, fixedRangeBits, shortDecimals), (x) => {
        const written = text(x);
        return written === pyFloat(x) && (Number.isNaN(x) || Object.is(Number(written.replace("inf", "Infinity")), x));
      }),
      { numRuns: 200_000 },
    );
  });

  test("powers of two and ten and the doubles next to them", () => {
    const wrong: number[] = [];
    const edges = [...Array.from({ length: 70 }, (_, k) => 2 ** (k - 15)), ...Array.from({ length: 22 }, (_, k) => Number(`1e${k - 5}`))];
    for (const edge of edges) {
      for (let x = edge, k = 0; k < 50; k++, x = step(x, 1)) if (text(x) !== pyFloat(x)) wrong.push(x);
      for (let x = edge, k = 0; k < 50; k++, x = step(x, -1)) if (text(x) !== pyFloat(x)) wrong.push(x);
    }
    expect(wrong).toEqual([]);
  });
});

describe("writeJsonFloat", () => {
  test("any double: pyJsonFloat's text (NaN, Infinity)", () => {
    fc.assert(
      fc.property(fc.oneof(anyDouble, fixedRangeBits), (x) => text(x, writeJsonFloat) === pyJsonFloat(x)),
      { numRuns: 20_000 },
    );
    expect(text(NaN, writeJsonFloat)).toBe("NaN");
    expect(text(-Infinity, writeJsonFloat)).toBe("-Infinity");
  });
});
