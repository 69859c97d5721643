// Large matrices keep their values in the blob store in bounded chunks; NPY bodies
// stream in and out. Numbers come back bit for bit, and a refused upload leaves
// nothing behind, in the blob store or in the database.
import { readdir, readlink } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { Readable } from "node:stream";
import { BlobServiceClient } from "@azure/storage-blob";
import fc from "fast-check";
import { DEFAULT_LIMITS } from "../../src/config";
import { INLINE_MATRIX_BYTES } from "../../src/domain/matrixValues";
import { encodeCsv } from "../../src/formats/csv";
import { labelsJson } from "../../src/formats/labels";
import { encodeNestedJson, parseJson } from "../../src/formats/json";
import { writeParquet } from "../../src/formats/parquetWriter";
import { PARQUET_AS_POSTED_LIMIT } from "../../src/domain/matrixValues";
import { npyHeader } from "../../src/formats/npyStream";
import { streamOf } from "../helpers/blobs";
import { BACKENDS, startTestServer, type TestServer } from "../helpers/server";
import { PARTED_STACK_VALUES } from "../../src/domain/stacks";
import type { Matrix } from "../../src/formats/matrix";
import { expectStackAnswers, finiteValues, postStack } from "../helpers/stacks";

/** float64 values of every bit pattern (NaN payloads, subnormals, -0) from a seed. */
function values(n: number, seed: number): Float64Array {
  const bits = new Uint32Array(n * 2);
  let x = seed | 1;
  for (let i = 0; i < bits.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bits[i] = x >>> 0;
  }
  return new Float64Array(bits.buffer);
}

function npy(shape: number[], data: Float64Array): Buffer {
  return Buffer.concat([npyHeader(shape), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

function sameFloats(got: number[], want: ArrayLike<number>): boolean {
  return got.length === want.length && got.every((v, i) => Object.is(v, want[i]));
}

/** Columns of a large matrix with `rows` rows: just over the inline limit. */
const columnsFor = (rows: number) => Math.ceil(INLINE_MATRIX_BYTES / 8 / rows) + 17;

/** encodeCsv of a matrix made once for every backend (a million values take seconds here) */
const csvOf = new Map<string, Buffer>();

describe.each(BACKENDS)("large matrices on %s", (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    // a database of its own: its checks compare every matrix blob of the store before and after
    t = await startTestServer(backend, { database: "large" });
  });
  afterAll(() => t.close());

  const rec = (ensembleId: string, name: string) => `/ensembles/${ensembleId}/records/${name}`;

  /** Matrix value blobs in the blob store, and those queued for sweeping. */
  async function matrixBlobs(server: TestServer = t): Promise<{ stored: string[]; queued: string[] }> {
    let stored: string[];
    if (server.azurite) {
      const container = BlobServiceClient.fromConnectionString(server.azurite.connectionString).getContainerClient("ert");
      stored = [];
      for await (const blob of container.listBlobsFlat({ prefix: "matrices/", includeUncommitedBlobs: true })) stored.push(blob.name);
    } else {
      stored = (await server.db.pool.query<{ k: string }>("SELECT DISTINCT blob_key AS k FROM blob_chunk WHERE blob_key LIKE 'matrices/%'")).rows.map((r) => r.k);
    }
    const queued = (await server.db.pool.query<{ k: string }>("SELECT blob_key AS k FROM blob_sweep WHERE blob_key LIKE 'matrices/%'")).rows.map((r) => r.k);
    return { stored: stored.sort(), queued: queued.sort() };
  }

  /** The blob key a stored matrix's values are under (null: inline). */
  async function blobKeyOf(recordId: string): Promise<string | null> {
    const row = await t.db.pool.query<{ blob_key: string | null; inline: boolean }>(
      "SELECT blob_key, data IS NOT NULL AS inline FROM matrix WHERE record_id = $1",
      [recordId],
    );
    expect(row.rows[0].inline).toBe(row.rows[0].blob_key === null);
    return row.rows[0].blob_key;
  }

  test("NPY bodies over the inline limit stream into the blob store and back, bit for bit, whole and by row", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.integer(), fc.boolean(), async (rows, seed, chunked) => {
        const cols = columnsFor(rows);
        const data = values(rows * cols, seed);
        const { ensembleId } = await t.ensemble({ size: rows });
        const body = npy([rows, cols], data);
        const posted = await t.api.post(`${rec(ensembleId, "FIELD")}/matrix`, {
          // a stream of unknown length, or a body with its length
          body: chunked ? webStream(body) : body,
          headers: { "content-type": "application/x-numpy" },
        });
        expect(posted.status).toBe(200);
        expect(await blobKeyOf(posted.json.id)).toMatch(/^matrices\//);
        const whole = await t.api.get(rec(ensembleId, "FIELD"), { headers: { accept: "application/x-numpy" } });
        expect(whole.status).toBe(200);
        expect(whole.headers.get("content-type")).toBe("application/x-numpy");
        expect(whole.bytes.equals(body)).toBe(true);
        const byId = await t.api.get(`/records/${posted.json.id}/data`, { headers: { accept: "application/x-numpy" } });
        expect(byId.bytes.equals(body)).toBe(true);
        const r = seed % rows < 0 ? -(seed % rows) : seed % rows;
        const row = await t.api.get(rec(ensembleId, "FIELD"), { query: { realization_index: r } });
        expect(row.status).toBe(200);
        expect(sameFloats(row.json, data.subarray(r * cols, (r + 1) * cols))).toBe(true);
      }),
      { numRuns: 4, endOnFailure: true },
    );
  });

  test("an NPY answer read slowly is the stored bytes: the store's memory holds the next chunk only once the socket took one", async () => {
    const [rows, cols] = [10, 262_144]; // 20 MiB: 20 chunks, more than one batch read
    const data = values(rows * cols, 11);
    const body = npy([rows, cols], data);
    const { ensembleId } = await t.ensemble({ size: rows });
    expect((await t.api.post(`${rec(ensembleId, "SLOW")}/matrix`, { body, headers: { "content-type": "application/x-numpy" } })).status).toBe(200);
    const answer = await new Promise<Buffer>((resolve, reject) => {
      const req = http.get(t.api.url(rec(ensembleId, "SLOW")), { headers: { accept: "application/x-numpy" } }, (res) => {
        const chunks: Buffer[] = [];
        let n = 0;
        // nothing read for a while, then a pause every few reads: the server's writes wait behind a full socket
        res.pause();
        setTimeout(() => res.resume(), 300);
        res.on("data", (chunk: Buffer) => {
          chunks.push(chunk);
          if (++n % 8 === 0) {
            res.pause();
            setTimeout(() => res.resume(), 5);
          }
        });
        res.on("end", () => resolve(Buffer.concat(chunks)));
        res.on("error", reject);
      });
      req.on("error", reject);
    });
    expect(answer.length).toBe(body.length);
    expect(answer.equals(body)).toBe(true);
  });

  test("large matrices posted as JSON, CSV or Parquet keep their values in the blob store too", async () => {
    // tall, as parameter matrices are (a CSV or Parquet of 10^5 columns is another story)
    const rows = 600;
    const cols = columnsFor(rows);
    const data = values(rows * cols, 7).map((v) => (Number.isFinite(v) ? v : 0.5));
    const { ensembleId } = await t.ensemble({ size: rows });
    const json = JSON.stringify(Array.from({ length: rows }, (_, r) => Array.from(data.subarray(r * cols, (r + 1) * cols))));
    const posted = await t.api.post(`${rec(ensembleId, "J")}/matrix`, { body: json, headers: { "content-type": "application/json" } });
    expect(posted.status).toBe(200);
    expect(await blobKeyOf(posted.json.id)).toMatch(/^matrices\//);
    const asNpy = await t.api.get(rec(ensembleId, "J"), { headers: { accept: "application/x-numpy" } });
    expect(asNpy.bytes.equals(npy([rows, cols], data))).toBe(true);
    for (const type of ["text/csv", "application/x-parquet"]) {
      const out = await t.api.get(rec(ensembleId, "J"), { headers: { accept: type } });
      expect(out.status).toBe(200);
      const name = `from-${type.split("/")[1]}`;
      const again = await t.api.post(`${rec(ensembleId, name)}/matrix`, { body: out.bytes, headers: { "content-type": type } });
      expect(again.status).toBe(200);
      expect(await blobKeyOf(again.json.id)).toMatch(/^matrices\//);
      const back = await t.api.get(rec(ensembleId, name), { headers: { accept: "application/x-numpy" } });
      expect(back.bytes.equals(npy([rows, cols], data))).toBe(true);
    }
    const label = await t.api.get(rec(ensembleId, "from-csv"), { query: { label: String(cols - 1) } });
    expect(label.status).toBe(200);
    expect(parseJson(label.text)).toEqual(Array.from({ length: rows }, (_, r) => [data[(r + 1) * cols - 1]]));
  });

  test("CSV and JSON answers of 2^20 values and more stream from the threads: the same bytes; a reader that leaves early harms nothing", async () => {
    const [rows, cols] = [60, 20000];
    const data = values(rows * cols, 11).map((v) => (Number.isFinite(v) ? v : -0));
    const { ensembleId } = await t.ensemble({ size: rows });
    expect((await t.api.post(`${rec(ensembleId, "T")}/matrix`, { body: npy([rows, cols], data), headers: { "content-type": "application/x-numpy" } })).status).toBe(200);
    const m = { shape: [rows, cols], data, columns: null, index: null };
    const expected = { "text/csv": encodeCsv(m), "application/json": encodeNestedJson(data, [rows, cols]) };
    const base = new URL(t.api.base);
    for (const [type, bytes] of Object.entries(expected)) {
      // a client that reads the start of the answer and hangs up
      await new Promise<void>((resolve, reject) => {
        const req = http.get({ host: base.hostname, port: base.port, path: rec(ensembleId, "T"), headers: { accept: type } }, (res) => {
          res.once("data", () => {
            res.destroy();
            resolve();
          });
        });
        req.on("error", reject);
      });
      const whole = await t.api.get(rec(ensembleId, "T"), { headers: { accept: type } });
      expect(whole.status).toBe(200);
      expect(whole.headers.get("content-type")).toMatch(type);
      expect(whole.bytes.equals(bytes)).toBe(true);
    }
  });

  test("a large labelled table is answered as CSV and JSON a part at a time from the blob store: the whole-matrix writer's bytes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 40 }), fc.integer(), fc.boolean(), async (rows, seed, labelled) => {
        const cols = columnsFor(rows); // 2^19 values and a little more: before, written in place
        const data = values(rows * cols, seed).map((v) => (Number.isFinite(v) ? v : -0));
        const m: Matrix = labelled
          ? {
              shape: [rows, cols],
              data,
              columns: { kind: "string", values: Array.from({ length: cols }, (_, c) => `c${c}`) },
              index: { kind: "string", values: Array.from({ length: rows }, (_, r) => `real ${r}`) },
            }
          : { shape: [rows, cols], data, columns: null, index: null };
        const { ensembleId } = await t.ensemble({ size: rows });
        const posted = await t.api.post(`${rec(ensembleId, "L")}/matrix`, { body: encodeCsv(m), headers: { "content-type": "text/csv" } });
        expect(posted.status).toBe(200);
        expect(await blobKeyOf(posted.json.id)).toMatch(/^matrices\//);
        const csv = await t.api.get(rec(ensembleId, "L"), { headers: { accept: "text/csv" } });
        expect(csv.status).toBe(200);
        expect(csv.bytes.equals(encodeCsv(m))).toBe(true);
        const json = await t.api.get(`/records/${posted.json.id}/data`, { headers: { accept: "application/json" } });
        expect(json.status).toBe(200);
        expect(json.bytes.equals(encodeNestedJson(data, [rows, cols]))).toBe(true);
      }),
      { numRuns: 2, endOnFailure: true },
    );
  });

  test("a table of 2^16 rows whose labels are stored as a long text (over 1 MiB) is answered as CSV a block at a time from that text: the whole-matrix writer's bytes (dates with fractions of a second; strings that need quotes or escapes, posted as Parquet and as CSV)", async () => {
    const [rows, cols] = [1 << 16, 16]; // 2^20 values: answered by the text threads
    const data = values(rows * cols, 11).map((v) => (Number.isFinite(v) ? v : -0));
    const dates = Array.from({ length: rows }, (_, r) => new Date(Date.UTC(2000, 0, 1) + r * 61_001).toISOString().slice(0, 23));
    const strings = Array.from({ length: rows }, (_, r) => [`realization ${r} (history)`, `a,"b" ${r} with a comma`, `é\\${r}\n on two lines`, `😀\u0001${r} and a control`][r % 4]);
    for (const index of [{ kind: "datetime" as const, values: dates }, { kind: "string" as const, values: strings }]) {
      expect(labelsJson(index).length).toBeGreaterThan(1 << 20); // read back lazily
      const m: Matrix = { shape: [rows, cols], data, columns: { kind: "string", values: Array.from({ length: cols }, (_, c) => `c${c}`) }, index };
      const { ensembleId } = await t.ensemble({ size: 1 });
      const posted = await t.api.post(`${rec(ensembleId, "T")}/matrix`, { body: Buffer.from(writeParquet(m)), headers: { "content-type": "application/x-parquet" } });
      expect(posted.status).toBe(200);
      const csv = await t.api.get(rec(ensembleId, "T"), { headers: { accept: "text/csv" } });
      expect(csv.status).toBe(200);
      if (!csvOf.has(index.kind)) csvOf.set(index.kind, encodeCsv(m));
      expect(csv.bytes.equals(csvOf.get(index.kind)!)).toBe(true);
      if (index.kind === "datetime") continue;
      // the same as a CSV body (read as it arrives, labels that need quotes kept as text): answered as posted
      const postedCsv = await t.api.post(`${rec(ensembleId, "C")}/matrix`, { body: csv.bytes, headers: { "content-type": "text/csv" } });
      expect(postedCsv.status).toBe(200);
      const again = await t.api.get(rec(ensembleId, "C"), { headers: { accept: "text/csv" } });
      expect(again.status).toBe(200);
      expect(again.bytes.equals(csv.bytes)).toBe(true);
    }
  });

  test("one row under 2^16 long stored column labels (over 1 MiB) is answered as CSV from their text on a thread: the whole-matrix writer's bytes (dates posted as Parquet; strings that need quotes posted as CSV); /labels answers them a piece at a time", async () => {
    const cols = 1 << 16;
    const data = Float64Array.from({ length: cols }, (_, c) => c + 0.5);
    const dates: Matrix = {
      shape: [1, cols],
      data,
      columns: { kind: "datetime", values: Array.from({ length: cols }, (_, c) => new Date(Date.UTC(2000, 0, 1) + c * 3_600_500).toISOString().slice(0, 23)) },
      index: null,
    };
    const strings: Matrix = { ...dates, columns: { kind: "string", values: Array.from({ length: cols }, (_, c) => (c % 3 ? `column ${c} of a wide frame` : `a,"b" ${c}, quoted`)) } };
    for (const [m, body, type] of [
      [dates, Buffer.from(writeParquet(dates)), "application/x-parquet"],
      [strings, encodeCsv(strings), "text/csv"],
    ] as const) {
      expect(labelsJson(m.columns!).length).toBeGreaterThan(1 << 20); // read back lazily
      const { ensembleId } = await t.ensemble({ size: 1 });
      const posted = await t.api.post(`${rec(ensembleId, "W")}/matrix`, { body, headers: { "content-type": type } });
      expect(posted.status).toBe(200);
      const csv = await t.api.get(rec(ensembleId, "W"), { headers: { accept: "text/csv" } });
      expect(csv.status).toBe(200);
      expect(csv.bytes.equals(encodeCsv(m))).toBe(true);
      const labels = await t.api.get(`${rec(ensembleId, "W")}/labels`);
      expect(labels.status).toBe(200);
      expect(labels.headers.get("content-type")).toBe("application/json"); // as a short list's (FastAPI's label)
      expect(labels.headers.get("content-length")).toBeNull(); // pieces, not one list
      // dates as pandas writes them (milliseconds: 6 fraction digits), strings as they were
      const want = m.columns!.kind === "datetime" ? m.columns!.values.map((d) => `${String(d).replace("T", " ")}000`) : m.columns!.values;
      expect(labels.bytes.toString("utf8")).toBe(JSON.stringify(want));
    }
  });

  test("a large table whose stored values fall short is cut off mid-answer, never answered whole with wrong values", async () => {
    const [rows, cols] = [40, columnsFor(40)];
    const data = values(rows * cols, 5).map((v) => (Number.isFinite(v) ? v : 1));
    const { ensembleId } = await t.ensemble({ size: rows });
    const posted = await t.api.post(`${rec(ensembleId, "CUT")}/matrix`, { body: npy([rows, cols], data), headers: { "content-type": "application/x-numpy" } });
    expect(posted.status).toBe(200);
    // the values under the matrix's key lose their last row (a store damaged behind the server's back)
    const key = (await blobKeyOf(posted.json.id))!;
    const short = Buffer.from(data.buffer, data.byteOffset, (rows - 1) * cols * 8);
    await t.blobs.put(key, Readable.from([short]));
    for (const type of ["text/csv", "application/json"]) {
      await expect(t.api.get(rec(ensembleId, "CUT"), { headers: { accept: type } })).rejects.toThrow();
    }
    // the server goes on answering
    expect((await t.api.get(`/ensembles/${ensembleId}`)).status).toBe(200);
  });

  test("per-realization large records stack into one frame", async () => {
    const cols = columnsFor(1);
    const { ensembleId } = await t.ensemble({ size: 2 });
    const parts = [values(cols, 11), values(cols, 12)];
    for (const [i, part] of parts.entries()) {
      const posted = await t.api.post(`${rec(ensembleId, "R")}/matrix`, {
        body: npy([1, cols], part),
        headers: { "content-type": "application/x-numpy" },
        query: { realization_index: i },
      });
      expect(posted.status).toBe(200);
    }
    const stacked = await t.api.get(rec(ensembleId, "R"), { headers: { accept: "application/x-numpy" } });
    expect(stacked.status).toBe(200);
    const both = new Float64Array(2 * cols);
    both.set(parts[0]);
    both.set(parts[1], cols);
    expect(stacked.bytes.equals(npy([2, cols], both))).toBe(true);
  });

  test("a big stack of records of several rows, some with their values in the blob store, read a part at a time: the whole frame's bytes", async () => {
    const cols = 3_000;
    const rowsOf = [2, 1, Math.ceil(INLINE_MATRIX_BYTES / 8 / cols) + 1, 3, 1, 100, 150];
    const { ensembleId } = await t.ensemble({ size: rowsOf.length });
    const records = rowsOf.map((rows, r): Matrix => ({ shape: rows === 1 ? [cols] : [rows, cols], data: finiteValues(rows * cols, 100 + r), columns: null, index: null }));
    const whole = await postStack(t, ensembleId, "R", records);
    expect(whole.data.length).toBeGreaterThanOrEqual(PARTED_STACK_VALUES);
    const stored = await t.db.pool.query<{ blob: boolean }>(
      "SELECT m.blob_key IS NOT NULL AS blob FROM matrix m JOIN record r ON r.id = m.record_id JOIN record_info ri ON ri.id = r.record_info_id WHERE ri.ensemble_id = $1",
      [ensembleId],
    );
    expect(stored.rows.filter((r) => r.blob).length).toBe(1);
    await expectStackAnswers(t, ensembleId, "R", whole);
  });

  test("a big stack of one record of one row (its values in the blob store) is a flat JSON list, as before", async () => {
    const { ensembleId } = await t.ensemble({ size: 1 });
    const one: Matrix = { shape: [1, PARTED_STACK_VALUES + 5], data: finiteValues(PARTED_STACK_VALUES + 5, 4), columns: null, index: null };
    // not in Parquet: a million columns make a 190 MB file (~7 s to write, as long to read)
    await expectStackAnswers(t, ensembleId, "S", await postStack(t, ensembleId, "S", [one]), { parquet: false });
  });

  test("a refused large upload leaves nothing: truncated, 1-D parameter, duplicate, unknown ensemble", async () => {
    const before = await matrixBlobs();
    const cols = columnsFor(2);
    const data = values(2 * cols, 3);
    const { ensembleId } = await t.ensemble({ size: 2, parameter_names: ["P"] });
    const full = npy([2, cols], data);

    const truncated = await t.api.post(`${rec(ensembleId, "T")}/matrix`, {
      body: full.subarray(0, full.length - 8),
      headers: { "content-type": "application/x-numpy" },
    });
    expect(truncated.status).toBe(422);
    expect(truncated.json.detail.error).toMatch(/NPY data is truncated/);

    const flat = await t.api.post(`${rec(ensembleId, "P")}/matrix`, {
      body: npy([2 * cols], data),
      headers: { "content-type": "application/x-numpy" },
    });
    expect(flat.status).toBe(422);
    expect(flat.json.detail.error).toMatch(/dimensionality of at least 2/);

    expect((await t.api.post(`${rec(ensembleId, "D")}/matrix`, { body: full, headers: { "content-type": "application/x-numpy" } })).status).toBe(200);
    const afterFirst = await matrixBlobs();
    const duplicate = await t.api.post(`${rec(ensembleId, "D")}/matrix`, { body: full, headers: { "content-type": "application/x-numpy" } });
    expect(duplicate.status).toBe(409);

    const unknown = await t.api.post(`${rec("00000000-0000-4000-8000-000000000000", "D")}/matrix`, {
      body: full,
      headers: { "content-type": "application/x-numpy" },
    });
    expect(unknown.status).toBe(404);

    expect(await t.db.pool.query("SELECT 1 FROM record_info WHERE ensemble_id = $1 AND name IN ('T', 'P')", [ensembleId])).toMatchObject({ rowCount: 0 });
    const after = await matrixBlobs();
    expect(after).toEqual(afterFirst);
    expect(after.stored.filter((k) => !before.stored.includes(k))).toHaveLength(1);
    expect(after.queued).toEqual(before.queued);
  });

  test("a large JSON body is read as it arrives: bit for bit, chunked or not; broken, cut or over the limit it is refused and leaves nothing", async () => {
    const rows = 300;
    const cols = columnsFor(rows);
    const data = values(rows * cols, 11);
    const text = encodeNestedJson(data, [rows, cols]); // NaN, Infinity and every other bit pattern, as Python writes them
    expect(text.length).toBeGreaterThan(4 * 1024 * 1024); // over what is read whole
    const { ensembleId } = await t.ensemble({ size: rows });
    for (const chunked of [false, true]) {
      const name = `J${chunked}`;
      const posted = await t.api.post(`${rec(ensembleId, name)}/matrix`, { body: chunked ? webStream(text) : text, headers: { "content-type": "application/json" } });
      expect(posted.status).toBe(200);
      expect(await blobKeyOf(posted.json.id)).toMatch(/^matrices\//);
      const asNpy = await t.api.get(rec(ensembleId, name), { headers: { accept: "application/x-numpy" } });
      // NaN payloads do not survive text; every other value does
      const want = data.map((v) => (Number.isNaN(v) ? NaN : v));
      expect(asNpy.bytes.equals(npy([rows, cols], want))).toBe(true);
    }
    const before = await matrixBlobs();
    const at = text.indexOf(",", 3_000_000); // the body is over 4 MiB: all of it goes through the streaming reader
    const broken = Buffer.concat([text.subarray(0, at), Buffer.from("}"), text.subarray(at + 1)]);
    const bad = await t.api.post(`${rec(ensembleId, "B")}/matrix`, { body: webStream(broken), headers: { "content-type": "application/json" } });
    expect(bad.status).toBe(422);
    expect(bad.json.detail.error).toContain(`invalid JSON: unexpected '}' at byte ${at}`);
    const ragged = Buffer.concat([text.subarray(0, text.length - 1), Buffer.from(", [1]]")]);
    const uneven = await t.api.post(`${rec(ensembleId, "R")}/matrix`, { body: ragged, headers: { "content-type": "application/json" } });
    expect(uneven.status).toBe(422);
    expect(uneven.json.detail.error).toMatch(/ragged/);
    const cut = await t.api.post(`${rec(ensembleId, "C")}/matrix`, { body: text.subarray(0, text.length - 10), headers: { "content-type": "application/json" } });
    expect(cut.status).toBe(422);
    expect(cut.json.detail.error).toMatch(/ends before the matrix does/);
    expect(await t.db.pool.query("SELECT 1 FROM record_info WHERE ensemble_id = $1 AND name IN ('B', 'R', 'C')", [ensembleId])).toMatchObject({ rowCount: 0 });
    expect(await matrixBlobs()).toEqual(before);

    const small = await startTestServer(backend, { database: "large", limits: { ...DEFAULT_LIMITS, matrixBytes: 5 * 1024 * 1024 } });
    try {
      const { ensembleId: other } = await small.ensemble({ size: rows });
      for (const chunked of [false, true]) {
        const res = await small.api.post(`${rec(other, `L${chunked}`)}/matrix`, { body: chunked ? webStream(text) : text, headers: { "content-type": "application/json" } });
        expect(res.status).toBe(413);
        expect(res.json.detail).toMatch(/the limit for matrices; ERT_STORAGE_MAX_MATRIX_BYTES sets it/);
      }
    } finally {
      await small.close();
    }
  });

  test("a large body refused mid-way is read to its end before the answer, and the connection stays open", async () => {
    const { ensembleId } = await t.ensemble({ size: 1 });
    const first = Buffer.from(`[${"1.5,".repeat(1_500_000)}}`); // over 4 MiB, broken at its end
    const rest = Buffer.from(`${",2".repeat(500_000)}]`);
    const url = new URL(t.api.base);
    const socket = net.connect(Number(url.port), url.hostname);
    await new Promise((resolve) => socket.once("connect", resolve));
    let answer = "";
    socket.on("data", (d: Buffer) => (answer += d.toString("latin1")));
    const chunk = (b: Buffer) => Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from("\r\n")]);
    socket.write(`POST ${rec(ensembleId, "X")}/matrix HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
    socket.write(chunk(first));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(answer).toBe(""); // the server waits for the rest of the body
    socket.write(Buffer.concat([chunk(rest), Buffer.from("0\r\n\r\n")]));
    for (let i = 0; i < 100 && !answer.includes("}}"); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answer).toMatch(/^HTTP\/1\.1 422 /);
    expect(answer).toMatch(/unexpected '\}' at byte 6000001/);
    expect(answer.toLowerCase()).not.toContain("connection: close");
    socket.write(`GET /healthcheck HTTP/1.1\r\nHost: x\r\n\r\n`); // the same connection serves the next request
    for (let i = 0; i < 100 && !/HTTP\/1\.1 200/.test(answer); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answer).toMatch(/HTTP\/1\.1 200/);
    socket.destroy();
  });

  test("a large CSV body is read as it arrives: values and labels, chunked or not; a bad cell or an open quote is refused and leaves nothing", async () => {
    const rows = 300;
    const cols = columnsFor(rows);
    const data = values(rows * cols, 13).map((v) => (Number.isNaN(v) ? NaN : v));
    const columns = { kind: "string" as const, values: Array.from({ length: cols }, (_, c) => (c === 3 ? 'a "quoted",\nlabel' : `2020-01-${c}`)) };
    const text = encodeCsv({ shape: [rows, cols], data, columns, index: null });
    expect(text.length).toBeGreaterThan(4 * 1024 * 1024);
    const { ensembleId } = await t.ensemble({ size: rows });
    for (const chunked of [false, true]) {
      const name = `C${chunked}`;
      const posted = await t.api.post(`${rec(ensembleId, name)}/matrix`, { body: chunked ? webStream(text) : text, headers: { "content-type": "text/csv" } });
      expect(posted.status).toBe(200);
      expect(await blobKeyOf(posted.json.id)).toMatch(/^matrices\//);
      const asNpy = await t.api.get(rec(ensembleId, name), { headers: { accept: "application/x-numpy" } });
      expect(asNpy.bytes.equals(npy([rows, cols], data))).toBe(true);
      const asCsv = await t.api.get(rec(ensembleId, name), { headers: { accept: "text/csv" } });
      expect(asCsv.bytes.equals(text)).toBe(true); // labels and values as posted
    }
    const before = await matrixBlobs();
    const at = text.indexOf(",", 3_000_000);
    const badCell = Buffer.concat([text.subarray(0, at + 1), Buffer.from("x"), text.subarray(at + 1)]);
    const bad = await t.api.post(`${rec(ensembleId, "B")}/matrix`, { body: webStream(badCell), headers: { "content-type": "text/csv" } });
    expect(bad.status).toBe(422);
    expect(bad.json.detail.error).toMatch(/CSV line \d+, column '[^']+': 'x[^']*' is not a number/);
    const open = Buffer.concat([text, Buffer.from('0,"1.5\n')]);
    const quote = await t.api.post(`${rec(ensembleId, "Q")}/matrix`, { body: open, headers: { "content-type": "text/csv" } });
    expect(quote.status).toBe(422);
    expect(quote.json.detail.error).toMatch(/ends inside a quoted field/);
    expect(await t.db.pool.query("SELECT 1 FROM record_info WHERE ensemble_id = $1 AND name IN ('B', 'Q')", [ensembleId])).toMatchObject({ rowCount: 0 });
    expect(await matrixBlobs()).toEqual(before);
  });

  test("a Parquet body too large to keep as posted goes through a temporary file that has no name: bit for bit, with or without a Content-Length; cut short or abandoned it is refused and leaves nothing, on disk or in the store", async () => {
    const spooled = async () => (await readdir(tmpdir())).filter((f) => /^ert-storage-.*\.parquet$/.test(f));
    // the temporary files this process (the server) holds open: unlinked, so "(deleted)"
    const held = async () => {
      const links = await Promise.all((await readdir("/proc/self/fd")).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => "")));
      return links.filter((l) => /\/ert-storage-[^/]*\.parquet/.test(l));
    };
    const rows = 1000;
    const cols = Math.ceil(PARQUET_AS_POSTED_LIMIT / 8 / rows) + 100;
    const data = values(rows * cols, 17);
    const body = writeParquet({ shape: [rows, cols], data, columns: null, index: null });
    expect(body.length).toBeGreaterThan(PARQUET_AS_POSTED_LIMIT);
    const { ensembleId } = await t.ensemble({ size: rows });
    const before = await spooled();
    // chunked (no Content-Length): the first 64 MiB are held, the rest goes on to the file
    const posted = await t.api.post(`${rec(ensembleId, "PQ")}/matrix`, { body: webStream(body), headers: { "content-type": "application/x-parquet" } });
    expect(posted.status).toBe(200);
    expect(await blobKeyOf(posted.json.id)).toMatch(/^matrices\//);
    const asNpy = await t.api.get(rec(ensembleId, "PQ"), { headers: { accept: "application/x-numpy" } });
    expect(asNpy.bytes.equals(npy([rows, cols], data))).toBe(true);
    expect(await spooled()).toEqual(before);
    // with its length declared, the body goes to the file from its first byte
    const declared = await t.api.post(`${rec(ensembleId, "PQD")}/matrix`, { body, headers: { "content-type": "application/x-parquet" } });
    expect(declared.status).toBe(200);
    const declaredNpy = await t.api.get(rec(ensembleId, "PQD"), { headers: { accept: "application/x-numpy" } });
    expect(declaredNpy.bytes.equals(npy([rows, cols], data))).toBe(true);

    const blobsBefore = await matrixBlobs();
    const cut = await t.api.post(`${rec(ensembleId, "CUT")}/matrix`, { body: body.subarray(0, body.length - 1000), headers: { "content-type": "application/x-parquet" } });
    expect(cut.status).toBe(422);
    expect(cut.json.detail.error).toMatch(/parquet/i);
    expect(await spooled()).toEqual(before);

    // a client that sends all but the end of the body (more than is ever held in memory) and hangs up:
    // with its length declared, and chunked (which proves a chunked body is spooled, not read whole)
    const url = new URL(t.api.base);
    const sent = body.subarray(0, body.length - 4096);
    for (const [name, framing, payload] of [
      ["GONE", `Content-Length: ${body.length}`, sent],
      ["GONE_CHUNKED", "Transfer-Encoding: chunked", Buffer.concat([Buffer.from(`${sent.length.toString(16)}\r\n`), sent, Buffer.from("\r\n")])],
    ] as const) {
      const socket = net.connect(Number(url.port), url.hostname);
      socket.on("error", () => undefined); // the server may reset it
      await new Promise((resolve) => socket.once("connect", resolve));
      socket.write(`POST ${rec(ensembleId, name)}/matrix HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-parquet\r\n${framing}\r\n\r\n`);
      await new Promise<void>((resolve) => socket.write(payload, () => resolve()));
      let during = await held();
      // (polled until the file is there and has lost its name, which it does as soon as it is open)
      for (let i = 0; i < 100 && !(during.length === 1 && during[0].endsWith("(deleted)")); i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        during = await held();
      }
      expect([name, during]).toEqual([name, [expect.stringMatching(/\(deleted\)$/)]]); // what came is in the file, which has no name
      expect(await spooled()).toEqual(before);
      socket.destroy();
      let left = await held();
      for (let i = 0; i < 100 && left.length > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        left = await held();
      }
      expect([name, left]).toEqual([name, []]);
      expect(await spooled()).toEqual(before);
    }
    expect(await t.db.pool.query("SELECT 1 FROM record_info WHERE ensemble_id = $1 AND name IN ('CUT', 'GONE', 'GONE_CHUNKED')", [ensembleId])).toMatchObject({ rowCount: 0 });
    expect(await matrixBlobs()).toEqual(blobsBefore);
    expect((await t.api.get(`/ensembles/${ensembleId}`)).status).toBe(200);
  });

  test("deleting the experiment removes its matrix blobs (queued for sweeping in the same transaction, swept at once)", async () => {
    const { experimentId, ensembleId } = await t.ensemble({ size: 1 });
    const cols = columnsFor(1);
    const posted = await t.api.post(`${rec(ensembleId, "M")}/matrix`, {
      body: npy([1, cols], values(cols, 5)),
      headers: { "content-type": "application/x-numpy" },
    });
    const key = (await blobKeyOf(posted.json.id))!;
    expect((await matrixBlobs()).stored).toContain(key);
    expect((await t.api.delete(`/experiments/${experimentId}`)).status).toBe(200);
    const after = await matrixBlobs();
    expect(after.stored).not.toContain(key);
    expect(after.queued).not.toContain(key);
  });

  test("a streamed NPY or Parquet body over the matrix limit is refused with 413, naming the variable, and leaves nothing", async () => {
    const small = await startTestServer(backend, { database: "large", limits: { ...DEFAULT_LIMITS, matrixBytes: INLINE_MATRIX_BYTES + 4096 } });
    try {
      const before = await matrixBlobs(small);
      const cols = columnsFor(1) + 1024;
      const { ensembleId } = await small.ensemble({ size: 1 });
      const matrix = { shape: [1, cols], data: values(cols, 9), columns: null, index: null };
      const bodies = { "application/x-numpy": npy([1, cols], matrix.data), "application/x-parquet": writeParquet(matrix) };
      for (const [type, body] of Object.entries(bodies)) {
        expect(body.length).toBeGreaterThan(INLINE_MATRIX_BYTES + 4096);
        for (const chunked of [false, true]) {
          const res = await small.api.post(`${rec(ensembleId, `L${type.slice(-4)}${chunked}`)}/matrix`, {
            body: chunked ? webStream(body) : body,
            headers: { "content-type": type },
          });
          expect(res.status).toBe(413);
          expect(res.json.detail).toMatch(/the limit for matrices; ERT_STORAGE_MAX_MATRIX_BYTES sets it/);
        }
      }
      expect(await matrixBlobs(small)).toEqual(before);
      expect(await small.db.pool.query("SELECT 1 FROM record_info WHERE ensemble_id = $1", [ensembleId])).toMatchObject({ rowCount: 0 });
    } finally {
      await small.close();
    }
  });
});

/** A web stream of the buffer in uneven pieces: a body without Content-Length. */
function webStream(buffer: Buffer): ReadableStream {
  return Readable.toWeb(streamOf(buffer)) as unknown as ReadableStream;
}
