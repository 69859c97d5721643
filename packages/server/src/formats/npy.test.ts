import fs from "node:fs";
import path from "node:path";
import { FormatError } from "./matrix";
import { readNpy, writeNpy } from "./npy";
import { fromHex } from "./testing";

const dir = path.join(__dirname, "../../test/fixtures/npy");
const expected: Record<string, { shape: number[]; values: string[] }> = JSON.parse(
  fs.readFileSync(path.join(dir, "expected.json"), "utf8"),
);

describe("NPY", () => {
  test.each(Object.keys(expected))("reads numpy's %s exactly", (name) => {
    const m = readNpy(fs.readFileSync(path.join(dir, `${name}.npy`)));
    expect(m.shape).toEqual(expected[name].shape);
    expect(Array.from(m.data)).toEqual(expected[name].values.map(fromHex));
  });

  test("a matrix without values has axes of at most 1000000", () => {
    for (const shape of [[1_000_000, 0], [0, 1_000_000], [0, 0, 1_000_000]]) expect(readNpy(writeNpy(new Float64Array(0), shape)).shape).toEqual(shape);
    for (const shape of [[1_000_001, 0], [0, 1_000_001]]) expect(() => readNpy(writeNpy(new Float64Array(0), shape))).toThrow(/axes of at most 1000000, not 1000001/);
    // with values, an axis is bounded by them
    expect(readNpy(writeNpy(new Float64Array(2_000_000), [2_000_000, 1])).shape).toEqual([2_000_000, 1]);
  });

  test.each(["f8_2d", "f8_1d", "f8_3d", "f8_scalar", "f8_100x3"])("writes %s byte for byte as numpy does", (name) => {
    const file = fs.readFileSync(path.join(dir, `${name}.npy`));
    const m = readNpy(file);
    expect(writeNpy(m.data, m.shape).equals(file)).toBe(true);
  });

  test("rejects what is not NPY or not a real number type", () => {
    expect(() => readNpy(Buffer.from("hello world, not numpy"))).toThrow(FormatError);
    const file = fs.readFileSync(path.join(dir, "f8_2d.npy"));
    expect(() => readNpy(file.subarray(0, file.length - 8))).toThrow(/truncated/);
    const complex = Buffer.from(file);
    complex.write("'<c16'", complex.indexOf("'<f8'"), "latin1");
    expect(() => readNpy(complex)).toThrow(FormatError);
  });
});
