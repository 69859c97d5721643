// Stacks of per-realization records for the tests of stacked reads (stacks.test.ts, and
// largeMatrices.test.ts for stacks whose values are in the blob store): post records, and
// check every answer against the bytes the whole frame gives.
import { stackRows, withRealizationIndex } from "../../src/domain/frames";
import { encodeMatrix } from "../../src/formats";
import { encodeCsv, readCsv } from "../../src/formats/csv";
import { rangeLabels, type Labels, type Matrix } from "../../src/formats/matrix";
import { npyHeader } from "../../src/formats/npyStream";
import { readParquet } from "../../src/formats/parquet";
import type { TestServer } from "./server";

/** Finite doubles of every magnitude from a seed (CSV bodies keep them bit for bit). */
export function finiteValues(n: number, seed: number): Float64Array {
  const out = new Float64Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const mantissa = (x >>> 0) / 2 ** 32 + 1e-9;
    out[i] = (i % 3 === 0 ? -mantissa : mantissa) * 10 ** ((x >>> 0) % 40 - 20);
  }
  return out;
}

export function npyOf(shape: number[], data: Float64Array): Buffer {
  return Buffer.concat([npyHeader(shape), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

export const stringLabels = (n: number, prefix = "t"): Labels => ({ kind: "string", values: Array.from({ length: n }, (_, k) => `${prefix}${k}`) });

/** Posts each realization's matrix (CSV when it has labels, else NPY); the frame the server stacks them into. */
export async function postStack(t: TestServer, ensembleId: string, name: string, records: Matrix[]): Promise<Matrix> {
  for (const [r, m] of records.entries()) {
    const body = m.columns ? encodeCsv(m) : npyOf(m.shape, m.data);
    const posted = await t.api.post(`/ensembles/${ensembleId}/records/${name}/matrix`, {
      body,
      headers: { "content-type": m.columns ? "text/csv" : "application/x-numpy" },
      query: { realization_index: r },
    });
    expect(posted.status).toBe(200);
  }
  // what the whole frame was before parts: each record's rows labelled with its realization, stacked
  return stackRows(records.map((m, r) => withRealizationIndex({ ...m, index: null }, r)));
}

/**
 * The stack's answers in CSV, JSON, NPY and Parquet and as a response are the whole frame's
 * bytes, and CSV and Parquet read back its values and labels. parquet: false leaves Parquet
 * out (a frame of a million columns is a 190 MB Parquet file, seconds to write and read).
 */
export async function expectStackAnswers(t: TestServer, ensembleId: string, name: string, whole: Matrix, { parquet = true } = {}): Promise<void> {
  const answers = new Map<string, Buffer>();
  const types = ["text/csv", "application/json", "application/x-numpy", ...(parquet ? (["application/x-parquet"] as const) : [])] as const;
  for (const type of types) {
    const got = await t.api.get(`/ensembles/${ensembleId}/records/${name}`, { headers: { accept: type } });
    expect(got.status).toBe(200);
    expect(got.headers.get("content-type")).toContain(type);
    expect(got.bytes.equals(encodeMatrix(type, whole))).toBe(true);
    answers.set(type, got.bytes);
  }
  const response = await t.api.get(`/ensembles/${ensembleId}/responses/${name}/data`);
  expect(response.status).toBe(200);
  expect(response.bytes.equals(encodeCsv(whole))).toBe(true);
  // and independently of the writers: the values posted, bit for bit
  const read = readCsv(response.text);
  expect(read.shape).toEqual(whole.shape);
  expect(bytesOf(read.data).equals(bytesOf(whole.data))).toBe(true);
  if (!parquet) return;
  const frame = readParquet(answers.get("application/x-parquet")!);
  expect(frame.shape).toEqual(whole.shape);
  expect(frame.index).toEqual(whole.index);
  expect(frame.columns ?? rangeLabels(frame.shape[1])).toEqual(whole.columns ?? rangeLabels(whole.shape[1]));
  expect(bytesOf(frame.data).equals(bytesOf(whole.data))).toBe(true);
}

const bytesOf = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
