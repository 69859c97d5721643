// Ensembles, with the lineage that updates give them.
import { Errors } from "../../errors";
import type { Sql } from "./sql";
import type { Userdata } from "./userdata";
import { fromJsonText, toJsonText, uuid } from "./values";

export interface NewEnsemble {
  experimentId: string;
  /** -1 when the size is unknown */
  size: number;
  parameterNames: string[];
  responseNames: string[];
  activeRealizations: number[];
  userdata: Userdata;
}

export interface EnsembleRow extends NewEnsemble {
  id: string;
  /** the ensemble this one was updated from */
  parentEnsembleId: string | null;
  /** the ensembles updated from this one, oldest first */
  childEnsembleIds: string[];
}

/** What creating an ensemble as an update's result needs to know of the update. */
export interface UpdateTarget {
  id: string;
  experimentId: string;
  referenceId: string;
  resultId: string | null;
}

interface Row {
  id: string;
  experiment_id: string;
  size: number;
  parameter_names: string[];
  response_names: string[];
  active_realizations: number[];
  userdata: string;
  parent_ensemble_id: string | null;
  child_ensemble_ids: string[];
}

const SELECT = `
  SELECT en.id, en.experiment_id, en.size, en.parameter_names, en.response_names, en.active_realizations, en.userdata,
         (SELECT u.ensemble_reference_id FROM "update" u WHERE u.ensemble_result_id = en.id) AS parent_ensemble_id,
         ARRAY(SELECT u.ensemble_result_id::text FROM "update" u
                WHERE u.ensemble_reference_id = en.id AND u.ensemble_result_id IS NOT NULL
                ORDER BY u.time_created, u.id) AS child_ensemble_ids
    FROM ensemble en`;

function toRow(r: Row): EnsembleRow {
  return {
    id: r.id,
    experimentId: r.experiment_id,
    size: r.size,
    parameterNames: r.parameter_names ?? [],
    responseNames: r.response_names ?? [],
    activeRealizations: r.active_realizations ?? [],
    userdata: fromJsonText(r.userdata),
    parentEnsembleId: r.parent_ensemble_id,
    childEnsembleIds: r.child_ensemble_ids,
  };
}

/** What never changes after an ensemble is made: what the record rules need. */
export type EnsembleRules = Pick<EnsembleRow, "id" | "experimentId" | "size" | "parameterNames" | "responseNames" | "activeRealizations">;

/** How many ensembles' rules are kept in memory. */
const RULES_CACHED = 2000;

export class EnsembleRepository {
  /**
   * The rules of recently used ensembles. They never change, so a cached entry is never
   * stale; a deleted ensemble is caught by the foreign keys of whatever is written next,
   * so servers sharing a database cannot disagree through it.
   */
  private readonly rulesCache = new Map<string, EnsembleRules>();

  constructor(private readonly sql: Sql) {}

  /** An ensemble's immutable attributes, from memory when recently used; undefined when there is none. */
  async rules(id: string): Promise<EnsembleRules | undefined> {
    const cached = this.rulesCache.get(id);
    if (cached) return cached;
    const row = await this.sql.one<Pick<Row, "id" | "experiment_id" | "size" | "parameter_names" | "response_names" | "active_realizations">>({
      name: "ensemble.rules",
      text: `SELECT id, experiment_id, size, parameter_names, response_names, active_realizations FROM ensemble WHERE id = $1`,
      values: [uuid("ensemble_id", id)],
    });
    if (!row) return undefined;
    const rules: EnsembleRules = {
      id: row.id,
      experimentId: row.experiment_id,
      size: row.size,
      parameterNames: row.parameter_names ?? [],
      responseNames: row.response_names ?? [],
      activeRealizations: row.active_realizations ?? [],
    };
    if (this.rulesCache.size >= RULES_CACHED) this.rulesCache.delete(this.rulesCache.keys().next().value!);
    this.rulesCache.set(id, rules);
    return rules;
  }

  async get(id: string): Promise<EnsembleRow | undefined> {
    const row = await this.sql.one<Row>({ name: "ensemble.get", text: `${SELECT} WHERE en.id = $1`, values: [uuid("ensemble_id", id)] });
    return row && toRow(row);
  }

  /** The experiment's ensembles, oldest first; undefined when there is no such experiment. */
  async listForExperiment(experimentId: string): Promise<EnsembleRow[] | undefined> {
    uuid("experiment_id", experimentId);
    const rows = await this.sql.rows<Row>({
      name: "ensemble.list",
      text: `${SELECT} WHERE en.experiment_id = $1 ORDER BY en.time_created, en.id`,
      values: [experimentId],
    });
    if (rows.length === 0 && !(await this.sql.one("SELECT 1 FROM experiment WHERE id = $1", [experimentId]))) return undefined;
    return rows.map(toRow);
  }

  async updateTarget(updateId: string): Promise<UpdateTarget | undefined> {
    const row = await this.sql.one<{ id: string; experiment_id: string; reference_id: string; result_id: string | null }>(
      `SELECT u.id, en.experiment_id, u.ensemble_reference_id AS reference_id, u.ensemble_result_id AS result_id
         FROM "update" u JOIN ensemble en ON en.id = u.ensemble_reference_id WHERE u.id = $1`,
      [uuid("update_id", updateId)],
    );
    return row && { id: row.id, experimentId: row.experiment_id, referenceId: row.reference_id, resultId: row.result_id };
  }

  /**
   * Inserts the ensemble; with update it becomes that update's result in the same
   * transaction (409 if the update got a result meanwhile, and nothing is stored).
   */
  async create(input: NewEnsemble, update?: UpdateTarget): Promise<EnsembleRow> {
    return this.sql.transaction(async (tx) => {
      const { id } = (await tx.one<{ id: string }>(
        `INSERT INTO ensemble (id, experiment_id, size, parameter_names, response_names, active_realizations, userdata, time_updated)
         VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, now()) RETURNING id`,
        [
          uuid("experiment_id", input.experimentId),
          input.size,
          input.parameterNames,
          input.responseNames,
          input.activeRealizations,
          toJsonText(input.userdata),
        ],
      ))!;
      if (update) {
        const set = await tx.run(`UPDATE "update" SET ensemble_result_id = $1 WHERE id = $2 AND ensemble_result_id IS NULL`, [id, update.id]);
        if (set === 0) throw Errors.conflict(`Update '${update.id}' already has a result ensemble`);
      }
      return {
        id,
        ...input,
        parentEnsembleId: update?.referenceId ?? null,
        childEnsembleIds: [],
      };
    });
  }
}
