// Observations of an experiment and their links to response records. values and
// errors are float8[] written as literals we format, x_axis is JSON text: exact.
import { ENSEMBLE_WIDE, realizationParam } from "./records";
import type { Columns } from "./copyOut";
import type { Sql } from "./sql";
import type { Userdata } from "./userdata";
import { float8Array, fromJsonText, toJsonText, uuid } from "./values";

export interface TransformationRow {
  id: string;
  name: string;
  observationId: string;
  active: boolean[];
  scale: number[];
}

export interface ObservationRow {
  id: string;
  name: string;
  values: number[];
  errors: number[];
  xAxis: unknown[];
  recordIds: string[];
  userdata: Userdata;
  transformation: TransformationRow | null;
}

export interface RecordLink {
  ensembleId: string;
  /** the ensemble's experiment: observations of another one are refused */
  experimentId: string;
  name: string;
  realization: number | undefined;
  observationIds: string[];
}

export interface LinkResult {
  recordFound: boolean;
  /** the ids that name an observation */
  found: string[];
  /** the found ones of another experiment */
  foreign: string[];
}

export interface NewObservation {
  experimentId: string;
  name: string;
  values: number[];
  errors: number[];
  xAxis: unknown[];
  recordIds: string[];
}

interface Row {
  id: string;
  name: string;
  values: number[];
  errors: number[];
  x_axis: string;
  record_ids: string[];
  userdata: string;
  t_id?: string | null;
  t_name?: string;
  t_active?: boolean[];
  t_scale?: number[];
}

const COLUMNS = `o.id, o.name, o.values, o.errors, o.x_axis, o.userdata,
  ARRAY(SELECT l.record_id::text FROM observation_record l WHERE l.observation_id = o.id ORDER BY l.record_id) AS record_ids`;
/**
 * COLUMNS' types: observations are read through binary COPY, each float64 as its 8 bytes
 * (an observation of 200,000 points was 12 MB of array text to parse, ~0.3 s).
 */
const COLUMN_TYPES: Columns = [
  ["id", "uuid"],
  ["name", "text"],
  ["values", "float8[]"],
  ["errors", "float8[]"],
  ["x_axis", "text"],
  ["userdata", "text"],
  ["record_ids", "text[]"],
];

function toRow(r: Row): ObservationRow {
  return {
    id: r.id,
    name: r.name,
    values: r.values ?? [],
    errors: r.errors ?? [],
    xAxis: fromJsonText(r.x_axis),
    recordIds: r.record_ids,
    userdata: fromJsonText(r.userdata),
    transformation: r.t_id ? { id: r.t_id, name: r.t_name!, observationId: r.id, active: r.t_active!, scale: r.t_scale! } : null,
  };
}

export class ObservationRepository {
  constructor(private readonly sql: Sql) {}

  /** The observation and its links in one statement (409 on a taken name, via the unique key). */
  async create(input: NewObservation): Promise<ObservationRow> {
    const row = await this.sql.one<{ id: string }>(
      `WITH o AS (
         INSERT INTO observation (id, experiment_id, name, values, errors, x_axis, time_updated)
         VALUES (gen_random_uuid(), $1, $2, $3::float8[], $4::float8[], $5, now()) RETURNING id
       ), links AS (
         INSERT INTO observation_record (observation_id, record_id) SELECT o.id, r FROM o, unnest($6::uuid[]) AS r
       )
       SELECT id FROM o`,
      [
        uuid("experiment_id", input.experimentId),
        input.name,
        float8Array(input.values),
        float8Array(input.errors),
        toJsonText(input.xAxis),
        input.recordIds.map((id) => uuid("records", id)),
      ],
    );
    return {
      id: row!.id,
      name: input.name,
      values: input.values,
      errors: input.errors,
      xAxis: input.xAxis,
      recordIds: [...input.recordIds].sort(),
      userdata: {},
      transformation: null,
    };
  }

  /** The experiment each record belongs to, for the records that exist. */
  async experimentsOfRecords(recordIds: string[]): Promise<Map<string, string>> {
    const rows = await this.sql.rows<{ id: string; experiment_id: string }>(
      `SELECT r.id, en.experiment_id FROM record r
         JOIN record_info ri ON ri.id = r.record_info_id JOIN ensemble en ON en.id = ri.ensemble_id
        WHERE r.id = ANY($1::uuid[])`,
      [recordIds.map((id) => uuid("records", id))],
    );
    return new Map(rows.map((r) => [r.id, r.experiment_id]));
  }

  /** The experiment and length of each observation, for those that exist. */
  async shapes(ids: string[]): Promise<Map<string, { experimentId: string; length: number }>> {
    const rows = await this.sql.rows<{ id: string; experiment_id: string; n: number }>({
      name: "observation.shapes",
      text: "SELECT id, experiment_id, coalesce(cardinality(values), 0) AS n FROM observation WHERE id = ANY($1::uuid[])",
      values: [ids.map((id) => uuid("observation_id", id))],
    });
    return new Map(rows.map((r) => [r.id, { experimentId: r.experiment_id, length: r.n }]));
  }

  async listForExperiment(experimentId: string): Promise<ObservationRow[]> {
    const rows = await this.sql.copyRows<Row>(
      {
        text: `SELECT ${COLUMNS} FROM observation o WHERE o.experiment_id = $1 ORDER BY o.time_created, o.id`,
        values: [uuid("experiment_id", experimentId)],
      },
      COLUMN_TYPES,
    );
    return rows.map(toRow);
  }

  /** The experiment's observations with the transformations of the update that produced the ensemble. */
  async listForEnsemble(ensembleId: string): Promise<ObservationRow[]> {
    const rows = await this.sql.copyRows<Row>(
      {
        text: `SELECT ${COLUMNS}, t.id AS t_id, t.name AS t_name, t.active AS t_active, t.scale AS t_scale
               FROM ensemble en
               JOIN observation o ON o.experiment_id = en.experiment_id
               LEFT JOIN "update" u ON u.ensemble_result_id = en.id
               LEFT JOIN observation_transformation t ON t.update_id = u.id AND t.observation_id = o.id
              WHERE en.id = $1
              ORDER BY o.time_created, o.id`,
        values: [uuid("ensemble_id", ensembleId)],
      },
      [...COLUMN_TYPES, ["t_id", "uuid"], ["t_name", "text"], ["t_active", "bool[]"], ["t_scale", "float8[]"]],
    );
    return rows.map(toRow);
  }

  async listForRecord(recordId: string): Promise<ObservationRow[]> {
    const rows = await this.sql.copyRows<Row>(
      {
        text: `SELECT ${COLUMNS} FROM observation o JOIN observation_record l ON l.observation_id = o.id
                WHERE l.record_id = $1 ORDER BY o.time_created, o.id`,
        values: [uuid("record_id", recordId)],
      },
      COLUMN_TYPES,
    );
    return rows.map(toRow);
  }

  /** The first observation (oldest) linked to a record, as misfits use it. */
  async firstLinked(recordId: string): Promise<ObservationRow | undefined> {
    const rows = await this.listForRecord(recordId);
    return rows[0];
  }

  /** Replaces a record's links with these observations, in one statement. */
  /**
   * Links observations to a record in one statement, replacing its links: the record found
   * as findByName finds it (the realization's own, else an ensemble-wide matrix), and only
   * when every observation exists and belongs to the experiment. Otherwise nothing changes,
   * and the answer says what was missing.
   */
  async linkRecord(link: RecordLink): Promise<LinkResult> {
    const row = await this.sql.one<{ record_id: string | null; found: string[]; foreign: string[] }>({
      name: "observation.linkRecord",
      text: `WITH rec AS (
               SELECT r.id FROM record_info ri JOIN record r ON r.record_info_id = ri.id
                WHERE ri.ensemble_id = $1 AND ri.name = $2
                  AND r.realization IN ($3, ${ENSEMBLE_WIDE})
                  AND (r.realization = $3 OR (ri.record_type = 'matrix' AND $3 <> ${ENSEMBLE_WIDE}))
                ORDER BY r.realization = $3 DESC
                LIMIT 1),
             obs AS (SELECT id, experiment_id FROM observation WHERE id = ANY($4::uuid[])),
             target AS (
               SELECT rec.id FROM rec
                WHERE EXISTS (SELECT 1 FROM obs) AND NOT EXISTS (SELECT 1 FROM obs WHERE experiment_id <> $5)),
             gone AS (
               DELETE FROM observation_record
                WHERE record_id = (SELECT id FROM target) AND NOT (observation_id = ANY($4::uuid[]))),
             added AS (
               INSERT INTO observation_record (observation_id, record_id)
               SELECT obs.id, target.id FROM obs, target
               ON CONFLICT DO NOTHING)
             SELECT (SELECT id FROM rec) AS record_id,
                    ARRAY(SELECT id::text FROM obs) AS found,
                    ARRAY(SELECT id::text FROM obs WHERE experiment_id <> $5 ORDER BY id) AS foreign`,
      values: [
        uuid("ensemble_id", link.ensembleId),
        link.name,
        link.realization === undefined ? ENSEMBLE_WIDE : realizationParam(link.realization),
        link.observationIds.map((id) => uuid("observation_id", id)),
        link.experimentId,
      ],
    });
    return { recordFound: row?.record_id != null, found: row?.found ?? [], foreign: row?.foreign ?? [] };
  }

}
