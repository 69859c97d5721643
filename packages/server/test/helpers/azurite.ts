// A real Azurite (Microsoft's Azure Storage emulator, the `azurite` npm package):
// blob service only, on a free loopback port, data in a temp folder so a restart
// keeps it. It runs as a child process rather than in-process, so stopping it is a
// real outage for the code under test (connections refused, sockets reset) and its
// memory does not count in a benchmark's RSS.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export interface Azurite {
  /** connection string of the emulator's development account */
  connectionString: string;
  port: number;
  /** its data folder (blobs and metadata) */
  location: string;
  /** stops the process (SIGTERM, SIGKILL after 5 s); the data stays */
  stop(): Promise<void>;
  /** starts it again on the same port with the same data */
  restart(): Promise<void>;
  /** stops it and removes its data */
  close(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * The development account every Azurite accepts. Its name and key are public (Azurite's
 * README, "Default Storage Account"); they open nothing but an emulator. The key is read
 * from the emulator's own package, so no key is written in this repository.
 */
export function devAccount(): { name: string; key: string } {
  const constants = require("azurite/dist/src/blob/utils/constants.js") as { EMULATOR_ACCOUNT_NAME: string; EMULATOR_ACCOUNT_KEY_STR: string };
  return { name: constants.EMULATOR_ACCOUNT_NAME, key: constants.EMULATOR_ACCOUNT_KEY_STR };
}

export function azuriteConnectionString(port: number): string {
  const { name, key } = devAccount();
  return `DefaultEndpointsProtocol=http;AccountName=${name};AccountKey=${key};BlobEndpoint=http://127.0.0.1:${port}/${name};`;
}

export async function startAzurite(): Promise<Azurite> {
  const location = fs.mkdtempSync(path.join(os.tmpdir(), "ert-storage-azurite-"));
  let child: ChildProcess | null = null;
  let port = 0;
  const launch = async () => {
    const started = await launchAzurite(location, port);
    child = started.child;
    port = started.port;
  };
  const stop = async () => {
    const c = child;
    child = null;
    if (c) await terminate(c);
  };
  try {
    await launch();
  } catch (error) {
    fs.rmSync(location, { recursive: true, force: true });
    throw error;
  }
  return {
    connectionString: azuriteConnectionString(port),
    port,
    location,
    stop,
    async restart() {
      await stop();
      await launch();
    },
    async close() {
      await stop();
      fs.rmSync(location, { recursive: true, force: true });
    },
  };
}

async function launchAzurite(location: string, port: number): Promise<{ child: ChildProcess; port: number }> {
  const main = require.resolve("azurite/dist/src/blob/main.js");
  const args = [
    main,
    ...["--blobHost", "127.0.0.1", "--blobPort", String(port), "--location", location],
    ...["--skipApiVersionCheck", "--loose", "--disableTelemetry", "--silent"],
  ];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  child.once("exit", () => running.delete(child));
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error("Azurite did not start within 30 s")), 30_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${error.message}\n${output}`));
    };
    const onData = (data: Buffer) => {
      output += data.toString();
      const match = /successfully listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off("data", onData);
        child.stdout!.resume(); // keep draining what it still prints
        child.off("exit", onExit);
        resolve({ child, port: Number(match[1]) });
      }
    };
    const onExit = (code: number | null) => fail(new Error(`Azurite exited (${code}) before listening`));
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (data: Buffer) => (output += data.toString()));
    child.once("exit", onExit);
  });
}

function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
