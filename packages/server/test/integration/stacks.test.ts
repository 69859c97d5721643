// Big stacks of per-realization records (GET .../records/{name} without a realization, and
// .../responses/{name}/data) are read and answered a part at a time. The answers are the
// bytes the whole frame gives (stacked as frames.ts stacks it, written by the codecs), in
// every format, with inline and blob-stored values, and with the column union when the
// records' labels differ.
import { PARTED_STACK_VALUES } from "../../src/domain/stacks";
import { stackRows, withRealizationIndex } from "../../src/domain/frames";
import { encodeCsv, readCsv } from "../../src/formats/csv";
import { encodeMatrix } from "../../src/formats";
import type { Labels, Matrix } from "../../src/formats/matrix";
import { npyHeader } from "../../src/formats/npyStream";
import { INLINE_MATRIX_BYTES } from "../../src/domain/matrixValues";
import http from "node:http";
import { Errors } from "../../src/errors";
import { BACKENDS, startTestServer, type TestServer } from "../helpers/server";

/** Finite doubles of every magnitude from a seed (CSV bodies keep them bit for bit). */
function values(n: number, seed: number): Float64Array {
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

function npy(shape: number[], data: Float64Array): Buffer {
  return Buffer.concat([npyHeader(shape), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

const labels = (n: number, prefix = "t"): Labels => ({ kind: "string", values: Array.from({ length: n }, (_, k) => `${prefix}${k}`) });

describe.each(BACKENDS)("big stacks on %s", (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend);
  });
  afterAll(() => t.close());

  /** Posts each realization's matrix (CSV when it has labels, else NPY) and returns them as the server stacks them. */
  async function post(ensembleId: string, name: string, records: Matrix[]): Promise<Matrix> {
    for (const [r, m] of records.entries()) {
      const body = m.columns ? encodeCsv(m) : npy(m.shape, m.data);
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

  async function expectAnswers(ensembleId: string, name: string, whole: Matrix): Promise<void> {
    for (const type of ["text/csv", "application/json", "application/x-numpy"] as const) {
      const got = await t.api.get(`/ensembles/${ensembleId}/records/${name}`, { headers: { accept: type } });
      expect(got.status).toBe(200);
      expect(got.headers.get("content-type")).toContain(type);
      expect(got.bytes.equals(encodeMatrix(type, whole))).toBe(true);
    }
    const response = await t.api.get(`/ensembles/${ensembleId}/responses/${name}/data`);
    expect(response.status).toBe(200);
    expect(response.bytes.equals(encodeCsv(whole))).toBe(true);
    // and independently of the writers: the values posted, bit for bit
    const read = readCsv(response.text);
    expect(read.shape).toEqual(whole.shape);
    expect(Buffer.from(read.data.buffer).equals(Buffer.from(whole.data.buffer, whole.data.byteOffset, whole.data.byteLength))).toBe(true);
  }

  test("records of one width and labels: the whole frame's bytes in CSV, JSON and NPY", async () => {
    const [realizations, cols] = [60, 20_000];
    expect(realizations * cols).toBeGreaterThanOrEqual(PARTED_STACK_VALUES);
    const { ensembleId } = await t.ensemble({ size: realizations, response_names: ["WOPR"] });
    const records = Array.from({ length: realizations }, (_, r): Matrix => ({ shape: [1, cols], data: values(cols, r + 1), columns: labels(cols), index: null }));
    await expectAnswers(ensembleId, "WOPR", await post(ensembleId, "WOPR", records));
  });

  test("unlabelled records of several rows, some with their values in the blob store", async () => {
    const cols = 3_000;
    const rowsOf = [2, 1, Math.ceil(INLINE_MATRIX_BYTES / 8 / cols) + 1, 3, 1, 100, 150];
    const { ensembleId } = await t.ensemble({ size: rowsOf.length });
    const records = rowsOf.map((rows, r): Matrix => ({ shape: rows === 1 ? [cols] : [rows, cols], data: values(rows * cols, 100 + r), columns: null, index: null }));
    const whole = await post(ensembleId, "R", records);
    expect(whole.data.length).toBeGreaterThanOrEqual(PARTED_STACK_VALUES);
    const stored = await t.db.pool.query<{ blob: boolean }>(
      "SELECT m.blob_key IS NOT NULL AS blob FROM matrix m JOIN record r ON r.id = m.record_id JOIN record_info ri ON ri.id = r.record_info_id WHERE ri.ensemble_id = $1",
      [ensembleId],
    );
    expect(stored.rows.filter((r) => r.blob).length).toBe(1);
    await expectAnswers(ensembleId, "R", whole);
  });

  test("records whose labels differ are stacked with the column union, as before", async () => {
    const [realizations, cols] = [55, 20_000];
    const { ensembleId } = await t.ensemble({ size: realizations });
    const records = Array.from({ length: realizations }, (_, r): Matrix => ({
      shape: [1, cols],
      data: values(cols, 7 * r + 3),
      // one record names its last column otherwise: the union has one column more
      columns: r === 20 ? { kind: "string", values: [...labels(cols - 1).values, "other"] } : labels(cols),
      index: null,
    }));
    const whole = await post(ensembleId, "F", records);
    expect(whole.shape).toEqual([realizations, cols + 1]);
    await expectAnswers(ensembleId, "F", whole);
  });

  test("a record of three dimensions in a big stack has no table form: 422, as before", async () => {
    const { ensembleId } = await t.ensemble({ size: 2 });
    const shapes: number[][] = [[1, 600_000], [2, 2, 150_000]];
    for (const [r, shape] of shapes.entries()) {
      const data = values(shape.reduce((a, b) => a * b, 1), r);
      const posted = await t.api.post(`/ensembles/${ensembleId}/records/D/matrix`, {
        body: npy(shape, data),
        headers: { "content-type": "application/x-numpy" },
        query: { realization_index: r },
      });
      expect(posted.status).toBe(200);
    }
    for (const type of ["text/csv", "application/json", "application/x-numpy"]) {
      const got = await t.api.get(`/ensembles/${ensembleId}/records/D`, { headers: { accept: type } });
      expect(got.status).toBe(422);
      expect(got.json.detail.error).toBe("a 3-dimensional matrix has no table form");
    }
  });

  test("records of no rows and a single row: the whole frame's bytes (a one-row stack is a flat JSON list)", async () => {
    const cols = 30_000;
    const { ensembleId } = await t.ensemble({ size: 40 });
    const records = Array.from({ length: 40 }, (_, r): Matrix => {
      const rows = r % 7 === 3 ? 0 : 1;
      return { shape: [rows, cols], data: values(rows * cols, r + 9), columns: null, index: null };
    });
    await expectAnswers(ensembleId, "Z", await post(ensembleId, "Z", records));

    const single = await t.ensemble({ size: 1 });
    const one: Matrix = { shape: [1, PARTED_STACK_VALUES + 5], data: values(PARTED_STACK_VALUES + 5, 4), columns: null, index: null };
    await expectAnswers(single.ensembleId, "S", await post(single.ensembleId, "S", [one]));
  });

  /** A stack of 200 x 20000 values (its CSV ~70 MB: far more than a socket holds). */
  async function bigStack(name: string): Promise<{ experimentId: string; ensembleId: string; whole: Matrix }> {
    const [realizations, cols] = [200, 20_000];
    const ids = await t.ensemble({ size: realizations });
    const records = Array.from({ length: realizations }, (_, r): Matrix => ({ shape: [cols], data: values(cols, r + 50), columns: null, index: null }));
    return { ...ids, whole: await post(ids.ensembleId, name, records) };
  }

  test("a stack that cannot be read gets its own answer, not a broken one: the parts are read after the listing", async () => {
    const { ensembleId } = await bigStack("E");
    for (const type of ["text/csv", "application/json", "application/x-numpy"]) {
      t.faults.arm("record.valuesOf", Errors.unavailable("The database cannot be reached; try again shortly"));
      const got = await t.api.get(`/ensembles/${ensembleId}/records/E`, { headers: { accept: type } });
      expect(got.status).toBe(503);
      expect(got.json).toEqual({ detail: "The database cannot be reached; try again shortly" });
    }
    t.faults.arm("record.valuesOf", Errors.unavailable("The database cannot be reached; try again shortly"));
    expect((await t.api.get(`/ensembles/${ensembleId}/responses/E/data`)).status).toBe(503);
    // and nothing is left armed or held: the next reads are whole
    expect((await t.api.get(`/ensembles/${ensembleId}/responses/E/data`)).status).toBe(200);
  });

  test("records deleted while their stack is written: the answer ends short, every line it sent is right", async () => {
    const { experimentId, ensembleId, whole } = await bigStack("G");
    const expected = encodeCsv(whole);
    const url = new URL(t.api.url(`/ensembles/${ensembleId}/records/G`));
    const received: Buffer[] = [];
    const ended = await new Promise<string>((resolve) => {
      const req = http.get(url, { headers: { accept: "text/csv" } }, (res) => {
        expect(res.statusCode).toBe(200);
        res.once("data", async (chunk: Buffer) => {
          received.push(chunk);
          res.pause(); // the server stops reading parts once the socket is full
          const deleted = await t.api.delete(`/experiments/${experimentId}`);
          expect(deleted.status).toBe(200);
          res.on("data", (c: Buffer) => received.push(c));
          res.resume();
        });
        res.on("end", () => resolve("end"));
        res.on("error", () => resolve("error"));
        res.on("aborted", () => resolve("aborted"));
      });
      req.on("error", () => resolve("error"));
    });
    expect(ended).not.toBe("end");
    const body = Buffer.concat(received);
    expect(body.length).toBeLessThan(expected.length);
    expect(body.equals(expected.subarray(0, body.length))).toBe(true);
  });
});
