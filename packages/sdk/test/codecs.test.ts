// The SDK's NPY and CSV readers against files numpy and pandas wrote (the server's fixtures).
import fs from "node:fs";
import path from "node:path";
import { encodeNpy, NpyError, parseFrameCsv, parseJson, parseNpy } from "../src";
import { fromHex } from "./server";

const FIXTURES = path.join(__dirname, "..", "..", "server", "test", "fixtures");
const read = (...p: string[]) => fs.readFileSync(path.join(FIXTURES, ...p));

describe("parseNpy reads what numpy wrote", () => {
  const expected: Record<string, { shape: number[]; values: string[] }> = JSON.parse(read("npy", "expected.json").toString());
  test.each(Object.keys(expected))("%s", (name) => {
    const { data, shape } = parseNpy(read("npy", `${name}.npy`));
    expect(shape).toEqual(expected[name].shape);
    expect(Array.from(data)).toEqual(expected[name].values.map(fromHex));
  });
  test("refuses what is not NPY", () => {
    expect(() => parseNpy(new TextEncoder().encode("not numpy at all"))).toThrow(NpyError);
  });
});

test("encodeNpy writes numpy's own bytes, and reads back bit-exact", () => {
  const fixture = read("npy", "f8_2d.npy");
  const { data, shape } = parseNpy(fixture);
  expect(Buffer.from(encodeNpy(data, shape))).toEqual(fixture);
  const awkward = [5e-324, -0, 1.7976931348623157e308, 0.1 + 0.2, NaN, -Infinity];
  const back = parseNpy(encodeNpy(awkward, [3, 2]));
  expect(back.shape).toEqual([3, 2]);
  expect(Array.from(back.data)).toEqual(awkward);
  expect(Object.is(back.data[1], -0)).toBe(true);
  expect(() => encodeNpy([1, 2, 3], [2, 2])).toThrow(NpyError);
});

describe("parseFrameCsv reads what pandas wrote", () => {
  const expected: Record<string, { shape: number[]; columns: string[]; index: string[]; values: string[] }> = JSON.parse(
    read("csv", "expected.json").toString(),
  );
  test.each(Object.keys(expected))("%s", (name) => {
    const frame = parseFrameCsv(read("csv", `${name}.csv`).toString());
    const want = expected[name];
    expect(frame.shape).toEqual(want.shape);
    expect(frame.columns!.map(String)).toEqual(want.columns);
    expect(frame.index!.map(String)).toEqual(want.index);
    expect(Array.from(frame.data)).toEqual(want.values.map(fromHex));
  });
});

test("parseJson reads Python's NaN and Infinity tokens, and leaves strings alone", () => {
  expect(parseJson('{"a": NaN, "b": [Infinity, -Infinity, 1e3], "c": "NaN \\" Infinity", "d": {"NaN": -0.5}}')).toEqual({
    a: NaN,
    b: [Infinity, -Infinity, 1000],
    c: 'NaN " Infinity',
    d: { NaN: -0.5 },
  });
});
