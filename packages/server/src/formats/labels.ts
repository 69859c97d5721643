// Label values as pandas prints them (CSV cells, parquet field names).
import { encodeJson, parseJson, stringifyJson } from "./json";
import { FormatError, type LabelKind, type Labels } from "./matrix";
import { pyFloat } from "./pyfloat";

/** A label as text; a missing one (null, from a Parquet file's index) as pandas writes it: empty. */
export function labelText(v: string | number | null): string {
  return v === null ? "" : String(v);
}

/** Formats labels the way DataFrame.to_csv writes an index or header. */
export function formatLabels(labels: Labels): string[] {
  return labelFormatter(labels)(0, labels.values.length);
}

/**
 * Formats labels from..to - 1 as formatLabels formats them all: an answer formats a
 * block's row labels as it writes the block, so millions of them are never formatted (and
 * held) in one go. The form of datetimes is decided once, over all of them.
 */
export function labelFormatter(labels: Labels): (from: number, to: number) => string[] {
  const values = labels.values;
  switch (labels.kind) {
    case "string":
      return (from, to) => values.slice(from, to).map(labelText);
    case "int":
      return (from, to) => values.slice(from, to).map((v) => String(v));
    case "float":
      return (from, to) => values.slice(from, to).map((v) => pyFloat(Number(v)));
    case "datetime": {
      // a missing one (null, pandas' NaT) is an empty cell, as pandas writes it
      const form = datetimeForm(values);
      return (from, to) => values.slice(from, to).map((v) => (v === null ? "" : formatDatetime(String(v), form)));
    }
  }
}

/**
 * A block of row labels as an answer hands it to the writer of the block (a text thread):
 * their texts, or the stretch of a stored list of strings that holds them.
 */
export type LabelsBlock = string[] | StoredLabelsBlock;

/** Values of a stored list, as the JSON text between its brackets, and the form of the datetimes they are (null: strings written as they are). */
export interface StoredLabelsBlock {
  json: string;
  form: DatetimeForm | null;
}

/** The texts of a block of labels (on the thread that writes it). */
export function labelsBlockTexts(block: LabelsBlock): string[] {
  if (Array.isArray(block)) return block;
  const values = JSON.parse(`[${block.json}]`) as string[];
  const form = block.form;
  return form ? values.map((v) => formatDatetime(v, form)) : values;
}

/**
 * labelFormatter for an answer written a block at a time. Long stored string and datetime
 * labels are never parsed here: each block is the stretch of their stored text that holds
 * it, which the thread writing the block parses, and the form of datetimes is decided over
 * the text with pauses for other requests. Parsing 4M dates whole for a CSV answer put
 * 4M strings on the heap: with their formatting, collections held the main thread ~2 s.
 */
export async function answerLabels(labels: Labels): Promise<(from: number, to: number) => LabelsBlock> {
  const stored = storedStrings(labels);
  if (!stored) return labelFormatter(labels);
  const form = labels.kind === "datetime" ? await stored.datetimeForm() : null;
  let parsed: ((from: number, to: number) => string[]) | undefined;
  return (from, to) => stored.span(from, to, form) ?? (parsed ??= labelFormatter(labels))(from, to);
}

/**
 * The JSON list `/labels` answers (labelValues, as encodeJson writes the whole), a piece of
 * `chunk` values at a time, for labels kept as a long stored text of strings or datetimes;
 * null for any other labels (answered whole). The text is never parsed whole: 1M dated
 * columns parsed, formatted and written as one list held the main thread 0.9-2.4 s.
 */
export function labelValuePieces(labels: Labels, chunk = LABEL_PIECE_VALUES): AsyncIterable<string> | null {
  const stored = storedStrings(labels);
  if (!stored) return null;
  return (async function* () {
    const form = labels.kind === "datetime" ? await stored.datetimeForm() : null;
    let whole: (string | number)[] | undefined;
    for (let from = 0; ; from += chunk) {
      const block = stored.span(from, from + chunk, form);
      const values = block ? labelsBlockTexts(block) : (whole ??= labelValues(labels)).slice(from, from + chunk);
      if (values.length === 0) {
        yield from ? "]" : "[]";
        return;
      }
      yield `${from ? "," : "["}${encodeJson(values).toString("utf8").slice(1, -1)}`;
    }
  })();
}

/**
 * Values from..to - 1 of labels: for labels kept as a long stored text of strings, read
 * from the stretch of the text that holds them (never parsed whole; asked for in order, a
 * text is read once), else a slice of their values.
 */
export function labelSlices(labels: Labels): (from: number, to: number) => (string | number)[] {
  const stored = storedStrings(labels);
  return (from, to) => {
    const block = stored?.span(from, to, null);
    return block ? labelsBlockTexts(block) : labels.values.slice(from, to);
  };
}

/**
 * The stored text of labels kept as a long text of strings or datetimes, to be read a
 * stretch at a time (StoredStrings.span); null for any other labels. A stretch is null
 * when the text holds something else than strings: its reader parses the labels whole then.
 */
function storedStrings(labels: Labels): StoredStrings | null {
  const json = jsonOfLabels.get(labels);
  return json === undefined || (labels.kind !== "string" && labels.kind !== "datetime") ? null : new StoredStrings(textOf(json));
}

/** Values of a piece of a `/labels` answer: 8192 dates are ~4 ms of work here (65,536 held the main thread 120-170 ms on a busy 2-core machine). */
const LABEL_PIECE_VALUES = 1 << 13;

function textOf(json: Buffer | string): string {
  return typeof json === "string" ? json : json.toString("utf8");
}

/**
 * A stored labels text ({"kind", "values": [strings]}) read one value after another,
 * without making them: where each starts and ends in the text. `other` once it met
 * anything but a string in the list.
 */
class StoredStrings {
  /** where the next value (or the list's end) starts */
  private at = 0;
  /** values read so far */
  private read = 0;
  /** the first backslash at or after `at` (Infinity: none) */
  private backslash = -1;
  /** the value last read: the text from `start` to `end`, quotes included (escaped: it holds a backslash) */
  private start = 0;
  private end = 0;
  private escaped = false;
  other = false;

  constructor(private readonly text: string) {
    this.rewind();
  }

  private rewind(): void {
    this.at = this.text.indexOf("[") + 1;
    this.read = 0;
    this.backslash = -1;
  }

  /** Reads the next value: false at the list's end, or (then `other` is set) at anything but a string. */
  private step(): boolean {
    const text = this.text;
    let at = this.at;
    for (let c = text.charCodeAt(at); c === 0x2c || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = text.charCodeAt(++at));
    const c = text.charCodeAt(at);
    if (c === 0x5d /* ] */) return false;
    let close = c === 0x22 /* " */ ? text.indexOf('"', at + 1) : -1;
    if (close < 0) return !(this.other = true);
    if (this.backslash < at) {
      const b = text.indexOf("\\", at);
      this.backslash = b < 0 ? Infinity : b;
    }
    this.escaped = this.backslash < close;
    if (this.escaped) {
      close = at + 1;
      for (let ch = text.charCodeAt(close); ch !== 0x22; ch = text.charCodeAt(close)) {
        if (Number.isNaN(ch)) return !(this.other = true);
        close += ch === 0x5c ? 2 : 1;
      }
    }
    [this.start, this.end] = [at, close + 1];
    this.at = close + 1;
    this.read++;
    return true;
  }

  /** Values from..to - 1 (fewer at the list's end) as a stretch of the text; null when it holds something else. */
  span(from: number, to: number, form: DatetimeForm | null): StoredLabelsBlock | null {
    if (this.other) return null; // known: not read again for every block
    if (from < this.read) this.rewind();
    while (this.read < from && this.step());
    let first = -1;
    while (this.read < to && this.step()) if (first < 0) first = this.start;
    if (this.other) return null;
    return { json: first < 0 ? "" : this.text.slice(first, this.end), form };
  }

  /** datetimeForm of all the values, read from the text with a pause after every PACED_VALUES; null when it holds something else. */
  async datetimeForm(): Promise<DatetimeForm | null> {
    this.rewind();
    const form: DatetimeForm = { allMidnight: true, fracDigits: 0 };
    for (let more = true; more; await new Promise(setImmediate)) {
      for (let k = 0; k < PACED_VALUES && (more = this.step()); k++) {
        const shape = this.escaped ? datetimeShape(JSON.parse(this.text.slice(this.start, this.end)) as string) : datetimeShape(this.text, this.start + 1, this.end - 1);
        addDatetime(form, shape);
      }
    }
    this.rewind();
    return this.other ? null : form;
  }
}

/** Stored datetimes read between pauses (~10 ms of work). */
const PACED_VALUES = 1 << 16;

/** pandas writes dates alone when every value is at midnight, else "YYYY-MM-DD HH:MM:SS[.f]". */
export function formatDatetimes(values: string[]): string[] {
  const form = datetimeForm(values);
  return values.map((v) => formatDatetime(v, form));
}

/** How pandas writes a set of datetimes: dates alone, or with the fraction digits the finest of them needs (0, 6 or 9). */
export interface DatetimeForm {
  allMidnight: boolean;
  fracDigits: number;
}

function datetimeForm(values: readonly (string | number)[]): DatetimeForm {
  const form: DatetimeForm = { allMidnight: true, fracDigits: 0 };
  // a loop, not Math.max(...): a spread of 4M dates overflowed the stack (a 500)
  for (const v of values) if (v !== null) addDatetime(form, datetimeShape(String(v)));
  return form;
}

/** Counts a value of this datetimeShape into the form of its set. */
function addDatetime(form: DatetimeForm, shape: number): void {
  if (shape !== MIDNIGHT) form.allMidnight = false;
  if (shape > 0) form.fracDigits = Math.max(form.fracDigits, shape <= 6 ? 6 : 9);
}

const MIDNIGHT = -2;
const DATE_TIME = "-00-00T00:00:00"; // after the year; 0 stands for any digit

/**
 * How a text matches an ISO datetime, /^\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$/, without a
 * match's allocations (a form is decided over millions of labels): -1 when it does not
 * match, MIDNIGHT for a time of 00:00:00 without a fraction (or a fraction of zeros), else
 * the fraction's digits without trailing zeros.
 */
function datetimeShape(v: string, start = 0, end = v.length): number {
  let i = start;
  while (i < end && isDigit(v.charCodeAt(i))) i++;
  if (i - start < 4 || end < i + DATE_TIME.length) return -1;
  for (let k = 0; k < DATE_TIME.length; k++) {
    const c = v.charCodeAt(i + k);
    const want = DATE_TIME.charCodeAt(k);
    if (want === 0x30 ? !isDigit(c) : c !== want) return -1;
  }
  let frac = 0;
  const dot = i + DATE_TIME.length;
  if (dot < end) {
    if (v.charCodeAt(dot) !== 0x2e || dot + 1 === end) return -1;
    for (let k = dot + 1; k < end; k++) if (!isDigit(v.charCodeAt(k))) return -1;
    let last = end;
    while (last > dot + 1 && v.charCodeAt(last - 1) === 0x30) last--;
    frac = last - dot - 1;
  }
  return frac === 0 && v.startsWith("00:00:00", i + 7) ? MIDNIGHT : frac;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** v.slice(start, end) as pandas writes it in a set of this form: itself when it is not an ISO datetime. */
function formatDatetime(v: string, { allMidnight, fracDigits }: DatetimeForm, start = 0, end = v.length): string {
  if (datetimeShape(v, start, end) === -1) return v.slice(start, end);
  const t = v.indexOf("T", start); // date "YYYY-MM-DD" before it, time "HH:MM:SS" after, then maybe "." and digits
  if (allMidnight) return v.slice(start, t);
  const time = `${v.slice(start, t)} ${v.slice(t + 1, t + 9)}`;
  return fracDigits ? `${time}.${v.slice(t + 10, end).padEnd(fracDigits, "0").slice(0, fracDigits)}` : time;
}

/** Infers the kind of labels read as text, as pandas infers an index column. */
export function inferLabels(texts: string[]): Labels {
  if (texts.length > 0 && texts.every(isIntLabel)) return { kind: "int", values: texts.map(Number) };
  if (texts.length > 0 && texts.every(isFloatLabel)) return { kind: "float", values: texts.map(Number) };
  return { kind: "string", values: texts };
}

/** A label text inferLabels reads as an integer. */
export function isIntLabel(t: string): boolean {
  return /^[+-]?\d+$/.test(t.trim()) && Number.isSafeInteger(Number(t));
}

/** A label text inferLabels reads as a number. */
export function isFloatLabel(t: string): boolean {
  return t.trim() !== "" && !Number.isNaN(Number(t.trim()));
}

/**
 * Labels read as text one after another, inferred as inferLabels infers them all. Once
 * they are many and not all numbers, they are kept as their stored JSON text, a chunk
 * at a time: 4M dates of a CSV body held as 4M strings until stored, then written as
 * one text, held the main thread ~1.7 s (most of it collecting the strings).
 */
export class LabelTexts {
  /** the texts not yet in `json` */
  private texts: string[] = [];
  /** the JSON text of earlier texts, a chunk each (strings between commas, no brackets) */
  private readonly json: string[] = [];
  /** characters in `json`, with a comma each */
  private chars = 0;
  private count = 0;
  private ints = true;
  private floats = true;

  /** chunk: texts turned into JSON text at a time; limit: the longest stored text (FormatError past it) */
  constructor(
    private readonly chunk = LABELS_CHUNK,
    private readonly limit = MAX_LABELS_TEXT,
  ) {}

  add(text: string): void {
    const texts = this.texts;
    texts.push(text);
    this.count++;
    if (this.ints && !isIntLabel(text)) this.ints = false;
    if (this.floats && !this.ints && !isFloatLabel(text)) this.floats = false;
    if (texts.length >= this.chunk && !this.ints && !this.floats) this.flush();
  }

  labels(): Labels {
    if (this.json.length === 0) return inferLabels(this.texts);
    if (this.texts.length > 0) this.flush();
    return labelsFromText(`${STRING_LABELS_HEAD}${this.json.join(",")}]}`);
  }

  /** The texts so far into `json`: refused (FormatError) once the whole would be longer than a stored text may be. */
  private flush(): void {
    let text: string | undefined;
    try {
      text = JSON.stringify(this.texts).slice(1, -1);
    } catch (error) {
      if (!isStringTooLong(error)) throw error;
    }
    this.chars += (text?.length ?? Infinity) + 1;
    if (this.chars + STRING_LABELS_HEAD.length + 1 > this.limit) {
      throw new FormatError(`the row labels are more text than can be stored (over ${this.limit} characters as JSON by row ${this.count})`);
    }
    this.json.push(text!);
    this.texts = [];
  }
}

const STRING_LABELS_HEAD = '{"kind":"string","values":[';
const LABELS_CHUNK = 1 << 16;

/** Labels as the JSON list `/labels` answers: strings as they were, numbers as numbers. */
export function labelValues(labels: Labels): (string | number)[] {
  return labels.kind === "datetime" ? formatDatetimes(labels.values.map(String)) : labels.values;
}

/** The longest string V8 makes (its String::kMaxLength): labels are stored as one JSON text. */
export const MAX_LABELS_TEXT = 2 ** 29 - 24;

/**
 * Refuses (FormatError) labels whose JSON text would be longer than MAX_LABELS_TEXT, counted
 * without making it: a Parquet dictionary repeats one long string on every row in a few
 * bytes (a 1.4 kB file: 4000 rows of a 1 MB string), and JSON.stringify of such labels ran
 * the heap out (the process died) before it could say the text was too long. Text may need
 * escapes (up to 6 characters for 1): those are counted only when the raw text could need them.
 */
export function checkLabelsText(labels: Labels, what: string, limit = MAX_LABELS_TEXT): void {
  if (labels.kind === "int" || labels.kind === "float") return; // at most 25 characters a number
  const values = labels.values;
  let chars = 0;
  for (let i = 0; i < values.length; i++) chars += String(values[i]).length + 3;
  if (chars * 6 <= limit) return; // even were every character escaped
  let exact = chars > limit ? chars : 0;
  let last: string | undefined;
  let lastLength = 0;
  for (let i = 0; i < values.length && exact <= limit; i++) {
    const text = String(values[i]);
    // a dictionary's repeats are the same string: counted once
    if (text !== last) [last, lastLength] = [text, jsonStringLength(text) + 1];
    exact += lastLength;
  }
  if (exact > limit) {
    throw new FormatError(`its ${values.length} ${what} are more text than can be stored (over ${limit} characters as JSON)`);
  }
}

/** The length of JSON.stringify(s), quotes included. */
function jsonStringLength(s: string): number {
  let n = s.length + 2;
  if (!NEEDS_ESCAPE.test(s)) return n;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 || c === 0x5c || c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d) n += 1;
    else if (c < 0x20) n += 5;
    else if (c >= 0xd800 && c <= 0xdfff) {
      // a surrogate pair stays as it is; a lone surrogate is written \uXXXX
      const pair = c <= 0xdbff ? s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff : false;
      if (pair) i++;
      else n += 5;
    }
  }
  return n;
}

const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * Labels as the JSON text they are stored as ({"kind", "values"}). Labels that are all
 * strings (ERT's dates) go through JSON.stringify, exact for strings and many times
 * faster than the writer numbers need (-0, NaN, Python's float text). May throw a
 * RangeError for text longer than a string may be: checkLabelsText first.
 */
export function labelsJson(labels: Labels): string {
  return labels.values.every((v) => typeof v === "string") ? JSON.stringify(labels) : stringifyJson(labels);
}

/** Labels as their stored JSON text in UTF-8, in a buffer of their own (a thread moves it to another). */
export interface LabelsJson {
  kind: LabelKind;
  json: Uint8Array;
}

/**
 * The labels' stored text in UTF-8. FormatError when it is longer than a string may be:
 * checkLabelsText counts strings only (numbers are at most 25 characters each, but 30M of
 * them are more than a string holds).
 */
export function toLabelsJson(labels: Labels, what: string, limit = MAX_LABELS_TEXT): LabelsJson {
  let text: string | undefined;
  try {
    text = labelsJson(labels);
  } catch (error) {
    if (!isStringTooLong(error)) throw error;
  }
  if (text === undefined || text.length > limit) {
    throw new FormatError(`its ${labels.values.length} ${what} are more text than can be stored (over ${limit} characters as JSON)`);
  }
  return { kind: labels.kind, json: new TextEncoder().encode(text) };
}

/** The error making a string longer than V8's longest gives (JSON.stringify's RangeError, Buffer's ERR_STRING_TOO_LONG). */
export function isStringTooLong(error: unknown): boolean {
  return (error instanceof RangeError && /Invalid string length/.test(error.message)) || (error as { code?: string } | null)?.code === "ERR_STRING_TOO_LONG";
}

/** The stored text of labels made from it (fromLabelsJson, labelsFromText). */
const jsonOfLabels = new WeakMap<Labels, Buffer | string>();

/**
 * Labels that came as their JSON text (from the Parquet thread): the text is what is
 * stored, and the values are parsed only when something asks for them. 4M dates of a
 * 26 kB file, sent back as 4M strings and written as text here, held the main thread
 * 3-5 s, most of it collecting the strings.
 */
export function fromLabelsJson({ kind, json }: LabelsJson): Labels {
  return lazyLabels(kind, Buffer.from(json.buffer, json.byteOffset, json.byteLength));
}

/** The kind at the head of a stored text, as labelsJson writes it. */
const STORED_KIND = /^\{"kind":"(string|int|float|datetime)","values":\[/;

/**
 * Labels from their stored text. A long text's values are parsed only when something
 * asks for them: an NPY or JSON answer never does, and 4M dates parsed for one held the
 * main thread ~1 s. Labels are never mutated, so the text stays theirs.
 */
export function labelsFromText(text: string, lazyOver = LAZY_TEXT): Labels {
  const kind = text.length > lazyOver ? STORED_KIND.exec(text.slice(0, 40))?.[1] : undefined;
  return kind ? lazyLabels(kind as LabelKind, text) : (parseJson(text) as Labels);
}

/** Shorter label texts are parsed at once (ERT's 2000 dates are ~44 kB). */
const LAZY_TEXT = 1 << 20;

function lazyLabels(kind: LabelKind, json: Buffer | string): Labels {
  let values: (string | number)[] | undefined;
  const labels: Labels = {
    kind,
    get values() {
      return (values ??= (parseJson(textOf(json)) as Labels).values);
    },
  };
  jsonOfLabels.set(labels, json);
  return labels;
}

/** The stored JSON text (or its UTF-8) of labels made from it, else undefined. */
export function storedJsonOf(labels: Labels): Buffer | string | undefined {
  return jsonOfLabels.get(labels);
}
