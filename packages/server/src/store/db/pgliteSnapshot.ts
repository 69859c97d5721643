// A fresh PGlite spends ~5 s in initdb. A migrated snapshot of a new database,
// cached per PGlite version and migration set, brings an in-memory start to ~1.5 s.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import { applyMigrations, listMigrations, type SqlRunner } from "./migrations";

/** The nearest folder at or above dir that holds a package.json. */
function packageDir(dir: string): string {
  while (!fs.existsSync(path.join(dir, "package.json"))) dir = path.dirname(dir);
  return dir;
}

/** packages/server/.cache, whether running from src/ or dist/src/. */
function cacheDir(): string {
  return path.join(packageDir(__dirname), ".cache");
}

/** How the snapshot is made (see leaveOutTemplates): part of its name. */
const SNAPSHOT_FORM = "without templates";

export function snapshotPath(): string {
  const pgliteDir = packageDir(path.dirname(require.resolve("@electric-sql/pglite")));
  const pgliteVersion = JSON.parse(fs.readFileSync(path.join(pgliteDir, "package.json"), "utf8")).version as string;
  const hash = createHash("sha256").update(pgliteVersion);
  for (const m of listMigrations()) hash.update(m.name).update(m.checksum);
  hash.update(SNAPSHOT_FORM); // a snapshot made otherwise is not taken
  return path.join(cacheDir(), `pglite-${hash.digest("hex").slice(0, 16)}.tar`);
}

/**
 * The snapshot's bytes as PGlite reads them: it asks its loadDataDir for arrayBuffer(),
 * which a Blob made of the file's bytes answers by copying them into the Blob, then reading
 * them back in 64 kB pieces and joining those: ~0.45 s of a 2.6 s in-memory start for the
 * 41 MB snapshot, on a slow machine. This one hands over the bytes read from the file.
 */
class SnapshotBlob extends Blob {
  readonly #contents: Buffer;

  constructor(contents: Buffer) {
    super([]);
    this.#contents = contents;
  }

  override arrayBuffer(): Promise<ArrayBuffer> {
    const { buffer, byteOffset, byteLength } = this.#contents;
    return Promise.resolve(byteOffset === 0 && byteLength === buffer.byteLength ? (buffer as ArrayBuffer) : (buffer.slice(byteOffset, byteOffset + byteLength) as ArrayBuffer));
  }
}

/**
 * In memory, PostgreSQL's buffer pool holds copies of pages PGlite's in-memory file system
 * already has, and each start clears all of it. 32 MB instead of PostgreSQL's 128 MB, bench
 * on this machine (two runs each): start to first healthcheck 2,460-2,502 -> 1,922-1,993 ms,
 * peak memory of the misfits and latency steps 620 -> 508 MB, misfits 223-282 -> 219-234 ms.
 * 16 MB started no faster than 32 (1,866 ms) and made misfits slower (273-324 ms).
 */
export const MEMORY_SHARED_BUFFERS = "32MB";

/** A migrated in-memory PGlite, from the cached snapshot when there is one. */
export async function openMemoryPglite(): Promise<PGlite> {
  const { PGlite } = await import("@electric-sql/pglite");
  const startParams = [...PGlite.defaultStartParams, "-c", `shared_buffers=${MEMORY_SHARED_BUFFERS}`];
  const file = snapshotPath();
  if (fs.existsSync(file)) {
    try {
      const db = new PGlite({ loadDataDir: new SnapshotBlob(fs.readFileSync(file)), startParams });
      await db.waitReady;
      await applyMigrations(db as unknown as SqlRunner);
      return db;
    } catch {
      fs.rmSync(file, { force: true }); // a damaged snapshot: start fresh and write a new one
    }
  }
  const db = new PGlite({ startParams });
  await db.waitReady;
  await applyMigrations(db as unknown as SqlRunner);
  await leaveOutTemplates(db);
  await writeSnapshot(db, file);
  return db;
}

/**
 * Drops template0 and template1: the sources of CREATE DATABASE, which PGlite (one
 * database, "postgres") never runs. They are 15 of the snapshot's 41 MB, which every start
 * reads and unpacks into PGlite's file system. Loading PGlite from the snapshot, four times
 * each on this machine: 1,153-1,661 -> 920-1,178 ms, ~70 MB less memory. The server's start
 * to its first answer moved less (bench: 1,922-1,993 -> 1,984 ms): the first request then
 * waits for V8's background compilation of PGlite's WASM hot code, which the longer start
 * had overlapped. The checkpoint leaves nothing to replay from the log at a start.
 */
async function leaveOutTemplates(db: PGlite): Promise<void> {
  try {
    await db.exec("UPDATE pg_database SET datistemplate = false WHERE datname IN ('template0', 'template1')");
    // one statement a call: DROP DATABASE runs in no transaction, not even a multi-statement one
    await db.exec("DROP DATABASE template0");
    await db.exec("DROP DATABASE template1");
  } catch (error) {
    // only a smaller snapshot is lost: the database serves as it is
    console.warn(`Could not leave the templates out of the embedded database snapshot (${(error as Error).message}); it stays larger.`);
  }
  await db.exec("CHECKPOINT");
}

async function writeSnapshot(db: PGlite, file: string): Promise<void> {
  try {
    const dump = await db.dumpDataDir("none");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
    fs.renameSync(tmp, file);
  } catch (error) {
    console.warn(`Could not cache the embedded database snapshot (${(error as Error).message}); start-up stays slower.`);
  }
}

/** `node dist/src/store/db/pgliteSnapshot.js` (run by the build) prepares the snapshot. */
if (require.main === module) {
  openMemoryPglite().then(
    (db) => db.close(),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
