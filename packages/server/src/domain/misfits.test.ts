import { computeMisfits } from "./misfits";

describe("computeMisfits", () => {
  const obs = { values: [1, 2, 3], errors: [0.1, 0.2, 0.3], xAxis: ["C", "E", "H"] };
  const response = (values: number[]) => ({
    shape: [1, 4],
    data: new Float64Array(values),
    columns: { kind: "string" as const, values: ["C", "D", "E", "H"] },
    index: null,
  });

  test("sign(r - o) * ((r - o) / error)^2, matched by label", () => {
    // C: 1.5-1 = 0.5 -> 25; E: 1-2 = -1 -> -25; H: 3 -> 0
    const m = computeMisfits([{ realization: 4, matrix: response([1.5, 99, 1, 3]) }], obs, false);
    expect(m.shape).toEqual([1, 3]);
    expect(m.data[0]).toBeCloseTo(25, 10);
    expect(m.data[1]).toBeCloseTo(-25, 10);
    expect(m.data[2]).toBe(0);
    expect(m.index).toEqual({ kind: "int", values: [4] });
    expect(m.columns).toEqual({ kind: "string", values: ["C", "E", "H"] });
  });

  test("summary is the sum of absolute misfits", () => {
    const m = computeMisfits([{ realization: 0, matrix: response([1.5, 99, 1, 3]) }], obs, true);
    expect(m.shape).toEqual([1, 1]);
    expect(m.data[0]).toBeCloseTo(50, 10);
  });

  test("numeric x_axis matches unlabelled columns by position label", () => {
    const m = computeMisfits(
      [{ realization: 0, matrix: { shape: [3], data: new Float64Array([0, 2, 5]), columns: null, index: null } }],
      { values: [1, 1], errors: [1, 2], xAxis: [0, 2] },
      false,
    );
    expect(Array.from(m.data)).toEqual([-1, 4]);
    expect(m.columns).toEqual({ kind: "int", values: [0, 2] });
  });

  test("a label the response lacks is an error", () => {
    expect(() => computeMisfits([{ realization: 0, matrix: response([1, 2, 3, 4]) }], { ...obs, xAxis: ["C", "Q", "H"] }, false)).toThrow(/'Q'/);
    // an x_axis value that is an object or a list is named by its JSON text
    expect(() => computeMisfits([{ realization: 0, matrix: response([1, 2, 3, 4]) }], { ...obs, xAxis: ["C", { a: [1] }, "H"] }, false)).toThrow(`label '{"a":[1]}' of the observation`);
  });
});
