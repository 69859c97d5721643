// Matrices as the SDK hands them out: float64 values in C order, the shape, and the
// row and column labels where the server has them. Parses the pandas-style CSV frames
// the server writes (header row of column labels, first column the row index).

export type Label = string | number;

export interface Matrix {
  /** values in C (row-major) order; missing cells are NaN */
  data: Float64Array;
  shape: number[];
  /** column labels (the last axis), null when the record has none */
  columns: Label[] | null;
  /** row labels (realization indices for stacked per-realization records), null when unknown */
  index: Label[] | null;
}

export class CsvError extends Error {}

/** Labels read as text become numbers when every one is a number, as pandas infers an index. */
export function inferLabels(texts: string[]): Label[] {
  if (texts.length > 0 && texts.every((t) => /^[+-]?\d+$/.test(t) && Number.isSafeInteger(Number(t)))) return texts.map(Number);
  if (texts.length > 0 && texts.every((t) => t.trim() !== "" && !Number.isNaN(Number(t)))) return texts.map(Number);
  return texts;
}

function cellValue(cell: string): number {
  if (cell === "") return NaN;
  const v = Number(cell);
  if (!Number.isNaN(v)) return v;
  const lower = cell.trim().toLowerCase();
  if (lower === "inf" || lower === "+inf" || lower === "infinity") return Infinity;
  if (lower === "-inf" || lower === "-infinity") return -Infinity;
  if (lower === "nan" || lower === "") return NaN;
  throw new CsvError(`'${cell}' is not a number`);
}

/** RFC 4180 records (quoted fields may hold commas, quotes and newlines). */
function records(text: string): string[][] {
  const out: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      record.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      record.push(field);
      out.push(record);
      record = [];
      field = "";
    } else field += ch;
  }
  if (field !== "" || record.length > 0) {
    record.push(field);
    out.push(record);
  }
  return out;
}

/** A frame as DataFrame.to_csv() writes it. Rows shorter than the header are padded with NaN. */
export function parseFrameCsv(text: string): Matrix {
  let rows: string[][];
  if (text.includes('"')) rows = records(text);
  else {
    const lines = text.split(/\r?\n/);
    if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
    rows = lines.map((line) => line.split(","));
  }
  if (rows.length === 0) throw new CsvError("empty CSV");
  const header = rows[0];
  const columns = inferLabels(header.slice(1));
  const width = columns.length;
  const body = rows.length - 1;
  const data = new Float64Array(body * width).fill(NaN);
  const index: string[] = new Array(body);
  for (let r = 0; r < body; r++) {
    const cells = rows[r + 1];
    index[r] = cells[0];
    const n = Math.min(cells.length - 1, width);
    const base = r * width;
    for (let c = 0; c < n; c++) data[base + c] = cellValue(cells[c + 1]);
  }
  return { data, shape: [body, width], columns, index: inferLabels(index) };
}

/** Row `r` of a 2-D matrix, without copying. */
export function row(m: Matrix, r: number): Float64Array {
  const width = m.shape.length > 1 ? m.shape[m.shape.length - 1] : m.data.length;
  return m.data.subarray(r * width, (r + 1) * width);
}

/** Column `c` of a 2-D matrix, copied. */
export function column(m: Matrix, c: number): Float64Array {
  const rows = m.shape.length > 1 ? m.shape[0] : 1;
  const width = m.shape.length > 1 ? m.shape[m.shape.length - 1] : m.data.length;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) out[r] = m.data[r * width + c];
  return out;
}
