// Records: named matrices and files of an ensemble, ensemble-wide or per realization.
import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import { decodeMatrix, FormatError, type Matrix, type MatrixMediaType } from "../formats";
import { labelValues } from "../formats/labels";
import type { Labels } from "../formats/matrix";
import { blobKeys } from "../store/blob";
import { isUniqueViolation } from "../store/db/errors";
import { perRealizationMatrices, recordMatrices } from "../store/db/matrices";
import { mergeUserdataInDb } from "../store/db/userdata";
import type { Deps } from "./context";
import { AppError, Errors, ItemNotFound } from "./errors";
import { requireTable, selectColumn, selectRow, stackRows, withRealizationIndex } from "./frames";
import { asUserdata, type Userdata } from "./userdata";

/** Ensemble-wide records are stored with this realization. */
export const ENSEMBLE_WIDE = -1;

export type RecordClass = "parameter" | "response" | "other";
export type RecordType = "matrix" | "file";

export interface RecordOut {
  id: string;
  name: string;
  userdata: Userdata;
  has_observations: boolean;
  /** parameter (in the ensemble's parameter_names), response (in response_names) or other */
  record_class: RecordClass;
  /** a matrix (read in any format) or a file (read as stored) */
  record_type: RecordType;
}

export interface ParameterOut {
  name: string;
  labels: (string | number)[];
}

export interface StoredFile {
  id: string;
  filename: string;
  contentType: string;
  blobKey: string;
  size: bigint | null;
}

export type RecordData = { kind: "matrix"; matrix: Matrix } | { kind: "file"; file: StoredFile; content: Readable };

/** An uploaded file whose content is already in the blob store under blobKey. */
export interface UploadedFile {
  fileId: string;
  blobKey: string;
  size: number;
  filename: string;
  contentType: string;
}

/** Just what RecordOut needs. */
const outInclude = {
  recordInfo: { select: { name: true, recordClass: true, recordType: true } },
  _count: { select: { observations: true } },
};

/** A record found by name: what its users need, without the matrix data. */
const lookupInclude = {
  recordInfo: { select: { name: true, recordType: true, recordClass: true, ensembleId: true } },
  file: true,
  _count: { select: { observations: true } },
};

type RecordRow = {
  id: string;
  realization: number;
  userdata: unknown;
  recordInfo: { name: string; recordType: RecordType; recordClass: RecordClass; ensembleId: string };
  file: (StoredFile & { committed: boolean }) | null;
  _count: { observations: number };
};

export function recordOut(
  row: Pick<RecordRow, "id" | "userdata" | "_count"> & { recordInfo: Pick<RecordRow["recordInfo"], "name" | "recordClass" | "recordType"> },
): RecordOut {
  return {
    id: row.id,
    name: row.recordInfo.name,
    userdata: row.userdata as Userdata,
    has_observations: row._count.observations > 0,
    record_class: row.recordInfo.recordClass,
    record_type: row.recordInfo.recordType,
  };
}

export function matrixOf(row: { shape: number[]; data: Uint8Array; columnLabels: unknown; rowLabels: unknown }): Matrix {
  const bytes = Buffer.from(row.data);
  const data = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return {
    shape: row.shape,
    data,
    columns: (row.columnLabels as Labels | null) ?? null,
    index: (row.rowLabels as Labels | null) ?? null,
  };
}

function matrixData(m: Matrix) {
  return {
    shape: m.shape,
    data: Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength),
    columnLabels: (m.columns ?? undefined) as object | undefined,
    rowLabels: (m.index ?? undefined) as object | undefined,
  };
}

function realizationOf(index: number | undefined): number {
  return index ?? ENSEMBLE_WIDE;
}

export class RecordService {
  constructor(private readonly deps: Deps) {}

  // ---- creating -------------------------------------------------------

  async createMatrix(
    ensembleId: string,
    name: string,
    realizationIndex: number | undefined,
    priorName: string | undefined,
    mediaType: MatrixMediaType | null,
    body: unknown,
  ): Promise<RecordOut> {
    const ensemble = await this.checkNewRecord(ensembleId, name, realizationIndex);
    const recordClass: RecordClass = ensemble.parameterNames.includes(name)
      ? "parameter"
      : ensemble.responseNames.includes(name)
        ? "response"
        : "other";
    let priorId: string | null = null;
    if (priorName !== undefined) {
      if (recordClass !== "parameter") throw Errors.unprocessable("Priors can only be specified for parameter records");
      const prior = await this.deps.prisma.prior.findUnique({
        where: { experimentId_name: { experimentId: ensemble.experimentId, name: priorName } },
      });
      if (!prior) throw Errors.notFound(`Prior '${priorName}' not found in the ensemble's experiment`);
      priorId = prior.id;
    }
    const what =
      realizationIndex === undefined
        ? `Ensemble-wide record '${name}'`
        : `Forward-model record '${name}' for realization ${realizationIndex}`;
    if (mediaType === null) {
      throw Errors.unprocessable(
        `${what} needs to be a matrix: unsupported Content-Type; use application/json, application/x-numpy, text/csv or application/x-parquet`,
      );
    }
    let matrix: Matrix;
    try {
      matrix = decodeMatrix(mediaType, body);
    } catch (error) {
      if (error instanceof FormatError || error instanceof SyntaxError) {
        throw Errors.unprocessable(`${what} needs to be a matrix: ${error.message}`);
      }
      throw error;
    }
    if (realizationIndex === undefined && recordClass === "parameter" && matrix.shape.length < 2) {
      throw Errors.unprocessable(
        `Ensemble-wide parameter record '${name}' for ensemble '${ensembleId}' must have dimensionality of at least 2`,
      );
    }
    return this.insertRecord(ensembleId, name, realizationIndex, recordClass, "matrix", priorId, {
      matrix: { create: matrixData(matrix) },
    });
  }

  /** Records a file whose content the upload already put in the blob store; removes it on failure. */
  async createFile(ensembleId: string, name: string, realizationIndex: number | undefined, upload: UploadedFile) {
    try {
      await this.checkNewRecord(ensembleId, name, realizationIndex);
      await this.insertRecord(ensembleId, name, realizationIndex, "other", "file", null, {
        file: {
          create: {
            id: upload.fileId,
            filename: upload.filename,
            contentType: upload.contentType,
            blobKey: upload.blobKey,
            size: BigInt(upload.size),
            committed: true,
          },
        },
      });
    } catch (error) {
      await this.deps.blobs.delete([upload.blobKey]);
      throw error;
    }
  }

  /** A file record filled later by staged blocks. */
  async createBlob(ensembleId: string, name: string, realizationIndex: number | undefined): Promise<void> {
    await this.checkNewRecord(ensembleId, name, realizationIndex);
    const fileId = randomUUID();
    await this.insertRecord(ensembleId, name, realizationIndex, "other", "file", null, {
      file: {
        create: {
          id: fileId,
          filename: name,
          contentType: "application/octet-stream",
          blobKey: blobKeys.file(fileId),
          committed: false,
        },
      },
    });
  }

  async stageBlock(
    ensembleId: string,
    name: string,
    realizationIndex: number | undefined,
    blockIndex: number,
    content: Readable,
  ): Promise<void> {
    if (!Number.isInteger(blockIndex) || blockIndex < 0) {
      throw Errors.unprocessable(`block_index must be a whole number >= 0, not ${blockIndex}`);
    }
    const file = await this.blobFile(ensembleId, name, realizationIndex);
    const blobKey = blobKeys.block(file.id, blockIndex);
    const size = await this.deps.blobs.stageBlock(file.blobKey, blobKey, content);
    await this.deps.prisma.fileBlock.upsert({
      where: { fileId_blockIndex: { fileId: file.id, blockIndex } },
      create: { fileId: file.id, blockIndex, blobKey, size: BigInt(size) },
      update: { size: BigInt(size) },
    });
  }

  async commitBlob(ensembleId: string, name: string, realizationIndex: number | undefined): Promise<void> {
    const file = await this.blobFile(ensembleId, name, realizationIndex);
    const blocks = await this.deps.prisma.fileBlock.findMany({ where: { fileId: file.id }, orderBy: { blockIndex: "asc" } });
    if (blocks.length === 0) throw Errors.unprocessable(`No blocks were staged for record '${name}'`);
    const missing: number[] = [];
    const last = blocks[blocks.length - 1].blockIndex;
    const present = new Set(blocks.map((b) => b.blockIndex));
    for (let i = 0; i <= last; i++) if (!present.has(i)) missing.push(i);
    if (missing.length > 0) {
      throw Errors.unprocessable(`Cannot commit record '${name}': block(s) ${missing.join(", ")} missing`, {
        missing_block_indices: missing,
      });
    }
    await this.deps.blobs.commitBlocks(
      file.blobKey,
      blocks.map((b) => b.blobKey),
    );
    const size = blocks.reduce((n, b) => n + b.size, 0n);
    await this.deps.prisma.$transaction([
      this.deps.prisma.file.update({ where: { id: file.id }, data: { committed: true, size } }),
      this.deps.prisma.fileBlock.deleteMany({ where: { fileId: file.id } }),
    ]);
  }

  private async blobFile(ensembleId: string, name: string, realizationIndex: number | undefined) {
    const record = await this.findByName(ensembleId, name, realizationIndex);
    if (!record.file) throw Errors.expectation(`Record '${name}' is not a file record`);
    return record.file;
  }

  /** The checks before a new record: ensemble exists, realization is active, name is free. */
  private async checkNewRecord(ensembleId: string, name: string, realizationIndex: number | undefined) {
    const ensemble = await this.deps.prisma.ensemble.findUnique({ where: { id: ensembleId } });
    if (!ensemble) throw new ItemNotFound("ensemble");
    if (
      realizationIndex !== undefined &&
      (realizationIndex < 0 || (ensemble.size !== -1 && !ensemble.activeRealizations.includes(realizationIndex)))
    ) {
      throw Errors.expectation(
        `Realization index ${realizationIndex} outside of allowed realization indices [${ensemble.activeRealizations.join(", ")}]`,
      );
    }
    const existing = await this.deps.prisma.record.count({
      where: {
        recordInfo: { ensembleId, name },
        realization: { in: [ENSEMBLE_WIDE, realizationOf(realizationIndex)] },
      },
    });
    if (existing > 0) throw this.duplicate(ensembleId, name, realizationIndex);
    return ensemble;
  }

  private duplicate(ensembleId: string, name: string, realizationIndex: number | undefined): AppError {
    return realizationIndex === undefined
      ? Errors.conflict(`Ensemble-wide record '${name}' for ensemble '${ensembleId}' already exists`)
      : Errors.conflict(
          `Record '${name}' for ensemble '${ensembleId}' already exists for realization ${realizationIndex} or ensemble-wide`,
        );
  }

  /** Inserts the record, creating its record info if this is the first record of the name. */
  private async insertRecord(
    ensembleId: string,
    name: string,
    realizationIndex: number | undefined,
    recordClass: RecordClass,
    recordType: RecordType,
    priorId: string | null,
    content: object,
  ): Promise<RecordOut> {
    const { prisma } = this.deps;
    // Many realizations post the first record of a name at once: insert-or-keep is atomic.
    await prisma.$executeRaw`
      INSERT INTO record_info (id, ensemble_id, name, record_class, record_type, prior_id)
      VALUES (gen_random_uuid(), ${ensembleId}::uuid, ${name}, ${recordClass}::record_class,
              ${recordType}::record_type, ${priorId}::uuid)
      ON CONFLICT (ensemble_id, name) DO NOTHING`;
    const info = await prisma.recordInfo.findUniqueOrThrow({ where: { ensembleId_name: { ensembleId, name } } });
    if (info.recordClass !== recordClass) {
      throw Errors.conflict("Record class of new record does not match previous record class", {
        new_record_class: recordClass,
        old_record_class: info.recordClass,
      });
    }
    if (info.recordType !== recordType) {
      throw Errors.conflict("Record type of new record does not match previous record type", {
        new_record_type: recordType,
        old_record_type: info.recordType,
      });
    }
    if (priorId && info.priorId !== priorId) {
      await prisma.recordInfo.update({ where: { id: info.id }, data: { priorId } });
    }
    try {
      const row = await prisma.record.create({
        data: { recordInfoId: info.id, realization: realizationOf(realizationIndex), ...content },
        include: outInclude,
      });
      return recordOut(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw this.duplicate(ensembleId, name, realizationIndex);
      throw error;
    }
  }

  // ---- reading --------------------------------------------------------

  /**
   * The record a name means: that realization's own, else (for a realization)
   * the ensemble-wide matrix; 404 "Record not found" otherwise.
   */
  async findByName(ensembleId: string, name: string, realizationIndex: number | undefined): Promise<RecordRow> {
    const rows = await this.deps.prisma.record.findMany({
      where: { recordInfo: { ensembleId, name }, realization: { in: [ENSEMBLE_WIDE, realizationOf(realizationIndex)] } },
      include: lookupInclude,
    });
    const own = rows.find((r) => r.realization === realizationOf(realizationIndex));
    if (own) return own;
    const wide = rows.find((r) => r.realization === ENSEMBLE_WIDE && r.recordInfo.recordType === "matrix");
    if (wide && realizationIndex !== undefined) return wide;
    throw Errors.notFound("Record not found");
  }

  /** The data of GET /ensembles/{id}/records/{name}. */
  async getData(
    ensembleId: string,
    name: string,
    realizationIndex: number | undefined,
    label: string | undefined,
  ): Promise<RecordData> {
    const { prisma } = this.deps;
    const info = await prisma.recordInfo.findUnique({ where: { ensembleId_name: { ensembleId, name } } });
    if (!info) throw Errors.notFound("Record not found");
    let matrix: Matrix;
    if (info.recordType === "file") {
      const record = await prisma.record.findUnique({
        where: { recordInfoId_realization: { recordInfoId: info.id, realization: realizationOf(realizationIndex) } },
        include: { file: true },
      });
      if (!record?.file) throw Errors.notFound("Record not found");
      return this.fileData(record.file);
    }
    if (realizationIndex === undefined) {
      // through the pg pool: Prisma's Bytes path dominates for many realizations
      const rows = await recordMatrices(this.deps.pool, info.id);
      const wide = rows.find((r) => r.realization === ENSEMBLE_WIDE);
      if (wide) matrix = matrixOf(wide);
      else if (rows.length > 0) {
        const frames = rows.map((r) => withRealizationIndex(matrixOf(r), r.realization));
        frames.forEach((f) => this.table(f));
        matrix = stackRows(frames);
      } else throw Errors.notFound("Record not found");
    } else {
      const rows = await prisma.record.findMany({
        where: { recordInfoId: info.id, realization: { in: [realizationIndex, ENSEMBLE_WIDE] } },
        include: { matrix: true },
      });
      const own = rows.find((r) => r.realization === realizationIndex);
      const wide = rows.find((r) => r.realization === ENSEMBLE_WIDE);
      if (own?.matrix) matrix = withRealizationIndex(matrixOf(own.matrix), realizationIndex);
      else if (wide?.matrix) {
        const row = selectRow(matrixOf(wide.matrix), realizationIndex);
        if (!row) throw Errors.notFound(`Record not found: the ensemble-wide matrix has no row ${realizationIndex}`);
        matrix = row;
      } else throw Errors.notFound("Record not found");
    }
    return { kind: "matrix", matrix: label === undefined ? matrix : this.onlyLabel(matrix, label) };
  }

  private onlyLabel(matrix: Matrix, label: string): Matrix {
    this.table(matrix);
    const column = selectColumn(matrix, label);
    if (!column) throw Errors.unprocessable(`Record label '${label}' not found!`);
    return column;
  }

  private table(m: Matrix): void {
    try {
      requireTable(m);
    } catch (error) {
      throw Errors.unprocessable((error as Error).message);
    }
  }

  private async fileData(file: StoredFile & { committed: boolean }): Promise<RecordData> {
    if (!file.committed) throw Errors.notFound("Record has no content: its block upload is not committed");
    return { kind: "file", file, content: await this.deps.blobs.read(file.blobKey) };
  }

  async labels(ensembleId: string, name: string): Promise<(string | number)[]> {
    const record = await this.deps.prisma.record.findFirst({
      where: { recordInfo: { ensembleId, name } },
      include: { matrix: { select: { columnLabels: true } } },
      orderBy: { realization: "asc" },
    });
    if (!record) throw Errors.notFound("Record not found");
    const labels = record.matrix?.columnLabels as Labels | null | undefined;
    return labels ? labelValues(labels) : [];
  }

  /** One record per name; the ensemble-wide one where there is one. */
  async list(ensembleId: string, recordClass?: RecordClass): Promise<Record<string, RecordOut>> {
    await this.requireEnsemble(ensembleId);
    const rows = await this.deps.prisma.record.findMany({
      where: { recordInfo: { ensembleId, ...(recordClass ? { recordClass } : {}) } },
      include: outInclude,
      orderBy: [{ realization: "asc" }],
    });
    const out: Record<string, RecordOut> = {};
    for (const row of rows) out[row.recordInfo.name] ??= recordOut(row);
    return out;
  }

  async parameters(ensembleId: string): Promise<ParameterOut[]> {
    const ensemble = await this.requireEnsemble(ensembleId);
    const infos = await this.deps.prisma.recordInfo.findMany({
      where: { ensembleId, name: { in: ensemble.parameterNames } },
      include: {
        records: { take: 1, orderBy: { realization: "asc" }, include: { matrix: { select: { columnLabels: true } } } },
      },
    });
    return ensemble.parameterNames.map((name) => {
      const labels = infos.find((i) => i.name === name)?.records[0]?.matrix?.columnLabels as Labels | null | undefined;
      return { name, labels: labels ? labelValues(labels) : [] };
    });
  }

  async getById(id: string): Promise<RecordOut> {
    const row = await this.deps.prisma.record.findUnique({ where: { id }, include: outInclude });
    if (!row) throw new ItemNotFound("record");
    return recordOut(row);
  }

  async dataById(id: string): Promise<RecordData> {
    const row = await this.deps.prisma.record.findUnique({ where: { id }, include: { matrix: true, file: true } });
    if (!row) throw new ItemNotFound("record");
    if (row.file) return this.fileData(row.file);
    const matrix = matrixOf(row.matrix!);
    return {
      kind: "matrix",
      matrix: row.realization === ENSEMBLE_WIDE ? matrix : withRealizationIndex(matrix, row.realization),
    };
  }

  private async requireEnsemble(id: string) {
    const ensemble = await this.deps.prisma.ensemble.findUnique({ where: { id } });
    if (!ensemble) throw new ItemNotFound("ensemble");
    return ensemble;
  }

  /** The CSV frame of a response over all realizations (GET /ensembles/{id}/responses/{name}/data). */
  async responseFrame(ensembleId: string, name: string): Promise<Matrix> {
    await this.requireEnsemble(ensembleId);
    const rows = await perRealizationMatrices(this.deps.pool, ensembleId, name);
    if (rows.length === 0) throw Errors.notFound(`No per-realization records of response '${name}' in this ensemble`);
    const frames = rows.map((r) => withRealizationIndex(matrixOf(r), r.realization));
    frames.forEach((f) => this.table(f));
    return stackRows(frames);
  }

  // ---- userdata -------------------------------------------------------

  async getUserdata(ensembleId: string, name: string, realizationIndex: number | undefined): Promise<Userdata> {
    return (await this.findByName(ensembleId, name, realizationIndex)).userdata as Userdata;
  }

  async putUserdata(ensembleId: string, name: string, realizationIndex: number | undefined, body: unknown) {
    const record = await this.findByName(ensembleId, name, realizationIndex);
    await this.deps.prisma.record.update({ where: { id: record.id }, data: { userdata: asUserdata(body) as object } });
  }

  async patchUserdata(ensembleId: string, name: string, realizationIndex: number | undefined, body: unknown) {
    const record = await this.findByName(ensembleId, name, realizationIndex);
    await mergeUserdataInDb(this.deps.prisma, "record", record.id, asUserdata(body));
  }
}

