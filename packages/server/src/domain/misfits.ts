// Univariate misfits of a response against its observation, per realization:
// sign(r - o) * ((r - o) / error)^2 at each observed point, matched by label.
import type { Labels, Matrix } from "../formats/matrix";
import { as2d } from "../formats/matrix";
import { pyFloat } from "../formats/pyfloat";
import { Errors } from "../errors";
import type { Deps } from "./context";
import { columnKeys } from "./frames";
import type { MatrixValues } from "./matrixValues";

export interface ObservedPoints {
  values: number[];
  errors: number[];
  xAxis: unknown[];
}

export interface ResponseRow {
  realization: number;
  matrix: Matrix;
}

/** The key a label or an x_axis value is matched by (an object or a list of x_axis: its JSON text, not "[object Object]"). */
export function matchKey(value: unknown): string {
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : pyFloat(value);
  return typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
}

function xAxisLabels(xAxis: unknown[]): Labels {
  if (xAxis.every((x) => typeof x === "number" && Number.isInteger(x))) return { kind: "int", values: xAxis as number[] };
  if (xAxis.every((x) => typeof x === "number")) return { kind: "float", values: xAxis as number[] };
  return { kind: "string", values: xAxis.map(matchKey) };
}

/** Pure computation, unit tested: rows are realizations, columns the observed points. */
export function computeMisfits(responses: ResponseRow[], obs: ObservedPoints, summary: boolean): Matrix {
  const n = obs.values.length;
  const wanted = obs.xAxis.map(matchKey);
  const out = new Float64Array(responses.length * (summary ? 1 : n));
  responses.forEach(({ realization, matrix }, r) => {
    const { rows, cols } = as2d(matrix);
    if (rows !== 1) {
      throw new Error(`the response of realization ${realization} has ${rows} rows; one row is expected`);
    }
    const keys = columnKeys(matrix);
    const position = new Map<string, number>();
    keys.forEach((k, i) => position.set(k, i));
    if (matrix.columns?.kind === "datetime") {
      matrix.columns.values.forEach((v, i) => position.set(String(v), i));
    }
    let total = 0;
    for (let j = 0; j < n; j++) {
      const c = position.get(wanted[j]);
      if (c === undefined || c >= cols) {
        throw new Error(`label '${wanted[j]}' of the observation is not in the response of realization ${realization}`);
      }
      const diff = matrix.data[c] - obs.values[j];
      const misfit = Math.sign(diff) * (diff / obs.errors[j]) ** 2;
      if (summary) total += Math.abs(misfit);
      else out[r * n + j] = misfit;
    }
    if (summary) out[r] = total;
  });
  return {
    shape: [responses.length, summary ? 1 : n],
    data: out,
    columns: summary ? { kind: "int", values: [0] } : xAxisLabels(obs.xAxis),
    index: { kind: "int", values: responses.map((r) => r.realization) },
  };
}

export class MisfitService {
  constructor(
    private readonly deps: Deps,
    private readonly matrices: MatrixValues,
  ) {}

  async compute(ensembleId: string, responseName: string, realizationIndex: number | undefined, summary: boolean): Promise<Matrix> {
    const { repos } = this.deps;
    // As the original: an unknown ensemble is a failure to compute (422); a realization
    // without a linked record is a row not found (404).
    if (!(await repos.ensembles.get(ensembleId))) {
      throw Errors.unprocessable(`Unable to compute misfits: ensemble '${ensembleId}' not found`);
    }
    const records = await repos.records.perRealizationMatrices(ensembleId, responseName, { linkedOnly: true, realization: realizationIndex });
    if (records.length === 0) {
      if (realizationIndex !== undefined) throw Errors.itemNotFound();
      throw Errors.unprocessable(`Unable to compute misfits: no record of response '${responseName}' is linked to an observation`);
    }
    // One observation per response: the first one linked to the first realization's record.
    const observation = (await repos.observations.firstLinked(records[0].id))!;
    const responses = [];
    for (const r of records) responses.push({ realization: r.realization, matrix: await this.matrices.load(r.matrix) });
    try {
      return computeMisfits(
        responses,
        { values: observation.values, errors: observation.errors, xAxis: observation.xAxis },
        summary,
      );
    } catch (error) {
      throw Errors.unprocessable(`Unable to compute misfits: ${(error as Error).message}`);
    }
  }
}
