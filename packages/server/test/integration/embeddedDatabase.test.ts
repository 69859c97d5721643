// The embedded database is one PGlite session behind a loopback socket, reached through a
// pool of one connection. When that connection is dropped (after a connection error, or
// by a client whose process was busy past the pool's idle time), the pool opens the next
// at once, while the socket server is still closing the old one: the next request must
// get it, not a 503.
import { randomBytes } from "node:crypto";
import { startTestServer, type TestServer } from "../helpers/server";
import { finiteValues, npyOf } from "../helpers/stacks";
import { Upkeep } from "../../src/store/db/upkeep";

describe("the embedded database after a dropped connection", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer("pglite");
  });
  afterAll(() => t.close());

  test("the request right after each dropped connection is answered, and what was stored is there", async () => {
    const names: string[] = [];
    for (let i = 0; i < 20; i++) {
      const client = await t.db.pool.connect();
      await client.query("SELECT 1");
      client.release(true); // dropped, as Sql drops a connection that failed
      const name = `dropped-${process.pid}-${i}`;
      const created = await t.api.post("/experiments", { json: { name } });
      expect(created.status).toBe(200);
      names.push(name);
    }
    const listed = await t.api.get("/experiments");
    expect(listed.status).toBe(200);
    const stored = new Set((listed.json as { name: string }[]).map((e) => e.name));
    for (const name of names) expect(stored.has(name)).toBe(true);
  });

  test("the connection stays open while idle: no request has to open a new one", async () => {
    expect(await t.api.get("/experiments").then((r) => r.status)).toBe(200);
    expect(t.db.pool.totalCount).toBe(1);
    expect((t.db.pool as unknown as { options: { idleTimeoutMillis: number } }).options.idleTimeoutMillis).toBe(0);
  });
});

// PGlite has no autovacuum and no checkpointer: without the server's upkeep, every row
// ever deleted kept its pages and the WAL kept everything written since the start
// (src/store/db/upkeep.ts). Measured as the database's size plus its WAL.
describe("the embedded database gives back what was deleted", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer("pglite");
  });
  afterAll(() => t.close());

  const stored = async (): Promise<number> => {
    const row = await t.db.sql.one<{ db: string; wal: string }>(
      "SELECT pg_database_size(current_database())::text AS db, (SELECT sum(size) FROM pg_ls_waldir())::text AS wal",
    );
    return Number(row!.db) + Number(row!.wal);
  };

  /** An experiment holding a matrix in the blob store (6.4 MB), 20 records of 16 kB and a file, then deleted. */
  async function round(i: number): Promise<void> {
    const experiment = await t.api.post("/experiments", { json: { name: `upkeep-${process.pid}-${i}` } });
    expect(experiment.status).toBe(200);
    const ensemble = await t.api.post(`/experiments/${experiment.json.id}/ensembles`, {
      json: { size: 20, parameter_names: ["P"], response_names: ["R"] },
    });
    expect(ensemble.status).toBe(200);
    const records = `/ensembles/${ensemble.json.id}/records`;
    const big = finiteValues(400 * 2000, i);
    const posted = await t.api.post(`${records}/P/matrix`, { body: npyOf([400, 2000], big), headers: { "content-type": "application/x-numpy" } });
    expect(posted.status).toBe(200);
    for (let r = 0; r < 20; r++) {
      const one = await t.api.post(`${records}/R/matrix`, { query: { realization_index: r }, json: Array.from(finiteValues(2000, i * 100 + r)) });
      expect(one.status).toBe(200);
    }
    const form = new FormData();
    form.append("file", new Blob([randomBytes(2_000_000)]), "surface.irap");
    expect((await t.api.post(`${records}/F/file`, { body: form })).status).toBe(200);
    const back = await t.api.get(`${records}/P`, { headers: { accept: "application/x-numpy" } });
    expect(back.bytes.subarray(-big.byteLength).equals(Buffer.from(big.buffer))).toBe(true);
    expect((await t.api.delete(`/experiments/${experiment.json.id}`)).status).toBe(200);
  }

  test("rounds of storing ~9 MB and deleting it leave the database and its WAL the size one round left", async () => {
    await round(0);
    const after1 = await stored();
    for (let i = 1; i < 6; i++) await round(i);
    const after6 = await stored();
    // without upkeep each round added ~30 MB (its rows and their WAL); the bound is a third of one round's data
    expect(after6 - after1).toBeLessThan(3_000_000);
  });

  test("the tick checkpoints once the WAL passed its budget, and reclaims after writes at most once a minute", async () => {
    const behind = async () =>
      Number(
        (await t.db.sql.one<{ n: string }>("SELECT (pg_current_wal_insert_lsn() - (SELECT redo_lsn FROM pg_control_checkpoint()))::text AS n"))!.n,
      );
    const vacuums = async () => Number((await t.db.sql.one<{ n: string }>("SELECT vacuum_count::text AS n FROM pg_stat_user_tables WHERE relname = 'matrix'"))!.n);
    const upkeep = new Upkeep(t.db.sql, true, 1_000_000);
    await upkeep.reclaim();
    const reclaimed = await vacuums();
    const experiment = await t.experiment(`upkeep-tick-${process.pid}`);
    const ensemble = await t.api.post(`/experiments/${experiment}/ensembles`, { json: { size: 1, parameter_names: ["P"], response_names: [] } });
    const post = () =>
      t.api.post(`/ensembles/${ensemble.json.id}/records/P${Math.random()}/matrix`, {
        body: npyOf([100, 2000], finiteValues(100 * 2000, 7)),
        headers: { "content-type": "application/x-numpy" },
      });
    expect((await post()).status).toBe(200);
    expect(await behind()).toBeGreaterThan(1_500_000);
    await upkeep.tick(); // within a minute of the reclaim: a checkpoint only
    expect(await behind()).toBeLessThan(100_000);
    expect(await vacuums()).toBe(reclaimed);
    expect((await post()).status).toBe(200);
    await upkeep.tick(Date.now() + 61_000); // written, and a minute on: a reclaim
    expect(await vacuums()).toBe(reclaimed + 1);
    expect(await behind()).toBeLessThan(100_000);
  });

  test("the app's own upkeep (whose ticks the server's timer starts) gives back the WAL behind the checkpoint after writes", async () => {
    const experiment = await t.experiment(`upkeep-own-${process.pid}`);
    const ensemble = await t.api.post(`/experiments/${experiment}/ensembles`, { json: { size: 1, parameter_names: ["P"], response_names: [] } });
    expect(
      (await t.api.post(`/ensembles/${ensemble.json.id}/records/P/matrix`, { body: npyOf([200, 2000], finiteValues(200 * 2000, 8)), headers: { "content-type": "application/x-numpy" } }))
        .status,
    ).toBe(200);
    const behind = async () =>
      Number((await t.db.sql.one<{ n: string }>("SELECT (pg_current_wal_insert_lsn() - (SELECT redo_lsn FROM pg_control_checkpoint()))::text AS n"))!.n);
    expect(await behind()).toBeGreaterThan(3_000_000);
    await t.services.deps.repos.upkeep.tick(Date.now() + 61_000);
    expect(await behind()).toBeLessThan(100_000);
  });
});
