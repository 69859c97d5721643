import fc from "fast-check";
import { decodeCsv, encodeCsv } from "./csv";
import { CsvMatrixReader } from "./csvStream";
import { FormatError, type Matrix } from "./matrix";
import { anyMatrix, sameBits } from "./testing";

/** The body fed in pieces cut at the given places, as one matrix. */
function streamed(body: Buffer, cuts: number[]): Matrix {
  const reader = new CsvMatrixReader();
  let at = 0;
  for (const cut of cuts.map((c) => c % (body.length + 1)).sort((a, b) => a - b)) {
    reader.feed(body.subarray(at, Math.max(at, cut)));
    at = Math.max(at, cut);
  }
  reader.feed(body.subarray(at));
  const { shape, blocks, columns, index } = reader.end();
  const data = new Float64Array(blocks.reduce((a, b) => a + b.length, 0));
  let k = 0;
  for (const b of blocks) {
    data.set(b, k);
    k += b.length;
  }
  return { shape, data, columns, index };
}

function outcome(read: () => Matrix): Matrix | string {
  try {
    return read();
  } catch (error) {
    if (error instanceof FormatError) return `refused: ${error.message}`;
    throw error;
  }
}

function expectSame(got: Matrix | string, want: Matrix | string): void {
  if (typeof want === "string") return expect(got).toBe(want);
  expect(typeof got).toBe("object");
  const m = got as Matrix;
  expect(m.shape).toEqual(want.shape);
  expect(sameBits(m.data, want.data)).toBe(true);
  expect(m.columns).toEqual(want.columns);
  expect(m.index).toEqual(want.index);
}

/** CSV as pandas writes it (labels with quotes, commas and line breaks included), then changed the ways other writers differ. */
const anyCsv = fc
  .tuple(
    anyMatrix(5, 5),
    fc.constantFrom("as written", "CRLF", "lone CR", "blank lines", "NA words", "short rows", "spaces"),
  )
  .map(([m, how]) => {
    let text = encodeCsv(m).toString("utf8");
    if (how === "CRLF") text = text.replace(/\n/g, "\r\n");
    if (how === "lone CR") text = text.replace(/\n/g, "\r");
    if (how === "blank lines") text = text.replace(/\n/g, "\n\n");
    if (how === "NA words") text = text.replace(/,,/g, ",NA,").replace(/,\n/g, ",nan\n");
    if (how === "short rows") text = text.replace(/,[^,\n"]*\n/g, "\n");
    if (how === "spaces") text = text.replace(/,(?=[-\d])/g, ", ");
    return Buffer.from(text, "utf8");
  });

const cuts = fc.array(fc.nat(), { maxLength: 8 });

describe("CSV matrices read piece by piece", () => {
  test("the same matrix, labels and refusals as the whole-body reader, however the body is cut", () => {
    fc.assert(
      fc.property(anyCsv, cuts, (body, at) => {
        expectSame(
          outcome(() => streamed(body, at)),
          outcome(() => decodeCsv(body)),
        );
      }),
      { numRuns: 1500 },
    );
  });

  test("broken bodies: refused when the whole-body reader refuses them (which fault is named first may differ), else the same matrix", () => {
    const broken = fc.tuple(anyCsv, fc.nat(), fc.constantFrom("cut", "drop", "quote", "comma", "letter")).map(([body, n, how]) => {
      const at = body.length === 0 ? 0 : n % body.length;
      const insert = (s: string) => Buffer.concat([body.subarray(0, at), Buffer.from(s), body.subarray(at)]);
      if (how === "cut") return body.subarray(0, at);
      if (how === "drop") return Buffer.concat([body.subarray(0, at), body.subarray(at + 1)]);
      return insert(how === "quote" ? '"' : how === "comma" ? "," : "x");
    });
    fc.assert(
      fc.property(broken, cuts, (body, at) => {
        const got = outcome(() => streamed(body, at));
        const want = outcome(() => decodeCsv(body));
        if (typeof want === "string") expect(got).toMatch(/^refused: /);
        else expectSame(got, want);
      }),
      { numRuns: 1500 },
    );
  });

  test("many rows fill several blocks of whole rows, in order", () => {
    const rows = 3000;
    const cols = 700; // 2.1M values: three blocks of whole rows
    const data = Float64Array.from({ length: rows * cols }, (_, i) => (i % 11 === 0 ? NaN : Math.sin(i) * 1e3));
    const body = encodeCsv({ shape: [rows, cols], data, columns: null, index: null });
    const reader = new CsvMatrixReader();
    for (let at = 0; at < body.length; at += 65536) reader.feed(body.subarray(at, at + 65536));
    const { shape, blocks } = reader.end();
    expect(shape).toEqual([rows, cols]);
    expect(blocks.length).toBe(3);
    const joined = new Float64Array(rows * cols);
    let k = 0;
    for (const b of blocks) {
      joined.set(b, k);
      k += b.length;
    }
    expect(sameBits(joined, data)).toBe(true);
  });

  test("a quoted field with line breaks over many pieces, and characters cut in two", () => {
    const body = Buffer.from(`,"a\nb,""c""\r\n",\u00e6\u00f8\n0,1.5,2\n1,,inf\n`);
    const want = decodeCsv(body);
    for (let cut = 0; cut <= body.length; cut++) expectSame(streamed(body, [cut, cut + 3]), want);
    expect(want.columns!.values).toEqual(['a\nb,"c"\r\n', "\u00e6\u00f8"]);
  });
});
