// Faults injected into real processes: the server SIGKILLed mid-upload and restarted on
// the same PostgreSQL database, and a PostgreSQL the test owns stopped and started again
// under load. Nothing half-written may become visible, recorded work must survive, no
// request may hang, and the same server process must recover by itself.
import { randomBytes } from "node:crypto";
import http from "node:http";
import { Client as PgClient } from "pg";
import { Client, type Reply } from "../helpers/client";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../helpers/embeddedPostgres";
import { testDatabaseUrl } from "../helpers/env";
import { runCommand, spawnServer, type ServerProcess } from "../helpers/processes";
import { rawRequest } from "../helpers/raw";

const MiB = 1024 * 1024;

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function ok(res: Reply, what: string): Reply {
  if (res.status !== 200) throw new Error(`${what}: ${res.status} ${res.text}`);
  return res;
}

/**
 * Streams a body of `total` bytes to the server in 1 MiB pieces, each written once the
 * previous one drained, until stopped. Resolves with the answer or the socket's error.
 */
function streamingRequest(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  pieces: { head?: Buffer; total: number; tail?: Buffer },
) {
  const url = new URL(base);
  const sent: Buffer[] = [];
  let written = 0;
  let stopped = false;
  const req = http.request({ host: url.hostname, port: url.port, method, path, headers, agent: false });
  const done = new Promise<{ status: number } | { error: Error }>((resolve) => {
    req.on("response", (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on("error", (error) => resolve({ error }));
  });
  const pump = async () => {
    if (pieces.head) req.write(pieces.head);
    while (!stopped && written < pieces.total) {
      const piece = randomBytes(Math.min(MiB, pieces.total - written));
      sent.push(piece);
      written += piece.length;
      if (!req.write(piece)) await new Promise((resolve) => req.once("drain", resolve));
    }
    if (!stopped) req.end(pieces.tail);
  };
  void pump().catch(() => undefined);
  return {
    done,
    written: () => written,
    content: () => Buffer.concat(sent),
    stop: () => {
      stopped = true;
      req.destroy();
    },
  };
}

describe("the server killed mid-upload, restarted on the same PostgreSQL database", () => {
  const env = { ERT_STORAGE_DATABASE_URL: testDatabaseUrl(), ERT_STORAGE_NO_TOKEN: "1" };
  let server: ServerProcess;
  let api: Client;
  let pg: PgClient;
  const experiments: string[] = [];

  beforeAll(async () => {
    pg = new PgClient({ connectionString: testDatabaseUrl() });
    await pg.connect();
    server = await spawnServer(env);
    api = new Client(server.url);
  });
  afterAll(async () => {
    try {
      if (server && !server.alive()) await restart();
      for (const id of experiments) await api.delete(`/experiments/${id}`);
    } finally {
      await server?.stop();
      await pg?.end();
    }
  });

  async function restart() {
    await server.kill();
    server = await spawnServer(env);
    api = new Client(server.url);
  }

  async function ensemble(): Promise<string> {
    const experiment = ok(await api.post("/experiments", { json: { name: `faults-${randomBytes(4).toString("hex")}` } }), "experiment").json.id;
    experiments.push(experiment);
    return ok(await api.post(`/experiments/${experiment}/ensembles`, { json: { size: 2, parameter_names: [], response_names: [] } }), "ensemble").json.id;
  }

  /** blob_chunk rows whose key starts with prefix */
  async function chunks(prefix: string): Promise<number> {
    const r = await pg.query("SELECT count(*) AS n FROM blob_chunk WHERE starts_with(blob_key, $1)", [prefix]);
    return Number(r.rows[0].n);
  }

  test("SIGKILL during a multipart upload: the record is absent, its partial content is queued for sweeping, a new upload works", async () => {
    const ensembleId = await ensemble();
    const before = new Set((await pg.query<{ blob_key: string }>("SELECT blob_key FROM blob_sweep")).rows.map((r) => r.blob_key));
    const boundary = `----ert${randomBytes(8).toString("hex")}`;
    const upload = streamingRequest(
      server.url,
      "POST",
      `/ensembles/${ensembleId}/records/big/file`,
      { "content-type": `multipart/form-data; boundary=${boundary}`, "transfer-encoding": "chunked" },
      {
        head: Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`),
        total: 512 * MiB,
        tail: Buffer.from(`\r\n--${boundary}--\r\n`),
      },
    );
    // the server has registered the upload and stored some of its chunks
    const key = await until("stored chunks of the upload", async () => {
      const fresh = (await pg.query<{ blob_key: string }>("SELECT blob_key FROM blob_sweep")).rows.map((r) => r.blob_key).filter((k) => !before.has(k));
      for (const k of fresh) if ((await chunks(k)) >= 2) return k;
      return undefined;
    });
    await server.kill();
    upload.stop();
    expect(await upload.done).toEqual({ error: expect.objectContaining({ code: expect.stringMatching(/^(ECONNRESET|EPIPE)$/) }) });

    await restart();
    const read = await api.get(`/ensembles/${ensembleId}/records/big`);
    expect(read.status).toBe(404);
    expect(read.json.detail).toMatchObject({ name: "big", error: "Record not found" });
    expect(ok(await api.get(`/ensembles/${ensembleId}/records`), "list").json).toEqual({});
    // the partial content is not lost track of: it is queued and swept after the upload grace time
    const queued = await pg.query<{ later: boolean }>("SELECT not_before > now() AS later FROM blob_sweep WHERE blob_key = $1", [key]);
    expect(queued.rows).toEqual([{ later: true }]);

    const content = randomBytes(3 * MiB + 5);
    const form = new FormData();
    form.append("file", new Blob([content]), "big.bin");
    expect((await api.post(`/ensembles/${ensembleId}/records/big/file`, { body: form })).status).toBe(200);
    const again = await api.get(`/ensembles/${ensembleId}/records/big`);
    expect(again.status).toBe(200);
    expect(again.bytes.equals(content)).toBe(true);
    // what the sweeper would do a day later, so the test leaves nothing behind
    await pg.query("DELETE FROM blob_chunk WHERE blob_key = $1", [key]);
    await pg.query("DELETE FROM blob_sweep WHERE blob_key = $1", [key]);
  });

  test("SIGKILL during a block upload: blocks staged before survive, the upload is finished and committed after the restart", async () => {
    const ensembleId = await ensemble();
    const rec = `/ensembles/${ensembleId}/records/blocks`;
    ok(await api.post(`${rec}/blob`), "create blob");
    const block0 = randomBytes(MiB + 7);
    const block1 = randomBytes(2 * MiB + 3);
    ok(await api.put(`${rec}/blob`, { body: block1, query: { block_index: 1 } }), "block 1");
    ok(await api.put(`${rec}/blob`, { body: block0, query: { block_index: 0 } }), "block 0");
    const fileKey = (
      await pg.query<{ blob_key: string }>(
        `SELECT f.blob_key FROM file f JOIN record r ON r.id = f.record_id JOIN record_info ri ON ri.id = r.record_info_id
          WHERE ri.ensemble_id = $1 AND ri.name = 'blocks'`,
        [ensembleId],
      )
    ).rows[0].blob_key;

    const stream = streamingRequest(server.url, "PUT", `${rec}/blob?block_index=2`, { "content-type": "application/octet-stream", "transfer-encoding": "chunked" }, { total: 512 * MiB });
    await until("stored chunks of block 2", async () => (await chunks(`${fileKey}/blocks/2/`)) >= 2);
    await server.kill();
    stream.stop();
    expect(await stream.done).toEqual({ error: expect.objectContaining({ code: expect.stringMatching(/^(ECONNRESET|EPIPE)$/) }) });

    await restart();
    const read = await api.get(rec);
    expect(read.status).toBe(404);
    expect(read.json.detail.error).toMatch(/block upload is not committed/);
    const blocks = await pg.query<{ block_index: number; size: string }>(
      "SELECT b.block_index, b.size FROM file_block b JOIN file f ON f.id = b.file_id WHERE f.blob_key = $1 ORDER BY b.block_index",
      [fileKey],
    );
    expect(blocks.rows.map((r) => [r.block_index, Number(r.size)])).toEqual([
      [0, block0.length],
      [1, block1.length],
    ]);

    const block2 = randomBytes(MiB + 1);
    ok(await api.put(`${rec}/blob`, { body: block2, query: { block_index: 2 } }), "block 2 again");
    ok(await api.patch(`${rec}/blob`), "commit");
    const done = await api.get(rec);
    expect(done.status).toBe(200);
    expect(done.bytes.equals(Buffer.concat([block0, block1, block2]))).toBe(true);

    // the killed attempt's chunks go with the file when its experiment is deleted
    expect(await chunks(`${fileKey}/blocks/`)).toBeGreaterThan(0);
    const experimentId = ok(await api.get(`/ensembles/${ensembleId}`), "ensemble").json.experiment_id;
    ok(await api.delete(`/experiments/${experimentId}`), "delete");
    await until("the file's content swept", async () => (await chunks(fileKey)) === 0);
  });

  test("SIGKILL during a commit of many blocks: the record is absent or whole, and repeating the commit finishes it", async () => {
    const ensembleId = await ensemble();
    const rec = `/ensembles/${ensembleId}/records/many`;
    ok(await api.post(`${rec}/blob`), "create blob");
    const blocks = Array.from({ length: 40 }, () => randomBytes(MiB + 11));
    for (let i = 0; i < blocks.length; i++) ok(await api.put(`${rec}/blob`, { body: blocks[i], query: { block_index: i } }), `block ${i}`);
    const commit = rawRequest(server.url, { method: "PATCH", path: `${rec}/blob` }).catch((error: Error) => error);
    await until("the commit to start", async () => {
      const r = await pg.query(
        `SELECT 1 FROM file f JOIN record r ON r.id = f.record_id JOIN record_info ri ON ri.id = r.record_info_id
          WHERE ri.ensemble_id = $1 AND f.state <> 'staging'`,
        [ensembleId],
      );
      return r.rowCount! > 0;
    });
    await server.kill();
    const answered = await commit;
    // (a 200 means the commit finished before the kill)

    await restart();
    const whole = Buffer.concat(blocks);
    const read = await api.get(rec);
    if (read.status === 200) expect(read.bytes.equals(whole)).toBe(true);
    else expect(read.status).toBe(404);
    const again = await api.patch(`${rec}/blob`);
    // finished now (200), or committed before the kill (409: already committed, and then already whole)
    expect([200, 409]).toContain(again.status);
    if (again.status === 409) expect(read.status).toBe(200);
    if ("status" in answered) expect(answered.status).toBe(200);
    const after = await api.get(rec);
    expect(after.status).toBe(200);
    expect(after.bytes.equals(whole)).toBe(true);
  });
});

describe("PostgreSQL stopped and started again under load", () => {
  let pgServer: EmbeddedPostgres;
  let server: ServerProcess;
  let api: Client;

  beforeAll(async () => {
    pgServer = await startEmbeddedPostgres();
    const admin = new PgClient({ connectionString: pgServer.url("postgres") });
    await admin.connect();
    await admin.query("CREATE DATABASE ert_faults");
    await admin.end();
    const env = { ERT_STORAGE_DATABASE_URL: pgServer.url("ert_faults") };
    const migrated = await runCommand(["migrate", "deploy"], env);
    if (migrated.code !== 0) throw new Error(`migrate deploy: ${migrated.output}`);
    server = await spawnServer({ ...env, ERT_STORAGE_NO_TOKEN: "1" });
    api = new Client(server.url);
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    await pgServer?.stop();
  });

  test("requests fail fast with 503 while it is down, and the same server process answers again once it is back", async () => {
    const experimentId = ok(await api.post("/experiments", { json: { name: "under load" } }), "experiment").json.id;
    const ensembleId = ok(await api.post(`/experiments/${experimentId}/ensembles`, { json: { size: -1, parameter_names: [], response_names: [] } }), "ensemble").json.id;

    type Outcome = { kind: string; status: number; detail?: unknown };
    const outcomes: Outcome[] = [];
    /** posted matrices by name, with the status their POST answered */
    const posted = new Map<string, { values: number[]; status: number }>();
    let stop = false;
    let n = 0;
    // each request bounded: a hang fails the test instead of waiting for it
    const bounded = { timeoutMs: 15_000 };
    const worker = async (w: number) => {
      while (!stop) {
        const i = n++;
        const name = `m${w}_${i}`;
        const values = [i, w, Math.PI * i];
        const kinds: (() => Promise<Outcome>)[] = [
          async () => {
            const r = await rawRequest(server.url, { method: "POST", path: `/ensembles/${ensembleId}/records/${name}/matrix`, headers: { "content-type": "application/json" }, body: JSON.stringify(values), ...bounded });
            posted.set(name, { values, status: r.status });
            return { kind: "post matrix", status: r.status, detail: r.json?.detail };
          },
          async () => {
            const r = await rawRequest(server.url, { method: "GET", path: `/experiments/${experimentId}`, ...bounded });
            return { kind: "get experiment", status: r.status, detail: r.json?.detail };
          },
          async () => {
            const r = await rawRequest(server.url, { method: "GET", path: `/ensembles/${ensembleId}/records`, ...bounded });
            return { kind: "list records", status: r.status, detail: r.json?.detail };
          },
          async () => {
            const r = await rawRequest(server.url, {
              method: "POST",
              path: "/gql",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ query: "query($id: ID!) { experiment(id: $id) { id name } }", variables: { id: experimentId } }),
              ...bounded,
            });
            const error = r.json?.errors?.[0];
            // GraphQL answers 200; a database that is away is its error's status
            return { kind: "graphql", status: error ? error.extensions?.status ?? 500 : r.json?.data?.experiment?.id === experimentId ? 200 : 0, detail: error?.message };
          },
        ];
        outcomes.push(await kinds[i % kinds.length]());
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    const workers = [0, 1, 2].map(worker);
    const count = (status: number, from = 0) => outcomes.slice(from).filter((o) => o.status === status).length;
    try {
      await until("requests served", async () => count(200) >= 20);

      await pgServer.pause();
      const down = outcomes.length;
      await until("503s while PostgreSQL is down", async () => count(503, down) >= 12);
      const direct = await rawRequest(server.url, { method: "GET", path: `/experiments/${experimentId}`, ...bounded });
      expect(direct.status).toBe(503);
      expect(direct.json.detail).toBe("The database cannot be reached; try again shortly");

      await pgServer.resume();
      const up = outcomes.length;
      await until("200s again after PostgreSQL is back", async () => count(200, up + 8) >= 20, 60_000);
    } finally {
      stop = true;
      await Promise.allSettled(workers);
      if (!server.alive()) console.log(`the server died:\n${server.output()}`);
    }
    await Promise.all(workers);
    // nothing but answers and 503s; every kind of request recovered
    const unexpected = outcomes.filter((o) => o.status !== 200 && o.status !== 503);
    if (unexpected.length > 0) console.log(server.output().slice(0, 20000));
    expect(unexpected).toEqual([]);
    for (const kind of ["post matrix", "get experiment", "list records", "graphql"]) {
      expect(outcomes.filter((o) => o.kind === kind && o.status === 503).length).toBeGreaterThan(0);
      expect(outcomes.slice(-40).some((o) => o.kind === kind && o.status === 200)).toBe(true);
    }
    // the same process, never restarted
    expect(process.kill(server.pid, 0)).toBe(true);
    expect((await api.get("/healthcheck")).status).toBe(200);

    // every record whose POST answered 200 is there, whole; one that answered 503 is whole or absent
    const listing = ok(await api.get(`/ensembles/${ensembleId}/records`), "list").json;
    for (const [name, { values, status }] of posted) {
      const read = await api.get(`/ensembles/${ensembleId}/records/${name}`);
      if (status === 200) {
        expect([name, read.status]).toEqual([name, 200]);
      }
      if (read.status === 200) expect(read.json).toEqual(values);
      else expect([name, read.status, name in listing]).toEqual([name, 404, false]);
    }
    ok(await api.delete(`/experiments/${experimentId}`), "delete");
  }, 180_000);
});
