// Every environment variable the server reads, read in one place.
import path from "node:path";

export type DatabaseConfig =
  | { kind: "pglite"; dataDir: string | null } // null: in memory
  | { kind: "postgres"; url: string };

export interface Config {
  database: DatabaseConfig;
  /** null: authentication is off */
  token: string | null;
  /** true when no token was configured and one was generated at start */
  tokenGenerated: boolean;
  azure: { connectionString: string; container: string } | null;
  noRollback: boolean;
  logRequests: boolean;
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
  };
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && value !== "" && value !== "0" && value.toLowerCase() !== "false";
}
