// Prior distributions: `function` is the tag, the other fields are numbers.
import { Errors } from "../errors";

export const PRIOR_FIELDS: Record<string, string[]> = {
  const: ["value"],
  trig: ["min", "max", "mode"],
  normal: ["mean", "std"],
  lognormal: ["mean", "std"],
  ert_truncnormal: ["mean", "std", "min", "max"],
  stdnormal: [],
  uniform: ["min", "max"],
  ert_duniform: ["bins", "min", "max"],
  loguniform: ["min", "max"],
  ert_erf: ["min", "max", "skewness", "width"],
  ert_derf: ["bins", "min", "max", "skewness", "width"],
};

export type PriorSpec = { function: string } & Record<string, number | string>;

/** Checks one prior and returns it with only its own fields, in a fixed order. */
export function normalizePrior(name: string, prior: unknown): PriorSpec {
  if (typeof prior !== "object" || prior === null || Array.isArray(prior)) {
    throw Errors.unprocessable(`Prior '${name}' must be an object with a 'function' field`);
  }
  const input = prior as Record<string, unknown>;
  const fn = input.function;
  const fields = typeof fn === "string" ? PRIOR_FIELDS[fn] : undefined;
  if (!fields) {
    throw Errors.unprocessable(
      `Prior '${name}' has unknown function ${JSON.stringify(fn)}; expected one of ${Object.keys(PRIOR_FIELDS).join(", ")}`,
    );
  }
  const out: PriorSpec = { function: fn as string };
  for (const field of fields) {
    const value = input[field];
    if (typeof value !== "number") {
      throw Errors.unprocessable(`Prior '${name}' (${fn}) needs a number '${field}'`);
    }
    out[field] = value;
  }
  return out;
}
