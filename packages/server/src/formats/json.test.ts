import { MAX_FLOAT_TEXT } from "./floatText";
import { encodeJson, jsonNumber, matrixFromJson, parseJson, stringifyJson, writeJsonNumber, writeNestedJson } from "./json";
import { FormatError } from "./matrix";

describe("JSON with NaN and Infinity", () => {
  test("parses bare NaN and Infinity tokens, but not inside strings", () => {
    expect(parseJson('[NaN, Infinity, -Infinity, "NaN", "a Infinity"]')).toEqual([NaN, Infinity, -Infinity, "NaN", "a Infinity"]);
    expect(parseJson('{"k": "x\\"NaN", "v": NaN}')).toEqual({ k: 'x"NaN', v: NaN });
  });

  test("rejects what is not JSON", () => {
    expect(() => parseJson("[1, 2")).toThrow(SyntaxError);
    expect(() => parseJson("[Nan]")).toThrow(SyntaxError);
  });

  test("writes them back as Python does", () => {
    expect(stringifyJson({ a: [NaN, Infinity, -Infinity, 1.5, null] })).toBe('{"a":[NaN,Infinity,-Infinity,1.5,null]}');
  });

  test("nested arrays of any dimension become a matrix; ragged ones are an error", () => {
    const m = matrixFromJson([[[1, 2], [3, 4]], [[5, 6], [7, NaN]]]);
    expect(m.shape).toEqual([2, 2, 2]);
    expect(Array.from(m.data)).toEqual([1, 2, 3, 4, 5, 6, 7, NaN]);
    expect(matrixFromJson(2.5).shape).toEqual([]);
    expect(matrixFromJson([]).shape).toEqual([0]);
    expect(() => matrixFromJson([[1, 2], [3]])).toThrow(FormatError);
    expect(() => matrixFromJson([[1, 2], 3])).toThrow(FormatError);
    expect(() => matrixFromJson([["a"]])).toThrow(FormatError);
    expect(Array.from(matrixFromJson([null, true, "2.5"]).data)).toEqual([NaN, 1, 2.5]);
  });

  test("writes nested arrays with Python's float text", () => {
    expect(writeNestedJson(new Float64Array([1, 1e-5, NaN, 1e16]), [2, 2])).toBe("[[1.0, 1e-05], [NaN, 1e+16]]");
    expect(writeNestedJson(new Float64Array([3]), [])).toBe("3.0");
  });

  test("every float64 survives a round trip to the bit", () => {
    const values = new Float64Array([0.1, 1 / 3, 5e-324, 1.7976931348623157e308, -0, 123456.789e-200]);
    const text = writeNestedJson(values, [values.length]);
    const back = matrixFromJson(parseJson(text)).data;
    expect(Buffer.from(back.buffer).equals(Buffer.from(values.buffer))).toBe(true);
  });
});

describe("JSON documents keep every number", () => {
  const fc: typeof import("fast-check") = require("fast-check");
  test("-0, subnormals, extremes and NaN/Infinity survive stringify + parse, at any depth", () => {
    const double = fc.double();
    const doc = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: "small" }, double, fc.string(), fc.boolean(), fc.constant(null), tie("list"), tie("object")),
      list: fc.array(tie("node"), { maxLength: 5 }),
      object: fc.dictionary(fc.string(), tie("node"), { maxKeys: 5, noNullPrototype: true }),
    })).object;
    fc.assert(
      fc.property(doc, (value) => {
        expect(parseJson(stringifyJson(value))).toStrictEqual(value);
      }),
      { numRuns: 500 },
    );
    expect(stringifyJson([-0, 0, 5e-324, -1.7976931348623157e308])).toBe("[-0.0,0,5e-324,-1.7976931348623157e+308]");
    // Python would read 123456789012345680000 as an int that is not the float
    expect(stringifyJson([1.2345678901234568e20, 1e16, 9999999999999998, 0.0001, 0.00001])).toBe(
      "[1.2345678901234568e+20,1e+16,9999999999999998,0.0001,1e-05]",
    );
    expect(Object.is((parseJson("[-0.0]") as number[])[0], -0)).toBe(true);
  });

  test("numbers are written as jsonNumber writes them, everything else as JSON.stringify", () => {
    const out = Buffer.alloc(MAX_FLOAT_TEXT);
    const numberText = (x: number) => out.toString("latin1", 0, writeJsonNumber(out, 0, x));
    const doubles = fc.oneof(fc.double(), fc.integer(), fc.double({ min: -1e17, max: 1e17 }).map(Math.round), fc.double({ min: 1e-5, max: 1e-3 }));
    fc.assert(
      fc.property(doubles, (x) => {
        expect(numberText(x)).toBe(jsonNumber(x));
      }),
      { numRuns: 20000 },
    );
    for (const x of [0, -0, 1, -1, 9, 10, -10, 100, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, 1e16, -1e16, 9999999999999998, 1e15 + 0.5, 0.0001, 0.00009999999999999999, 2 ** 53, NaN, Infinity, -Infinity]) {
      expect(numberText(x)).toBe(jsonNumber(x));
    }
    // without numbers, the text is JSON.stringify's: strings (unicode, quotes, controls, lone surrogates), keys, nesting
    const doc = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: "small" }, fc.string({ unit: "binary" }), fc.string(), fc.boolean(), fc.constant(null), tie("list"), tie("object")),
      list: fc.array(tie("node"), { maxLength: 5 }),
      object: fc.dictionary(fc.string({ unit: "binary" }), tie("node"), { maxKeys: 5, noNullPrototype: true }),
    })).node;
    fc.assert(
      fc.property(doc, (value) => {
        expect(encodeJson(value).toString("utf8")).toBe(JSON.stringify(value));
      }),
      { numRuns: 2000 },
    );
    const big = Array.from({ length: 5000 }, (_, i) => ({ [`k${i}`]: [i / 7, `x"${i}\u00e9\ud800`, [true, null]] }));
    expect(encodeJson(big).toString("utf8")).toBe(JSON.stringify(big));
  });

  test("a string that looks like a token stays a string", () => {
    const tricky = { s: "\u0000NaN", t: "Infinity", v: NaN };
    expect(parseJson(stringifyJson(tricky))).toStrictEqual(tricky);
  });
});
