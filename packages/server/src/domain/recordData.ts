// Reading records: a matrix by name (stacked, a row, a column), a file's content,
// labels, parameters, a response over all realizations.
import type { Readable } from "node:stream";
import { Errors } from "../errors";
import type { Matrix } from "../formats";
import { labelValues } from "../formats/labels";
import type { FileRow } from "../store/db/records";
import type { Deps } from "./context";
import { requireTable, selectColumn, selectRow, stackRows, withRealizationIndex } from "./frames";
import { ENSEMBLE_WIDE } from "./records";

/**
 * A matrix to answer (parquet: the body it was posted as, when the answer is that
 * same frame whole), or a file's content.
 */
export type RecordData =
  | { kind: "matrix"; matrix: Matrix; parquet?: Buffer | null }
  | { kind: "file"; file: FileRow; content: Readable };

export interface ParameterOut {
  name: string;
  labels: (string | number)[];
}

export class RecordDataService {
  constructor(private readonly deps: Deps) {}

  /**
   * The data of GET /ensembles/{id}/records/{name}. wantParquet: the answer will be
   * parquet, so a parquet body kept as posted may be answered as it is.
   */
  async get(
    ensembleId: string,
    name: string,
    realizationIndex: number | undefined,
    label: string | undefined,
    wantParquet = false,
  ): Promise<RecordData> {
    const found = await this.deps.repos.records.read(ensembleId, name, realizationIndex, wantParquet);
    if (!found) throw Errors.notFound("Record not found");
    if (found.type === "file") {
      // a realization's own file, else the ensemble-wide one
      const file =
        found.records.find((r) => r.realization === (realizationIndex ?? ENSEMBLE_WIDE)) ??
        found.records.find((r) => r.realization === ENSEMBLE_WIDE);
      if (!file) throw Errors.notFound("Record not found");
      return this.fileData(file.file);
    }
    const { records } = found;
    let matrix: Matrix;
    if (realizationIndex === undefined) {
      if (records.length === 0) throw Errors.notFound("Record not found");
      if (records[0].realization === ENSEMBLE_WIDE) {
        if (label === undefined) return { kind: "matrix", matrix: records[0].matrix, parquet: records[0].parquet };
        matrix = records[0].matrix;
      } else {
        const frames = records.map((r) => withRealizationIndex(r.matrix, r.realization));
        frames.forEach(table);
        matrix = stackRows(frames);
      }
    } else {
      const own = records.find((r) => r.realization === realizationIndex);
      const wide = records.find((r) => r.realization === ENSEMBLE_WIDE);
      if (own) matrix = withRealizationIndex(own.matrix, realizationIndex);
      else if (wide) {
        const row = selectRow(wide.matrix, realizationIndex);
        if (!row) throw Errors.notFound(`Record not found: the ensemble-wide matrix has no row ${realizationIndex}`);
        matrix = row;
      } else throw Errors.notFound("Record not found");
    }
    return { kind: "matrix", matrix: label === undefined ? matrix : onlyLabel(matrix, label) };
  }

  async byId(id: string, wantParquet = false): Promise<RecordData> {
    const row = await this.deps.repos.records.dataById(id, wantParquet);
    if (!row) throw Errors.itemNotFound();
    if (row.file) return this.fileData(row.file);
    const matrix = row.matrix!;
    if (row.realization === ENSEMBLE_WIDE) return { kind: "matrix", matrix, parquet: row.parquet };
    return { kind: "matrix", matrix: withRealizationIndex(matrix, row.realization) };
  }

  async labels(ensembleId: string, name: string): Promise<(string | number)[]> {
    const found = await this.deps.repos.records.columnLabels(ensembleId, name);
    if (!found) throw Errors.notFound("Record not found");
    return found.labels ? labelValues(found.labels) : [];
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

  /** A response over all realizations (GET /ensembles/{id}/responses/{name}/data). */
  async responseFrame(ensembleId: string, name: string): Promise<Matrix> {
    const records = await this.deps.repos.records.perRealizationMatrices(ensembleId, name);
    if (records.length === 0) {
      if (!(await this.deps.repos.ensembles.get(ensembleId))) throw Errors.itemNotFound();
      throw Errors.notFound(`No per-realization records of response '${name}' in this ensemble`);
    }
    const frames = records.map((r) => withRealizationIndex(r.matrix, r.realization));
    frames.forEach(table);
    return stackRows(frames);
  }

  private async fileData(file: FileRow): Promise<RecordData> {
    if (file.state !== "committed") throw Errors.notFound("Record has no content: its block upload is not committed");
    return { kind: "file", file, content: await this.deps.blobs.read(file.blobKey) };
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
