import fs from "node:fs";
import { listMigrations } from "./migrations";
import { MEMORY_SHARED_BUFFERS, openMemoryPglite, snapshotPath } from "./pgliteSnapshot";

describe("the in-memory database's snapshot", () => {
  test("an in-memory database starts from the cached snapshot, migrated, and leaves it as it was", async () => {
    // made by the build; made here when it is not there yet
    await (await openMemoryPglite()).close();
    const file = snapshotPath();
    const before = fs.readFileSync(file);
    const { mtimeMs } = fs.statSync(file);
    const db = await openMemoryPglite();
    try {
      const { rows } = await db.query<{ name: string }>(`SELECT migration_name AS name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL`);
      expect(rows.map((r) => r.name).sort()).toEqual(listMigrations().map((m) => m.name).sort());
      // one database: the templates are left out of the snapshot
      expect((await db.query<{ datname: string }>("SELECT datname FROM pg_database")).rows).toEqual([{ datname: "postgres" }]);
      // the buffer pool it starts with (PostgreSQL's own is 128MB)
      expect((await db.query<{ shared_buffers: string }>("SHOW shared_buffers")).rows[0].shared_buffers).toBe(MEMORY_SHARED_BUFFERS);
    } finally {
      await db.close();
    }
    // a snapshot PGlite could not load would have been removed and written anew
    expect(fs.statSync(file).mtimeMs).toBe(mtimeMs);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  }, 60_000);
});
