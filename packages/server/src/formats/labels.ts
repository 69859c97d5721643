// Label values as pandas prints them (CSV cells, parquet field names).
import { parseJson, stringifyJson } from "./json";
import { FormatError, type LabelKind, type Labels } from "./matrix";
import { pyFloat } from "./pyfloat";

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
      return (from, to) => values.slice(from, to).map(String);
    case "int":
      return (from, to) => values.slice(from, to).map((v) => String(v));
    case "float":
      return (from, to) => values.slice(from, to).map((v) => pyFloat(Number(v)));
    case "datetime": {
      const form = datetimeForm(values);
      return (from, to) => values.slice(from, to).map((v) => formatDatetime(String(v), form));
    }
  }
}

/** pandas writes dates alone when every value is at midnight, else "YYYY-MM-DD HH:MM:SS[.f]". */
export function formatDatetimes(values: string[]): string[] {
  const form = datetimeForm(values);
  return values.map((v) => formatDatetime(v, form));
}

const ISO_DATETIME = /^(\d{4,}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d+))?$/;

/** How pandas writes a set of datetimes: dates alone, or with the fraction digits the finest of them needs (0, 6 or 9). */
interface DatetimeForm {
  allMidnight: boolean;
  fracDigits: number;
}

function datetimeForm(values: readonly (string | number)[]): DatetimeForm {
  let allMidnight = true;
  let fracDigits = 0;
  // a loop, not Math.max(...): a spread of 4M dates overflowed the stack (a 500)
  for (const v of values) {
    const shape = datetimeShape(String(v));
    if (shape !== MIDNIGHT) allMidnight = false;
    if (shape > 0) fracDigits = Math.max(fracDigits, shape <= 6 ? 6 : 9);
  }
  return { allMidnight, fracDigits };
}

const MIDNIGHT = -2;
const DATE_TIME = "-00-00T00:00:00"; // after the year; 0 stands for any digit

/**
 * What ISO_DATETIME finds in a text, without a match's allocations (a form is decided over
 * millions of labels): -1 when it does not match, MIDNIGHT for a time of 00:00:00 without
 * a fraction (or a fraction of zeros), else the fraction's digits without trailing zeros.
 */
function datetimeShape(v: string): number {
  const n = v.length;
  let i = 0;
  while (i < n && isDigit(v.charCodeAt(i))) i++;
  if (i < 4 || n < i + DATE_TIME.length) return -1;
  for (let k = 0; k < DATE_TIME.length; k++) {
    const c = v.charCodeAt(i + k);
    const want = DATE_TIME.charCodeAt(k);
    if (want === 0x30 ? !isDigit(c) : c !== want) return -1;
  }
  let frac = 0;
  const dot = i + DATE_TIME.length;
  if (dot < n) {
    if (v.charCodeAt(dot) !== 0x2e || dot + 1 === n) return -1;
    let end = n;
    for (let k = dot + 1; k < n; k++) if (!isDigit(v.charCodeAt(k))) return -1;
    while (end > dot + 1 && v.charCodeAt(end - 1) === 0x30) end--;
    frac = end - dot - 1;
  }
  return frac === 0 && v.startsWith("00:00:00", i + 7) ? MIDNIGHT : frac;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function formatDatetime(v: string, { allMidnight, fracDigits }: DatetimeForm): string {
  const p = ISO_DATETIME.exec(v);
  if (!p) return v;
  if (allMidnight) return p[1];
  const frac = fracDigits ? "." + (p[3] ?? "").padEnd(fracDigits, "0").slice(0, fracDigits) : "";
  return `${p[1]} ${p[2]}${frac}`;
}

/** Infers the kind of labels read as text, as pandas infers an index column. */
export function inferLabels(texts: string[]): Labels {
  if (texts.length > 0 && texts.every((t) => /^[+-]?\d+$/.test(t.trim()) && Number.isSafeInteger(Number(t)))) {
    return { kind: "int", values: texts.map(Number) };
  }
  if (texts.length > 0 && texts.every((t) => t.trim() !== "" && !Number.isNaN(Number(t.trim())))) {
    return { kind: "float", values: texts.map(Number) };
  }
  return { kind: "string", values: texts };
}

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
      return (values ??= (parseJson(typeof json === "string" ? json : json.toString("utf8")) as Labels).values);
    },
  };
  jsonOfLabels.set(labels, json);
  return labels;
}

/** The stored JSON text (or its UTF-8) of labels made from it, else undefined. */
export function storedJsonOf(labels: Labels): Buffer | string | undefined {
  return jsonOfLabels.get(labels);
}
