// CSV as pandas writes it (DataFrame.to_csv()) and reads it
// (read_csv(..., index_col=0, float_precision="round_trip")).
import { formatLabels, inferLabels } from "./labels";
import { as2d, FormatError, rangeLabels, type Labels, type Matrix } from "./matrix";
import { pyFloat } from "./pyfloat";

const NA_TOKENS = new Set([
  "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
  "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
]);

export function readCsv(text: string): Matrix {
  const rows = parseRecords(text).filter((r) => !(r.length === 1 && r[0] === ""));
  if (rows.length === 0) throw new FormatError("the CSV is empty: a header row is required");
  const [header, ...body] = rows;
  const columns = header.slice(1);
  const cols = columns.length;
  const data = new Float64Array(body.length * cols);
  const index: string[] = [];
  body.forEach((row, r) => {
    if (row.length > cols + 1) {
      throw new FormatError(`CSV line ${r + 2} has ${row.length} fields, the header has ${cols + 1}`);
    }
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

function parseCell(cell: string, line: number, column: string): number {
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

function parseQuotedRecords(text: string): string[][] {
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
  const { rows, cols } = as2d(m);
  const columns: Labels = m.columns ?? rangeLabels(cols);
  const index: Labels = m.index ?? rangeLabels(rows);
  const header = ["", ...formatLabels(columns)].map(quote).join(",");
  const rowLabels = formatLabels(index).map(quote);
  const lines = [header];
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
