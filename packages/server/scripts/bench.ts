// Benchmarks printed as figures (run by hand: `pnpm build && pnpm bench [--file-mb 1024]`).
// Starts real servers as child processes, so start time and peak RSS are the server's own.
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { Client as PgClient } from "pg";
import { writeNpy } from "../src/formats/npy";
import { writeCsv } from "../src/formats/csv";
import { writeParquet } from "../src/formats/parquet";
import type { Matrix } from "../src/formats/matrix";

const bin = path.join(__dirname, "..", "..", "bin", "ert-storage.js");
const args = process.argv.slice(2);
const fileMb = Number(args[args.indexOf("--file-mb") + 1] || 256) || 256;
const pgUrl = process.env.ERT_STORAGE_BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/ert_storage_bench";

interface Server {
  child: ChildProcess;
  base: string;
  startMs: number;
  peakRssMb(): number;
  stop(): Promise<void>;
}

async function startServer(env: Record<string, string>): Promise<Server> {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "ert-bench-"));
  const t0 = performance.now();
  const child = spawn(process.execPath, [bin, "--port", "0"], {
    cwd,
    env: { ...process.env, ERT_STORAGE_NO_TOKEN: "1", ERT_STORAGE_QUIET: "1", ...env },
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /ERT Storage on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearInterval(timer);
        resolve(m[1]);
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(out));
      }
    }, 5);
  });
  await fetch(`${base}/healthcheck`);
  const startMs = performance.now() - t0;
  return {
    child,
    base,
    startMs,
    peakRssMb: () => {
      const status = fs.readFileSync(`/proc/${child.pid}/status`, "utf8");
      return Number(/VmHWM:\s+(\d+)/.exec(status)![1]) / 1024;
    },
    stop: async () => {
      child.kill("SIGTERM");
      await new Promise((r) => child.on("exit", r));
      fs.rmSync(cwd, { recursive: true, force: true });
    },
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function json(base: string, method: string, p: string, body?: unknown): Promise<any> {
  const res = await fetch(base + p, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function prepareBenchDatabase(): Promise<void> {
  const url = new URL(pgUrl);
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const pg = new PgClient({ connectionString: admin.toString() });
  await pg.connect();
  const name = url.pathname.slice(1);
  await pg.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await pg.query(`CREATE DATABASE "${name}"`);
  await pg.end();
  await new Promise<void>((resolve, reject) => {
    const c = spawn(process.execPath, [bin, "migrate", "deploy"], { env: { ...process.env, ERT_STORAGE_DATABASE_URL: pgUrl }, stdio: "ignore" });
    c.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`migrate deploy: ${code}`))));
  });
}

function matrix100x2000(): Matrix {
  const data = new Float64Array(100 * 2000);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i) * 1e3 + i / 7;
  return { shape: [100, 2000], data, columns: null, index: null };
}

async function roundTrips(base: string, label: string): Promise<void> {
  const m = matrix100x2000();
  const bodies: [string, string | Buffer][] = [
    ["application/json", JSON.stringify(Array.from({ length: 100 }, (_, r) => Array.from(m.data.subarray(r * 2000, (r + 1) * 2000))))],
    ["application/x-numpy", writeNpy(m.data, m.shape)],
    ["text/csv", writeCsv(m)],
    ["application/x-parquet", writeParquet(m)],
  ];
  const exp = await json(base, "POST", "/experiments", { name: "bench" });
  const ens = await json(base, "POST", `/experiments/${exp.id}/ensembles`, { size: 100, parameter_names: [], response_names: [] });
  const rawMb = (m.data.length * 8) / 1e6;
  for (const [type, body] of bodies) {
    const runs = 5;
    let total = 0;
    for (let i = 0; i < runs; i++) {
      const name = `m-${type.replace(/\W/g, "")}-${i}`;
      const t0 = performance.now();
      const post = await fetch(`${base}/ensembles/${ens.id}/records/${name}/matrix`, { method: "POST", headers: { "content-type": type }, body });
      if (!post.ok) throw new Error(`${type}: ${post.status} ${await post.text()}`);
      const get = await fetch(`${base}/ensembles/${ens.id}/records/${name}`, { headers: { accept: type } });
      await get.arrayBuffer();
      total += performance.now() - t0;
    }
    const ms = total / runs;
    console.log(
      `  ${label} 100x2000 ${type.padEnd(22)} round trip ${ms.toFixed(1).padStart(7)} ms  ` +
        `(${((2 * rawMb) / (ms / 1000)).toFixed(1)} MB/s of float64 data, body ${(Buffer.byteLength(body) / 1e6).toFixed(2)} MB)`,
    );
  }
  await json(base, "DELETE", `/experiments/${exp.id}`);
}

async function misfits(base: string, label: string): Promise<void> {
  const realizations = 1000;
  const points = 500;
  const columns = Array.from({ length: 2 * points }, (_, i) => `T${i}`);
  const exp = await json(base, "POST", "/experiments", { name: "bench-misfits" });
  const ens = await json(base, "POST", `/experiments/${exp.id}/ensembles`, { size: realizations, parameter_names: [], response_names: ["FOPR"] });
  const obs = await json(base, "POST", `/experiments/${exp.id}/observations`, {
    name: "FOPR",
    values: Array.from({ length: points }, (_, i) => i),
    errors: Array.from({ length: points }, () => 0.5),
    x_axis: columns.filter((_, i) => i % 2 === 0),
  });
  const header = "," + columns.join(",") + "\n";
  const t0 = performance.now();
  for (let start = 0; start < realizations; start += 50) {
    await Promise.all(
      Array.from({ length: 50 }, async (_, k) => {
        const r = start + k;
        const row = "0," + columns.map((_, i) => (i / 2 + Math.sin(r + i)).toString()).join(",") + "\n";
        const post = await fetch(`${base}/ensembles/${ens.id}/records/FOPR/matrix?realization_index=${r}`, {
          method: "POST",
          headers: { "content-type": "text/csv" },
          body: header + row,
        });
        if (!post.ok) throw new Error(await post.text());
        const link = await fetch(`${base}/ensembles/${ens.id}/records/FOPR/observations?realization_index=${r}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify([obs.id]),
        });
        if (!link.ok) throw new Error(await link.text());
      }),
    );
  }
  const loadMs = performance.now() - t0;
  const times: number[] = [];
  for (const summary of [false, false, false, true]) {
    const t1 = performance.now();
    const res = await fetch(`${base}/compute/misfits?ensemble_id=${ens.id}&response_name=FOPR&summary_misfits=${summary}`);
    const text = await res.text();
    if (!res.ok || text.split("\n").length !== realizations + 2) throw new Error(`misfits: ${res.status} ${text.slice(0, 200)}`);
    times.push(performance.now() - t1);
  }
  console.log(
    `  ${label} misfits ${realizations} realizations x ${points} points: ${times.slice(0, 3).map((t) => t.toFixed(0)).join(", ")} ms ` +
      `(summary ${times[3].toFixed(0)} ms); loading 1000 records + links took ${(loadMs / 1000).toFixed(1)} s`,
  );
  await json(base, "DELETE", `/experiments/${exp.id}`);
}

async function bigFile(server: Server, label: string, megabytes: number): Promise<void> {
  const base = server.base;
  const exp = await json(base, "POST", "/experiments", { name: "bench-file" });
  const ens = await json(base, "POST", `/experiments/${exp.id}/ensembles`, { size: 1, parameter_names: [], response_names: [] });
  const piece = randomBytes(1024 * 1024);
  const sent = createHash("sha256");
  const boundary = "bench-boundary";
  async function* body() {
    yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`);
    for (let i = 0; i < megabytes; i++) {
      sent.update(piece);
      yield piece;
    }
    yield Buffer.from(`\r\n--${boundary}--\r\n`);
  }
  const t0 = performance.now();
  const up = await fetch(`${base}/ensembles/${ens.id}/records/big/file`, {
    method: "POST",
    headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
    body: Readable.toWeb(Readable.from(body())) as ReadableStream,
    duplex: "half",
  } as RequestInit);
  if (!up.ok) throw new Error(await up.text());
  const upMs = performance.now() - t0;
  const rssAfterUpload = server.peakRssMb();
  const t1 = performance.now();
  const down = await fetch(`${base}/ensembles/${ens.id}/records/big`);
  const got = createHash("sha256");
  let n = 0;
  for await (const chunk of Readable.fromWeb(down.body as never)) {
    got.update(chunk as Buffer);
    n += (chunk as Buffer).length;
  }
  const downMs = performance.now() - t1;
  if (n !== megabytes * 1024 * 1024 || got.digest("hex") !== sent.digest("hex")) throw new Error("file content differs");
  const mb = megabytes * 1.048576;
  console.log(
    `  ${label} ${megabytes} MiB file: upload ${(mb / (upMs / 1000)).toFixed(1)} MB/s, download ${(mb / (downMs / 1000)).toFixed(1)} MB/s, ` +
      `server peak RSS ${rssAfterUpload.toFixed(0)} MB after upload, ${server.peakRssMb().toFixed(0)} MB after download`,
  );
  await json(base, "DELETE", `/experiments/${exp.id}`);
}

async function main(): Promise<void> {
  console.log(`ERT Storage benchmarks (node ${process.version}, ${os.cpus().length} cores)`);
  await prepareBenchDatabase();
  for (const [label, env] of [
    ["pglite", {}],
    ["postgres", { ERT_STORAGE_DATABASE_URL: pgUrl }],
  ] as [string, Record<string, string>][]) {
    const starts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await startServer(env);
      starts.push(s.startMs);
      await s.stop();
    }
    console.log(`${label}: server start to first healthcheck ${starts.map((s) => s.toFixed(0)).join(", ")} ms`);
    const server = await startServer(env);
    try {
      await roundTrips(server.base, label);
      await misfits(server.base, label);
      await bigFile(server, label, label === "pglite" ? Math.min(fileMb, 256) : fileMb);
    } finally {
      await server.stop();
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
