// Records: a name in an ensemble (record_info: class, type, prior) and its
// records, ensemble-wide (realization -1) or per realization, each holding a
// matrix or a file.
import type { Labels } from "../../formats/matrix";
import { labelsFromText } from "../../formats/labels";
import type { Columns } from "./copyOut";
import {
  LabelTexts,
  MATRIX_COLUMNS,
  MATRIX_COLUMN_TYPES,
  matrixColumns,
  matrixFromColumns,
  matrixMetaFromColumns,
  matrixParams,
  type MatrixColumns,
  type MatrixMeta,
  type StoredMatrix,
} from "./matrices";
import { Faults } from "./faults";
import type { Sql } from "./sql";
import type { Userdata } from "./userdata";
import { fromJsonText, uuid } from "./values";

/** Ensemble-wide records are stored with this realization. */
export const ENSEMBLE_WIDE = -1;

/**
 * A realization index as a query parameter. The column is int4, so an index past its range
 * has no record: it is asked as an index no record has (records are at ENSEMBLE_WIDE or at
 * an active realization, never below) rather than refused by PostgreSQL as out of range,
 * so a read answers 404 there as at any other absent realization (as the original does).
 * So is any negative index: -1 asked as itself read the ensemble-wide record as its own.
 */
export function realizationParam(index: number): number {
  return index >= 0 && index < 2 ** 31 ? index : NO_REALIZATION;
}

/** An index no record has. */
const NO_REALIZATION = ENSEMBLE_WIDE - 1;

export type RecordClass = "parameter" | "response" | "other";
export type RecordType = "matrix" | "file";
export type FileState = "staging" | "committing" | "committed";

export interface FileRow {
  id: string;
  filename: string;
  contentType: string;
  blobKey: string;
  size: number | null;
  state: FileState;
}

export interface RecordSummary {
  id: string;
  name: string;
  userdata: Userdata;
  hasObservations: boolean;
  recordClass: RecordClass;
  recordType: RecordType;
}

/** A record found by name, without its matrix data. */
export interface RecordRef extends RecordSummary {
  ensembleId: string;
  realization: number;
  recordType: RecordType;
  recordClass: RecordClass;
  file: FileRow | null;
}

export interface MatrixRecord {
  id: string;
  realization: number;
  /** a large matrix's values are in the blob store: the domain reads them */
  matrix: StoredMatrix;
  /** the parquet body as posted, when asked for and kept */
  parquet?: Buffer | null;
}

/** A per-realization matrix whose values were left to be read later (valuesOf, or the blob store). */
export interface DeferredMatrixRecord {
  id: string;
  realization: number;
  matrix: MatrixMeta;
}

/**
 * The values column of a per-realization stack: left out (NULL, deferred) when the stack
 * has $n values or more (counted over the first three axes; a matrix of more has no table
 * form and is read whole anyway): those are read a part at a time. An ensemble-wide
 * record's values always come.
 */
const STACK_VALUES = `sum(COALESCE(m.shape[1], 1)::bigint * COALESCE(m.shape[2], 1) * COALESCE(m.shape[3], 1)) OVER ()`;
const deferredWhen = (n: number) => `r.realization <> ${ENSEMBLE_WIDE} AND ${STACK_VALUES} >= $${n}::bigint`;
const stackValues = (n: number) => `CASE WHEN ${deferredWhen(n)} THEN NULL ELSE m.data END`;
const DEFERRED = (n: number) => `COALESCE(${deferredWhen(n)}, false) AS deferred`;

/** A file record's file: its content is either already stored (committed) or comes as blocks (staging). */
export type NewFile = Omit<FileRow, "state"> & { state: "staging" | "committed" };

export interface NewRecord {
  ensembleId: string;
  name: string;
  /** ENSEMBLE_WIDE or a realization index */
  realization: number;
  recordClass: RecordClass;
  recordType: RecordType;
  priorId: string | null;
  /**
   * a matrix (a large one's values already in the blob store under its blobKey), and the
   * parquet body it came from (kept to answer it as posted)
   */
  content: { matrix: StoredMatrix; parquet: Buffer | null } | { file: NewFile };
}

/** Why a record was not created; nothing of it was stored. */
export type Clash =
  | { clash: "class"; old: RecordClass }
  | { clash: "type"; old: RecordType }
  /** the realization already has a record of the name, or the name an ensemble-wide one */
  | { clash: "duplicate" }
  /** an ensemble-wide record of a name that has per-realization records */
  | { clash: "perRealization" };

interface FileColumns {
  file_id: string | null;
  filename: string;
  content_type: string;
  blob_key: string;
  size: string | null;
  state: FileState;
}

const FILE_COLUMNS = `f.id AS file_id, f.filename, f.content_type, f.blob_key, f.size, f.state`;
const FILE_COLUMN_TYPES: Columns = [
  ["file_id", "uuid"],
  ["filename", "text"],
  ["content_type", "text"],
  ["blob_key", "text"],
  ["size", "int8"],
  ["state", "text"],
];
const HAS_OBSERVATIONS = `EXISTS (SELECT 1 FROM observation_record o WHERE o.record_id = r.id) AS has_observations`;

function fileFrom(row: FileColumns): FileRow | null {
  if (!row.file_id) return null;
  return {
    id: row.file_id,
    filename: row.filename,
    contentType: row.content_type,
    blobKey: row.blob_key,
    size: row.size === null ? null : Number(row.size),
    state: row.state,
  };
}

interface SummaryRow {
  id: string;
  name: string;
  userdata: string;
  has_observations: boolean;
  record_class: RecordClass;
  record_type: RecordType;
}

function summaryFrom(row: SummaryRow): RecordSummary {
  return {
    id: row.id,
    name: row.name,
    userdata: fromJsonText(row.userdata),
    hasObservations: row.has_observations,
    recordClass: row.record_class,
    recordType: row.record_type,
  };
}

export class RecordRepository {
  constructor(
    private readonly sql: Sql,
    private readonly faults = new Faults(),
  ) {}

  /**
   * Creates a record in one statement (the function ert_create_record, see its
   * migration) that enforces the record rules under any concurrency: the name keeps
   * its first class and type, one record per realization, and a name is either
   * ensemble-wide or per realization, never both. On a refusal nothing is stored.
   */
  async create(input: NewRecord): Promise<{ id: string } | Clash> {
    const matrix = "matrix" in input.content ? input.content : null;
    const file = "file" in input.content ? input.content.file : null;
    const [shape, data, columns, rows] = matrix ? matrixParams(matrix.matrix) : [null, null, null, null];
    try {
      const row = await this.sql.one<{ id: string }>({
        name: "record.create",
        text: `SELECT ert_create_record($1, $2, $3, $4::record_class, $5::record_type, $6, $7, $8, $9, $10, $11,
                                        $12, $13, $14, $15, $16, $17::file_state) AS id`,
        values: [
          uuid("ensemble_id", input.ensembleId),
          input.name,
          input.realization,
          input.recordClass,
          input.recordType,
          input.priorId,
          shape,
          data,
          columns,
          rows,
          matrix?.parquet ?? null,
          file?.id ?? null,
          file?.filename ?? null,
          file?.contentType ?? null,
          file?.blobKey ?? matrix?.matrix.blobKey ?? null,
          file?.size ?? null,
          file?.state ?? null,
        ],
      });
      return { id: row!.id };
    } catch (error) {
      const refused = error as { code?: string; message?: string; detail?: string };
      if (refused.code !== "ERT01") throw error;
      switch (refused.message) {
        case "class":
          return { clash: "class", old: refused.detail as RecordClass };
        case "type":
          return { clash: "type", old: refused.detail as RecordType };
        case "perRealization":
          return { clash: "perRealization" };
        default:
          return { clash: "duplicate" };
      }
    }
  }

  /**
   * The record a name means for a realization: its own, else (for a realization) the
   * ensemble-wide matrix. Without a realization: the ensemble-wide record.
   */
  async findByName(ensembleId: string, name: string, realization: number | undefined): Promise<RecordRef | undefined> {
    const rows = await this.sql.rows<SummaryRow & FileColumns & { realization: number }>({
      name: "record.findByName",
      text: `SELECT r.id, ri.name, r.userdata, r.realization, ri.record_type, ri.record_class, ${HAS_OBSERVATIONS}, ${FILE_COLUMNS}
               FROM record_info ri
               JOIN record r ON r.record_info_id = ri.id
               LEFT JOIN file f ON f.record_id = r.id
              WHERE ri.ensemble_id = $1 AND ri.name = $2 AND r.realization IN ($3, ${ENSEMBLE_WIDE})`,
      values: [uuid("ensemble_id", ensembleId), name, realization === undefined ? ENSEMBLE_WIDE : realizationParam(realization)],
    });
    const wanted = realization === undefined ? ENSEMBLE_WIDE : realizationParam(realization);
    const row =
      rows.find((r) => r.realization === wanted) ??
      (realization !== undefined ? rows.find((r) => r.realization === ENSEMBLE_WIDE && r.record_type === "matrix") : undefined);
    if (!row) return undefined;
    return {
      ...summaryFrom(row),
      ensembleId,
      realization: row.realization,
      recordType: row.record_type,
      recordClass: row.record_class,
      file: fileFrom(row),
    };
  }

  /**
   * What GET /ensembles/{id}/records/{name} reads. Without a realization: the
   * ensemble-wide record if there is one, else every per-realization record, by
   * realization. With one: that realization's record and the ensemble-wide one.
   * undefined when the ensemble has no such name.
   */
  async read(
    ensembleId: string,
    name: string,
    realization: number | undefined,
    options: { withParquet?: boolean; valuesBelow?: number } = {},
  ): Promise<
    | { type: "matrix"; records: MatrixRecord[] }
    | { type: "deferred"; records: DeferredMatrixRecord[] }
    | { type: "file"; records: { realization: number; file: FileRow }[] }
    | undefined
  > {
    const rows = await this.sql.copyRows<
      MatrixColumns & FileColumns & { id: string | null; realization: number; record_type: RecordType; parquet: Buffer | null; deferred: boolean }
    >(
      {
        text: `SELECT ri.record_type, r.id, r.realization, ${matrixColumns(stackValues(4))}, ${DEFERRED(4)},
                    ${options.withParquet ? "m.parquet" : "NULL::bytea AS parquet"}, ${FILE_COLUMNS}
               FROM record_info ri
               LEFT JOIN record r ON r.record_info_id = ri.id AND (
                      ($3::int IS NULL AND (r.realization = ${ENSEMBLE_WIDE} OR NOT EXISTS (
                         SELECT 1 FROM record w WHERE w.record_info_id = ri.id AND w.realization = ${ENSEMBLE_WIDE})))
                   OR r.realization IN ($3::int, ${ENSEMBLE_WIDE}))
               LEFT JOIN matrix m ON m.record_id = r.id
               LEFT JOIN file f ON f.record_id = r.id
              WHERE ri.ensemble_id = $1 AND ri.name = $2
              ORDER BY r.realization`,
        values: [
          uuid("ensemble_id", ensembleId),
          name,
          realization === undefined ? null : realizationParam(realization),
          realization === undefined ? (options.valuesBelow ?? null) : null,
        ],
      },
      [
        ["record_type", "text"],
        ["id", "uuid"],
        ["realization", "int4"],
        ...MATRIX_COLUMN_TYPES,
        ["deferred", "bool"],
        ["parquet", "bytea"],
        ...FILE_COLUMN_TYPES,
      ],
    );
    if (rows.length === 0) return undefined;
    const present = rows.filter((r) => r.id !== null);
    if (rows[0].record_type === "file") {
      return { type: "file", records: present.map((r) => ({ realization: r.realization, file: fileFrom(r)! })) };
    }
    const texts = new LabelTexts();
    if (present.some((r) => r.deferred)) {
      return { type: "deferred", records: present.map((r) => ({ id: r.id!, realization: r.realization, matrix: matrixMetaFromColumns(r, texts) })) };
    }
    return {
      type: "matrix",
      records: present.map((r) => ({ id: r.id!, realization: r.realization, matrix: matrixFromColumns(r, texts), parquet: r.parquet })),
    };
  }

  /** Column labels of the name's first record (ensemble-wide first); undefined when it has no record. */
  async columnLabels(ensembleId: string, name: string): Promise<{ labels: Labels | null } | undefined> {
    const row = await this.sql.one<{ column_labels: string | null }>({
      name: "record.columnLabels",
      text: `SELECT m.column_labels FROM record_info ri
               JOIN record r ON r.record_info_id = ri.id
               LEFT JOIN matrix m ON m.record_id = r.id
              WHERE ri.ensemble_id = $1 AND ri.name = $2
              ORDER BY r.realization LIMIT 1`,
      values: [uuid("ensemble_id", ensembleId), name],
    });
    // a long text is parsed only if asked (labelsFromText): /labels answers it a piece at a time
    return row && { labels: row.column_labels === null ? null : labelsFromText(row.column_labels) };
  }

  /** Column labels of each name's first record, for names that have one. */
  async columnLabelsOf(ensembleId: string, names: string[]): Promise<Map<string, Labels | null>> {
    const rows = await this.sql.rows<{ name: string; column_labels: string | null }>({
      name: "record.columnLabelsOf",
      text: `SELECT DISTINCT ON (ri.name) ri.name, m.column_labels FROM record_info ri
               JOIN record r ON r.record_info_id = ri.id
               LEFT JOIN matrix m ON m.record_id = r.id
              WHERE ri.ensemble_id = $1 AND ri.name = ANY($2::text[])
              ORDER BY ri.name, r.realization`,
      values: [uuid("ensemble_id", ensembleId), names],
    });
    return new Map(rows.map((r) => [r.name, fromJsonText<Labels | null>(r.column_labels)]));
  }

  /** One record per name (the ensemble-wide one where there is one), optionally of one class. */
  async list(ensembleId: string, recordClass?: RecordClass): Promise<RecordSummary[]> {
    const rows = await this.sql.rows<SummaryRow>({
      name: "record.list",
      text: `SELECT DISTINCT ON (ri.name) r.id, ri.name, r.userdata, ri.record_class, ri.record_type, ${HAS_OBSERVATIONS}
               FROM record_info ri JOIN record r ON r.record_info_id = ri.id
              WHERE ri.ensemble_id = $1 AND ($2::record_class IS NULL OR ri.record_class = $2::record_class)
              ORDER BY ri.name, r.realization`,
      values: [uuid("ensemble_id", ensembleId), recordClass ?? null],
    });
    return rows.map(summaryFrom);
  }

  async getById(id: string): Promise<RecordSummary | undefined> {
    const row = await this.sql.one<SummaryRow>({
      name: "record.getById",
      text: `SELECT r.id, ri.name, r.userdata, ri.record_class, ri.record_type, ${HAS_OBSERVATIONS}
               FROM record r JOIN record_info ri ON ri.id = r.record_info_id WHERE r.id = $1`,
      values: [uuid("record_id", id)],
    });
    return row && summaryFrom(row);
  }

  async dataById(
    id: string,
    withParquet = false,
  ): Promise<{ realization: number; matrix: StoredMatrix | null; parquet: Buffer | null; file: FileRow | null } | undefined> {
    const [row] = await this.sql.copyRows<MatrixColumns & FileColumns & { realization: number; shape: number[] | null; parquet: Buffer | null }>(
      {
        text: `SELECT r.realization, ${MATRIX_COLUMNS},
                      ${withParquet ? "m.parquet" : "NULL::bytea AS parquet"}, ${FILE_COLUMNS}
                 FROM record r LEFT JOIN matrix m ON m.record_id = r.id LEFT JOIN file f ON f.record_id = r.id
                WHERE r.id = $1`,
        values: [uuid("record_id", id)],
      },
      [["realization", "int4"], ...MATRIX_COLUMN_TYPES, ["parquet", "bytea"], ...FILE_COLUMN_TYPES],
    );
    if (!row) return undefined;
    return { realization: row.realization, matrix: row.shape ? matrixFromColumns(row) : null, parquet: row.parquet, file: fileFrom(row) };
  }

  /**
   * Per-realization matrices of a name, by realization: all of them, or (linkedOnly)
   * those linked to an observation, optionally of one realization (as misfits use them).
   */
  async perRealizationMatrices(ensembleId: string, name: string, options: { linkedOnly?: boolean; realization?: number } = {}): Promise<MatrixRecord[]> {
    return ((await this.perRealization(ensembleId, name, options)) as { records: MatrixRecord[] }).records;
  }

  /** Every per-realization matrix of a name, by realization; a stack of valuesBelow values or more comes without its values. */
  perRealizationStack(
    ensembleId: string,
    name: string,
    valuesBelow: number,
  ): Promise<{ type: "matrix"; records: MatrixRecord[] } | { type: "deferred"; records: DeferredMatrixRecord[] }> {
    return this.perRealization(ensembleId, name, { valuesBelow });
  }

  private async perRealization(
    ensembleId: string,
    name: string,
    options: { linkedOnly?: boolean; realization?: number; valuesBelow?: number },
  ): Promise<{ type: "matrix"; records: MatrixRecord[] } | { type: "deferred"; records: DeferredMatrixRecord[] }> {
    const rows = await this.sql.copyRows<MatrixColumns & { id: string; realization: number; deferred: boolean }>(
      {
        text: `SELECT r.id, r.realization, ${matrixColumns(stackValues(5))}, ${DEFERRED(5)}
               FROM record_info ri
               JOIN record r ON r.record_info_id = ri.id
               JOIN matrix m ON m.record_id = r.id
              WHERE ri.ensemble_id = $1 AND ri.name = $2
                AND (($3::int IS NULL AND r.realization <> ${ENSEMBLE_WIDE}) OR r.realization = $3::int)
                AND (NOT $4::boolean OR EXISTS (SELECT 1 FROM observation_record o WHERE o.record_id = r.id))
              ORDER BY r.realization`,
        values: [
          uuid("ensemble_id", ensembleId),
          name,
          options.realization === undefined ? null : realizationParam(options.realization),
          options.linkedOnly ?? false,
          options.valuesBelow ?? null,
        ],
      },
      [["id", "uuid"], ["realization", "int4"], ...MATRIX_COLUMN_TYPES, ["deferred", "bool"]],
    );
    const texts = new LabelTexts();
    if (rows.some((r) => r.deferred)) {
      return { type: "deferred", records: rows.map((r) => ({ id: r.id, realization: r.realization, matrix: matrixMetaFromColumns(r, texts) })) };
    }
    return { type: "matrix", records: rows.map((r) => ({ id: r.id, realization: r.realization, matrix: matrixFromColumns(r, texts) })) };
  }

  /**
   * The inline values of the given records' matrices, each to onValues as it arrives (a view
   * valid during the call only); records whose values are in the blob store, or that are
   * gone, are not called for.
   */
  async valuesOf(ids: string[], onValues: (id: string, bytes: Buffer) => void): Promise<void> {
    this.faults.hit("record.valuesOf");
    await this.sql.copyEach<{ id: string; data: Buffer }>(
      {
        text: `SELECT m.record_id AS id, m.data FROM matrix m WHERE m.record_id = ANY($1::uuid[]) AND m.data IS NOT NULL`,
        values: [ids.map((id) => uuid("record_id", id))],
      },
      [["id", "uuid"], ["data", "bytea"]],
      (row) => onValues(row.id, row.data),
    );
  }
}
