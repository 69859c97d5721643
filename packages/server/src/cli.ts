// The `ert-storage` command: serve (default) and migrate.
import { spawn } from "node:child_process";
import path from "node:path";
import { ConfigError, readConfig } from "./config";
import { RefusedToStart, serve } from "./server";
import { BlobStoreUnavailable, describeBlobStore } from "./store/blob";
import { MigrationRequired } from "./store/db/connect";
import { applyMigrations, listMigrations, migrationStatus, type SqlRunner } from "./store/db/migrations";

const USAGE = `Usage:
  ert-storage [serve] [--host 127.0.0.1] [--port 8000]
  ert-storage migrate deploy|status     apply or show Prisma migrations
  ert-storage --help                   this text

Environment: ERT_STORAGE_DATABASE_URL (unset: in-memory embedded database),
ERT_STORAGE_TOKEN / ERT_STORAGE_NO_TOKEN, ERT_STORAGE_AZURE_CONNECTION_STRING and
ERT_STORAGE_AZURE_BLOB_CONTAINER (file content in Azure Blob Storage; container default ert).`;

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === "help" || argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  // options without a command are the server's (ert-storage --port 8001)
  const [command = "serve", ...rest] = argv[0]?.startsWith("-") ? ["serve", ...argv] : argv;
  try {
    if (command === "serve") return await serveCommand(rest);
    if (command === "migrate") return await migrateCommand(rest);
  } catch (error) {
    if (
      error instanceof ConfigError ||
      error instanceof MigrationRequired ||
      error instanceof RefusedToStart ||
      error instanceof BlobStoreUnavailable
    ) {
      console.error(`ert-storage: ${error.message}`);
      return 2;
    }
    throw error;
  }
  console.error(`ert-storage: unknown command '${command}'\n${USAGE}`);
  return 2;
}

/** The serve command's options (--host, --port), each given at most once; anything else is refused. */
function serveOptions(args: string[]): { host: string; port: number } {
  const given: Record<string, string> = {};
  for (let i = 0; i < args.length; i += 2) {
    const [name, value] = [args[i], args[i + 1]];
    if (name !== "--host" && name !== "--port") throw new ConfigError(`unknown option '${name}' (serve takes --host and --port)`);
    if (name in given) throw new ConfigError(`${name} is given twice`);
    if (value === undefined || value.startsWith("--")) throw new ConfigError(`${name} needs a value`);
    given[name] = value;
  }
  const port = Number(given["--port"] ?? "8000");
  if (!/^\d{1,5}$/.test(given["--port"] ?? "8000") || port > 65535) throw new ConfigError(`--port must be 0..65535`);
  return { host: given["--host"] ?? "127.0.0.1", port };
}

async function serveCommand(args: string[]): Promise<number> {
  const { host, port } = serveOptions(args);
  const config = readConfig();
  if (config.token === null && !process.env.ERT_STORAGE_NO_TOKEN) config.tokenGenerated = true;
  const started = Date.now();
  const running = await serve({ host, port, config, discoveryDir: process.cwd() });
  const db = running.db.describe;
  console.log(`ERT Storage on ${running.url} (${db}), ready in ${Date.now() - started} ms`);
  console.log(`File content in ${describeBlobStore(running.blobs)}.`);
  if (config.database.kind === "pglite" && config.database.dataDir === null) {
    console.log("Data is kept in memory and discarded at exit. Set ERT_STORAGE_DATABASE_URL=pglite:///ert-data to keep it.");
  }
  console.log(`Docs: ${running.url}/docs (Swagger UI), ${running.url}/redoc (ReDoc), ${running.url}/gql (GraphiQL)`);
  // A generated token rides in the fragment, which the browser never sends (the page moves it to
  // sessionStorage); a configured one is not printed (the page asks for it).
  const fragment = config.tokenGenerated && running.token ? `#token=${encodeURIComponent(running.token)}` : "";
  console.log(`Explorer: ${running.url}/ui${fragment}`);
  if (config.tokenGenerated) console.log(`Token: ${running.token} (also in storage_server.json)`);
  else if (running.token === null) console.log("Authentication is off (ERT_STORAGE_NO_TOKEN).");
  const shutdown = (signal: string) => {
    console.log(`${signal}: finishing requests and closing the database`);
    running.stop().then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  return new Promise<number>(() => undefined);
}

async function migrateCommand(args: string[]): Promise<number> {
  const config = readConfig();
  if (config.database.kind === "pglite") {
    if (config.database.dataDir === null) {
      console.log("The in-memory embedded database is migrated at every start; nothing to do.");
      return 0;
    }
    const { PGlite } = await import("@electric-sql/pglite");
    const db = new PGlite(config.database.dataDir);
    try {
      const runner = db as unknown as SqlRunner;
      if (args[0] === "deploy") {
        const applied = await applyMigrations(runner);
        console.log(applied.length ? `Applied: ${applied.join(", ")}` : "No pending migrations.");
      } else if (args[0] === "status") {
        const status = await migrationStatus(runner, listMigrations());
        console.log(JSON.stringify(status));
        return status.pending.length || status.failed.length ? 1 : 0;
      } else throw new ConfigError("for the embedded database: ert-storage migrate deploy|status");
    } finally {
      await db.close();
    }
    return 0;
  }
  // PostgreSQL: Prisma Migrate itself, with this package's config, from any working directory.
  const packageDir = path.resolve(__dirname, "..", "..");
  const cli = require.resolve("prisma/build/index.js", { paths: [packageDir] });
  const child = spawn(process.execPath, [cli, "migrate", ...args, "--config", path.join(packageDir, "prisma.config.ts")], {
    cwd: packageDir,
    stdio: "inherit",
    env: { ...process.env, DATABASE_URL: config.database.url },
  });
  return new Promise((resolve) => child.on("exit", (code) => resolve(code ?? 1)));
}
