import fs from "node:fs";
import path from "node:path";
import { readCsv, writeCsv } from "./csv";
import { formatLabels } from "./labels";
import { FormatError } from "./matrix";
import { fromHex } from "./testing";

const dir = path.join(__dirname, "../../test/fixtures/csv");
const expected: Record<string, { shape: number[]; columns: string[]; index: string[]; values: string[] }> = JSON.parse(
  fs.readFileSync(path.join(dir, "expected.json"), "utf8"),
);

describe("CSV as pandas writes and reads it", () => {
  test.each(Object.keys(expected))("reads pandas' %s like read_csv(index_col=0)", (name) => {
    const m = readCsv(fs.readFileSync(path.join(dir, `${name}.csv`), "utf8"));
    expect(m.shape).toEqual(expected[name].shape);
    expect(formatLabels(m.columns!)).toEqual(expected[name].columns);
    expect(formatLabels(m.index!)).toEqual(expected[name].index);
    expect(Array.from(m.data)).toEqual(expected[name].values.map(fromHex));
  });

  test.each(Object.keys(expected))("writes %s byte for byte as to_csv() does", (name) => {
    const text = fs.readFileSync(path.join(dir, `${name}.csv`), "utf8");
    expect(writeCsv(readCsv(text))).toBe(text);
  });

  test("frames without labels get 0..n-1", () => {
    expect(writeCsv({ shape: [2, 2], data: new Float64Array([1, 2, 3, NaN]), columns: null, index: null })).toBe(
      ",0,1\n0,1.0,2.0\n1,3.0,\n",
    );
  });

  test("datetime labels print as pandas prints them", () => {
    const m = {
      shape: [1, 2],
      data: new Float64Array([1, 2]),
      columns: { kind: "datetime" as const, values: ["2010-01-01T00:00:00", "2010-02-01T00:00:00"] },
      index: { kind: "datetime" as const, values: ["2020-01-01T12:30:00"] },
    };
    expect(writeCsv(m)).toBe(",2010-01-01,2010-02-01\n2020-01-01 12:30:00,1.0,2.0\n");
  });

  test("a cell that is not a number, a row too long, or no header is an error", () => {
    expect(() => readCsv(",a\n0,hello\n")).toThrow(FormatError);
    expect(() => readCsv(",a\n0,1,2\n")).toThrow(FormatError);
    expect(() => readCsv("")).toThrow(FormatError);
  });

  test("CRLF lines, blank lines and NA spellings", () => {
    const m = readCsv(",a,b\r\n0,NA,1\r\n\r\n1,,-inf\r\n");
    expect(m.shape).toEqual([2, 2]);
    expect(Array.from(m.data)).toEqual([NaN, 1, NaN, -Infinity]);
  });
});
