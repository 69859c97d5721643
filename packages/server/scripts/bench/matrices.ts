// Workloads 2 and 3: an ensemble-wide parameter matrix up and down in every format, the
// big one streamed (--big), and a response frame stacked from per-realization records.
import { createHash } from "node:crypto";
import { readCsv, writeCsv } from "../../src/formats/csv";
import type { Matrix } from "../../src/formats/matrix";
import { readNpy, writeNpy } from "../../src/formats/npy";
import { readParquet, writeParquet } from "../../src/formats/parquet";
import { deleteExperiment, newEnsemble, type Context } from "./context";
import { check, expectOk, type BenchError, type Reply } from "./http";
import type { MatrixFormat } from "./options";
import { jsonMatrix, log, mbps, now, perSecond, pool, sameValues, seconds, timedReads, values } from "./measure";

export const FORMATS: Record<MatrixFormat, string> = {
  json: "application/json",
  npy: "application/x-numpy",
  csv: "text/csv",
  parquet: "application/x-parquet",
};
type Format = MatrixFormat;

function encode(format: Format, m: Matrix): Buffer | string {
  const [rows, cols] = m.shape;
  if (format === "json") return jsonMatrix(m.data, rows, cols);
  if (format === "npy") return writeNpy(m.data, m.shape);
  if (format === "csv") return writeCsv(m);
  return writeParquet(m);
}

function decode(format: Format, body: Buffer): Matrix {
  if (format === "npy") return readNpy(body);
  if (format === "csv") return readCsv(body.toString("utf8"));
  if (format === "parquet") return readParquet(body);
  const rows = JSON.parse(body.toString("utf8")) as number[][];
  return { shape: [rows.length, rows[0].length], data: Float64Array.from(rows.flat()), columns: null, index: null };
}

/** The answer holds exactly the expected matrix. */
function verifyMatrix(format: Format, reply: Reply, expected: Matrix, what: string): void {
  expectOk(reply, what);
  const got = decode(format, reply.body);
  check(got.shape.join("x") === expected.shape.join("x"), `${what}: shape ${got.shape.join("x")}, expected ${expected.shape.join("x")}`);
  check(sameValues(got.data, expected.data), `${what}: values differ`);
}

export async function matrices(ctx: Context): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [rows, cols] of ctx.sizes.matrices) {
    const key = `${rows}x${cols}`;
    const names = Object.keys(FORMATS).map((f) => `M_${f}`);
    const { experiment, ensemble } = await newEnsemble(ctx, `bench-matrix-${key}`, { size: rows, parameter_names: names });
    const m: Matrix = { shape: [rows, cols], data: values(rows * cols, rows), columns: null, index: null };
    const bytes = rows * cols * 8;
    const figures: Record<string, unknown> = { float64Bytes: bytes };
    for (const format of ctx.options.formats) {
      if (ctx.stuck) {
        figures[format] = { error: "not run: the server was stuck on an earlier format of this size (restarted)" };
        continue;
      }
      try {
        figures[format] = await roundTrip(ctx, format, m, `/ensembles/${ensemble}/records/M_${format}`);
      } catch (error) {
        // the figure is the failure; a stuck server (no answer in time) ends this workload
        const e = error as BenchError;
        figures[format] = { error: e.message, status: e.status ?? null, peakRssMb: ctx.server.stepPeakRssMb() };
        ctx.fail(`${ctx.label} matrix ${key} ${format}: ${e.message}`);
        log(`  ${ctx.label} matrix ${key} ${format}: FAILED: ${e.message}`);
        if (e.timeout) ctx.stuck = true;
      }
    }
    out[key] = figures;
    if (ctx.stuck) break;
    await deleteExperiment(ctx, experiment);
  }
  return out;
}

/** One format up and down; the answer must hold exactly the matrix sent. */
async function roundTrip(ctx: Context, format: Format, m: Matrix, path: string): Promise<Record<string, unknown>> {
  const key = m.shape.join("x");
  const bytes = m.data.length * 8;
  const type = FORMATS[format];
  let body: Buffer | string | null = encode(format, m);
  const bodyBytes = Buffer.byteLength(body);
  // each way's peak is its own: counted from the server's resident memory as it starts
  // (what earlier steps left: freed memory is not always given back at once)
  const rssMbBeforeUp = ctx.server.rssMb();
  ctx.server.resetStepPeak();
  const t0 = now();
  const post = await ctx.client.request("POST", `${path}/matrix`, { body, type });
  const upMs = now() - t0;
  body = null;
  expectOk(post, `POST ${key} ${format}`);
  const peakRssMbUp = ctx.server.stepPeakRssMb();
  const rssMbBeforeDown = ctx.server.rssMb();
  ctx.server.resetStepPeak();
  const down = await timedReads(async () => {
    const t1 = now();
    const reply = await ctx.client.request("GET", path, { accept: type });
    const ms = now() - t1;
    verifyMatrix(format, reply, m, `GET ${key} ${format}`);
    return { ms, result: reply };
  });
  const [get, downMs] = [down.result, down.ms];
  const peakRssMbDown = ctx.server.stepPeakRssMb();
  log(`  ${ctx.label} matrix ${key} ${format}: up ${mbps(bytes, upMs)} MB/s (peak RSS ${peakRssMbUp} MB), down ${mbps(bytes, downMs)} MB/s (peak RSS ${peakRssMbDown} MB)`);
  return {
    upMBps: mbps(bytes, upMs),
    downMBps: mbps(bytes, downMs),
    upSeconds: seconds(upMs),
    downSeconds: seconds(downMs),
    downReads: down.runs,
    firstDownMBps: mbps(bytes, down.firstMs),
    bodyBytes,
    answerBytes: get.bytes,
    rssMbBeforeUp,
    peakRssMbUp,
    rssMbBeforeDown,
    peakRssMbDown,
    rssMbNow: ctx.server.rssMb(),
  };
}

/**
 * --big: a rows x cols NPY streamed from a generator (the client never holds it), then read
 * back as NPY and Parquet, streamed and checked. A failure is a figure, not a crash.
 */
export async function bigMatrix(ctx: Context): Promise<Record<string, unknown>> {
  const [rows, cols] = ctx.sizes.big;
  const bytes = rows * cols * 8;
  const { experiment, ensemble } = await newEnsemble(ctx, "bench-big", { size: rows, parameter_names: ["BIG"] });
  const path = `/ensembles/${ensemble}/records/BIG`;
  const header = writeNpy(new Float64Array(0), [rows, cols]);
  const sent = createHash("sha256");
  async function* body() {
    sent.update(header);
    yield header;
    for (let r = 0; r < rows; r++) {
      const v = values(cols, r);
      const chunk = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      sent.update(chunk);
      yield chunk;
    }
  }
  const out: Record<string, unknown> = { shape: [rows, cols], float64Bytes: bytes };
  const attempt = async (what: string, run: () => Promise<Record<string, unknown>>) => {
    try {
      out[what] = { ...(await run()), peakRssMb: ctx.server.peakRssMb() };
    } catch (error) {
      const e = error as { message: string; status?: number };
      out[what] = { error: e.message, status: e.status ?? null, peakRssMb: ctx.server.peakRssMb() };
    }
    log(`  ${ctx.label} big matrix ${rows}x${cols} ${what}: ${JSON.stringify(out[what])}`);
  };
  await attempt("npy_up", async () => {
    const t0 = now();
    const reply = await ctx.client.request("POST", `${path}/matrix`, { body: body(), type: FORMATS.npy, length: header.length + bytes });
    const ms = now() - t0;
    expectOk(reply, "POST big NPY");
    return { upMBps: mbps(bytes, ms), upSeconds: seconds(ms) };
  });
  if (!("error" in (out.npy_up as object))) {
    const digest = sent.digest("hex");
    await attempt("npy_down", async () => {
      const got = createHash("sha256");
      const t0 = now();
      const reply = await ctx.client.request("GET", path, { accept: FORMATS.npy, sink: (c) => got.update(c) });
      const ms = now() - t0;
      expectOk(reply, "GET big NPY");
      check(reply.bytes === header.length + bytes, `GET big NPY: ${reply.bytes} bytes, expected ${header.length + bytes}`);
      check(got.digest("hex") === digest, "GET big NPY: content differs from what was sent");
      return { downMBps: mbps(bytes, ms), downSeconds: seconds(ms) };
    });
    await attempt("parquet_down", async () => {
      let first: Buffer | null = null;
      let last = Buffer.alloc(0);
      const t0 = now();
      const reply = await ctx.client.request("GET", path, {
        accept: FORMATS.parquet,
        sink: (c) => {
          first ??= c.subarray(0, 4);
          last = Buffer.concat([last, c]).subarray(-4);
        },
      });
      const ms = now() - t0;
      expectOk(reply, "GET big Parquet");
      const magic = Buffer.from("PAR1");
      check(reply.bytes > bytes / 2 && first !== null && magic.equals(first) && magic.equals(last), `GET big Parquet: ${reply.bytes} bytes, not a whole Parquet file`);
      return { downMBps: mbps(bytes, ms), downSeconds: seconds(ms), answerBytes: reply.bytes };
    });
  }
  out.parquet_up = { skipped: "the client has no streaming Parquet writer: a 1.6 GB Parquet body would be held whole (twice) in the bench" };
  await deleteExperiment(ctx, experiment).catch((error) => log(`  ${ctx.label} big matrix: delete failed: ${(error as Error).message}`));
  return out;
}

/** Date labels as ERT writes them for a summary vector. */
function dates(n: number): Matrix["columns"] {
  const day = 86_400_000;
  const start = Date.UTC(2000, 0, 1);
  return { kind: "string", values: Array.from({ length: n }, (_, i) => new Date(start + i * day).toISOString().slice(0, 10)) };
}

export async function frame(ctx: Context): Promise<Record<string, unknown>> {
  const { rows, cols } = ctx.sizes.frame;
  const { experiment, ensemble } = await newEnsemble(ctx, "bench-frame", { size: rows, response_names: ["FRAME"] });
  const path = `/ensembles/${ensemble}/records/FRAME`;
  const columns = dates(cols);
  const stacked: Matrix = { shape: [rows, cols], data: new Float64Array(rows * cols), columns, index: null };
  const bodies = Array.from({ length: rows }, (_, r) => {
    const v = values(cols, r);
    stacked.data.set(v, r * cols);
    return writeCsv({ shape: [1, cols], data: v, columns, index: { kind: "int", values: [0] } });
  });
  const t0 = now();
  await pool(rows, 8, async (r) => {
    expectOk(await ctx.client.request("POST", `${path}/matrix?realization_index=${r}`, { body: bodies[r], type: FORMATS.csv }), `POST frame row ${r}`);
  });
  const upMs = now() - t0;
  const bytes = rows * cols * 8;
  const out: Record<string, unknown> = { shape: [rows, cols], float64Bytes: bytes, upload: { recordsPerSec: perSecond(rows, upMs), seconds: seconds(upMs) } };
  log(`  ${ctx.label} frame ${rows}x${cols}: ${rows} CSV records up in ${seconds(upMs)} s`);
  for (const format of ["csv", "parquet", "npy"] as const) {
    const down = await timedReads(async () => {
      const t1 = now();
      const reply = await ctx.client.request("GET", path, { accept: FORMATS[format] });
      const ms = now() - t1;
      verifyMatrix(format, reply, stacked, `GET frame ${format}`);
      return { ms, result: reply };
    });
    const [reply, ms] = [down.result, down.ms];
    out[format] = { downMBps: mbps(bytes, ms), downSeconds: seconds(ms), downReads: down.runs, firstDownMBps: mbps(bytes, down.firstMs), answerBytes: reply.bytes };
    log(`  ${ctx.label} frame ${rows}x${cols} GET ${format}: ${mbps(bytes, ms)} MB/s`);
  }
  out.peakRssMb = ctx.server.peakRssMb();
  await deleteExperiment(ctx, experiment);
  return out;
}
