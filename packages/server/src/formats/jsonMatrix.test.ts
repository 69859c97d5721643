import fc from "fast-check";
import { matrixFromJson, parseJson, stringifyJson } from "./json";
import { readJsonMatrix, readJsonMatrixBytes } from "./jsonMatrix";
import { FormatError, MAX_DIMENSIONS } from "./matrix";

/** What the general reader (parse, then walk the tree) makes of the text. */
function general(text: string) {
  return matrixFromJson(parseJson(text));
}

describe("JSON matrices read from bytes", () => {
  test("the same matrix as the general reader, for random nested arrays of any shape and spacing", () => {
    const value = fc.oneof(fc.double(), fc.constantFrom(null, true, false));
    const shaped = fc
      .array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 4 })
      .chain((shape) => {
        const total = shape.reduce((a, b) => a * b, 1);
        return fc.array(value, { minLength: total, maxLength: total }).map((xs) => ({ shape, xs }));
      });
    fc.assert(
      fc.property(shaped, fc.constantFrom("", " ", "\n  "), ({ shape, xs }, space) => {
        let at = 0;
        const build = (d: number): unknown => (d === shape.length ? xs[at++] : Array.from({ length: shape[d] }, () => build(d + 1)));
        const text = stringifyJson(build(0)).replace(/,/g, `,${space}`).replace(/\[/g, `[${space}`);
        const slow = general(text);
        // small bodies go through JSON.parse first; the byte reader reads any size
        for (const fast of [readJsonMatrix(Buffer.from(text)), readJsonMatrixBytes(Buffer.from(text))]) {
          expect(fast.shape).toEqual(slow.shape);
          expect(Array.from(fast.data)).toEqual(Array.from(slow.data));
        }
      }),
      { numRuns: 500 },
    );
  });

  test("a valid body over the JSON.parse size reads as the same matrix", () => {
    const rows = Array.from({ length: 300 }, (_, r) => Array.from({ length: 300 }, (_, c) => (r * 300 + c) / 7 - 1e5));
    const text = JSON.stringify(rows);
    expect(text.length).toBeGreaterThan(1 << 20);
    const m = readJsonMatrix(Buffer.from(text));
    expect(m.shape).toEqual([300, 300]);
    expect(Array.from(m.data)).toEqual(rows.flat());
  });

  test("bit for bit: any float64, -0 included, reads back the same either way", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 50 }), (xs) => {
        const body = Buffer.from(stringifyJson(xs));
        for (const m of [readJsonMatrix(body), readJsonMatrixBytes(body)]) {
          expect(m.shape).toEqual([xs.length]);
          xs.forEach((x, i) => expect(Object.is(m.data[i], x)).toBe(true));
        }
      }),
      { numRuns: 1000 },
    );
  });

  test("ragged, deep or not-a-matrix bodies are format errors, never a crash", () => {
    for (const text of ["[[1, 2], [3]]", "[1, [2]]", "[[1], 2]", "[[], [1]]", "[[1, 2], []]"]) {
      expect(() => readJsonMatrix(Buffer.from(text))).toThrow(FormatError);
    }
    expect(() => readJsonMatrix(Buffer.from("[".repeat(100000)))).toThrow(`at most ${MAX_DIMENSIONS} dimensions`);
    expect(() => readJsonMatrix(Buffer.from('[["a"]]'))).toThrow(FormatError);
    // ragged trees whose first elements promise far more values than the body holds
    let deep = "[0,0]";
    for (let d = 0; d < 40; d++) deep = `[${deep},0]`;
    expect(() => readJsonMatrix(Buffer.from(deep))).toThrow(FormatError);
    expect(() => readJsonMatrix(Buffer.from(`[[${new Array(200000).fill(0).join(",")}],${new Array(199999).fill(0).join(",")}]`))).toThrow(FormatError);
    expect(() => readJsonMatrix(Buffer.from("[1, 2"))).toThrow(SyntaxError);
    expect(() => readJsonMatrix(Buffer.from("[0x10]"))).toThrow(SyntaxError);
    expect(Array.from(readJsonMatrix(Buffer.from('["2.5", 1]')).data)).toEqual([2.5, 1]);
    expect(Array.from(readJsonMatrix(Buffer.from("[-0.0, NaN, -Infinity, 5e-324]")).data)).toEqual([-0, NaN, -Infinity, 5e-324]);
  });
});

describe("JSON numbers read from bytes", () => {
  test("any run of number characters reads as the general reader reads it, or is refused as it refuses it", () => {
    const token = fc.array(fc.constantFrom(..."0123456789+-.eE"), { minLength: 1, maxLength: 8 }).map((cs) => cs.join(""));
    const outcome = (read: () => { shape: number[]; data: Float64Array }) => {
      try {
        const m = read();
        return { shape: m.shape, data: Array.from(m.data) };
      } catch (error) {
        return { error: (error as Error).constructor.name };
      }
    };
    fc.assert(
      fc.property(token, fc.constantFrom("[%]", "[1, %]", "[[%, 2]]", "%"), (tok, frame) => {
        const text = frame.replace("%", tok);
        expect(outcome(() => readJsonMatrix(Buffer.from(text)))).toEqual(outcome(() => general(text)));
        expect(outcome(() => readJsonMatrixBytes(Buffer.from(text)))).toEqual(outcome(() => general(text)));
      }),
      { numRuns: 3000 },
    );
  });
});
