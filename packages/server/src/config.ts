// Every environment variable the server reads, read in one place.
import os from "node:os";
import path from "node:path";

export type DatabaseConfig =
  | { kind: "pglite"; dataDir: string | null } // null: in memory
  | { kind: "postgres"; url: string };

/** How much one request may carry; each has an environment variable. */
export interface Limits {
  /** JSON request bodies (API models, userdata, observations): ERT_STORAGE_MAX_JSON_BYTES */
  jsonBytes: number;
  /** a matrix body, decoded (gzip and deflate bodies count what they decode to): ERT_STORAGE_MAX_MATRIX_BYTES */
  matrixBytes: number;
  /** one staged block of a block upload: ERT_STORAGE_MAX_BLOCK_BYTES */
  blockBytes: number;
  /** an ensemble's size: ERT_STORAGE_MAX_ENSEMBLE_SIZE */
  ensembleSize: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_LIMITS: Limits = {
  jsonBytes: 16 * MiB,
  matrixBytes: 2048 * MiB,
  blockBytes: 4096 * MiB,
  ensembleSize: 100_000,
};

export const LIMIT_VARIABLES: Record<keyof Limits, string> = {
  jsonBytes: "ERT_STORAGE_MAX_JSON_BYTES",
  matrixBytes: "ERT_STORAGE_MAX_MATRIX_BYTES",
  blockBytes: "ERT_STORAGE_MAX_BLOCK_BYTES",
  ensembleSize: "ERT_STORAGE_MAX_ENSEMBLE_SIZE",
};

export function readLimits(env: NodeJS.ProcessEnv = process.env): Limits {
  const limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(LIMIT_VARIABLES) as (keyof Limits)[]) {
    const text = env[LIMIT_VARIABLES[key]];
    if (text === undefined || text === "") continue;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new ConfigError(`${LIMIT_VARIABLES[key]}=${text}: expected a whole number above 0`);
    }
    limits[key] = value;
  }
  return limits;
}

/**
 * Threads that write big CSV and JSON answers: ERT_STORAGE_TEXT_THREADS, by default the
 * cores (at most 4); 0 writes them on the main thread.
 */
export function textThreadCount(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.ERT_STORAGE_TEXT_THREADS;
  if (text === undefined || text === "") return Math.min(4, os.availableParallelism());
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 64) {
    throw new ConfigError(`ERT_STORAGE_TEXT_THREADS=${text}: expected a whole number from 0 to 64`);
  }
  return value;
}

export interface Config {
  database: DatabaseConfig;
  /** null: authentication is off */
  token: string | null;
  /** true when no token was configured and one was generated at start */
  tokenGenerated: boolean;
  azure: { connectionString: string; container: string } | null;
  noRollback: boolean;
  logRequests: boolean;
  limits: Limits;
  textThreads: number;
}

export class ConfigError extends Error {}

/** Parses ERT_STORAGE_DATABASE_URL. Unset means an in-memory embedded database. */
export function parseDatabaseUrl(url: string | undefined, cwd = process.cwd()): DatabaseConfig {
  if (!url) return { kind: "pglite", dataDir: null };
  if (url.startsWith("postgresql://") || url.startsWith("postgres://")) return { kind: "postgres", url };
  if (url === "pglite://" || url === "pglite:///" || url === "pglite://memory") return { kind: "pglite", dataDir: null };
  if (url.startsWith("pglite:///")) {
    const rest = url.slice("pglite:///".length);
    // pglite:///rel/dir is relative to the working directory, pglite:////abs/dir is absolute
    return { kind: "pglite", dataDir: rest.startsWith("/") ? rest : path.resolve(cwd, rest) };
  }
  if (url.startsWith("sqlite:")) {
    throw new ConfigError(
      `ERT_STORAGE_DATABASE_URL=${url}: SQLite is not supported. Leave the variable unset for an ` +
        `in-memory embedded PostgreSQL (PGlite), or use pglite:///ert-data to keep the embedded ` +
        `database in the directory ./ert-data, or a postgresql:// URL for a PostgreSQL server.`,
    );
  }
  throw new ConfigError(
    `ERT_STORAGE_DATABASE_URL=${url}: unsupported scheme. Use postgresql://user:pass@host:port/db, ` +
      `pglite:///relative/dir, pglite:////absolute/dir, or leave it unset for an in-memory database.`,
  );
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const noToken = truthy(env.ERT_STORAGE_NO_TOKEN);
  const configured = env.ERT_STORAGE_TOKEN;
  const connectionString = env.ERT_STORAGE_AZURE_CONNECTION_STRING;
  return {
    database: parseDatabaseUrl(env.ERT_STORAGE_DATABASE_URL),
    token: noToken ? null : configured ?? null,
    tokenGenerated: false,
    azure: connectionString
      ? { connectionString, container: env.ERT_STORAGE_AZURE_BLOB_CONTAINER || "ert" }
      : null,
    noRollback: truthy(env.ERT_STORAGE_NO_ROLLBACK),
    logRequests: env.NODE_ENV !== "test" && !truthy(env.ERT_STORAGE_QUIET),
    limits: readLimits(env),
    textThreads: textThreadCount(env),
  };
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && value !== "" && value !== "0" && value.toLowerCase() !== "false";
}
