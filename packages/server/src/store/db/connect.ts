// Opens the database: PostgreSQL through the pg driver adapter, or the
// embedded PGlite (in memory or in a directory) behind a loopback socket.
import { PrismaPg } from "@prisma/adapter-pg";
import { Client, Pool } from "pg";
import type { DatabaseConfig } from "../../config";
import { PrismaClient } from "../../generated/prisma/client";
import { applyMigrations, migrationStatus, type SqlRunner } from "./migrations";
import { Sql } from "./sql";
import { TYPES } from "./typeParsers";
import { openMemoryPglite } from "./pgliteSnapshot";
import { gatherChunks, type ChunkHandler } from "./socketChunks";
import { gatherLargeMessages, pgParserPrototype } from "./messageBuffers";
import type { PGlite } from "@electric-sql/pglite";

export type Prisma = PrismaClient;

export interface Database {
  /** Prisma reads the models for GraphQL; it never writes a number (it rounds them) */
  prisma: PrismaClient;
  /** the pool Prisma uses; the repositories query it through sql */
  pool: Pool;
  sql: Sql;
  /** the PostgreSQL URL Prisma talks to (for the embedded database, its loopback socket) */
  url: string;
  describe: string;
  /** PGlite: one session, no autovacuum or checkpointer (see upkeep.ts) */
  embedded: boolean;
  close(): Promise<void>;
}

export class MigrationRequired extends Error {}

export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  gatherLargeMessages(pgParserPrototype());
  return config.kind === "postgres" ? openPostgres(config.url) : openPglite(config.dataDir);
}

async function openPostgres(url: string): Promise<Database> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const status = await migrationStatus(pgRunner(client));
    if (status.failed.length > 0 || status.pending.length > 0) {
      const what =
        status.failed.length > 0
          ? `failed migration(s): ${status.failed.join(", ")}`
          : `pending migration(s): ${status.pending.join(", ")}`;
      throw new MigrationRequired(
        `The database has ${what}. Run \`ert-storage migrate deploy\` with the same ERT_STORAGE_DATABASE_URL first.`,
      );
    }
  } finally {
    await client.end();
  }
  const pool = newPool(url, 10, "-c extra_float_digits=3");
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    prisma,
    pool,
    sql: new Sql(pool),
    url,
    describe: redact(url),
    embedded: false,
    close: async () => {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

async function openPglite(dataDir: string | null): Promise<Database> {
  // PGlite and its socket server are ESM-first; Node 20.19+ loads them with require().
  const { PGlite } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer, PGLiteSocketHandler } = await import("@electric-sql/pglite-socket");
  gatherChunks(PGLiteSocketHandler.prototype as unknown as ChunkHandler);
  let pglite: PGlite;
  if (dataDir) {
    pglite = new PGlite(dataDir);
    await pglite.waitReady;
    await applyMigrations(pglite as unknown as SqlRunner);
  } else pglite = await openMemoryPglite();
  // Room for a second connection: a dropped one (a failed statement, a client gone) is
  // closed on the server's side a moment after the pool opens the next, and with room for
  // one only the next was refused, so the request after every dropped connection failed.
  const server = new PGLiteSocketServer({ db: pglite, host: "127.0.0.1", port: 0, maxConnections: 2 });
  await server.start();
  const url = `postgresql://postgres@${server.getServerConn()}/postgres?sslmode=disable`;
  // PGlite is a single session: one connection, so transactions never interleave.
  // Requests queue for it as long as the one ahead takes: waiting is not an outage. The
  // connection is kept while idle (it costs nothing in-process).
  const pool = newPool(url, 1, undefined, 0, 0);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    prisma,
    pool,
    sql: new Sql(pool, false),
    url,
    describe: dataDir ? `embedded PostgreSQL (PGlite) in ${dataDir}` : "embedded PostgreSQL (PGlite) in memory",
    embedded: true,
    close: async () => {
      await prisma.$disconnect();
      await pool.end();
      await server.stop();
      await pglite.close();
    },
  };
}

/**
 * A pool whose idle connections dying (a database restart) is logged, not fatal. A request
 * that waits connectionTimeoutMillis for a connection (0: for ever) is answered 503; idle
 * connections are closed after idleTimeoutMillis (0: never).
 * options: startup settings; PostgreSQL gets extra_float_digits=3 so float8 prints
 * in its shortest exact form whatever the server's configuration (PGlite prints it
 * so by default and ignores startup options). Values are read with TYPES (Prisma's
 * adapter passes its own parsers with each query).
 */
function newPool(url: string, max: number, options?: string, connectionTimeoutMillis = 10_000, idleTimeoutMillis = 10_000): Pool {
  const pool = new Pool({ connectionString: url, max, options, connectionTimeoutMillis, idleTimeoutMillis, types: TYPES });
  pool.on("error", (error) => {
    console.error(`database connection lost: ${error.message}`);
  });
  return pool;
}

export function pgRunner(client: Client): SqlRunner {
  return {
    query: async (sql, params) => ({ rows: (await client.query(sql, params as unknown[])).rows }),
    exec: (sql) => client.query(sql),
  };
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
}
