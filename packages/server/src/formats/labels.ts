// Label values as pandas prints them (CSV cells, parquet field names).
import type { Labels } from "./matrix";
import { pyFloat } from "./pyfloat";

/** Formats labels the way DataFrame.to_csv writes an index or header. */
export function formatLabels(labels: Labels): string[] {
  switch (labels.kind) {
    case "string":
      return labels.values.map(String);
    case "int":
      return labels.values.map((v) => String(v));
    case "float":
      return labels.values.map((v) => pyFloat(Number(v)));
    case "datetime":
      return formatDatetimes(labels.values.map(String));
  }
}

/** pandas writes dates alone when every value is at midnight, else "YYYY-MM-DD HH:MM:SS[.f]". */
export function formatDatetimes(values: string[]): string[] {
  const parts = values.map((v) => /^(\d{4,}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d+))?$/.exec(v));
  const allMidnight = parts.every((p) => p && p[2] === "00:00:00" && !/[1-9]/.test(p[3] ?? ""));
  if (allMidnight) return parts.map((p, i) => (p ? p[1] : values[i]));
  const fracDigits = Math.max(
    0,
    ...parts.map((p) => {
      const frac = (p?.[3] ?? "").replace(/0+$/, "");
      return frac.length === 0 ? 0 : frac.length <= 6 ? 6 : 9;
    }),
  );
  return parts.map((p, i) => {
    if (!p) return values[i];
    const frac = fracDigits ? "." + (p[3] ?? "").padEnd(fracDigits, "0").slice(0, fracDigits) : "";
    return `${p[1]} ${p[2]}${frac}`;
  });
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
