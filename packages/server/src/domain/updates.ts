// Updates: how one ensemble was made from another, with per-observation transformations.
import { Errors } from "../errors";
import type { UpdateRow } from "../store/db/updates";
import type { Deps } from "./context";

export interface ObservationTransformationIn {
  name: string;
  active: boolean[];
  scale: number[];
  observation_id: string;
}

export interface UpdateIn {
  algorithm: string;
  ensemble_reference_id: string;
  ensemble_result_id?: string | null;
  observation_transformations?: ObservationTransformationIn[] | null;
}

export interface UpdateOut {
  id: string;
  experiment_id: string;
  algorithm: string;
  ensemble_reference_id: string;
  ensemble_result_id: string | null;
}

function toOut(row: UpdateRow): UpdateOut {
  return {
    id: row.id,
    experiment_id: row.experimentId,
    algorithm: row.algorithm,
    ensemble_reference_id: row.ensembleReferenceId,
    ensemble_result_id: row.ensembleResultId,
  };
}

export class UpdateService {
  constructor(private readonly deps: Deps) {}

  async create(input: UpdateIn): Promise<UpdateOut> {
    const { repos } = this.deps;
    const reference = await repos.ensembles.get(input.ensemble_reference_id);
    if (!reference) throw Errors.itemNotFound();
    const resultId = input.ensemble_result_id ?? null;
    if (resultId !== null) {
      const result = await repos.ensembles.get(resultId);
      if (!result) throw Errors.itemNotFound();
      if (result.experimentId !== reference.experimentId) {
        throw Errors.unprocessable("ensemble_reference_id and ensemble_result_id belong to different experiments");
      }
      if (result.parentEnsembleId !== null) throw Errors.conflict(`Ensemble '${resultId}' already has a parent update`);
      await this.refuseCycle(reference.id, reference.parentEnsembleId, resultId);
    }
    const transformations = input.observation_transformations ?? [];
    const shapes = await repos.observations.shapes(transformations.map((t) => t.observation_id));
    for (const t of transformations) {
      const shape = shapes.get(t.observation_id);
      if (!shape) throw Errors.notFound(`Observation '${t.observation_id}' not found`);
      if (shape.experimentId !== reference.experimentId) {
        throw Errors.unprocessable(`Observation '${t.observation_id}' belongs to another experiment than the ensembles`);
      }
      if (t.active.length !== shape.length || t.scale.length !== shape.length) {
        throw Errors.unprocessable(
          `Transformation '${t.name}': active and scale must have the observation's length ${shape.length} (got ${t.active.length} and ${t.scale.length})`,
        );
      }
    }
    const row = await repos.updates.create({
      experimentId: reference.experimentId,
      algorithm: input.algorithm,
      ensembleReferenceId: reference.id,
      ensembleResultId: resultId,
      transformations: transformations.map((t) => ({ name: t.name, active: t.active, scale: t.scale, observationId: t.observation_id })),
    });
    return toOut(row);
  }

  /** An ensemble may not be updated into itself or into one of its ancestors: lineage has no cycles. */
  private async refuseCycle(referenceId: string, parentId: string | null, resultId: string): Promise<void> {
    if (resultId === referenceId) {
      throw Errors.unprocessable(`Ensemble '${resultId}' cannot be the result of an update of itself`);
    }
    const seen = new Set([referenceId]);
    for (let ancestor = parentId; ancestor !== null && !seen.has(ancestor); ) {
      if (ancestor === resultId) {
        throw Errors.unprocessable(`Ensemble '${resultId}' is an ancestor of '${referenceId}': the update would make a cycle`);
      }
      seen.add(ancestor);
      ancestor = (await this.deps.repos.ensembles.get(ancestor))?.parentEnsembleId ?? null;
    }
  }

  async get(id: string): Promise<UpdateOut> {
    const row = await this.deps.repos.updates.get(id);
    if (!row) throw Errors.itemNotFound();
    return toOut(row);
  }
}
