// A JSON matrix read piece by piece as the body arrives: nested arrays of numbers go
// straight into float64 blocks, so a large body is never held whole (a 20-million-value
// body is ~370 MB of text for 160 MB of values). It reads what readJsonMatrix reads:
// numbers, NaN, Infinity, -Infinity, null (NaN), true/false (1/0) and numeric strings,
// in rectangular nested arrays; the values come out bit for bit the same (property tests).
import { checkShape, FormatError, MAX_DIMENSIONS } from "./matrix";

/** Values per block of the output (8 MiB). */
const VALUE_BLOCK = 1 << 20;

/**
 * A longer token (a number or string) is refused rather than collected, wherever the
 * pieces are cut (the whole-body reader, for bodies up to 4 MiB, has no such limit).
 */
const MAX_TOKEN = 1 << 16;

const enum State {
  /** after "[": a value, "[" or "]" */
  Open,
  /** after ",", or at the start: a value or "[" */
  Value,
  /** after a value or a closed array: "," or "]" */
  Next,
  /** the top value is complete: only whitespace may follow */
  Done,
}

const enum Token {
  None,
  /** a number or a word (NaN, Infinity, null, true, false) */
  Word,
  String,
}

const SPACE = new Uint8Array(256);
for (const c of [0x20, 0x09, 0x0a, 0x0d]) SPACE[c] = 1;
/** Bytes a number or a word is made of. */
const WORD = new Uint8Array(256);
for (const c of "0123456789+-.eEabcdefghijklmnopqrstuvwxyzABCDFGHIJKLMNOPQRSTUVWXYZ") WORD[c.charCodeAt(0)] = 1;
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const WORDS: Record<string, number> = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity, null: NaN, true: 1, false: 0 };

export interface StreamedMatrix {
  shape: number[];
  /** the values in order: full blocks, the last one cut to size */
  blocks: Float64Array[];
}

export class JsonMatrixReader {
  private state = State.Value;
  /** shape[d]: the length of every array at depth d (-1 until the first one closes) */
  private readonly shape: number[] = [];
  /** items so far in the open array at each depth */
  private readonly lengths: number[] = [];
  /** the depth at which values sit, once known */
  private leafDepth = -1;
  private depth = 0;
  /** bytes of the body before the current piece, for messages */
  private offset = 0;
  private token = Token.None;
  /** a word's text so far */
  private tokenText = "";
  /** a string's bytes so far (decoded once whole: a character may span two pieces) */
  private stringBytes: Buffer[] = [];
  private stringLength = 0;
  /** inside a string token: the last byte was a backslash */
  private escaped = false;
  private readonly blocks: Float64Array[] = [];
  private values = new Float64Array(1024);
  private filled = 0;
  private count = 0;

  feed(piece: Buffer): void {
    const n = piece.length;
    let i = 0;
    /** the piece as text, once a number is read from it (one decode, then slices) */
    let text: string | undefined;
    if (this.token !== Token.None) i = this.continueToken(piece, 0);
    while (i < n) {
      const c = piece[i];
      if (SPACE[c]) {
        i++;
        continue;
      }
      switch (this.state) {
        case State.Done:
          throw this.unexpected(c, i);
        case State.Open:
        case State.Value:
          if (c === 0x5d /* ] */ && this.state === State.Open) {
            // an empty array: values would sit at this depth
            this.atLeaf();
            this.close(0);
            i++;
            continue;
          }
          if (c === 0x5b /* [ */) {
            this.open(i);
            i++;
            continue;
          }
          if (c === 0x22 /* " */) {
            this.token = Token.String;
            this.stringBytes = [];
            this.stringLength = 0;
            this.escaped = false;
            i = this.continueToken(piece, i + 1, i);
            continue;
          }
          if (WORD[c]) {
            // a word within the piece (the common case): read from the piece's text
            const start = i;
            while (i < n && WORD[piece[i]]) i++;
            // the same limit however the body is cut
            if (i - start > MAX_TOKEN) throw new FormatError(`a value of more than ${MAX_TOKEN} characters at byte ${this.offset + start}`);
            if (i < n) {
              text ??= piece.toString("latin1");
              this.push(isNumber(piece, start, i) ? Number(text.slice(start, i)) : word(text.slice(start, i)));
              continue;
            }
            this.token = Token.Word; // it goes on in the next piece
            this.tokenText = "";
            i = this.continueToken(piece, start);
            continue;
          }
          throw this.unexpected(c, i);
        case State.Next:
          if (c === 0x2c /* , */) this.state = State.Value;
          else if (c === 0x5d /* ] */) this.close(this.lengths[this.depth - 1]);
          else throw this.unexpected(c, i);
          i++;
          continue;
      }
    }
    this.offset += n;
  }

  /** The matrix, once the body has ended. */
  end(): StreamedMatrix {
    if (this.token === Token.Word) this.finishWord();
    if (this.token === Token.String || this.state !== State.Done) throw new FormatError("the JSON ends before the matrix does");
    const shape = this.shape.slice(0, Math.max(this.leafDepth, 0));
    checkShape(shape);
    if (shape.reduce((a, d) => a * d, 1) !== this.count) throw ragged();
    const blocks = this.blocks;
    if (this.filled > 0 || blocks.length === 0) blocks.push(this.values.subarray(0, this.filled));
    return { shape, blocks };
  }

  private open(at: number): void {
    if (this.leafDepth >= 0 && this.depth >= this.leafDepth) throw ragged(); // an array where a number belongs
    if (this.depth >= MAX_DIMENSIONS) throw new FormatError(`a matrix has at most ${MAX_DIMENSIONS} dimensions, not more (byte ${this.offset + at})`);
    if (this.depth === this.shape.length) this.shape.push(-1);
    this.lengths[this.depth] = 0;
    this.depth++;
    this.state = State.Open;
  }

  /** The array at depth-1 closes with this many items. */
  private close(items: number): void {
    this.depth--;
    if (this.shape[this.depth] === -1) this.shape[this.depth] = items;
    else if (this.shape[this.depth] !== items) throw ragged();
    if (this.depth > 0) this.lengths[this.depth - 1]++;
    this.state = this.depth === 0 ? State.Done : State.Next;
  }

  private atLeaf(): void {
    if (this.leafDepth < 0) this.leafDepth = this.depth;
    else if (this.leafDepth !== this.depth) throw ragged();
  }

  /**
   * Reads the token on from piece[from]; returns where reading goes on. A token that
   * reaches the end of the piece is kept and continued with the next one.
   */
  private continueToken(piece: Buffer, from: number, quoteAt = -1): number {
    let i = from;
    const n = piece.length;
    if (this.token === Token.Word) {
      while (i < n && WORD[piece[i]]) i++;
      this.tokenText += piece.toString("latin1", from, i);
      if (this.tokenText.length > MAX_TOKEN) throw new FormatError(`a value of more than ${MAX_TOKEN} characters at byte ${this.offset + from}`);
      if (i < n) this.finishWord();
      return i;
    }
    // a string, up to its closing quote
    let escaped = this.escaped;
    while (i < n) {
      const c = piece[i];
      if (escaped) escaped = false;
      else if (c === 0x5c /* \ */) escaped = true;
      else if (c === 0x22 /* " */) break;
      i++;
    }
    this.escaped = escaped;
    const start = quoteAt >= 0 ? quoteAt : from;
    const bytes = Buffer.from(piece.subarray(start, i < n ? i + 1 : n)); // a copy: the piece is not ours to keep
    this.stringBytes.push(bytes);
    this.stringLength += bytes.length;
    if (this.stringLength > MAX_TOKEN) throw new FormatError(`a value of more than ${MAX_TOKEN} characters at byte ${this.offset + from}`);
    if (i < n) {
      this.finishString();
      return i + 1;
    }
    return n;
  }

  private finishWord(): void {
    const text = this.tokenText;
    this.token = Token.None;
    this.tokenText = "";
    this.push(NUMBER.test(text) ? Number(text) : word(text));
  }

  private finishString(): void {
    const text = Buffer.concat(this.stringBytes, this.stringLength).toString("utf8");
    this.token = Token.None;
    this.stringBytes = [];
    let s: string;
    try {
      s = JSON.parse(text) as string;
    } catch {
      throw new FormatError(`invalid JSON: bad string ${text.slice(0, 40)}`);
    }
    // as the general reader: a string of a number is that number
    if (s.trim() === "" || Number.isNaN(Number(s))) throw new FormatError(`${JSON.stringify(s).slice(0, 100)} is not a number`);
    this.push(Number(s));
  }

  private push(x: number): void {
    this.atLeaf();
    if (this.filled === this.values.length) {
      if (this.values.length < VALUE_BLOCK) {
        const grown = new Float64Array(this.values.length * 2);
        grown.set(this.values);
        this.values = grown;
      } else {
        this.blocks.push(this.values);
        this.values = new Float64Array(VALUE_BLOCK);
        this.filled = 0;
      }
    }
    this.values[this.filled++] = x;
    this.count++;
    if (this.depth === 0) this.state = State.Done;
    else {
      this.lengths[this.depth - 1]++;
      this.state = State.Next;
    }
  }

  private unexpected(c: number, at: number): FormatError {
    const what = c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, "0")}`;
    return new FormatError(`invalid JSON: unexpected ${what} at byte ${this.offset + at}`);
  }
}

/** JSON's number grammar, -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?, on the bytes start..end. */
function isNumber(b: Buffer, start: number, end: number): boolean {
  let i = start;
  if (b[i] === 0x2d /* - */) i++;
  if (b[i] === 0x30 /* 0 */) i++;
  else if (b[i] >= 0x31 && b[i] <= 0x39) while (i < end && b[i] >= 0x30 && b[i] <= 0x39) i++;
  else return false;
  if (i < end && b[i] === 0x2e /* . */) {
    const digits = ++i;
    while (i < end && b[i] >= 0x30 && b[i] <= 0x39) i++;
    if (i === digits) return false;
  }
  if (i < end && (b[i] === 0x65 || b[i] === 0x45) /* e E */) {
    i++;
    if (i < end && (b[i] === 0x2b || b[i] === 0x2d)) i++;
    const digits = i;
    while (i < end && b[i] >= 0x30 && b[i] <= 0x39) i++;
    if (i === digits) return false;
  }
  return i === end;
}

/** NaN, Infinity, -Infinity, null, true or false; anything else is not a JSON value here. */
function word(text: string): number {
  const value = WORDS[text];
  if (value === undefined || !Object.hasOwn(WORDS, text)) throw new FormatError(`invalid JSON: '${text.slice(0, 40)}' is not a value`);
  return value;
}

function ragged(): FormatError {
  return new FormatError("the nested arrays are ragged: every row must have the same length");
}
