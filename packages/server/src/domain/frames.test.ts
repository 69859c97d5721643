import { stackRows } from "./frames";

describe("stackRows", () => {
  test("stacks frames of hundreds of thousands of rows whose columns differ (the index was a spread, which overflowed the stack)", () => {
    const rows = 300_000;
    const frame = (column: string, value: number) => ({
      shape: [rows, 1],
      data: new Float64Array(rows).fill(value),
      columns: { kind: "string" as const, values: [column] },
      index: { kind: "int" as const, values: Array.from({ length: rows }, (_, i) => i) },
    });
    const stacked = stackRows([frame("a", 1), frame("b", 2)]);
    expect(stacked.shape).toEqual([2 * rows, 2]);
    expect(stacked.columns!.values).toEqual(["a", "b"]);
    expect(stacked.index!.values.length).toBe(2 * rows);
    expect(stacked.index!.values[rows]).toBe(0);
    expect([stacked.data[0], stacked.data[1], stacked.data[2 * rows], stacked.data[2 * rows + 1]]).toEqual([1, NaN, NaN, 2]);
  });
});
