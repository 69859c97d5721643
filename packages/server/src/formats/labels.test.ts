import fc from "fast-check";
import { answerLabels, checkLabelsText, inferLabels, LabelTexts, formatDatetimes, formatLabels, fromLabelsJson, labelFormatter, labelsBlockTexts, labelsFromText, labelsJson, labelValuePieces, MAX_LABELS_TEXT, storedJsonOf, toLabelsJson } from "./labels";
import { encodeJson, stringifyJson } from "./json";
import { FormatError, type Labels } from "./matrix";
import { anyLabels } from "./testing";

/** The text checkLabelsText bounds: each value's JSON text and a comma (the labels' JSON list but for its brackets). */
const textLength = (values: unknown[]) => values.reduce((n: number, v) => n + JSON.stringify(v).length + 1, 0);

describe("checkLabelsText", () => {
  test("refuses labels exactly when their JSON text is longer than the limit (escapes and lone surrogates counted)", () => {
    const text = fc.oneof(fc.string({ unit: "binary" }), fc.string({ unit: fc.constantFrom("\u0000", "\u001f", '"', "\\", "\n", "\ud800", "\udc00", "a", "æ") }));
    fc.assert(
      fc.property(fc.array(text, { maxLength: 20 }), fc.integer({ min: -4, max: 4 }), (values, delta) => {
        const limit = Math.max(0, textLength(values) + delta);
        const labels: Labels = { kind: "string", values };
        const refused = (() => {
          try {
            checkLabelsText(labels, "row labels", limit);
            return false;
          } catch (error) {
            expect(error).toBeInstanceOf(FormatError);
            expect((error as Error).message).toBe(`its ${values.length} row labels are more text than can be stored (over ${limit} characters as JSON)`);
            return true;
          }
        })();
        expect(refused).toBe(textLength(values) > limit);
      }),
      { numRuns: 2000 },
    );
  });

  test("labels far under the limit are never refused (counted without escapes)", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "binary" }), { maxLength: 20 }), fc.integer({ min: 0, max: 10 }), (values, extra) => {
        expect(() => checkLabelsText({ kind: "string", values }, "labels", textLength(values) * 6 + extra)).not.toThrow();
      }),
    );
  });

  test("one long string repeated (a Parquet dictionary's) is counted without being written", () => {
    const label = "x".repeat(1 << 20);
    const values = Array.from({ length: 4000 }, () => label);
    expect(() => checkLabelsText({ kind: "string", values }, "row labels")).toThrow(`its 4000 row labels are more text than can be stored (over ${MAX_LABELS_TEXT} characters as JSON)`);
    expect(() => checkLabelsText({ kind: "string", values: values.slice(0, 500) }, "row labels")).not.toThrow();
  });

  test("numbers are never refused", () => {
    expect(() => checkLabelsText({ kind: "float", values: [1.5, NaN] }, "labels", 0)).not.toThrow();
  });
});

/** How pandas writes datetimes, as this project first wrote it: a regex match a value. */
function datetimesByRegex(values: string[]): string[] {
  const parts = values.map((v) => /^(\d{4,}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d+))?$/.exec(v));
  if (parts.every((p) => p && p[2] === "00:00:00" && !/[1-9]/.test(p[3] ?? ""))) return parts.map((p) => p![1]);
  let fracDigits = 0;
  for (const p of parts) {
    const frac = (p?.[3] ?? "").replace(/0+$/, "");
    fracDigits = Math.max(fracDigits, frac.length === 0 ? 0 : frac.length <= 6 ? 6 : 9);
  }
  return parts.map((p, i) => (p ? `${p[1]} ${p[2]}${fracDigits ? "." + (p[3] ?? "").padEnd(fracDigits, "0").slice(0, fracDigits) : ""}` : values[i]));
}

describe("formatLabels", () => {
  test("a slice at a time formats as all at once: datetimes' form is decided over all of them (generated labels)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 12 }).chain((n) => fc.tuple(anyLabels(n), fc.integer({ min: 0, max: n }), fc.integer({ min: 0, max: n }))),
        ([labels, a, b]) => {
          const [from, to] = [Math.min(a, b), Math.max(a, b)];
          expect(labelFormatter(labels)(from, to)).toEqual(formatLabels(labels).slice(from, to));
          if (labels.kind === "datetime") expect(formatLabels(labels)).toEqual(datetimesByRegex(labels.values as string[]));
        },
      ),
      { numRuns: 1000 },
    );
    // texts that are not quite datetimes among them, as the regex reads them
    const odd = fc.array(fc.constantFrom("2020-01-01T00:00:00", "2020-01-01T00:00:00.000", "2020-01-01T00:00:00.", "2020-01-01T00:00:00.5x", "202-01-01T00:00:00", "12020-01-01T00:00:00.0000001", "2020-01-01 00:00:00", "2020-01-01T00:00:01", "x"), { maxLength: 6 });
    fc.assert(fc.property(odd, (values) => expect(formatDatetimes(values)).toEqual(datetimesByRegex(values))), { numRuns: 500 });
    // one time of day among dates makes every date show its time
    const dates = { kind: "datetime" as const, values: ["2020-01-01T00:00:00", "2020-01-02T00:00:00", "2020-01-03T12:00:00.5"] };
    expect(labelFormatter(dates)(0, 1)).toEqual(["2020-01-01 00:00:00.000000"]);
  });

  test("a missing string label (null) is an empty cell, as pandas writes None, in place and from a stored text", async () => {
    const labels = { kind: "string", values: ["r1", null, "null"] } as unknown as Labels;
    expect(formatLabels(labels)).toEqual(["r1", "", "null"]);
    expect(labelsBlockTexts((await answerLabels(labelsFromText(stringifyJson(labels), 0)))(0, 3))).toEqual(["r1", "", "null"]);
  });

  test("an answer's blocks of stored labels are stretches of their text, written as formatLabels writes them, the text never parsed whole (generated labels, blocks in any order)", async () => {
    const blocks = (n: number) => fc.array(fc.tuple(fc.integer({ min: 0, max: n + 1 }), fc.integer({ min: 0, max: n + 1 })), { maxLength: 6 });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(anyLabels(10), anyUtf16Labels, oddDates).chain((labels) => fc.tuple(fc.constant(labels), blocks(labels.values.length))),
        async ([labels, ranges]) => {
          const all = formatLabels(labels);
          const text = labelsJson(labels);
          // strings and dates: a text that is no JSON after the list, which only a reader of the list gets through
          const strings = labels.kind === "string" || labels.kind === "datetime";
          const broken = strings ? text.slice(0, -1) + ',"after":}' : text;
          for (const lazy of [labelsFromText(broken, 0), fromLabelsJson({ kind: labels.kind, json: new TextEncoder().encode(broken) })]) {
            const blockOf = await answerLabels(lazy);
            for (const [a, b] of ranges) {
              const [from, to] = [Math.min(a, b), Math.max(a, b)];
              const block = blockOf(from, to);
              if (strings) expect(Array.isArray(block)).toBe(false); // a stretch of the text
              // through the structured clone a thread gets it by
              expect(labelsBlockTexts(structuredClone(block))).toEqual(all.slice(from, to));
            }
          }
        },
      ),
      { numRuns: 1000 },
    );
    // a list that holds something but strings is parsed whole, and written as it reads
    const mixed = labelsFromText('{"kind":"string","values":["a",1,"b"]}', 0);
    expect(labelsBlockTexts((await answerLabels(mixed))(0, 3))).toEqual(["a", "1", "b"]);
  });

  test("an answer's form of stored datetimes is decided with pauses for other work (300k labels)", async () => {
    const n = 300_000;
    const values = Array.from({ length: n }, (_, i) => new Date(Date.UTC(2000, 0, 1) + i * 60_000).toISOString().slice(0, 19));
    const labels: Labels = { kind: "datetime", values };
    let turns = 0;
    const counting = setInterval(() => turns++, 0);
    const blockOf = await answerLabels(labelsFromText(labelsJson(labels)));
    clearInterval(counting);
    expect(turns).toBeGreaterThan(0); // others ran while the 300k values were read
    expect(labelsBlockTexts(blockOf(n - 2, n))).toEqual(formatLabels(labels).slice(n - 2));
    expect(labelsBlockTexts(blockOf(0, 1))).toEqual(["2000-01-01 00:00:00"]);
  });

  test("formats hundreds of thousands of datetimes with a time of day (a spread of them overflowed the stack: a CSV answer was a 500)", () => {
    const n = 300_000;
    const values = Array.from({ length: n }, (_, i) => new Date(Date.UTC(2000, 0, 1) + i * 1500).toISOString().slice(0, 23));
    const texts = formatLabels({ kind: "datetime", values });
    expect(texts.length).toBe(n);
    expect(texts[0]).toBe("2000-01-01 00:00:00.000000");
    expect(texts[n - 1]).toBe(values[n - 1].replace("T", " ") + "000");
  });
});

describe("LabelTexts", () => {
  test("labels read one text at a time, kept as JSON text a chunk at a time once not all numbers, are inferLabels' of them all (generated texts)", () => {
    const text = fc.oneof(fc.string({ unit: "grapheme" }), fc.string({ unit: fc.constantFrom('"', "\\", "\n", "\u0001", "😀", "a") }), fc.integer().map(String), fc.double().map(String), fc.constantFrom(" 7", "+3", "1e400", "NaN", ""));
    fc.assert(
      fc.property(fc.array(text, { maxLength: 30 }), fc.integer({ min: 1, max: 8 }), (texts, chunk) => {
        const read = new LabelTexts(chunk);
        for (const t of texts) read.add(t);
        const labels = read.labels();
        const want = inferLabels(texts);
        expect(labels.kind).toBe(want.kind);
        expect(labels.values).toEqual(want.values);
      }),
      { numRuns: 2000 },
    );
  });

  test("labels kept as text are refused (FormatError) exactly when their stored text would be longer than the limit (generated texts)", () => {
    const text = fc.oneof(fc.string({ unit: "grapheme" }), fc.string({ unit: fc.constantFrom('"', "\\", "\u0001", "a") }));
    fc.assert(
      fc.property(fc.array(text, { maxLength: 12 }), fc.integer({ min: -6, max: 6 }), (rest, delta) => {
        const texts = ["x", ...rest]; // not numbers: every text is turned into JSON text as it comes (chunks of 1)
        const length = labelsJson({ kind: "string", values: texts }).length;
        const limit = Math.max(0, length + delta);
        const read = new LabelTexts(1, limit);
        let refused: unknown = null;
        try {
          for (const t of texts) read.add(t);
          expect(storedJsonOf(read.labels())).toBeUndefined(); // short: parsed at once, its values are the texts
        } catch (error) {
          refused = error;
        }
        expect(refused !== null).toBe(length > limit);
        if (refused) expect((refused as Error).message).toMatch(new RegExp(`^the row labels are more text than can be stored \\(over ${limit} characters as JSON by row \\d+\\)$`));
        if (refused) expect(refused).toBeInstanceOf(FormatError);
      }),
      { numRuns: 2000 },
    );
  });

  test("many labels that are not all numbers are held as their stored text (lazy), the text labelsJson makes", () => {
    const texts = Array.from({ length: 300_000 }, (_, i) => (i === 250_000 ? "x" : String(i)));
    const read = new LabelTexts();
    for (const t of texts) read.add(t);
    const labels = read.labels();
    expect(storedJsonOf(labels)).toBe(labelsJson({ kind: "string", values: texts }));
    expect(labels.values).toEqual(texts);
  });
});

/** Datetime labels of ISO texts and others (escapes, quotes, a fraction of no digits or of more than 9). */
const oddDates = fc
  .array(fc.constantFrom("2020-01-01T00:00:00", "2020-01-01T00:00:00.25", "2020-01-01T00:00:00.", "x\\y", '"2020-01-01T00:00:00"', "12020-01-01T00:00:00.0000001"), { maxLength: 8 })
  .map((values): Labels => ({ kind: "datetime", values }));

/** String labels of any UTF-16 code units: lone surrogates, controls, quotes, characters beyond the BMP. */
const anyUtf16Labels: fc.Arbitrary<Labels> = fc
  .array(fc.string({ unit: fc.oneof(fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), fc.constantFrom('"', "\\", "\u2028", "😀")), maxLength: 12 }), { maxLength: 8 })
  .map((values) => ({ kind: "string", values }));

describe("labelValuePieces", () => {
  const joined = async (pieces: AsyncIterable<string>) => {
    const texts: string[] = [];
    for await (const text of pieces) texts.push(text);
    return texts.join("");
  };

  test("long stored strings and datetimes are the JSON list of labelValues, a chunk at a time, the text never parsed whole (generated labels)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyLabels(10), anyUtf16Labels, oddDates), fc.integer({ min: 1, max: 4 }), async (labels, chunk) => {
        const strings = labels.kind === "string" || labels.kind === "datetime";
        const text = labelsJson(labels);
        // strings and dates: a text that is no JSON after the list, which only a reader of the list gets through
        const stored = labelsFromText(strings ? text.slice(0, -1) + ',"after":}' : text, 0);
        const pieces = labelValuePieces(stored, chunk);
        if (!strings) return expect(pieces).toBeNull(); // numbers: answered whole
        // the bytes of the whole answer (encodeJson, as res.json writes it)
        const want = labels.kind === "datetime" ? formatDatetimes(labels.values as string[]) : labels.values;
        expect(await joined(pieces!)).toBe(encodeJson(want).toString("utf8"));
      }),
      { numRuns: 1000 },
    );
  });

  test("a stored list that holds something but strings is parsed whole, and answered as it reads", async () => {
    const mixed = labelsFromText('{"kind":"string","values":["a","b",1.5e300,NaN,"c"]}', 0);
    expect(await joined(labelValuePieces(mixed, 1)!)).toBe('["a","b",1.5e+300,NaN,"c"]');
  });

  test("labels made here, or short stored ones, have no pieces: they are answered whole", () => {
    expect(labelValuePieces({ kind: "string", values: ["a"] })).toBeNull();
    expect(labelValuePieces(labelsFromText('{"kind":"string","values":["a"]}'))).toBeNull();
  });
});

describe("labels sent as their JSON text", () => {
  test("give the same values and the text they came as (generated labels)", () => {
    fc.assert(
      fc.property(fc.oneof(anyLabels(8), anyUtf16Labels), (labels) => {
        const sent = fromLabelsJson(toLabelsJson(labels, "labels"));
        expect(storedJsonOf(sent)!.toString("utf8")).toBe(labelsJson(labels));
        expect(sent.kind).toBe(labels.kind);
        expect(sent.values.length).toBe(labels.values.length);
        sent.values.forEach((v, i) => expect(Object.is(v, labels.values[i])).toBe(true));
      }),
      { numRuns: 500 },
    );
  });

  test("stored texts read back lazily give the same values, and the text as theirs (generated labels)", () => {
    fc.assert(
      fc.property(fc.oneof(anyLabels(8), anyUtf16Labels), (labels) => {
        const text = labelsJson(labels);
        const read = labelsFromText(text, 0);
        expect(storedJsonOf(read)).toBe(text); // lazy: its kind was read from the text's head
        expect(read.kind).toBe(labels.kind);
        expect(read.values.length).toBe(labels.values.length);
        read.values.forEach((v, i) => expect(Object.is(v, labels.values[i])).toBe(true));
        expect(storedJsonOf(labelsFromText(text))).toBeUndefined(); // short: parsed at once
      }),
      { numRuns: 500 },
    );
    // a text of another shape is parsed at once
    expect(labelsFromText('{"values":[1],"kind":"int"}', 0)).toEqual({ values: [1], kind: "int" });
  });

  test("labels whose text is longer than may be stored are a FormatError naming them", () => {
    // numbers are not counted before their text is made: 30M of them are over a string's length
    expect(() => toLabelsJson({ kind: "int", values: [100, 200, 300] }, "row labels", 20)).toThrow(new FormatError("its 3 row labels are more text than can be stored (over 20 characters as JSON)"));
    expect(new TextDecoder().decode(toLabelsJson({ kind: "int", values: [100, 200, 300] }, "row labels", 40).json)).toBe('{"kind":"int","values":[100,200,300]}');
  });

  test("labels made here have no stored text", () => {
    expect(storedJsonOf({ kind: "int", values: [1] })).toBeUndefined();
  });
});
