// Observed data of an experiment, linked to the response records it observes.
import { isUniqueViolation } from "../store/db/errors";
import { mergeUserdataInDb } from "../store/db/userdata";
import type { Deps } from "./context";
import { Errors, ItemNotFound } from "./errors";
import type { RecordService } from "./records";
import { asUserdata, type Userdata } from "./userdata";

export interface ObservationIn {
  name: string;
  values: number[];
  errors: number[];
  x_axis: unknown[];
  records?: string[] | null;
}

export interface ObservationTransformationOut {
  id: string;
  name: string;
  observation_id: string;
  active: boolean[];
  scale: number[];
}

export interface ObservationOut {
  id: string;
  name: string;
  values: number[];
  errors: number[];
  x_axis: unknown[];
  records: string[];
  userdata: Userdata;
  transformation: ObservationTransformationOut | null;
}

const include = { records: { select: { recordId: true } } };

type Row = {
  id: string;
  name: string;
  values: number[];
  errors: number[];
  xAxis: unknown;
  userdata: unknown;
  records: { recordId: string }[];
};

function toOut(row: Row, transformation: ObservationTransformationOut | null = null): ObservationOut {
  return {
    id: row.id,
    name: row.name,
    values: row.values,
    errors: row.errors,
    x_axis: row.xAxis as unknown[],
    records: row.records.map((r) => r.recordId),
    userdata: row.userdata as Userdata,
    transformation,
  };
}

export class ObservationService {
  constructor(
    private readonly deps: Deps,
    private readonly records: RecordService,
  ) {}

  async create(experimentId: string, input: ObservationIn): Promise<ObservationOut> {
    const { prisma } = this.deps;
    const n = input.values.length;
    if (input.errors.length !== n || input.x_axis.length !== n) {
      throw Errors.unprocessable(
        `values, errors and x_axis must have the same length (got ${n}, ${input.errors.length}, ${input.x_axis.length})`,
      );
    }
    const experiment = await prisma.experiment.findUnique({ where: { id: experimentId }, select: { id: true } });
    if (!experiment) throw new ItemNotFound("experiment");
    const recordIds = input.records ?? [];
    if (recordIds.length > 0) {
      const found = await prisma.record.count({ where: { id: { in: recordIds } } });
      if (found !== new Set(recordIds).size) throw new ItemNotFound("record");
    }
    try {
      const row = await prisma.observation.create({
        data: {
          experimentId,
          name: input.name,
          values: input.values,
          errors: input.errors,
          xAxis: input.x_axis as object,
          records: { create: [...new Set(recordIds)].map((recordId) => ({ recordId })) },
        },
        include,
      });
      return toOut(row);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw Errors.conflict(`Observation '${input.name}' already exists in experiment '${experimentId}'`);
      }
      throw error;
    }
  }

  async listForExperiment(experimentId: string): Promise<ObservationOut[]> {
    const experiment = await this.deps.prisma.experiment.findUnique({
      where: { id: experimentId },
      include: { observations: { include, orderBy: { timeCreated: "asc" } } },
    });
    if (!experiment) throw new ItemNotFound("experiment");
    return experiment.observations.map((o) => toOut(o));
  }

  /** The experiment's observations, with the transformations of the update that produced the ensemble. */
  async listForEnsemble(ensembleId: string): Promise<ObservationOut[]> {
    const ensemble = await this.deps.prisma.ensemble.findUnique({
      where: { id: ensembleId },
      include: {
        experiment: { include: { observations: { include, orderBy: { timeCreated: "asc" } } } },
        parentUpdate: { include: { transformations: true } },
      },
    });
    if (!ensemble) throw new ItemNotFound("ensemble");
    const transformations = new Map((ensemble.parentUpdate?.transformations ?? []).map((t) => [t.observationId, t]));
    return ensemble.experiment.observations.map((o) => {
      const t = transformations.get(o.id);
      return toOut(
        o,
        t ? { id: t.id, name: t.name, observation_id: o.id, active: t.active, scale: t.scale } : null,
      );
    });
  }

  /** Links observations to a record, replacing its links. */
  async linkToRecord(ensembleId: string, name: string, realizationIndex: number | undefined, ids: string[]) {
    const { prisma } = this.deps;
    const record = await this.records.findByName(ensembleId, name, realizationIndex);
    const found = await prisma.observation.findMany({ where: { id: { in: ids } }, select: { id: true } });
    if (found.length === 0) throw Errors.unprocessable(`Observations [${ids.join(", ")}] not found!`);
    await prisma.$transaction([
      prisma.observationRecord.deleteMany({ where: { recordId: record.id } }),
      prisma.observationRecord.createMany({ data: found.map((o) => ({ observationId: o.id, recordId: record.id })) }),
    ]);
  }

  async listForRecord(ensembleId: string, name: string, realizationIndex: number | undefined): Promise<ObservationOut[]> {
    const record = await this.records.findByName(ensembleId, name, realizationIndex);
    const rows = await this.deps.prisma.observation.findMany({
      where: { records: { some: { recordId: record.id } } },
      include,
      orderBy: { timeCreated: "asc" },
    });
    return rows.map((o) => toOut(o));
  }

  private async get(id: string) {
    const row = await this.deps.prisma.observation.findUnique({ where: { id }, include });
    if (!row) throw new ItemNotFound("observation");
    return row;
  }

  async getUserdata(id: string): Promise<Userdata> {
    return (await this.get(id)).userdata as Userdata;
  }

  async putUserdata(id: string, body: unknown): Promise<void> {
    await this.get(id);
    await this.deps.prisma.observation.update({ where: { id }, data: { userdata: asUserdata(body) as object } });
  }

  async patchUserdata(id: string, body: unknown): Promise<void> {
    await this.get(id);
    await mergeUserdataInDb(this.deps.prisma, "observation", id, asUserdata(body));
  }
}
