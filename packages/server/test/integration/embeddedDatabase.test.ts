// The embedded database is one PGlite session behind a loopback socket, reached through a
// pool of one connection. When that connection is dropped (after a connection error, or
// by a client whose process was busy past the pool's idle time), the pool opens the next
// at once, while the socket server is still closing the old one: the next request must
// get it, not a 503.
import { startTestServer, type TestServer } from "../helpers/server";

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
