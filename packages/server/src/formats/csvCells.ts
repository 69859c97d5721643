// Reading CSV cells and records as pandas does (read_csv(..., index_col=0,
// float_precision="round_trip")): shared by the whole-body reader (csv.ts) and the
// streaming one (csvStream.ts).
import { FormatError } from "./matrix";

const NA_TOKENS = new Set([
  "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
  "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
]);

export function tooLong(line: number, fields: number, cols: number): FormatError {
  return new FormatError(`CSV line ${line} has ${fields} fields, the header has ${cols + 1}`);
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
