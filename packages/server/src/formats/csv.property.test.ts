// The CSV writer and readers give what they gave before they were made fast (the old
// ones are kept here, only to compare with): the same bytes, the same frames, the same errors.
import fc from "fast-check";
import { decodeCsv, encodeCsv, readCsv, writeCsv } from "./csv";
import { formatLabels, inferLabels } from "./labels";
import { as2d, FormatError, rangeLabels, type Labels, type Matrix } from "./matrix";
import { pyFloat } from "./pyfloat";
import { anyMatrix, sameBits } from "./testing";

// ---- the old implementation, as it was ----
const NA_TOKENS = new Set([
  "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
  "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
]);

function oldReadCsv(text: string): Matrix {
  const rows = oldParseRecords(text).filter((r) => !(r.length === 1 && r[0] === ""));
  if (rows.length === 0) throw new FormatError("the CSV is empty: a header row is required");
  const [header, ...body] = rows;
  const columns = header.slice(1);
  const cols = columns.length;
  const data = new Float64Array(body.length * cols);
  const index: string[] = [];
  body.forEach((row, r) => {
    if (row.length > cols + 1) throw new FormatError(`CSV line ${r + 2} has ${row.length} fields, the header has ${cols + 1}`);
    index.push(row[0]);
    for (let c = 0; c < cols; c++) data[r * cols + c] = oldParseCell(c + 1 < row.length ? row[c + 1] : "", r + 2, columns[c]);
  });
  return { shape: [body.length, cols], data, columns: { kind: "string", values: columns }, index: inferLabels(index) };
}

function oldParseCell(cell: string, line: number, column: string): number {
  if (cell !== "") {
    const fast = Number(cell);
    if (!Number.isNaN(fast) && cell.charCodeAt(1) !== 120 && cell.charCodeAt(1) !== 111 && cell.charCodeAt(1) !== 98 && cell.trim() !== "") return fast;
  }
  const t = cell.trim();
  if (NA_TOKENS.has(t)) return NaN;
  const lower = t.toLowerCase();
  if (lower === "inf" || lower === "+inf" || lower === "infinity" || lower === "+infinity") return Infinity;
  if (lower === "-inf" || lower === "-infinity") return -Infinity;
  const v = Number(t);
  if (Number.isNaN(v) || /^0[xob]/i.test(t)) throw new FormatError(`CSV line ${line}, column '${column}': '${cell}' is not a number`);
  return v;
}

function oldParseRecords(text: string): string[][] {
  if (!text.includes('"')) {
    const lines = text.split(/\r?\n|\r/);
    if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
    return lines.map((line) => line.split(","));
  }
  const records: string[][] = [];
  let field = "";
  let record: string[] = [];
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
      i++;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === ",") {
      record.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      record.push(field);
      records.push(record);
      record = [];
      field = "";
      if (c === "\r" && text[i + 1] === "\n") i++;
    } else field += c;
    i++;
  }
  if (quoted) throw new FormatError("the CSV ends inside a quoted field");
  if (field !== "" || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

const quote = (field: string) => (/[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field);

function oldWriteCsv(m: Matrix): string {
  const { rows, cols } = as2d(m);
  const columns: Labels = m.columns ?? rangeLabels(cols);
  const index: Labels = m.index ?? rangeLabels(rows);
  const lines = [["", ...formatLabels(columns)].map(quote).join(",")];
  const rowLabels = formatLabels(index).map(quote);
  for (let r = 0; r < rows; r++) {
    const cells = [rowLabels[r]];
    for (let c = 0; c < cols; c++) {
      const v = m.data[r * cols + c];
      cells.push(Number.isNaN(v) ? "" : pyFloat(v));
    }
    lines.push(cells.join(","));
  }
  return lines.join("\n") + "\n";
}

// ---- comparisons ----
type Outcome = { error: string } | { shape: number[]; data: Float64Array; columns: Labels | null; index: Labels | null };

function outcome(read: () => Matrix): Outcome {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof FormatError)) throw error;
    return { error: error.message };
  }
}

function expectSame(a: Outcome, b: Outcome): void {
  if ("error" in a || "error" in b) {
    expect(a).toEqual(b);
    return;
  }
  expect(a.shape).toEqual(b.shape);
  expect(sameBits(a.data, b.data)).toBe(true);
  expect(a.columns).toEqual(b.columns);
  expect(a.index).toEqual(b.index);
}

/** Both readers of the new code (text and bytes) against the old reader. */
function expectReadsAsBefore(text: string): void {
  const before = outcome(() => oldReadCsv(text));
  expectSame(outcome(() => readCsv(text)), before);
  expectSame(outcome(() => decodeCsv(Buffer.from(text, "utf8"))), outcome(() => oldReadCsv(Buffer.from(text, "utf8").toString("utf8"))));
}

/** CSV-ish text: numbers of every spelling, NA words, junk, separators and line breaks of every kind. */
const csvText = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: fc.double().map((x) => (Number.isNaN(x) ? "" : pyFloat(x))) },
      { weight: 3, arbitrary: fc.constantFrom(",", ",", "\n", "\r\n", "\r", "\n\n") },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          "", " ", "NA", "nan", "-inf", "+Infinity", "inf", "0x10", "0b1", "0o7", "-0x1", "1e5", ".5", "+1", "1.", " 2 ", "\t3",
          "abc", '"', '"a,b"', '""', "é", "\u00a0", "1\u00a01", "-", "+", "1_0", "Infinity", "-nan", "None", "\ufeff1",
        ),
      },
      { weight: 1, arbitrary: fc.string({ maxLength: 4 }) },
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(""));

describe("CSV, property-based against the old implementation", () => {
  test("the writer's bytes are the old writer's, and reading them gives back the frame bit for bit", () => {
    fc.assert(
      fc.property(anyMatrix(6, 6), (m) => {
        const text = oldWriteCsv(m);
        const bytes = encodeCsv(m);
        expect(bytes.equals(Buffer.from(text, "utf8"))).toBe(true);
        expect(writeCsv(m)).toBe(Buffer.from(text, "utf8").toString("utf8"));
        expectReadsAsBefore(text);
        const { rows, cols } = as2d(m);
        // without columns, a frame's lines can be blank, and pandas' CSV cannot hold it
        if (cols === 0) return;
        const back = decodeCsv(bytes);
        expect(back.shape).toEqual([rows, cols]);
        // NaN is an empty cell and comes back as the one NaN; every other value bit for bit
        const want = Float64Array.from(m.data, (v) => (Number.isNaN(v) ? NaN : v));
        expect(sameBits(back.data, want)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test("any text reads as it did before: the same frame or the same error", () => {
    fc.assert(fc.property(csvText, (text) => expectReadsAsBefore(text)), { numRuns: 3000 });
  });

  test("header and rows built from cells of any spelling read as before", () => {
    const cell = fc.oneof(fc.double().map(pyFloat), fc.constantFrom("", "NA", " ", "x", "0x1", "inf", "-Infinity", "1e400", "-0", "5e-324", "1,2"));
    const line = fc.array(cell, { maxLength: 5 }).map((cells) => cells.join(","));
    const eol = fc.constantFrom("\n", "\r\n", "\r");
    fc.assert(
      fc.property(fc.array(fc.tuple(line, eol), { maxLength: 6 }), fc.boolean(), (lines, trailing) => {
        const text = lines.map(([l, e], i) => (i < lines.length - 1 || trailing ? l + e : l)).join("");
        expectReadsAsBefore(text);
      }),
      { numRuns: 3000 },
    );
  });

  test("a wide and a tall frame write and read as before", () => {
    for (const [rows, cols] of [
      [3, 20_000],
      [5_000, 2],
    ]) {
      const data = Float64Array.from({ length: rows * cols }, (_, i) => (i % 11 === 0 ? NaN : Math.sin(i) * 10 ** ((i % 13) - 6)));
      const m: Matrix = { shape: [rows, cols], data, columns: null, index: null };
      const text = oldWriteCsv(m);
      expect(encodeCsv(m).equals(Buffer.from(text))).toBe(true);
      expectReadsAsBefore(text);
      expectReadsAsBefore(text.replace(/\n/g, "\r\n"));
    }
  });
});
