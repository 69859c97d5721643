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

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join(__dirname, "..", "..", "prisma", "schema.prisma"),
  migrations: { path: path.join(__dirname, "..", "..", "prisma", "migrations") },
  adapter: async () => new PrismaPg({ connectionString: databaseUrl() }),
});
