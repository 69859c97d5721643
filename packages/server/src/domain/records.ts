// Records: named matrices and files of an ensemble, ensemble-wide or per
// realization. This file holds the rules for creating them; reading is in
// recordData.ts, block uploads in blockUploads.ts.
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { AppError, Errors } from "../errors";
import { LIMIT_VARIABLES } from "../config";
import { decodeMatrix, FormatError, type Matrix, type MatrixMediaType } from "../formats";
import { TooManyValues } from "../formats/matrix";
import { blobKeys } from "../store/blob";
import type { EnsembleRules } from "../store/db/ensembles";
import { MAX_REALIZATION_INDEX } from "./ensembles";
import {
  ENSEMBLE_WIDE,
  type Clash,
  type NewFile,
  type NewRecord,
  type RecordClass,
  type RecordRef,
  type RecordSummary,
} from "../store/db/records";
import type { StoredMatrix } from "../store/db/matrices";
import type { Deps } from "./context";
import { PARQUET_AS_POSTED_LIMIT, type MatrixValues } from "./matrixValues";
import type { Userdata, UserdataService } from "./userdata";

export { ENSEMBLE_WIDE } from "../store/db/records";
export type { RecordClass } from "../store/db/records";

export interface RecordOut {
  id: string;
  name: string;
  userdata: Userdata;
  has_observations: boolean;
  /** parameter (in the ensemble's parameter_names), response (in response_names) or other */
  record_class: RecordClass;
  /** a matrix (read in any format) or a file (read as stored) */
  record_type: "matrix" | "file";
}

/** A file whose content the upload already put in the blob store under blobKey. */
export interface UploadedFile {
  fileId: string;
  blobKey: string;
  size: number;
  filename: string;
  contentType: string;
}

export function recordOut(row: RecordSummary): RecordOut {
  return {
    id: row.id,
    name: row.name,
    userdata: row.userdata,
    has_observations: row.hasObservations,
    record_class: row.recordClass,
    record_type: row.recordType,
  };
}

function asPosted(body: unknown): Buffer | null {
  return Buffer.isBuffer(body) && body.length <= PARQUET_AS_POSTED_LIMIT ? body : null;
}

/** Longer names are refused: they are not names anyone types, and the name index has a byte limit. */
export const MAX_RECORD_NAME_LENGTH = 1024;

/**
 * A record name is one path segment of the API: no "/" (it would be two segments), not
 * "." or ".." (clients and proxies resolve those), no NUL, not empty, not endless.
 */
export function checkRecordName(name: string): void {
  const refuse = (why: string) => Errors.unprocessable(`Record name ${why}`);
  if (name.length === 0) throw refuse("may not be empty");
  if (name.length > MAX_RECORD_NAME_LENGTH) {
    throw refuse(`may have at most ${MAX_RECORD_NAME_LENGTH} characters, not ${name.length}`);
  }
  if (name.includes("/")) throw refuse(`'${name}' may not contain '/'`);
  if (name === "." || name === "..") throw refuse(`may not be '${name}'`);
  if (name.includes("\u0000")) throw refuse("may not contain NUL (\\u0000) characters");
}

function realizationOf(index: number | undefined): number {
  return index ?? ENSEMBLE_WIDE;
}

export class RecordService {
  constructor(
    private readonly deps: Deps,
    private readonly userdata: UserdataService,
    private readonly matrices: MatrixValues,
  ) {}

  async createMatrix(
    ensembleId: string,
    name: string,
    realizationIndex: number | undefined,
    priorName: string | undefined,
    mediaType: MatrixMediaType | null,
    body: unknown,
    declaredLength?: number,
  ): Promise<RecordOut> {
    checkRecordName(name);
    const ensemble = await this.ensembleFor(ensembleId, realizationIndex);
    const recordClass: RecordClass = ensemble.parameterNames.includes(name)
      ? "parameter"
      : ensemble.responseNames.includes(name)
        ? "response"
        : "other";
    let priorId: string | null = null;
    if (priorName !== undefined) {
      if (recordClass !== "parameter") throw Errors.unprocessable("Priors can only be specified for parameter records");
      priorId = (await this.deps.repos.experiments.priorId(ensemble.experimentId, priorName)) ?? null;
      if (priorId === null) throw Errors.notFound(`Prior '${priorName}' not found in the ensemble's experiment`);
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
    let decoded: Matrix | undefined;
    // A Parquet body kept to be answered as posted: only an ensemble-wide record is (a
    // realization's own is answered with its realization index as the row label). ERT's
    // per-realization response, a pandas file of 1 x 2000, is ~470 kB of footer around
    // 16 kB of values: kept, it was most of what such a POST wrote.
    let posted: Buffer | null = null;
    const keepPosted = realizationIndex === undefined;
    let streamed: StoredMatrix | undefined;
    try {
      if (body instanceof Readable) {
        // a body not read yet (see parseBodies): large values go into the blob store as they come
        const received =
          mediaType === "application/json"
            ? await this.matrices.receiveJson(body)
            : mediaType === "text/csv"
              ? await this.matrices.receiveCsv(body)
              : mediaType === "application/x-parquet"
                ? await this.matrices.receiveParquet(body, declaredLength)
                : await this.matrices.receiveNpy(body);
        if ("stored" in received) streamed = received.stored;
        else {
          decoded = received.matrix;
          if (keepPosted) posted = received.posted ?? null;
        }
      } else {
        decoded = await decodeMatrix(mediaType, body, this.matrices.maxParquetValues);
        if (mediaType === "application/x-parquet" && keepPosted) posted = asPosted(body);
      }
    } catch (error) {
      if (error instanceof TooManyValues && error.maxValues === Math.floor(this.deps.limits.matrixBytes / 8)) {
        // the limit set for matrix bodies bound it (not MAX_FRAME_VALUES): counted as they decode, as gzip bodies are
        const limit = this.deps.limits.matrixBytes;
        throw Errors.tooLarge(`Request body decodes to more than ${limit} bytes, the limit for matrices; ${LIMIT_VARIABLES.matrixBytes} sets it (${error.message})`);
      }
      if (error instanceof FormatError || error instanceof SyntaxError) {
        throw Errors.unprocessable(`${what} needs to be a matrix: ${error.message}`);
      }
      throw error;
    }
    const matrix = streamed ?? decoded!;
    if (realizationIndex === undefined && recordClass === "parameter" && matrix.shape.length < 2) {
      if (streamed) await this.matrices.discard(streamed.blobKey!);
      throw Errors.unprocessable(
        `Ensemble-wide parameter record '${name}' for ensemble '${ensembleId}' must have dimensionality of at least 2`,
      );
    }
    const stored = streamed ?? (await this.matrices.store(decoded!));
    try {
      const created = await this.insert({
        ensembleId,
        name,
        realization: realizationOf(realizationIndex),
        recordClass,
        recordType: "matrix",
        priorId,
        content: { matrix: stored, parquet: posted },
      });
      return { id: created.id, name, userdata: {}, has_observations: false, record_class: recordClass, record_type: "matrix" };
    } catch (error) {
      // values already in the blob store go with the refused record
      if (stored.blobKey) await this.matrices.discard(stored.blobKey);
      throw error;
    }
  }

  /** Records a file whose content the upload already stored; the content goes if the record cannot be made. */
  async createFile(ensembleId: string, name: string, realizationIndex: number | undefined, upload: UploadedFile): Promise<void> {
    try {
      await this.createFileRecord(ensembleId, name, realizationIndex, {
        id: upload.fileId,
        filename: upload.filename,
        contentType: upload.contentType,
        blobKey: upload.blobKey,
        size: upload.size,
        state: "committed",
      });
    } catch (error) {
      await this.deps.blobs.delete([upload.blobKey]);
      await this.deps.repos.sweep.forget([upload.blobKey]);
      throw error;
    }
  }

  /** A file record whose content comes later, as staged blocks. */
  async createBlob(ensembleId: string, name: string, realizationIndex: number | undefined): Promise<void> {
    const fileId = randomUUID();
    await this.createFileRecord(ensembleId, name, realizationIndex, {
      id: fileId,
      filename: name,
      contentType: "application/octet-stream",
      blobKey: blobKeys.file(fileId),
      size: null,
      state: "staging",
    });
  }

  private async createFileRecord(ensembleId: string, name: string, realizationIndex: number | undefined, file: NewFile): Promise<void> {
    checkRecordName(name);
    await this.ensembleFor(ensembleId, realizationIndex);
    await this.insert({
      ensembleId,
      name,
      realization: realizationOf(realizationIndex),
      recordClass: "other",
      recordType: "file",
      priorId: null,
      content: { file },
    });
  }

  /** The ensemble a new record goes to, after checking the realization is one of its active ones. */
  private async ensembleFor(ensembleId: string, realizationIndex: number | undefined): Promise<EnsembleRules> {
    const ensemble = await this.deps.repos.ensembles.rules(ensembleId);
    if (!ensemble) throw Errors.itemNotFound();
    if (
      realizationIndex !== undefined &&
      (realizationIndex < 0 ||
        realizationIndex > MAX_REALIZATION_INDEX ||
        (ensemble.size !== -1 && !ensemble.activeRealizations.includes(realizationIndex)))
    ) {
      throw Errors.expectation(
        `Realization index ${realizationIndex} outside of allowed realization indices [${ensemble.activeRealizations.join(", ")}]`,
      );
    }
    return ensemble;
  }

  private async insert(input: NewRecord): Promise<{ id: string }> {
    let result;
    try {
      result = await this.deps.repos.records.create(input);
    } catch (error) {
      // the ensemble was deleted since its rules were read
      if (error instanceof AppError && error.code === "not_found") throw Errors.itemNotFound();
      throw error;
    }
    if ("id" in result) return result;
    throw clashError(result, input);
  }

  // ---- by name ----------------------------------------------------------

  /** The record a name means for a realization (its own, else the ensemble-wide matrix); 404 otherwise. */
  async findByName(ensembleId: string, name: string, realizationIndex: number | undefined): Promise<RecordRef> {
    const record = await this.deps.repos.records.findByName(ensembleId, name, realizationIndex);
    if (!record) throw Errors.notFound("Record not found");
    return record;
  }

  /** One record per name (the ensemble-wide one where there is one). */
  async list(ensembleId: string, recordClass?: RecordClass): Promise<Record<string, RecordOut>> {
    const rows = await this.deps.repos.records.list(ensembleId, recordClass);
    if (rows.length === 0 && !(await this.deps.repos.ensembles.get(ensembleId))) throw Errors.itemNotFound();
    return Object.fromEntries(rows.map((row) => [row.name, recordOut(row)]));
  }

  async getById(id: string): Promise<RecordOut> {
    const row = await this.deps.repos.records.getById(id);
    if (!row) throw Errors.itemNotFound();
    return recordOut(row);
  }

  async getUserdata(ensembleId: string, name: string, realizationIndex: number | undefined): Promise<Userdata> {
    return (await this.findByName(ensembleId, name, realizationIndex)).userdata;
  }

  async putUserdata(ensembleId: string, name: string, realizationIndex: number | undefined, body: unknown): Promise<void> {
    const record = await this.findByName(ensembleId, name, realizationIndex);
    await this.userdata.replace("record", record.id, body);
  }

  async patchUserdata(ensembleId: string, name: string, realizationIndex: number | undefined, body: unknown): Promise<void> {
    const record = await this.findByName(ensembleId, name, realizationIndex);
    await this.userdata.merge("record", record.id, body);
  }
}

/** Why a record was refused, in the words of the original service. */
function clashError(result: Clash, input: NewRecord): AppError {
  switch (result.clash) {
    case "class":
      return Errors.conflict("Record class of new record does not match previous record class", {
        new_record_class: input.recordClass,
        old_record_class: result.old,
      });
    case "type":
      return Errors.conflict("Record type of new record does not match previous record type", {
        new_record_type: input.recordType,
        old_record_type: result.old,
      });
    case "perRealization":
      return Errors.conflict(
        `Ensemble-wide record '${input.name}' for ensemble '${input.ensembleId}' cannot be added: the name has per-realization records`,
      );
    case "duplicate":
      return input.realization === ENSEMBLE_WIDE
        ? Errors.conflict(`Ensemble-wide record '${input.name}' for ensemble '${input.ensembleId}' already exists`)
        : Errors.conflict(
            `Record '${input.name}' for ensemble '${input.ensembleId}' already exists for realization ${input.realization} or ensemble-wide`,
          );
  }
}
