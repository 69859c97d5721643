import fc from "fast-check";
import { types } from "pg";
import { parseInt4Array, TYPES, typeParser } from "./typeParsers";

const pgTypeParser = types.getTypeParser as (oid: number, format?: "text" | "binary") => unknown;
const pgParser = pgTypeParser(1007, "text") as (text: string) => unknown;
/** PostgreSQL's text of a one-dimensional int4[] */
const int4Text = (items: (number | null)[]) => `{${items.map((v) => (v === null ? "NULL" : String(v))).join(",")}}`;

describe("int4[] text", () => {
  test("reads as pg's parser reads it, for any array of int32s and NULLs", () => {
    const items = fc.array(fc.option(fc.integer(), { nil: null, freq: 8 }), { maxLength: 300 });
    fc.assert(
      fc.property(items, (list) => {
        const text = int4Text(list);
        expect(parseInt4Array(text)).toStrictEqual(list);
        expect(parseInt4Array(text)).toStrictEqual(pgParser(text));
      }),
      { numRuns: 3000 },
    );
    for (const list of [[], [0], [null], [-(2 ** 31), 2 ** 31 - 1], [null, null, 7]]) {
      expect(parseInt4Array(int4Text(list))).toStrictEqual(list);
    }
  });

  test("text it does not expect is pg's parser's to read", () => {
    for (const text of ["{{1,2},{3,4}}", "[0:1]={5,6}", "{1, 2}", "{NULLX}", "{1NULL}", "{,}", "{-}", "{1,,2}"]) {
      let expected: unknown;
      let expectedError: unknown;
      try {
        expected = pgParser(text);
      } catch (error) {
        expectedError = error;
      }
      if (expectedError) expect(() => parseInt4Array(text)).toThrow();
      else expect(parseInt4Array(text)).toStrictEqual(expected);
    }
    expect(parseInt4Array("{{1,2},{3,4}}")).toStrictEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(parseInt4Array("[0:1]={5,6}")).toStrictEqual([5, 6]);
  });

  test("the pool's parsers are pg's but for int4[] as text", () => {
    expect(TYPES.getTypeParser).toBe(typeParser);
    expect(typeParser(1007, "text")).toBe(parseInt4Array);
    expect(typeParser(1007)).toBe(parseInt4Array);
    expect(typeParser(1009, "text")).toBe(pgTypeParser(1009, "text"));
    expect(typeParser(1007, "binary")).toBe(pgTypeParser(1007, "binary"));
  });
});
