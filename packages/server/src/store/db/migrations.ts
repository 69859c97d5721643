// Reads prisma/migrations and applies or checks them with the bookkeeping
// table Prisma Migrate uses, so `prisma migrate status` agrees with us.
import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

/** What can run SQL: PGlite and pg.Client both fit. */
export interface SqlRunner {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  exec(sql: string): Promise<unknown>;
}

export function migrationsDir(): string {
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, "prisma", "migrations");
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`prisma/migrations not found above ${__dirname}`);
    dir = parent;
  }
}

export function listMigrations(dir = migrationsDir()): Migration[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = fs.readFileSync(path.join(dir, name, "migration.sql"), "utf8");
      if (sql.trim() === "") throw new Error(`migration ${name} is empty`);
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

const BOOKKEEPING = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

interface AppliedRow {
  migration_name: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

export interface MigrationStatus {
  pending: string[];
  failed: string[];
}

export async function migrationStatus(db: SqlRunner, migrations = listMigrations()): Promise<MigrationStatus> {
  const exists = await db.query<{ present: boolean }>(
    `SELECT to_regclass('public._prisma_migrations') IS NOT NULL AS present`,
  );
  if (!exists.rows[0]?.present) return { pending: migrations.map((m) => m.name), failed: [] };
  const applied = await db.query<AppliedRow>(
    `SELECT migration_name, finished_at, rolled_back_at FROM "_prisma_migrations"`,
  );
  const done = new Set(applied.rows.filter((r) => r.finished_at && !r.rolled_back_at).map((r) => r.migration_name));
  const failed = applied.rows.filter((r) => !r.finished_at && !r.rolled_back_at).map((r) => r.migration_name);
  return { pending: migrations.filter((m) => !done.has(m.name)).map((m) => m.name), failed };
}

/** Applies pending migrations, each in its own transaction (used for the embedded database). */
export async function applyMigrations(db: SqlRunner, migrations = listMigrations()): Promise<string[]> {
  await db.exec(BOOKKEEPING);
  const { pending, failed } = await migrationStatus(db, migrations);
  if (failed.length > 0) throw new Error(`failed migrations in the database: ${failed.join(", ")}`);
  for (const name of pending) {
    const migration = migrations.find((m) => m.name === name)!;
    await db.exec("BEGIN");
    try {
      await db.exec(migration.sql);
      await db.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count)
         VALUES ($1, $2, now(), $3, 1)`,
        [randomUUID(), migration.checksum, migration.name],
      );
      await db.exec("COMMIT");
    } catch (error) {
      await db.exec("ROLLBACK");
      throw error;
    }
  }
  return pending;
}
