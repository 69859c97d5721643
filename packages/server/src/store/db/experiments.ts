// Experiments with their priors. A prior's spec is JSON text we write, so its
// numbers come back exactly as posted.
import type { Sql } from "./sql";
import type { Userdata } from "./userdata";
import { fromJsonText, toJsonText, uuid } from "./values";

export interface PriorRow {
  name: string;
  /** {"function": ..., numeric fields} as posted */
  spec: Record<string, unknown>;
}

export interface ExperimentRow {
  id: string;
  name: string;
  userdata: Userdata;
  ensembleIds: string[];
  priors: PriorRow[];
}

interface Row {
  id: string;
  name: string;
  userdata: string;
  ensemble_ids: string[];
  prior_names: string[];
  prior_specs: string[];
}

const SELECT = `
  SELECT e.id, e.name, e.userdata,
         ARRAY(SELECT en.id::text FROM ensemble en WHERE en.experiment_id = e.id ORDER BY en.time_created, en.id) AS ensemble_ids,
         ARRAY(SELECT p.name FROM prior p WHERE p.experiment_id = e.id ORDER BY p.time_created, p.name) AS prior_names,
         ARRAY(SELECT p.spec FROM prior p WHERE p.experiment_id = e.id ORDER BY p.time_created, p.name) AS prior_specs
    FROM experiment e`;

function toRow(r: Row): ExperimentRow {
  return {
    id: r.id,
    name: r.name,
    userdata: fromJsonText(r.userdata),
    ensembleIds: r.ensemble_ids,
    priors: r.prior_names.map((name, i) => ({ name, spec: fromJsonText(r.prior_specs[i]) })),
  };
}

export class ExperimentRepository {
  constructor(private readonly sql: Sql) {}

  /** The experiment and its priors, in one statement. */
  async create(name: string, priors: PriorRow[]): Promise<ExperimentRow> {
    const row = await this.sql.one<{ id: string }>(
      `WITH e AS (
         INSERT INTO experiment (id, name, time_updated) VALUES (gen_random_uuid(), $1, now()) RETURNING id
       ), p AS (
         INSERT INTO prior (id, experiment_id, name, function, spec)
         SELECT gen_random_uuid(), e.id, u.name, u.function, u.spec
           FROM e, unnest($2::text[], $3::text[], $4::text[]) AS u(name, function, spec)
       )
       SELECT id FROM e`,
      [name, priors.map((p) => p.name), priors.map((p) => String(p.spec.function)), priors.map((p) => toJsonText(p.spec))],
    );
    return { id: row!.id, name, userdata: {}, ensembleIds: [], priors };
  }

  async list(): Promise<ExperimentRow[]> {
    return (await this.sql.rows<Row>(`${SELECT} ORDER BY e.time_created, e.id`)).map(toRow);
  }

  async get(id: string): Promise<ExperimentRow | undefined> {
    const row = await this.sql.one<Row>({ name: "experiment.get", text: `${SELECT} WHERE e.id = $1`, values: [uuid("experiment_id", id)] });
    return row && toRow(row);
  }

  async exists(id: string): Promise<boolean> {
    return (await this.sql.one({ name: "experiment.exists", text: "SELECT 1 FROM experiment WHERE id = $1", values: [uuid("experiment_id", id)] })) !== undefined;
  }

  async priorId(experimentId: string, name: string): Promise<string | undefined> {
    const row = await this.sql.one<{ id: string }>("SELECT id FROM prior WHERE experiment_id = $1 AND name = $2", [experimentId, name]);
    return row?.id;
  }

  /**
   * Deletes the experiment with everything below it. The blob keys of its files and large matrices go to
   * blob_sweep in the same transaction, so no content outlives its record. Rows that
   * new records and blocks would hang off are locked first: an upload finishing at
   * the same moment either lands before (and is swept) or fails on its foreign key.
   * False when there is no such experiment.
   */
  async delete(id: string): Promise<boolean> {
    uuid("experiment_id", id);
    return this.sql.transaction(async (tx) => {
      if (!(await tx.one("SELECT 1 FROM experiment WHERE id = $1 FOR UPDATE", [id]))) return false;
      await tx.run("SELECT 1 FROM ensemble WHERE experiment_id = $1 FOR UPDATE", [id]);
      await tx.run(
        `SELECT 1 FROM record_info ri JOIN ensemble en ON en.id = ri.ensemble_id WHERE en.experiment_id = $1 FOR UPDATE OF ri`,
        [id],
      );
      await tx.run(
        `WITH files AS (
           SELECT f.id, f.blob_key FROM file f
             JOIN record r ON r.id = f.record_id
             JOIN record_info ri ON ri.id = r.record_info_id
             JOIN ensemble en ON en.id = ri.ensemble_id
            WHERE en.experiment_id = $1
            FOR UPDATE OF f
         ),
         matrices AS (
           SELECT m.blob_key FROM matrix m
             JOIN record r ON r.id = m.record_id
             JOIN record_info ri ON ri.id = r.record_info_id
             JOIN ensemble en ON en.id = ri.ensemble_id
            WHERE en.experiment_id = $1 AND m.blob_key IS NOT NULL
         )
         INSERT INTO blob_sweep (blob_key)
         SELECT blob_key FROM files
         UNION SELECT b.blob_key FROM file_block b JOIN files ON files.id = b.file_id
         UNION SELECT blob_key FROM matrices
         ON CONFLICT (blob_key) DO UPDATE SET not_before = now()`,
        [id],
      );
      await tx.run("DELETE FROM experiment WHERE id = $1", [id]);
      return true;
    });
  }
}
