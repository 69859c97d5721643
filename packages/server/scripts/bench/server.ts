// The server under test: a child process (`ert-storage --port 0`), so its start time and
// memory are its own. Also the fresh PostgreSQL database it runs on.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client as PgClient } from "pg";
import { Client, expectOk } from "./http";
import { now } from "./measure";
import type { Db } from "./options";

export const BIN = path.join(__dirname, "..", "..", "..", "bin", "ert-storage.js");
/** node's flags from a command's first line (#!/usr/bin/env -S node ...): the server runs as users run it */
export function nodeFlags(script: string): string[] {
  const shebang = /^#!\/usr\/bin\/env(?: -S)? node(.*)$/.exec(script.split("\n")[0]);
  if (!shebang) throw new Error("The command does not start with #!/usr/bin/env node");
  return shebang[1].split(" ").filter(Boolean);
}
export const PG_URL = process.env.ERT_STORAGE_BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/ert_storage_bench";

export interface Server {
  client: Client;
  pid: number;
  /** spawn to first healthcheck answered */
  startMs: number;
  /** the process's peak resident memory so far (VmHWM, and the peaks before each resetStepPeak), MB */
  peakRssMb(): number;
  /** the peak resident memory since the last resetStepPeak (VmHWM), MB */
  stepPeakRssMb(): number;
  /** starts a new step: its peak is counted from the resident memory now (Linux's clear_refs 5) */
  resetStepPeak(): void;
  /** VmRSS: resident memory now, MB */
  rssMb(): number;
  /** null while running; else how it ended and the end of its output */
  exited(): string | null;
  stop(): Promise<void>;
}

export function serverEnv(db: Db): Record<string, string> {
  return db === "postgres" ? { ERT_STORAGE_DATABASE_URL: PG_URL } : {};
}

export async function startServer(db: Db, timeoutMs: number): Promise<Server> {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "ert-bench-"));
  const env: NodeJS.ProcessEnv = { ...process.env, ERT_STORAGE_NO_TOKEN: "1", ERT_STORAGE_QUIET: "1", ...serverEnv(db) };
  if (db === "embedded") delete env.ERT_STORAGE_DATABASE_URL;
  const t0 = now();
  // ERT_STORAGE_BENCH_NODE_ARGS: flags for the server's node, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
  const nodeArgs = process.env.ERT_STORAGE_BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeFlags(fs.readFileSync(BIN, "utf8")), ...nodeArgs, BIN, "--port", "0"], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let ended: string | null = null;
  child.stdout!.on("data", (d) => (output = (output + d).slice(-4000)));
  child.stderr!.on("data", (d) => (output = (output + d).slice(-4000)));
  child.on("exit", (code, signal) => {
    ended = `server exited (${signal ?? `code ${code}`})${output.trim() ? `: ${output.trim().slice(-1000)}` : ""}`;
  });
  let client: Client;
  let startMs: number;
  try {
    client = new Client(await announced(child), timeoutMs);
    expectOk(await client.request("GET", "/healthcheck"), "healthcheck");
    startMs = now() - t0;
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  // the last figures read stay the answer once the process is gone
  const last: Record<string, number> = { VmHWM: 0, VmRSS: 0 };
  const status = (field: string) => {
    try {
      const text = fs.readFileSync(`/proc/${child.pid}/status`, "utf8");
      last[field] = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(text)![1]) / 1024;
    } catch {
      // exited: keep the last reading
    }
    return last[field];
  };
  let earlierPeak = 0; // MB, before the last reset
  return {
    client,
    pid: child.pid!,
    startMs,
    peakRssMb: () => Math.round(Math.max(earlierPeak, status("VmHWM"))),
    stepPeakRssMb: () => Math.round(status("VmHWM")),
    resetStepPeak: () => {
      earlierPeak = Math.max(earlierPeak, status("VmHWM"));
      try {
        fs.writeFileSync(`/proc/${child.pid}/clear_refs`, "5");
      } catch {
        // exited (or a kernel without it): the step's peak is then the process's so far
      }
    },
    rssMb: () => Math.round(status("VmRSS")),
    exited: () => ended,
    stop: async () => {
      client.close();
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.on("exit", resolve));
        child.kill("SIGTERM");
        // a stuck server finishes no requests and never exits on its own
        const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(kill);
      }
      fs.rmSync(cwd, { recursive: true, force: true });
    },
  };
}

/** Waits for the "ERT Storage on http://..." line; keeps the output to explain a failure. */
function announced(child: ChildProcess): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let out = "";
    const onData = (d: Buffer) => {
      out += d;
      const m = /ERT Storage on (http:\/\/\S+)/.exec(out);
      if (m) {
        child.stdout!.off("data", onData);
        resolve(m[1]);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (d) => {
      out += d;
      process.stderr.write(`[server ${child.pid}] ${d}`);
    });
    // keep reading stdout so the pipe never fills
    child.stdout!.resume();
    child.on("exit", (code) => reject(new Error(`server exited with ${code} before it listened:\n${out}`)));
  });
}

/** Drops and creates the database `name` on the PostgreSQL of PG_URL. */
export async function freshDatabase(name: string): Promise<string> {
  const admin = new URL(PG_URL);
  admin.pathname = "/postgres";
  const pg = new PgClient({ connectionString: admin.toString() });
  await pg.connect();
  try {
    await pg.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await pg.query(`CREATE DATABASE "${name}"`);
  } finally {
    await pg.end();
  }
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A fresh bench database, migrated by the server's own command. */
export async function prepareBenchDatabase(): Promise<void> {
  await freshDatabase(new URL(PG_URL).pathname.slice(1));
  await new Promise<void>((resolve, reject) => {
    const c = spawn(process.execPath, [BIN, "migrate", "deploy"], { env: { ...process.env, ERT_STORAGE_DATABASE_URL: PG_URL }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    c.stdout!.on("data", (d) => (out += d));
    c.stderr!.on("data", (d) => (out += d));
    c.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`migrate deploy exited with ${code}:\n${out}`))));
  });
}
