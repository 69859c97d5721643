// Updates from one ensemble to the next, with per-observation transformations
// (scale is float8[] written as a literal we format: exact).
import type { Sql } from "./sql";
import { float8Array, uuid } from "./values";

export interface UpdateRow {
  id: string;
  experimentId: string;
  algorithm: string;
  ensembleReferenceId: string;
  ensembleResultId: string | null;
}

export interface NewTransformation {
  name: string;
  active: boolean[];
  scale: number[];
  observationId: string;
}

export interface NewUpdate {
  experimentId: string;
  algorithm: string;
  ensembleReferenceId: string;
  ensembleResultId: string | null;
  transformations: NewTransformation[];
}

export class UpdateRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * The update and its transformations in one transaction. A result ensemble that
   * already has a parent update, or an observation transformed twice, is a 409 from
   * the unique keys, and nothing is stored.
   */
  async create(input: NewUpdate): Promise<UpdateRow> {
    return this.sql.transaction(async (tx) => {
      const { id } = (await tx.one<{ id: string }>(
        `INSERT INTO "update" (id, algorithm, ensemble_reference_id, ensemble_result_id)
         VALUES (gen_random_uuid(), $1, $2, $3) RETURNING id`,
        [input.algorithm, uuid("ensemble_reference_id", input.ensembleReferenceId), input.ensembleResultId],
      ))!;
      for (const t of input.transformations) {
        await tx.run(
          `INSERT INTO observation_transformation (id, update_id, observation_id, name, active, scale)
           VALUES (gen_random_uuid(), $1, $2, $3, $4::boolean[], $5::float8[])`,
          [id, uuid("observation_id", t.observationId), t.name, t.active, float8Array(t.scale)],
        );
      }
      return {
        id,
        experimentId: input.experimentId,
        algorithm: input.algorithm,
        ensembleReferenceId: input.ensembleReferenceId,
        ensembleResultId: input.ensembleResultId,
      };
    });
  }

  async get(id: string): Promise<UpdateRow | undefined> {
    const row = await this.sql.one<{ id: string; experiment_id: string; algorithm: string; reference: string; result: string | null }>({
      name: "update.get",
      text: `SELECT u.id, en.experiment_id, u.algorithm, u.ensemble_reference_id AS reference, u.ensemble_result_id AS result
               FROM "update" u JOIN ensemble en ON en.id = u.ensemble_reference_id WHERE u.id = $1`,
      values: [uuid("update_id", id)],
    });
    return (
      row && {
        id: row.id,
        experimentId: row.experiment_id,
        algorithm: row.algorithm,
        ensembleReferenceId: row.reference,
        ensembleResultId: row.result,
      }
    );
  }
}
