// Ensembles: size, active realizations, parameter and response names, lineage.
import { Errors } from "../errors";
import type { EnsembleRow } from "../store/db/ensembles";
import type { Deps } from "./context";
import type { Userdata } from "./userdata";

export interface EnsembleIn {
  size: number;
  parameter_names?: string[];
  response_names?: string[];
  active_realizations?: number[];
  update_id?: string | null;
  userdata?: Userdata;
}

export interface EnsembleOut {
  id: string;
  size: number;
  parameter_names: string[];
  response_names: string[];
  active_realizations: number[];
  experiment_id: string;
  userdata: Userdata;
  /** id of the ensemble this one was updated from */
  parent_ensemble_id: string | null;
  /** ids of the ensembles updated from this one */
  child_ensemble_ids: string[];
}

export function ensembleOut(row: EnsembleRow): EnsembleOut {
  return {
    id: row.id,
    size: row.size,
    parameter_names: row.parameterNames,
    response_names: row.responseNames,
    active_realizations: row.activeRealizations,
    experiment_id: row.experimentId,
    userdata: row.userdata,
    parent_ensemble_id: row.parentEnsembleId,
    child_ensemble_ids: row.childEnsembleIds,
  };
}

/** Realization indices are stored as PostgreSQL integers. */
export const MAX_REALIZATION_INDEX = 2 ** 31 - 1;

/**
 * Active realizations: empty means all of 0..size-1; each must be unique, not negative
 * and below size (any size when it is unknown, -1).
 */
export function activeRealizations(size: number, given: number[] | undefined): number[] {
  const unknownSize = size === -1;
  if (unknownSize && !given) return [];
  const active = unknownSize || (given && given.length > 0) ? given! : Array.from({ length: size }, (_, i) => i);
  const seen = new Set<number>();
  for (const index of active) {
    if (unknownSize && (index < 0 || index > MAX_REALIZATION_INDEX)) {
      throw Errors.expectation(`Ensemble active realization index ${index} out of realization range [0,${MAX_REALIZATION_INDEX}]`);
    }
    if (!unknownSize && (index >= size || index < 0)) {
      throw Errors.expectation(`Ensemble active realization index ${index} out of realization range [0,${size - 1}]`);
    }
    if (seen.has(index)) {
      throw Errors.expectation(`Non unique active realization index list not allowed [${given!.join(", ")}]`);
    }
    seen.add(index);
  }
  return active;
}

export class EnsembleService {
  constructor(private readonly deps: Deps) {}

  async create(experimentId: string, input: EnsembleIn): Promise<EnsembleOut> {
    const { repos } = this.deps;
    const parameterNames = input.parameter_names ?? [];
    const responseNames = input.response_names ?? [];
    const overlap = parameterNames.filter((n) => responseNames.includes(n));
    if (overlap.length > 0) {
      throw Errors.invalidField(["body", "__root__"], "parameters and responses cannot have a name in common", "value_error");
    }
    if (input.size < -1) throw Errors.unprocessable(`size must be -1 (unknown) or at least 0, not ${input.size}`);
    const max = this.deps.limits.ensembleSize;
    if (input.size > max) {
      // checked before anything the size of the ensemble is made
      throw Errors.invalidField(["body", "size"], `ensure this value is less than or equal to ${max} (ERT_STORAGE_MAX_ENSEMBLE_SIZE)`, "value_error.number.not_le");
    }
    const active = activeRealizations(input.size, input.active_realizations);
    if (!(await repos.experiments.exists(experimentId))) throw Errors.itemNotFound();
    let update;
    if (input.update_id) {
      update = await repos.ensembles.updateTarget(input.update_id);
      if (!update) throw Errors.itemNotFound();
      if (update.experimentId !== experimentId) {
        throw Errors.unprocessable(`Update '${update.id}' belongs to another experiment than '${experimentId}'`);
      }
      if (update.resultId !== null) {
        throw Errors.conflict(`Update '${update.id}' already has a result ensemble '${update.resultId}'`);
      }
    }
    const row = await repos.ensembles.create(
      {
        experimentId,
        size: input.size,
        parameterNames,
        responseNames,
        activeRealizations: active,
        userdata: input.userdata ?? {},
      },
      update,
    );
    return ensembleOut(row);
  }

  async get(id: string): Promise<EnsembleOut> {
    const row = await this.deps.repos.ensembles.get(id);
    if (!row) throw Errors.itemNotFound();
    return ensembleOut(row);
  }

  async listForExperiment(experimentId: string): Promise<EnsembleOut[]> {
    const rows = await this.deps.repos.ensembles.listForExperiment(experimentId);
    if (!rows) throw Errors.itemNotFound();
    return rows.map(ensembleOut);
  }
}
