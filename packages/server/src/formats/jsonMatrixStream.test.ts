import fc from "fast-check";
import { stringifyJson } from "./json";
import { readJsonMatrix } from "./jsonMatrix";
import { JsonMatrixReader } from "./jsonMatrixStream";
import { FormatError, MAX_DIMENSIONS, type Matrix } from "./matrix";
import { anyDouble, sameBits } from "./testing";

/** The body fed in pieces cut at the given places. */
function streamed(body: Buffer, cuts: number[]): { shape: number[]; data: Float64Array } {
  const reader = new JsonMatrixReader();
  let at = 0;
  for (const cut of [...cuts.map((c) => c % (body.length + 1))].sort((a, b) => a - b)) {
    reader.feed(body.subarray(at, Math.max(at, cut)));
    at = Math.max(at, cut);
  }
  reader.feed(body.subarray(at));
  const { shape, blocks } = reader.end();
  const data = new Float64Array(blocks.reduce((a, b) => a + b.length, 0));
  let k = 0;
  for (const b of blocks) {
    data.set(b, k);
    k += b.length;
  }
  return { shape, data };
}

/** What the whole-body reader makes of it: the matrix, or that it refused. */
function whole(body: Buffer): Matrix | "refused" {
  try {
    return readJsonMatrix(body);
  } catch (error) {
    if (error instanceof FormatError || error instanceof SyntaxError) return "refused";
    throw error;
  }
}

function streamedOrRefused(body: Buffer, cuts: number[]): { shape: number[]; data: Float64Array } | "refused" {
  try {
    return streamed(body, cuts);
  } catch (error) {
    if (error instanceof FormatError) return "refused";
    throw error;
  }
}

/** Nested arrays of a shape, as text: numbers, NaN and infinities, null, booleans, numeric strings. */
const anyBody = fc
  .array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 4 })
  .chain((shape) => {
    const total = shape.reduce((a, b) => a * b, 1);
    const item = fc.oneof(
      { weight: 6, arbitrary: anyDouble.map((x) => stringifyJson(x)) },
      { weight: 1, arbitrary: fc.constantFrom("null", "true", "false", '"1.5"', '" 2e3 "', '"-0"', '"\\u0031"', '"Infinity"') },
      { weight: 1, arbitrary: fc.double().map((x) => JSON.stringify(String(x))) },
    );
    return fc.tuple(fc.constant(shape), fc.array(item, { minLength: total, maxLength: total }), fc.constantFrom("", " ", "\n  ", "\t"));
  })
  .map(([shape, items, space]) => {
    let at = 0;
    const build = (d: number): string => (d === shape.length ? items[at++] : `[${space}${Array.from({ length: shape[d] }, () => build(d + 1)).join(`,${space}`)}${space}]`);
    return Buffer.from(`${space}${build(0)}${space}`);
  });

const cuts = fc.array(fc.nat(), { maxLength: 6 });

describe("JSON matrices read piece by piece", () => {
  test("the same matrix as the whole-body reader, bit for bit, however the body is cut", () => {
    fc.assert(
      fc.property(anyBody, cuts, (body, at) => {
        const want = whole(body);
        const got = streamedOrRefused(body, at);
        if (want === "refused") return expect(got).toBe("refused");
        expect(got).not.toBe("refused");
        const m = got as { shape: number[]; data: Float64Array };
        expect(m.shape).toEqual(want.shape);
        expect(sameBits(m.data, want.data)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  test("refuses what the whole-body reader refuses, however the body is cut", () => {
    // bodies broken by cutting, dropping or doubling a byte of a valid one
    const broken = fc.tuple(anyBody, fc.nat(), fc.constantFrom("cut", "drop", "double", "letter")).map(([body, n, how]) => {
      const at = body.length === 0 ? 0 : n % body.length;
      if (how === "cut") return body.subarray(0, at);
      if (how === "drop") return Buffer.concat([body.subarray(0, at), body.subarray(at + 1)]);
      if (how === "double") return Buffer.concat([body.subarray(0, at + 1), body.subarray(at)]);
      return Buffer.concat([body.subarray(0, at), Buffer.from("x"), body.subarray(at)]);
    });
    fc.assert(
      fc.property(broken, cuts, (body, at) => {
        const want = whole(body);
        const got = streamedOrRefused(body, at);
        if (want === "refused") expect(got).toBe("refused");
        else {
          expect(got).not.toBe("refused");
          expect(sameBits((got as { data: Float64Array }).data, want.data)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test("many values fill several blocks, in order", () => {
    const n = (1 << 20) * 2 + 5;
    const body = Buffer.from(`[${Array.from({ length: n }, (_, i) => i).join(",")}]`);
    const m = streamed(body, [1, 100_000, 3_000_001, 7_777_777]);
    expect(m.shape).toEqual([n]);
    expect(m.data[0]).toBe(0);
    expect(m.data[n - 1]).toBe(n - 1);
    expect(m.data.every((x, i) => x === i)).toBe(true);
  });

  test("names what is wrong", () => {
    const refuse = (text: string, message: RegExp, cuts: number[] = []) => expect(() => streamed(Buffer.from(text), cuts)).toThrow(message);
    refuse("[[1, 2], [3]]", /ragged/);
    refuse("[[1, 2], 3]", /ragged/);
    refuse("[1, 2", /ends before the matrix does/);
    refuse("", /ends before the matrix does/);
    refuse("[1, 2] x", /unexpected 'x' at byte 7/);
    refuse("[1, {}]", /unexpected '\{' at byte 4/);
    refuse('[1, "a"]', /"a" is not a number/);
    refuse("[1, 0x10]", /'0x10' is not a value/);
    for (const bad of ["01", "-", "1.", ".5", "1e", "+1", "--1", "1e+", "nan", "infinity", "constructor", "toString"]) {
      refuse(`[${bad}, 1]`, /is not a value/);
      refuse(`[1, ${bad}]`, /is not a value/, [5]); // cut inside the word: the carried word's path
    }
    refuse(`[${'"'.padEnd(70_000, "1")}"]`, /a value of more than 65536 characters/);
    // a word as long: refused whole or cut
    const long = `[0.${"0".repeat(70_000)}1]`;
    refuse(long, /a value of more than 65536 characters/);
    refuse(long, /a value of more than 65536 characters/, [1000, 2000, 50_000]);
    refuse("[".repeat(MAX_DIMENSIONS + 1) + "]".repeat(MAX_DIMENSIONS + 1), /at most 64 dimensions/);
  });

  test("a string cut inside a character or an escape still reads", () => {
    const body = Buffer.from('[" 1.5\u00a0", "\\u0032"]');
    for (let cut = 0; cut <= body.length; cut++) {
      expect(Array.from(streamed(body, [cut]).data)).toEqual([1.5, 2]);
    }
  });
});
