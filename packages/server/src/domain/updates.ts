// Updates: how one ensemble was made from another, with per-observation transformations.
import { isUniqueViolation } from "../store/db/errors";
import type { Deps } from "./context";
import { Errors, ItemNotFound } from "./errors";

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

type Row = {
  id: string;
  algorithm: string;
  ensembleReferenceId: string;
  ensembleResultId: string | null;
  ensembleReference: { experimentId: string };
};

function toOut(row: Row): UpdateOut {
  return {
    id: row.id,
    experiment_id: row.ensembleReference.experimentId,
    algorithm: row.algorithm,
    ensemble_reference_id: row.ensembleReferenceId,
    ensemble_result_id: row.ensembleResultId,
  };
}

const include = { ensembleReference: { select: { experimentId: true } } };

export class UpdateService {
  constructor(private readonly deps: Deps) {}

  async create(input: UpdateIn): Promise<UpdateOut> {
    const { prisma } = this.deps;
    const reference = await prisma.ensemble.findUnique({ where: { id: input.ensemble_reference_id } });
    if (!reference) throw new ItemNotFound("ensemble");
    if (input.ensemble_result_id) {
      const result = await prisma.ensemble.findUnique({ where: { id: input.ensemble_result_id } });
      if (!result) throw new ItemNotFound("ensemble");
    }
    const transformations = input.observation_transformations ?? [];
    const observations = await prisma.observation.findMany({
      where: { id: { in: transformations.map((t) => t.observation_id) } },
      select: { id: true, values: true },
    });
    for (const t of transformations) {
      const observation = observations.find((o) => o.id === t.observation_id);
      if (!observation) throw Errors.notFound(`Observation '${t.observation_id}' not found`);
      const n = observation.values.length;
      if (t.active.length !== n || t.scale.length !== n) {
        throw Errors.unprocessable(
          `Transformation '${t.name}': active and scale must have the observation's length ${n} (got ${t.active.length} and ${t.scale.length})`,
        );
      }
    }
    try {
      const row = await prisma.update.create({
        data: {
          algorithm: input.algorithm,
          ensembleReferenceId: reference.id,
          ensembleResultId: input.ensemble_result_id ?? null,
          transformations: {
            create: transformations.map((t) => ({
              name: t.name,
              active: t.active,
              scale: t.scale,
              observationId: t.observation_id,
            })),
          },
        },
        include,
      });
      return toOut(row);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw Errors.conflict(
          "Conflicting update: the result ensemble already has a parent update, or an observation is transformed twice",
        );
      }
      throw error;
    }
  }

  async get(id: string): Promise<UpdateOut> {
    const row = await this.deps.prisma.update.findUnique({ where: { id }, include });
    if (!row) throw new ItemNotFound("update");
    return toOut(row);
  }
}
