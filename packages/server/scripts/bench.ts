// The reference benchmark (`pnpm build && pnpm bench [--smoke] [--big] [--db ...] [--only ...] [--out f.json]`).
// Runs each workload against a real server process on PostgreSQL and on the embedded
// database, over HTTP with keep-alive, checks every answer, and prints the figures beside
// the raw cost of the same work through the `pg` driver. Progress goes to stderr, one
// JSON object of all figures to stdout. `benchReport.ts` turns that JSON into a table.
import fs from "node:fs";
import os from "node:os";
import type { Context } from "./bench/context";
import { latency } from "./bench/latency";
import { bigMatrix, frame, matrices } from "./bench/matrices";
import { log, median, now, round, seconds } from "./bench/measure";
import { misfits } from "./bench/misfits";
import { parseOptions, type Db, type Options, type Workload } from "./bench/options";
import { rawPgFigures } from "./bench/rawpg";
import { PG_URL, prepareBenchDatabase, startServer, type Server } from "./bench/server";
import { upload } from "./bench/upload";
import { ensembleView } from "./bench/view";

const RUNS: Record<Workload, (ctx: Context) => Promise<Record<string, unknown>>> = {
  upload,
  matrix: matrices,
  frame,
  view: ensembleView,
  latency,
  misfits,
};

type Figures = Record<string, unknown>;

/**
 * Matrices of more float64 bytes than this are issue 10's big matrices, whose peak memory
 * has targets of its own (1000 x 20000 and up); every other step is to stay under 250 MB.
 */
const BIG_MATRIX_BYTES = 16e6;

/** A workload's peak RSS (MB) leaving out its big matrices' steps. */
function peakOutsideBigMatrices(workload: Workload, figures: Figures): number {
  if (workload !== "matrix") return Number(figures.stepPeakRssMb ?? 0);
  let peak = 0;
  for (const size of Object.values(figures) as Figures[]) {
    if (typeof size !== "object" || size === null || Number(size.float64Bytes) > BIG_MATRIX_BYTES) continue;
    for (const step of Object.values(size) as Figures[]) {
      if (typeof step === "object" && step !== null) peak = Math.max(peak, Number(step.peakRssMbUp ?? step.peakRssMb ?? 0), Number(step.peakRssMbDown ?? 0));
    }
  }
  return peak;
}

/** A failed workload is a figure ({error}) and makes the bench exit non-zero. */
const failures: string[] = [];

async function measured(what: string, run: () => Promise<Figures>): Promise<Figures> {
  const t0 = now();
  try {
    const figures = await run();
    log(`${what}: done in ${seconds(now() - t0)} s`);
    return figures;
  } catch (error) {
    const e = error as { message?: string; status?: number; timeout?: boolean };
    failures.push(`${what}: ${e.message ?? error}`);
    log(`${what}: FAILED: ${e.message ?? error}`);
    if (!e.message) console.error(error);
    return { error: e.message ?? String(error), status: e.status ?? null, ...(e.timeout ? { timeout: true } : {}) };
  }
}

function context(server: Server, options: Options, db: Db): Context {
  return {
    server,
    client: server.client,
    sizes: options.sizes,
    options,
    label: db,
    fail: (message) => failures.push(message),
    stuck: false,
  };
}

async function withServer<T>(db: Db, timeoutMs: number, run: (server: Server) => Promise<T>): Promise<T> {
  const server = await startServer(db, timeoutMs);
  try {
    return await run(server);
  } finally {
    await server.stop();
  }
}

/** One database: start times, every workload on one server process, then --big on a fresh one. */
async function benchDatabase(db: Db, options: Options, save: (figures: Figures) => void): Promise<Figures> {
  const out: Figures = {};
  // the server the workloads run on is the last of the timed starts
  const starts: number[] = [];
  for (let i = 1; i < options.sizes.starts; i++) starts.push(await withServer(db, options.sizes.requestTimeoutMs, async (s) => s.startMs));
  let server = await startServer(db, options.sizes.requestTimeoutMs);
  starts.push(server.startMs);
  out.start = { medianMs: round(median(starts), 0), runsMs: starts.map((s) => round(s, 0)) };
  log(`${db}: server start to first healthcheck ${starts.map((s) => s.toFixed(0)).join(", ")} ms`);
  let peak = 0;
  let outsideBig = 0; // the peak of every step but those of matrices over BIG_MATRIX_BYTES
  let retries = 0;
  const restarts: string[] = [];
  try {
    for (const workload of Object.keys(RUNS) as Workload[]) {
      if (!options.only.has(workload)) continue;
      const ctx = context(server, options, db);
      server.resetStepPeak();
      const figures = await measured(`${db} ${workload}`, () => RUNS[workload](ctx));
      // the matrix workload counts its steps' peaks itself (each format up and down)
      if (workload !== "matrix") figures.stepPeakRssMb = server.stepPeakRssMb();
      out[workload] = figures;
      peak = Math.max(peak, server.peakRssMb());
      outsideBig = Math.max(outsideBig, peakOutsideBigMatrices(workload, figures));
      // a server that exited or gave no answer in time is a failure of its own; the next workloads get a new one
      const exited = server.exited();
      if (exited) failures.push(`${db} ${workload}: ${exited}`);
      const why = exited ?? (ctx.stuck || figures.timeout ? "no answer in time" : null);
      if (why) {
        restarts.push(`after ${workload}: ${why}`);
        log(`${db} ${workload}: ${why}; starting a new server`);
        retries += server.client.retries;
        await server.stop();
        server = await startServer(db, options.sizes.requestTimeoutMs);
      }
      save({ ...out, peakRssMb: Math.max(peak, server.peakRssMb()) });
    }
  } finally {
    peak = Math.max(peak, server.peakRssMb());
    retries += server.client.retries;
    await server.stop();
  }
  out.peakRssMb = peak;
  out.peakRssMbOutsideBigMatrices = outsideBig;
  out.serverRestarts = restarts;
  out.idleSocketRetries = retries;
  log(`${db}: server peak RSS ${out.peakRssMb} MB (${outsideBig} MB outside the steps of matrices over ${BIG_MATRIX_BYTES / 1e6} MB)`);

  if (options.big && options.only.has("matrix")) {
    // a fresh process, so its peak is the big matrix's own
    // 1.6 GB each way at a few MB/s: a longer wait for one answer
    out.big = await withServer(db, 5 * options.sizes.requestTimeoutMs, async (server) => {
      const figures = await measured(`${db} big matrix`, () => bigMatrix(context(server, options, db)));
      return { ...figures, serverPeakRssMb: server.peakRssMb() };
    });
  }
  return out;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const cpus = os.cpus();
  const started = now();
  const result: Figures = {
    date: new Date().toISOString(),
    machine: {
      cores: cpus.length,
      cpu: cpus[0]?.model ?? "unknown",
      memoryGb: round(os.totalmem() / 1e9, 1),
      node: process.version,
      platform: `${os.type()} ${os.release()}`,
      loadAverageAtStart: os.loadavg().map((l) => round(l, 2)),
    },
    options: { smoke: options.smoke, big: options.big, dbs: options.dbs, only: [...options.only], formats: options.formats, sizes: options.sizes },
  };
  log(`ERT Storage bench (${options.smoke ? "smoke" : "full"}${options.big ? ", big" : ""}) on ${cpus.length} cores, node ${process.version}`);

  // --smoke times nothing that matters: migrate the bench database (Prisma takes seconds) meanwhile
  const migrating = options.smoke && options.dbs.includes("postgres") ? prepareBenchDatabase() : null;
  migrating?.catch(() => undefined);
  result.rawPg = await measured("raw pg", async () => ({
    note: `pg driver straight into the PostgreSQL of ${new URL(PG_URL).host} (scratch database, no server); the limit for both databases' figures`,
    ...(await rawPgFigures(options, log)),
  }));
  if (migrating) await migrating;
  else if (options.dbs.includes("postgres")) await prepareBenchDatabase();
  // --out is written after every workload, so a long run that is stopped keeps its figures
  const save = () => options.out && fs.writeFileSync(options.out, JSON.stringify({ ...result, failures, partial: true }, null, 2) + "\n");
  save();
  for (const db of options.dbs) {
    result[db] = await benchDatabase(db, options, (figures) => {
      result[db] = figures;
      save();
    });
  }

  result.machine = { ...(result.machine as Figures), loadAverageAtEnd: os.loadavg().map((l) => round(l, 2)) };
  result.seconds = seconds(now() - started);
  result.failures = failures;
  const text = JSON.stringify(result, null, 2);
  process.stdout.write(text + "\n");
  if (options.out) fs.writeFileSync(options.out, text + "\n");
  log(`bench finished in ${seconds(now() - started)} s${failures.length ? `, ${failures.length} FAILED:\n  ${failures.join("\n  ")}` : ""}`);
  if (failures.length) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
