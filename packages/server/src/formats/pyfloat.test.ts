import fs from "node:fs";
import path from "node:path";
import { pyFloat, pyJsonFloat } from "./pyfloat";
import { fromHex } from "./testing";

const fixtures: [string, string][] = JSON.parse(
  fs.readFileSync(path.join(__dirname, "../../test/fixtures/floats.json"), "utf8"),
);

describe("pyFloat", () => {
  test.each(fixtures)("writes %s as Python's repr does", (repr, hex) => {
    expect(pyFloat(fromHex(hex))).toBe(repr);
  });

  test("special values", () => {
    expect(pyFloat(NaN)).toBe("nan");
    expect(pyFloat(Infinity)).toBe("inf");
    expect(pyFloat(-Infinity)).toBe("-inf");
    expect(pyJsonFloat(NaN)).toBe("NaN");
    expect(pyJsonFloat(-Infinity)).toBe("-Infinity");
  });
});
