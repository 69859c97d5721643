// ert-storage servers as child processes (needs `pnpm build`: the command runs dist/),
// for tests that kill them, run several on one database or read their output.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const bin = path.join(__dirname, "..", "..", "bin", "ert-storage.js");

/** Every child a test started, killed if the test process exits first. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Variables of the test's own environment that must not leak into a server under test. */
const CLEARED = [
  "ERT_STORAGE_TOKEN",
  "ERT_STORAGE_NO_TOKEN",
  "ERT_STORAGE_DATABASE_URL",
  "ERT_STORAGE_AZURE_CONNECTION_STRING",
  "ERT_STORAGE_AZURE_BLOB_CONTAINER",
  "ERT_STORAGE_CORS_ORIGINS",
];

export interface ServerProcess {
  url: string;
  pid: number;
  /** everything it wrote to stdout and stderr so far */
  output(): string;
  /** resolves with the exit code (128 + n for signal n's name) once it exited */
  exited: Promise<number>;
  /** whether it still runs */
  alive(): boolean;
  /** kills it with SIGKILL and waits for the exit */
  kill(): Promise<void>;
  /** SIGTERM, SIGKILL after 10 s; waits for the exit */
  stop(): Promise<void>;
}

export interface SpawnOptions {
  /** working directory (the discovery file goes there); a temp folder removed at stop by default */
  cwd?: string;
  args?: string[];
}

function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = { ...process.env, ERT_STORAGE_QUIET: "1" };
  for (const key of CLEARED) delete result[key];
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete result[k];
    else result[k] = v;
  }
  return result;
}

/** Starts `ert-storage --port 0` and resolves once it serves. */
export async function spawnServer(env: Record<string, string | undefined>, options: SpawnOptions = {}): Promise<ServerProcess> {
  const ownCwd = options.cwd === undefined;
  const cwd = options.cwd ?? fs.mkdtempSync(path.join(os.tmpdir(), "ert-server-"));
  const child = spawn(process.execPath, [bin, "--port", "0", ...(options.args ?? [])], { cwd, env: childEnv(env) });
  running.add(child);
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number>((resolve) =>
    child.once("exit", (code, signal) => {
      running.delete(child);
      if (ownCwd) fs.rmSync(cwd, { recursive: true, force: true });
      resolve(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1));
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error("did not start within 60 s")), 60_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${error.message}\n${out}`));
    };
    const poll = setInterval(() => {
      const match = /ERT Storage on (http:\/\/\S+)/.exec(out);
      if (match) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(match[1]);
      }
    }, 20);
    void exited.then((code) => {
      clearInterval(poll);
      if (!/ERT Storage on/.test(out)) fail(new Error(`exited (${code}) before serving`));
    });
  });
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  };
  return {
    url,
    pid: child.pid!,
    output: () => out,
    exited,
    alive: () => child.exitCode === null && child.signalCode === null,
    kill,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      child.kill("SIGTERM");
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs `ert-storage <args>` to its end; resolves with the exit code and output. */
export function runCommand(args: string[], env: Record<string, string | undefined>): Promise<{ code: number; output: string }> {
  const child = spawn(process.execPath, [bin, ...args], { env: childEnv(env) });
  running.add(child);
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  return new Promise((resolve) =>
    child.once("exit", (code) => {
      running.delete(child);
      resolve({ code: code ?? 1, output: out });
    }),
  );
}
