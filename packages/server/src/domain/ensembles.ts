import { mergeUserdataInDb } from "../store/db/userdata";
import type { Deps } from "./context";
import { Errors, ItemNotFound } from "./errors";
import { asUserdata, type Userdata } from "./userdata";

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
  parent: string | null;
  /** ids of the ensembles updated from this one */
  children: string[];
}

export const ensembleInclude = {
  parentUpdate: { select: { ensembleReferenceId: true } },
  childUpdates: { select: { ensembleResultId: true }, orderBy: { timeCreated: "asc" as const } },
};

type Row = {
  id: string;
  size: number;
  parameterNames: string[];
  responseNames: string[];
  activeRealizations: number[];
  experimentId: string;
  userdata: unknown;
  parentUpdate: { ensembleReferenceId: string } | null;
  childUpdates: { ensembleResultId: string | null }[];
};

export function ensembleOut(row: Row): EnsembleOut {
  return {
    id: row.id,
    size: row.size,
    parameter_names: row.parameterNames,
    response_names: row.responseNames,
    active_realizations: row.activeRealizations,
    experiment_id: row.experimentId,
    userdata: row.userdata as Userdata,
    parent: row.parentUpdate?.ensembleReferenceId ?? null,
    children: row.childUpdates.flatMap((u) => (u.ensembleResultId ? [u.ensembleResultId] : [])),
  };
}

/** Active realizations: empty means all of 0..size-1; each must be unique and below size. */
export function activeRealizations(size: number, given: number[] | undefined): number[] {
  if (size === -1) return given ?? [];
  const active = given && given.length > 0 ? given : Array.from({ length: size }, (_, i) => i);
  const seen = new Set<number>();
  for (const index of active) {
    if (index >= size) {
      throw Errors.expectation(
        `Ensemble active realization index ${index} out of realization range [0,${size - 1}]`,
      );
    }
    if (seen.has(index)) throw Errors.expectation(`Non unique active realization index ${index}`);
    seen.add(index);
  }
  return active;
}

export class EnsembleService {
  constructor(private readonly deps: Deps) {}

  async create(experimentId: string, input: EnsembleIn): Promise<EnsembleOut> {
    const { prisma } = this.deps;
    const parameterNames = input.parameter_names ?? [];
    const responseNames = input.response_names ?? [];
    const overlap = parameterNames.filter((n) => responseNames.includes(n));
    if (overlap.length > 0) {
      throw Errors.unprocessable(`parameter_names and response_names overlap: ${overlap.join(", ")}`);
    }
    if (input.size < -1) throw Errors.unprocessable(`size must be -1 (unknown) or at least 0, not ${input.size}`);
    const active = activeRealizations(input.size, input.active_realizations);
    const experiment = await prisma.experiment.findUnique({ where: { id: experimentId }, select: { id: true } });
    if (!experiment) throw new ItemNotFound("experiment");
    if (input.update_id) {
      const update = await prisma.update.findUnique({ where: { id: input.update_id }, select: { id: true } });
      if (!update) throw new ItemNotFound("update");
    }
    const row = await prisma.$transaction(async (tx) => {
      const created = await tx.ensemble.create({
        data: {
          experimentId,
          size: input.size,
          parameterNames,
          responseNames,
          activeRealizations: active,
          userdata: (input.userdata ?? {}) as object,
        },
      });
      if (input.update_id) {
        await tx.update.update({ where: { id: input.update_id }, data: { ensembleResultId: created.id } });
      }
      return tx.ensemble.findUniqueOrThrow({ where: { id: created.id }, include: ensembleInclude });
    });
    return ensembleOut(row);
  }

  async get(id: string): Promise<EnsembleOut> {
    const row = await this.deps.prisma.ensemble.findUnique({ where: { id }, include: ensembleInclude });
    if (!row) throw new ItemNotFound("ensemble");
    return ensembleOut(row);
  }

  async listForExperiment(experimentId: string): Promise<EnsembleOut[]> {
    const experiment = await this.deps.prisma.experiment.findUnique({
      where: { id: experimentId },
      include: { ensembles: { include: ensembleInclude, orderBy: { timeCreated: "asc" } } },
    });
    if (!experiment) throw new ItemNotFound("experiment");
    return experiment.ensembles.map(ensembleOut);
  }

  async getUserdata(id: string): Promise<Userdata> {
    return (await this.get(id)).userdata;
  }

  async putUserdata(id: string, body: unknown): Promise<void> {
    await this.get(id);
    await this.deps.prisma.ensemble.update({ where: { id }, data: { userdata: asUserdata(body) as object } });
  }

  async patchUserdata(id: string, body: unknown): Promise<void> {
    await this.get(id);
    await mergeUserdataInDb(this.deps.prisma, "ensemble", id, asUserdata(body));
  }
}
