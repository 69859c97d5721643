// Reading records: a matrix by name (stacked, a row, a column), a file's content,
// labels, parameters, a response over all realizations.
import { Errors } from "../errors";
import { npyShape } from "../formats";
import type { Matrix, MatrixMediaType } from "../formats";
import type { RowBlocks } from "../formats/matrix";
import type { StoredMatrix } from "../store/db/matrices";
import type { Piece } from "../formats/piece";
import type { RowFrame } from "../formats/textThreads";
import type { DeferredMatrixRecord } from "../store/db/records";
import { labelValuePieces, labelValues } from "../formats/labels";
import type { FileRow } from "../store/db/records";
import type { Deps } from "./context";
import { requireTable, rowStack, selectColumn, selectRow, stackRows, withRealizationIndex } from "./frames";
import type { MatrixValues } from "./matrixValues";
import { ENSEMBLE_WIDE } from "./records";
import { PARTED_STACK_VALUES, Stacks } from "./stacks";

/**
 * A matrix to answer (parquet: the body it was posted as, when the answer is that
 * same frame whole), a large matrix's values to stream as NPY of that shape, or a
 * file's content.
 */
export type RecordData =
  | { kind: "matrix"; matrix: Matrix; parquet?: Buffer | null }
  /** per-realization records stacked, to be read and answered a part at a time */
  | { kind: "rows"; frame: RowFrame }
  /** per-realization records stacked as they were read, to be answered as Parquet */
  | { kind: "blocks"; table: RowBlocks }
  | { kind: "npy"; shape: number[]; values: AsyncIterable<Piece> }
  | { kind: "file"; file: FileRow; content: AsyncIterable<Piece> };

export interface ParameterOut {
  name: string;
  labels: (string | number)[];
}

export class RecordDataService {
  private readonly stacks: Stacks;

  constructor(
    private readonly deps: Deps,
    private readonly matrices: MatrixValues,
  ) {
    this.stacks = new Stacks(deps, matrices);
  }

  /**
   * The data of GET /ensembles/{id}/records/{name}, to be answered as answerAs: a parquet
   * body kept as posted may be answered as it is, a large matrix's values stream as NPY.
   */
  async get(
    ensembleId: string,
    name: string,
    realizationIndex: number | undefined,
    label: string | undefined,
    answerAs: MatrixMediaType,
  ): Promise<RecordData> {
    // a big stack of per-realization records is answered a part at a time (not in Parquet, whose columns come last)
    const parted = realizationIndex === undefined && label === undefined && answerAs !== "application/x-parquet";
    const found = await this.deps.repos.records.read(ensembleId, name, realizationIndex, {
      withParquet: answerAs === "application/x-parquet",
      valuesBelow: parted ? PARTED_STACK_VALUES : undefined,
    });
    if (!found) throw Errors.notFound("Record not found");
    if (found.type === "file") {
      // a realization's own file, else the ensemble-wide one
      const file = found.records.find((r) => r.realization === realizationIndex) ?? found.records.find((r) => r.realization === ENSEMBLE_WIDE);
      if (!file) throw Errors.notFound("Record not found");
      return this.fileData(file.file);
    }
    if (found.type === "deferred") return this.stacked(found.records, answerAs);
    const { records } = found;
    let matrix: Matrix;
    if (realizationIndex === undefined) {
      if (records.length === 0) throw Errors.notFound("Record not found");
      if (records[0].realization === ENSEMBLE_WIDE) {
        if (label === undefined) return this.whole(records[0].matrix, records[0].parquet, answerAs);
        matrix = await this.matrices.load(records[0].matrix);
      } else {
        const frames = await this.framesOf(records);
        // Parquet is written column by column: the records' values need not be one array first
        const stack = answerAs === "application/x-parquet" && label === undefined && frames.length > 1 ? rowStack(frames) : null;
        if (stack) return { kind: "blocks", table: stack };
        matrix = stackRows(frames);
      }
    } else {
      // (a realization's own: never the ensemble-wide record, stored at -1)
      const own = records.find((r) => r.realization === realizationIndex && r.realization !== ENSEMBLE_WIDE);
      const wide = records.find((r) => r.realization === ENSEMBLE_WIDE);
      if (own) matrix = withRealizationIndex(await this.matrices.load(own.matrix), realizationIndex);
      else if (wide) {
        const row = selectRow(await this.matrices.load(wide.matrix), realizationIndex);
        if (!row) throw Errors.notFound(`Record not found: the ensemble-wide matrix has no row ${realizationIndex}`);
        matrix = row;
      } else throw Errors.notFound("Record not found");
    }
    return { kind: "matrix", matrix: label === undefined ? matrix : onlyLabel(matrix, label) };
  }

  async byId(id: string, answerAs: MatrixMediaType): Promise<RecordData> {
    const row = await this.deps.repos.records.dataById(id, answerAs === "application/x-parquet");
    if (!row) throw Errors.itemNotFound();
    if (row.file) return this.fileData(row.file);
    if (row.realization === ENSEMBLE_WIDE) return this.whole(row.matrix!, row.parquet, answerAs);
    return { kind: "matrix", matrix: withRealizationIndex(await this.matrices.load(row.matrix!), row.realization) };
  }

  /** A stored matrix answered whole: as posted (parquet), streamed (NPY of a large one), else loaded. */
  private async whole(stored: StoredMatrix, parquet: Buffer | null | undefined, answerAs: MatrixMediaType): Promise<RecordData> {
    if (stored.blobKey && answerAs === "application/x-numpy") {
      return { kind: "npy", shape: npyShape(stored), values: await this.deps.blobs.readPieces(stored.blobKey) };
    }
    // CSV and 2-D JSON of a large table: read from the store and written a part at a time
    // (a one-row table is left whole: its JSON is written in place)
    if (stored.blobKey && (answerAs === "text/csv" || answerAs === "application/json") && stored.shape.length === 2 && stored.shape[0] > 1) {
      return { kind: "rows", frame: this.matrices.rowFrame(stored) };
    }
    return { kind: "matrix", matrix: await this.matrices.load(stored), parquet };
  }

  /** The column labels of the name's first record: a list, or the pieces of its JSON text when they are long (labelValuePieces). */
  async labels(ensembleId: string, name: string): Promise<(string | number)[] | AsyncIterable<string>> {
    const found = await this.deps.repos.records.columnLabels(ensembleId, name);
    if (!found) throw Errors.notFound("Record not found");
    if (!found.labels) return [];
    return labelValuePieces(found.labels) ?? labelValues(found.labels);
  }

  /** The ensemble's parameters in parameter_names order, with their column labels. */
  async parameters(ensembleId: string): Promise<ParameterOut[]> {
    const ensemble = await this.deps.repos.ensembles.get(ensembleId);
    if (!ensemble) throw Errors.itemNotFound();
    const labels = await this.deps.repos.records.columnLabelsOf(ensembleId, ensemble.parameterNames);
    return ensemble.parameterNames.map((name) => {
      const columns = labels.get(name);
      return { name, labels: columns ? labelValues(columns) : [] };
    });
  }

  /** A response over all realizations (GET /ensembles/{id}/responses/{name}/data), to be answered as CSV. */
  async responseFrame(ensembleId: string, name: string): Promise<RecordData> {
    const found = await this.deps.repos.records.perRealizationStack(ensembleId, name, PARTED_STACK_VALUES);
    if (found.records.length === 0) {
      if (!(await this.deps.repos.ensembles.get(ensembleId))) throw Errors.itemNotFound();
      throw Errors.notFound(`No per-realization records of response '${name}' in this ensemble`);
    }
    if (found.type === "deferred") return this.stacked(found.records, "text/csv");
    return { kind: "matrix", matrix: await this.stackWhole(found.records) };
  }

  /**
   * Per-realization records whose values were left to read (never asked for as Parquet): a
   * part at a time when they stack row after row, else read and stacked whole.
   */
  private async stacked(records: DeferredMatrixRecord[], answerAs: MatrixMediaType): Promise<RecordData> {
    const frame = this.stacks.frame(records);
    // a one-row frame is a flat JSON list, written whole
    if (frame && (answerAs !== "application/json" || frame.rows > 1)) return { kind: "rows", frame };
    return { kind: "matrix", matrix: await this.stackWhole(await this.stacks.load(records)) };
  }

  /** Per-realization matrices stacked whole as rows labelled with their realization (the column union). */
  private async stackWhole(records: { realization: number; matrix: StoredMatrix }[]): Promise<Matrix> {
    return stackRows(await this.framesOf(records));
  }

  /** Per-realization matrices loaded as tables whose rows are labelled with their realization. */
  private async framesOf(records: { realization: number; matrix: StoredMatrix }[]): Promise<Matrix[]> {
    const frames: Matrix[] = [];
    for (const r of records) frames.push(withRealizationIndex(await this.matrices.load(r.matrix), r.realization));
    frames.forEach(table);
    return frames;
  }

  private async fileData(file: FileRow): Promise<RecordData> {
    if (file.state !== "committed") throw Errors.notFound("Record has no content: its block upload is not committed");
    return { kind: "file", file, content: await this.deps.blobs.readPieces(file.blobKey) };
  }
}

function onlyLabel(matrix: Matrix, label: string): Matrix {
  table(matrix);
  const column = selectColumn(matrix, label);
  if (!column) throw Errors.unprocessable(`Record label '${label}' not found!`);
  return column;
}

function table(m: Matrix): void {
  try {
    requireTable(m);
  } catch (error) {
    throw Errors.unprocessable((error as Error).message);
  }
}
