// Reading many matrices at once. Their data goes through the pg pool: Prisma's
// Bytes path costs more than the computation for 1000 realizations.
import type { Pool } from "pg";

export interface MatrixRow {
  realization: number;
  shape: number[];
  data: Buffer;
  columnLabels: unknown;
  rowLabels: unknown;
}

/** Per-realization matrices of a response that are linked to an observation, by realization. */
export async function linkedResponseMatrices(
  pool: Pool,
  ensembleId: string,
  name: string,
  realization: number | undefined,
): Promise<(MatrixRow & { recordId: string })[]> {
  const result = await pool.query(
    `SELECT r.id AS "recordId", r.realization, m.shape, m.data, m.column_labels AS "columnLabels", m.row_labels AS "rowLabels"
       FROM record r
       JOIN record_info ri ON ri.id = r.record_info_id
       JOIN matrix m ON m.record_id = r.id
      WHERE ri.ensemble_id = $1 AND ri.name = $2 AND ri.record_type = 'matrix'
        AND (($3::int IS NULL AND r.realization <> -1) OR r.realization = $3::int)
        AND EXISTS (SELECT 1 FROM observation_record o WHERE o.record_id = r.id)
      ORDER BY r.realization`,
    [ensembleId, name, realization ?? null],
  );
  return result.rows;
}

/** Every matrix of a record (ensemble-wide first: realization -1), by realization. */
export async function recordMatrices(pool: Pool, recordInfoId: string): Promise<MatrixRow[]> {
  const result = await pool.query(
    `SELECT r.realization, m.shape, m.data, m.column_labels AS "columnLabels", m.row_labels AS "rowLabels"
       FROM record r
       JOIN matrix m ON m.record_id = r.id
      WHERE r.record_info_id = $1
      ORDER BY r.realization`,
    [recordInfoId],
  );
  return result.rows;
}

/** The per-realization matrices of a record of an ensemble, by realization. */
export async function perRealizationMatrices(pool: Pool, ensembleId: string, name: string): Promise<MatrixRow[]> {
  const result = await pool.query(
    `SELECT r.realization, m.shape, m.data, m.column_labels AS "columnLabels", m.row_labels AS "rowLabels"
       FROM record r
       JOIN record_info ri ON ri.id = r.record_info_id
       JOIN matrix m ON m.record_id = r.id
      WHERE ri.ensemble_id = $1 AND ri.name = $2 AND ri.record_type = 'matrix' AND r.realization <> -1
      ORDER BY r.realization`,
    [ensembleId, name],
  );
  return result.rows;
}
