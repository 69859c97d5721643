// A schema change without a migration fails here: the database the migrations
// build must equal the one schema.prisma describes, catalog entry for catalog entry.
import { spawn } from "node:child_process";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { applyMigrations, type SqlRunner } from "../../src/store/db/migrations";
import { testDatabaseUrl } from "../helpers/env";

const packageDir = path.join(__dirname, "..", "..");

function schemaScript(): Promise<string> {
  return new Promise((resolve, reject) => {
    const cli = require.resolve("prisma/build/index.js", { paths: [packageDir] });
    const child = spawn(
      process.execPath,
      [cli, "migrate", "diff", "--from-empty", "--to-schema-datamodel", "../../prisma/schema.prisma", "--script", "--config", "prisma.config.ts"],
      { cwd: packageDir, env: { ...process.env, DATABASE_URL: testDatabaseUrl() } },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("exit", (code) => (code === 0 && out.trim() ? resolve(out) : reject(new Error(`prisma migrate diff: ${code} ${err}`))));
  });
}

async function catalog(db: PGlite) {
  const q = async (sql: string) => (await db.query(sql)).rows;
  return {
    columns: await q(`SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default
                      FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'
                      ORDER BY 1, 2`),
    indexes: await q(`SELECT tablename, indexname, indexdef FROM pg_indexes
                      WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY 1, 2`),
    constraints: await q(`SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
                          WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> '_prisma_migrations' ORDER BY 1, 2`),
    enums: await q(`SELECT t.typname, e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid ORDER BY 1, e.enumsortorder`),
  };
}

test("prisma/migrations build exactly the database schema.prisma describes", async () => {
  const fromMigrations = new PGlite();
  const fromSchema = new PGlite();
  try {
    await applyMigrations(fromMigrations as unknown as SqlRunner);
    await fromSchema.exec(await schemaScript());
    const expected = await catalog(fromSchema);
    expect(expected.columns.length).toBeGreaterThan(50);
    expect(await catalog(fromMigrations)).toEqual(expected);
  } finally {
    await fromMigrations.close();
    await fromSchema.close();
  }
});
