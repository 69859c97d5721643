// A CSV matrix read piece by piece as the body arrives, as decodeCsv reads it whole:
// the same values, labels and refusals (property tests), without the text of the body.
// Pieces are cut at the last record end outside quotes; the complete records are read
// at once, in place when they have no quotes and no lone \r (pandas' own output), else
// through the RFC 4180 record parser. Values go into blocks of whole rows.
import { isAscii } from "node:buffer";
import { fieldCount, parseCell, parseQuotedRecords, startsLikeNumber, tooLong } from "./csvCells";
import { LabelTexts } from "./labels";
import { FormatError, type Labels } from "./matrix";

/** Values per block of rows, about (8 MiB). */
const VALUE_BLOCK = 1 << 20;
/** V8's longest string: one record may not be longer. */
const MAX_RECORD = 512 * 1024 * 1024 - 64;

export interface StreamedCsv {
  shape: [number, number];
  /** the values row by row: blocks of whole rows, the last cut to size */
  blocks: Float64Array[];
  columns: Labels;
  index: Labels;
}

export class CsvMatrixReader {
  private columns: string[] | null = null;
  private cols = 0;
  private readonly index = new LabelTexts();
  private rows = 0;
  private readonly blocks: Float64Array[] = [];
  private block = new Float64Array(0);
  private blockRows = 0;
  /** the bytes after the last complete record, in pieces */
  private carry: Buffer[] = [];
  private carryBytes = 0;
  /** quote state at the end of the carry (an open quoted field goes on) */
  private quoted = false;

  feed(piece: Buffer): void {
    if (piece.length === 0) return;
    // where the last record ends in this piece, outside quotes (-1: not in this piece)
    let end = -1;
    if (!this.quoted && piece.indexOf(0x22 /* " */) < 0) {
      end = lastLineEnd(piece);
    } else {
      let quoted = this.quoted;
      let before = -1;
      for (let i = 0; i < piece.length; i++) {
        const c = piece[i];
        if (c === 0x22) quoted = !quoted;
        else if (!quoted && (c === 0x0a || c === 0x0d)) {
          before = end;
          end = i;
        }
      }
      this.quoted = quoted;
      // a \r last may be the first half of \r\n: the record ends before it
      if (end === piece.length - 1 && piece[end] === 0x0d) end = before;
    }
    if (end < 0) return this.keep(piece);
    const complete = Buffer.concat([...this.carry, piece.subarray(0, end + 1)]);
    this.carry = [];
    this.carryBytes = 0;
    this.keep(Buffer.from(piece.subarray(end + 1))); // a copy: the piece is not ours to keep
    this.records(complete);
  }

  end(): StreamedCsv {
    if (this.quoted) throw new FormatError("the CSV ends inside a quoted field");
    if (this.carryBytes > 0) this.records(Buffer.concat(this.carry));
    this.carry = [];
    if (this.columns === null) throw new FormatError("the CSV is empty: a header row is required");
    const blocks = [...this.blocks, this.block.subarray(0, this.blockRows * this.cols)];
    return {
      shape: [this.rows, this.cols],
      blocks,
      columns: { kind: "string", values: this.columns },
      index: this.index.labels(),
    };
  }

  private keep(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.carryBytes += bytes.length;
    if (this.carryBytes > MAX_RECORD) throw new FormatError(`a CSV record of more than ${MAX_RECORD} bytes`);
    this.carry.push(bytes);
  }

  /** Complete records, as bytes. */
  private records(bytes: Buffer): void {
    const ascii = isAscii(bytes);
    const text = bytes.toString(ascii ? "latin1" : "utf8");
    if (!text.includes('"') && !/\r(?!\n)/.test(text)) this.lines(text);
    else for (const record of parseQuotedRecords(text)) this.record(record);
  }

  private blockCapacity(): number {
    return Math.max(1, Math.floor(VALUE_BLOCK / Math.max(this.cols, 1)));
  }

  /** Where the next row's values go (a new block of rows when the last is full). */
  private rowStart(): number {
    const capacity = this.blockCapacity();
    if (this.blockRows === capacity) {
      this.blocks.push(this.block);
      this.block = new Float64Array(capacity * this.cols);
      this.blockRows = 0;
    }
    return this.blockRows++ * this.cols;
  }

  private header(names: string[]): void {
    this.columns = names;
    this.cols = names.length;
    this.block = new Float64Array(this.blockCapacity() * this.cols);
  }

  /** One record of the general parser: the header, a blank line (skipped) or a row. */
  private record(fields: string[]): void {
    if (fields.length === 1 && fields[0] === "") return;
    if (this.columns === null) return this.header(fields.slice(1));
    const cols = this.cols;
    const line = this.rows + 2;
    if (fields.length > cols + 1) throw tooLong(line, fields.length, cols);
    let at = this.rowStart(); // first: it may start a new block
    const data = this.block;
    this.index.add(fields[0]);
    for (let c = 0; c < cols; c++) data[at++] = parseCell(c + 1 < fields.length ? fields[c + 1] : "", line, this.columns[c]);
    this.rows++;
  }

  /**
   * Whole lines without quotes or lone \r, cells read in place: no array or string per
   * line. Blank lines are skipped; a line's \r before its \n is not part of it.
   */
  lines(text: string): void {
    const n = text.length;
    for (let pos = 0, next = 0; pos < n; pos = next) {
      let end = text.indexOf("\n", pos);
      if (end < 0) end = next = n;
      else next = end + 1;
      if (end > pos && text.charCodeAt(end - 1) === 13) end--;
      if (end === pos) continue; // a blank line
      if (this.columns === null) {
        this.header(text.slice(pos, end).split(",").slice(1));
        continue;
      }
      const cols = this.cols;
      const line = this.rows + 2;
      let comma = text.indexOf(",", pos);
      if (comma < 0 || comma > end) comma = end;
      this.index.add(text.slice(pos, comma));
      let at = this.rowStart(); // first: it may start a new block
      const data = this.block;
      let c = 0;
      while (comma < end) {
        const start = comma + 1;
        comma = text.indexOf(",", start);
        if (comma < 0 || comma > end) comma = end;
        if (c === cols) throw tooLong(line, fieldCount(text, pos, end), cols);
        if (comma === start) data[at++] = NaN;
        else {
          const cell = text.slice(start, comma);
          const v = Number(cell);
          if (v === v && startsLikeNumber(cell)) data[at++] = v;
          else {
            try {
              data[at++] = parseCell(cell, line, this.columns![c]);
            } catch (error) {
              // a line with too many fields is refused before any of its cells is read
              const fields = fieldCount(text, pos, end);
              throw fields > cols + 1 ? tooLong(line, fields, cols) : error;
            }
          }
        }
        c++;
      }
      for (; c < cols; c++) data[at++] = NaN; // a short row: missing cells are empty
      this.rows++;
    }
  }
}

/** The last \n of the bytes, or a lone \r after it that is not the last byte; -1 without. */
function lastLineEnd(bytes: Buffer): number {
  const newline = bytes.lastIndexOf(0x0a);
  const cr = bytes.lastIndexOf(0x0d);
  return cr > newline && cr < bytes.length - 1 ? cr : newline;
}
