// CSV as pandas writes it (DataFrame.to_csv()) and reads it
// (read_csv(..., index_col=0, float_precision="round_trip")).
import { isAscii } from "node:buffer";
import { formatLabels, inferLabels } from "./labels";
import { as2d, FormatError, rangeLabels, type Labels, type Matrix } from "./matrix";
import { pyFloat } from "./pyfloat";

const NA_TOKENS = new Set([
  "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
  "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
]);

export function readCsv(text: string): Matrix {
  // Without quotes, and with \r only in \r\n, lines and fields are found in place
  if (!text.includes('"') && !/\r(?!\n)/.test(text)) return readPlainCsv([text], countLines(text));
  return readRecords(parseRecords(text));
}

/**
 * readCsv(body.toString("utf8")), without the text of the whole body when it is ASCII
 * (as pandas writes numbers): then the body is read a block of lines at a time.
 */
export function decodeCsv(body: Buffer): Matrix {
  if (!isAscii(body) || body.includes(0x22 /* " */) || hasLoneCr(body)) return readCsv(body.toString("utf8"));
  let lines = 1;
  for (let i = body.indexOf(0x0a); i >= 0; i = body.indexOf(0x0a, i + 1)) lines++;
  return readPlainCsv(blocksOfLines(body), lines);
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

function countLines(text: string): number {
  let lines = 1;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) lines++;
  return lines;
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

export function tooLong(line: number, fields: number, cols: number): FormatError {
  return new FormatError(`CSV line ${line} has ${fields} fields, the header has ${cols + 1}`);
}

/**
 * readRecords(parseRecords(text)) for text without quotes or lone \r, given in blocks of
 * whole lines, without an array or a string per line: each cell is cut from the text and
 * read in place. Blank lines are skipped; a line's \r before its \n is not part of it.
 * `lines` is at least the number of lines, so the values are allocated once.
 */
function readPlainCsv(blocks: Iterable<string>, lines: number): Matrix {
  let columns: string[] | null = null;
  let cols = 0;
  let data = new Float64Array(0);
  const index: string[] = [];
  let r = 0;
  for (const text of blocks) {
    const n = text.length;
    for (let pos = 0, next = 0; pos < n; pos = next) {
      let end = text.indexOf("\n", pos);
      if (end < 0) end = next = n;
      else next = end + 1;
      if (end > pos && text.charCodeAt(end - 1) === 13) end--;
      if (end === pos) continue; // a blank line
      if (columns === null) {
        columns = text.slice(pos, end).split(",").slice(1);
        cols = columns.length;
        data = new Float64Array((lines - 1) * cols);
        continue;
      }
      let comma = text.indexOf(",", pos);
      if (comma < 0 || comma > end) comma = end;
      index.push(text.slice(pos, comma));
      let at = r * cols;
      let c = 0;
      while (comma < end) {
        const start = comma + 1;
        comma = text.indexOf(",", start);
        if (comma < 0 || comma > end) comma = end;
        if (c === cols) throw tooLong(r + 2, fieldCount(text, pos, end), cols);
        if (comma === start) {
          data[at++] = NaN;
        } else {
          const cell = text.slice(start, comma);
          const v = Number(cell);
          if (v === v && startsLikeNumber(cell)) {
            data[at++] = v;
          } else {
            try {
              data[at++] = parseCell(cell, r + 2, columns[c]);
            } catch (error) {
              // a line with too many fields is refused before any of its cells is read
              const fields = fieldCount(text, pos, end);
              throw fields > cols + 1 ? tooLong(r + 2, fields, cols) : error;
            }
          }
        }
        c++;
      }
      for (; c < cols; c++) data[at++] = NaN; // a short row: missing cells are empty
      r++;
    }
  }
  if (columns === null) throw new FormatError("the CSV is empty: a header row is required");
  return {
    shape: [r, cols],
    data: r * cols === data.length ? data : data.slice(0, r * cols),
    columns: { kind: "string", values: columns },
    index: inferLabels(index),
  };
}

/**
 * parseCell's fast case: text that starts like a decimal number (not 0x, 0o, 0b), for
 * which Number() is what pandas reads when it is not NaN.
 */
export function startsLikeNumber(cell: string): boolean {
  const first = cell.charCodeAt(0);
  const second = cell.charCodeAt(1);
  return ((first >= 48 && first <= 57) || first === 45 || first === 46 || first === 43) && second !== 120 && second !== 111 && second !== 98;
}

export function fieldCount(text: string, start: number, end: number): number {
  let count = 1;
  for (let i = text.indexOf(",", start); i >= 0 && i < end; i = text.indexOf(",", i + 1)) count++;
  return count;
}

export function parseCell(cell: string, line: number, column: string): number {
  if (cell !== "") {
    const fast = Number(cell);
    // Number() also takes hex, binary and blank text, which pandas does not read as numbers
    if (!Number.isNaN(fast) && cell.charCodeAt(1) !== 120 && cell.charCodeAt(1) !== 111 && cell.charCodeAt(1) !== 98 && cell.trim() !== "") return fast;
  }
  const t = cell.trim();
  if (NA_TOKENS.has(t)) return NaN;
  const lower = t.toLowerCase();
  if (lower === "inf" || lower === "+inf" || lower === "infinity" || lower === "+infinity") return Infinity;
  if (lower === "-inf" || lower === "-infinity") return -Infinity;
  const v = Number(t);
  if (Number.isNaN(v) || /^0[xob]/i.test(t)) {
    throw new FormatError(`CSV line ${line}, column '${column}': '${cell}' is not a number`);
  }
  return v;
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

export function parseQuotedRecords(text: string): string[][] {
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

function quote(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

/** A 2-D frame as DataFrame.to_csv() writes it: index column, header, NaN as an empty cell. */
export function writeCsv(m: Matrix): string {
  return encodeCsv(m).toString("utf8");
}

/** The longest text pyFloat gives, "-2.2250738585072014e-308", and its comma. */
const MAX_CELL = 25;
/** Cells are gathered into a string of about this many characters, then written out at once. */
const CHUNK = 1 << 15;

/**
 * writeCsv's text as UTF-8 bytes (without the header line when options.header is false:
 * the rows of a part of a frame), written straight into one buffer. The buffer is sized for
 * the longest cells; the pages past the end are never touched, so they cost no memory.
 */
export function encodeCsv(m: Matrix, options: { header?: boolean } = {}): Buffer {
  const { rows, cols } = as2d(m);
  const index: Labels = m.index ?? rangeLabels(rows);
  const header = options.header === false ? "" : ["", ...formatLabels(m.columns ?? rangeLabels(cols))].map(quote).join(",") + "\n";
  const rowLabels = formatLabels(index).map(quote);
  const ascii = rowLabels.every((label) => !/[^\x00-\x7f]/.test(label));
  let size = Buffer.byteLength(header, "utf8") + rows * (cols * MAX_CELL + 1);
  for (const label of rowLabels) size += Buffer.byteLength(label, "utf8");
  const out = Buffer.allocUnsafe(size);
  let at = out.write(header, 0, "utf8");
  const data = m.data;
  let text = "";
  for (let r = 0, i = 0; r < rows; r++) {
    if (ascii) text += rowLabels[r];
    else {
      at += out.write(text, at, "latin1");
      text = "";
      at += out.write(rowLabels[r], at, "utf8");
    }
    for (let end = i + cols; i < end; i++) {
      const v = data[i];
      const abs = v < 0 ? -v : v;
      // pyFloat's first case inline: String(v), and ".0" after a whole number
      if (abs >= 1e-4 && abs < 1e16) text += v % 1 === 0 ? `,${v}.0` : `,${v}`;
      else if (v !== v) text += ",";
      else text += `,${pyFloat(v)}`;
      if (text.length > CHUNK) {
        at += out.write(text, at, "latin1");
        text = "";
      }
    }
    text += "\n";
  }
  at += out.write(text, at, "latin1");
  return out.subarray(0, at);
}
