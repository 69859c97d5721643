// What clients send: the request models, apart from the domain's types. tsoa
// reads the JSDoc tags to validate (422 naming the field) and to write the spec.
import type { Userdata } from "../domain/userdata";
import { Errors } from "../errors";
import type { Prior } from "./priors";
import type { Float64, Int, UUID } from "./types";

export interface ExperimentIn {
  name: string;
  /** Prior distributions by parameter name. */
  priors?: { [name: string]: Prior };
}

export interface EnsembleIn {
  /**
   * Number of realizations; -1 when unknown (no realization checks).
   * @isInt
   * @minimum -1
   */
  size: number;
  /** Names of the parameter records; disjoint from response_names. */
  parameter_names: string[];
  /** Names of the response records. */
  response_names: string[];
  /** Indices 0 <= i < size, each once; empty means all of 0..size-1. */
  active_realizations?: Int[];
  /** The update this ensemble is the result of. */
  update_id?: UUID | null;
  userdata?: Userdata;
}

export interface ObservationIn {
  name: string;
  values: Float64[];
  errors: Float64[];
  /** The points observed: numbers, or labels such as dates. */
  x_axis: unknown[];
  /** Ids of response records this observation observes. */
  records?: UUID[] | null;
}

export interface ObservationTransformationIn {
  name: string;
  /** One per observed point. */
  active: boolean[];
  /** One per observed point. */
  scale: Float64[];
  observation_id: UUID;
}

export interface UpdateIn {
  algorithm: string;
  ensemble_reference_id: UUID;
  ensemble_result_id?: UUID | null;
  observation_transformations?: ObservationTransformationIn[] | null;
}

/** Float64 fields as numbers; anything else is a 422 naming the field, as pydantic names it. */
export function floats(loc: (string | number)[], values: Float64[]): number[] {
  const bad = values.findIndex((v) => typeof v !== "number");
  if (bad >= 0) throw Errors.invalidField([...loc, bad], "value is not a valid float", "type_error.float");
  return values as number[];
}

/**
 * The numeric fields of a prior, checked the same way. Take the prior from
 * exactBody: tsoa validates a union through JSON.stringify, which loses -0 and NaN.
 */
export function priorNumbers(name: string, prior: Prior): Prior {
  for (const [field, value] of Object.entries(prior)) {
    if (field !== "function" && typeof value !== "number") {
      throw Errors.invalidField(["body", "priors", name, field], "value is not a valid float", "type_error.float");
    }
  }
  return prior;
}
