// Prisma CLI configuration: runs offline with the WASM schema engine and the
// pg driver adapter. `ert-storage migrate ...` points the CLI here.
import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";

function databaseUrl(): string {
  const url = process.env.ERT_STORAGE_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!url) throw new Error("Set ERT_STORAGE_DATABASE_URL to a postgresql:// URL");
  return url;
}

/**
 * adapter-pg 7.10 runs a migration script by splitting it at every ";" and running
 * the pieces one by one: a function body ($$ ... $$) breaks, and a failing piece
 * leaves the earlier ones applied. Run the script whole instead, in one simple query
 * (PostgreSQL runs a multi-statement query as one implicit transaction).
 */
class WholeScriptPg extends PrismaPg {
  override async connect() {
    const adapter = await super.connect();
    const pool = adapter.underlyingDriver();
    adapter.executeScript = async (script: string) => {
      await pool.query(script);
    };
    return adapter;
  }
}

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join(__dirname, "..", "..", "prisma", "schema.prisma"),
  migrations: { path: path.join(__dirname, "..", "..", "prisma", "migrations") },
  // allowExitOnIdle: the pool's idle connection (pg keeps one 10 s by default) held the
  // command open ~10 s after its work was done
  adapter: async () => new WholeScriptPg({ connectionString: databaseUrl(), allowExitOnIdle: true }),
});
