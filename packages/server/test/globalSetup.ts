// Once per test run: the PostgreSQL test database exists and `ert-storage migrate deploy` has run on it.
import { spawn } from "node:child_process";
import path from "node:path";
import { Client } from "pg";
import { testDatabaseUrl } from "./helpers/env";

export default async function globalSetup(): Promise<void> {
  const url = new URL(testDatabaseUrl());
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
