// CSV as pandas writes it (DataFrame.to_csv()) and reads it
// (read_csv(..., index_col=0, float_precision="round_trip")).
import { isAscii } from "node:buffer";
import { parseCell, parseQuotedRecords, tooLong } from "./csvCells";
import { CsvMatrixReader } from "./csvStream";
import { formatLabels, inferLabels } from "./labels";
import { as2d, FormatError, rangeLabels, type Labels, type Matrix } from "./matrix";
import { bufferFor, MAX_FLOAT_TEXT, writeAscii, writePyFloat } from "./floatText";

export function readCsv(text: string): Matrix {
  // Without quotes, and with \r only in \r\n, lines and fields are found in place
  if (!text.includes('"') && !/\r(?!\n)/.test(text)) return readPlainCsv([text]);
  return readRecords(parseRecords(text));
}

/**
 * readCsv(body.toString("utf8")), without the text of the whole body when it is ASCII
 * (as pandas writes numbers): then the body is read a block of lines at a time.
 */
export function decodeCsv(body: Buffer): Matrix {
  if (!isAscii(body) || body.includes(0x22 /* " */) || hasLoneCr(body)) return readCsv(body.toString("utf8"));
  return readPlainCsv(blocksOfLines(body));
}

/** Latin-1 text (the same as UTF-8 for ASCII) of about BLOCK bytes, cut after a \n. */
function* blocksOfLines(body: Buffer): Generator<string> {
  for (let start = 0; start < body.length; ) {
    const newline = body.indexOf(0x0a, start + BLOCK);
    const end = newline < 0 ? body.length : newline + 1;
    yield body.toString("latin1", start, end);
    start = end;
  }
}

const BLOCK = 1 << 16;

function hasLoneCr(body: Buffer): boolean {
  for (let i = body.indexOf(0x0d); i >= 0; i = body.indexOf(0x0d, i + 1)) if (body[i + 1] !== 0x0a) return true;
  return false;
}

function readRecords(records: string[][]): Matrix {
  const rows = records.filter((r) => !(r.length === 1 && r[0] === ""));
  if (rows.length === 0) throw new FormatError("the CSV is empty: a header row is required");
  const [header, ...body] = rows;
  const columns = header.slice(1);
  const cols = columns.length;
  const data = new Float64Array(body.length * cols);
  const index: string[] = [];
  body.forEach((row, r) => {
    if (row.length > cols + 1) throw tooLong(r + 2, row.length, cols);
    index.push(row[0]);
    for (let c = 0; c < cols; c++) {
      const cell = c + 1 < row.length ? row[c + 1] : "";
      data[r * cols + c] = parseCell(cell, r + 2, columns[c]);
    }
  });
  return {
    shape: [body.length, cols],
    data,
    columns: { kind: "string", values: columns },
    index: inferLabels(index),
  };
}

/**
 * readRecords(parseRecords(text)) for text without quotes or lone \r, given in blocks of
 * whole lines: CsvMatrixReader's in-place reading of lines, the values joined once.
 */
function readPlainCsv(blocks: Iterable<string>): Matrix {
  const reader = new CsvMatrixReader();
  for (const text of blocks) reader.lines(text);
  const { shape, blocks: values, columns, index } = reader.end();
  if (values.length === 1) return { shape, data: values[0], columns, index };
  const data = new Float64Array(shape[0] * shape[1]);
  let at = 0;
  for (const block of values) {
    data.set(block, at);
    at += block.length;
  }
  return { shape, data, columns, index };
}

/** RFC 4180 records, as Python's csv module reads them; lines without quotes take a fast path. */
function parseRecords(text: string): string[][] {
  if (!text.includes('"')) {
    const lines = text.split(/\r?\n|\r/);
    if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
    return lines.map((line) => line.split(","));
  }
  return parseQuotedRecords(text);
}

function quote(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

/** A 2-D frame as DataFrame.to_csv() writes it: index column, header, NaN as an empty cell. */
export function writeCsv(m: Matrix): string {
  return encodeCsv(m).toString("utf8");
}

/**
 * writeCsv's text as UTF-8 bytes (without the header line when options.header is false:
 * the rows of a part of a frame), written straight into one buffer: options.into when the
 * longest cells would fit in it (the answer is then a view of it), else a new one sized for
 * them, whose pages past the end are never touched, so they cost no memory.
 */
export function encodeCsv(m: Matrix, options: { header?: boolean; into?: Uint8Array } = {}): Buffer {
  const { rows, cols } = as2d(m);
  const index: Labels = m.index ?? rangeLabels(rows);
  const header = options.header === false ? "" : ["", ...formatLabels(m.columns ?? rangeLabels(cols))].map(quote).join(",") + "\n";
  const rowLabels = formatLabels(index).map(quote);
  const ascii = rowLabels.every((label) => !/[^\x00-\x7f]/.test(label));
  let size = Buffer.byteLength(header, "utf8") + rows * (cols * (MAX_FLOAT_TEXT + 1) + 1);
  for (const label of rowLabels) size += Buffer.byteLength(label, "utf8");
  const out = bufferFor(size, options.into);
  let at = out.write(header, 0, "utf8");
  const data = m.data;
  for (let r = 0, i = 0; r < rows; r++) {
    at = ascii ? writeAscii(out, at, rowLabels[r]) : at + out.write(rowLabels[r], at, "utf8");
    for (let end = i + cols; i < end; i++) {
      const v = data[i];
      out[at++] = 0x2c; // ,
      if (v === v) at = writePyFloat(out, at, v); // NaN: an empty cell
    }
    out[at++] = 0x0a;
  }
  return out.subarray(0, at);
}
