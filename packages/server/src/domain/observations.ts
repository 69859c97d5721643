// Observed data of an experiment, linked to the response records it observes.
import { AppError, Errors } from "../errors";
import type { ObservationRow } from "../store/db/observations";
import type { Deps } from "./context";
import type { RecordService } from "./records";
import type { Userdata } from "./userdata";

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

function toOut(row: ObservationRow): ObservationOut {
  const t = row.transformation;
  return {
    id: row.id,
    name: row.name,
    values: row.values,
    errors: row.errors,
    x_axis: row.xAxis,
    records: row.recordIds,
    userdata: row.userdata,
    transformation: t ? { id: t.id, name: t.name, observation_id: t.observationId, active: t.active, scale: t.scale } : null,
  };
}

export class ObservationService {
  constructor(
    private readonly deps: Deps,
    private readonly records: RecordService,
  ) {}

  async create(experimentId: string, input: ObservationIn): Promise<ObservationOut> {
    const { repos } = this.deps;
    const n = input.values.length;
    if (input.errors.length !== n || input.x_axis.length !== n) {
      throw Errors.unprocessable(
        `values, errors and x_axis must have the same length (got ${n}, ${input.errors.length}, ${input.x_axis.length})`,
      );
    }
    if (!(await repos.experiments.exists(experimentId))) throw Errors.itemNotFound();
    const recordIds = [...new Set(input.records ?? [])];
    if (recordIds.length > 0) {
      const experiments = await repos.observations.experimentsOfRecords(recordIds);
      const missing = recordIds.filter((id) => !experiments.has(id));
      if (missing.length > 0) throw Errors.notFound(`Record(s) ${missing.join(", ")} not found`);
      const foreign = recordIds.filter((id) => experiments.get(id) !== experimentId);
      if (foreign.length > 0) {
        throw Errors.unprocessable(`Record(s) ${foreign.join(", ")} belong to another experiment; observations link records of their own experiment only`);
      }
    }
    try {
      return toOut(await repos.observations.create({ experimentId, name: input.name, values: input.values, errors: input.errors, xAxis: input.x_axis, recordIds }));
    } catch (error) {
      if (error instanceof AppError && error.code === "conflict") {
        throw Errors.conflict(`Observation '${input.name}' already exists in experiment '${experimentId}'`);
      }
      throw error;
    }
  }

  async listForExperiment(experimentId: string): Promise<ObservationOut[]> {
    const rows = await this.deps.repos.observations.listForExperiment(experimentId);
    if (rows.length === 0 && !(await this.deps.repos.experiments.exists(experimentId))) throw Errors.itemNotFound();
    return rows.map(toOut);
  }

  /** The experiment's observations, with the transformations of the update that produced the ensemble. */
  async listForEnsemble(ensembleId: string): Promise<ObservationOut[]> {
    const rows = await this.deps.repos.observations.listForEnsemble(ensembleId);
    if (rows.length === 0 && !(await this.deps.repos.ensembles.get(ensembleId))) throw Errors.itemNotFound();
    return rows.map(toOut);
  }

  /** Links observations of the record's experiment to it, replacing its links. */
  async linkToRecord(ensembleId: string, name: string, realizationIndex: number | undefined, ids: string[]): Promise<void> {
    const ensemble = await this.deps.repos.ensembles.rules(ensembleId);
    if (!ensemble) throw Errors.notFound("Record not found");
    const link = { ensembleId, experimentId: ensemble.experimentId, name, realization: realizationIndex, observationIds: ids };
    const result = await this.deps.repos.observations.linkRecord(link);
    if (!result.recordFound) throw Errors.notFound("Record not found");
    if (result.found.length === 0) throw Errors.unprocessable(`Observations [${ids.join(", ")}] not found!`);
    if (result.foreign.length > 0) {
      throw Errors.unprocessable(`Observation(s) ${result.foreign.join(", ")} belong to another experiment than the record's`);
    }
  }

  async listForRecord(ensembleId: string, name: string, realizationIndex: number | undefined): Promise<ObservationOut[]> {
    const record = await this.records.findByName(ensembleId, name, realizationIndex);
    return (await this.deps.repos.observations.listForRecord(record.id)).map(toOut);
  }
}
