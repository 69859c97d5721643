import { AppError } from "../../errors";
import { matrixParams } from "./matrices";

describe("a matrix's labels as stored text", () => {
  test("labels longer than a JavaScript string may be are a 422 naming them, not a driver or engine error", () => {
    const long = "x".repeat(270_000_000); // one string held twice: over the ~537 M characters a string may have
    for (const values of [
      [long, long], // all strings (JSON.stringify)
      [long, long, 1], // mixed (the JSON writer)
    ]) {
      const labels = { kind: "string" as const, values };
      let error: unknown;
      try {
        matrixParams({ shape: [1, values.length], data: new Float64Array(values.length), blobKey: null, columns: labels, index: null });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).status).toBe(422);
      expect((error as Error).message).toContain(`${values.length} labels are more text than can be stored`);
    }
  });

  test("labels are stored as their JSON text", () => {
    const [, , columns, index] = matrixParams({
      shape: [2, 2],
      data: new Float64Array(4),
      blobKey: null,
      columns: { kind: "string", values: ["a", "b"] },
      index: { kind: "int", values: [3, -0] },
    });
    expect(JSON.parse(String(columns))).toEqual({ kind: "string", values: ["a", "b"] });
    expect(index).toBe('{"kind":"int","values":[3,-0.0]}');
  });
});
