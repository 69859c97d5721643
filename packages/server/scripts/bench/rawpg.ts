// The raw limit: the same bytes and rows through the `pg` driver straight into PostgreSQL,
// no server, in a scratch database. Each server figure is read beside one of these.
import { Pool } from "pg";
import { check } from "./http";
import { forDuration, mbps, median, now, percentile, perSecond, pool, round, seconds, timedReads, values } from "./measure";
import type { Options } from "./options";
import { freshDatabase } from "./server";

const SCRATCH = "ert_storage_bench_raw";

function bytes(n: number, seed: number): Buffer {
  const v = values(n, seed);
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

export async function rawPgFigures(options: Options, log: (m: string) => void): Promise<Record<string, unknown>> {
  const url = await freshDatabase(SCRATCH);
  const db = new Pool({ connectionString: url, max: 8 });
  const s = options.sizes;
  const limit = s.phaseLimitMs;
  const only = options.only;
  const out: Record<string, unknown> = {};
  try {
    await db.query("CREATE TABLE blob (id serial PRIMARY KEY, grp int NOT NULL, idx int NOT NULL, data bytea NOT NULL)");
    await db.query("CREATE INDEX ON blob (grp, idx)");
    await db.query("CREATE TABLE link (id serial PRIMARY KEY, blob_id int NOT NULL, obs int NOT NULL)");
    await db.query("CREATE TABLE small (id serial PRIMARY KEY, name text NOT NULL, value float8 NOT NULL)");
    let group = 0;
    /** inserts count blobs of n float64 each (one statement each) into a new group */
    const insertBlobs = async (count: number, n: number, concurrency: number, link: boolean) => {
      const grp = ++group;
      const payloads = Array.from({ length: count }, (_, i) => bytes(n, i));
      const t0 = now();
      await pool(count, concurrency, async (i) => {
        const { rows } = await db.query("INSERT INTO blob (grp, idx, data) VALUES ($1, $2, $3) RETURNING id", [grp, i, payloads[i]]);
        if (link) await db.query("INSERT INTO link (blob_id, obs) VALUES ($1, 1)", [rows[0].id]);
      });
      return { grp, ms: now() - t0 };
    };
    const selectGroup = async (grp: number, expectBytes: number) => {
      const t0 = now();
      const { rows } = await db.query("SELECT data FROM blob WHERE grp = $1 ORDER BY idx", [grp]);
      const ms = now() - t0;
      const got = rows.reduce((a: number, r: { data: Buffer }) => a + r.data.length, 0);
      check(got === expectBytes, `raw pg: read ${got} bytes, expected ${expectBytes}`);
      return ms;
    };
    /** a frame's SELECT timed as the server's frame GETs are (timedReads) */
    const selectFrame = async (grp: number, expectBytes: number) => (await timedReads(async () => ({ ms: await selectGroup(grp, expectBytes), result: null }))).ms;

    if (only.has("upload")) {
      const u = s.upload;
      const record = (concurrency: number) =>
        insertBlobs(u.records, u.values, concurrency, true).then(({ ms }) => ({ seconds: seconds(ms), recordsPerSec: perSecond(u.records, ms) }));
      const small = async (concurrency: number) => {
        const t0 = now();
        await pool(u.records, concurrency, async (i) => {
          await db.query("INSERT INTO small (name, value) VALUES ($1, $2)", [`row${i}`, i / 3]);
        });
        return perSecond(u.records, now() - t0);
      };
      out.upload = {
        what: `${u.records} x (INSERT ${u.values * 8}-byte bytea row + INSERT link row)`,
        sequential: await record(1),
        concurrent: await record(u.concurrency),
        smallRows: { what: `${u.records} INSERTs of one small row`,  sequentialPerSec: await small(1), concurrentPerSec: await small(u.concurrency) },
      };
      log(`  raw pg upload: ${JSON.stringify(out.upload)}`);
    }

    const blobRoundTrip = async (rows: number, cols: number) => {
      const size = rows * cols * 8;
      try {
        const data = bytes(rows * cols, 1);
        const t0 = now();
        const { rows: inserted } = await db.query("INSERT INTO blob (grp, idx, data) VALUES (0, 0, $1) RETURNING id", [data]);
        const upMs = now() - t0;
        const { ms: downMs } = await timedReads(async () => {
          const t1 = now();
          const { rows: read } = await db.query("SELECT data FROM blob WHERE id = $1", [inserted[0].id]);
          const ms = now() - t1;
          check((read[0].data as Buffer).equals(data), "raw pg: bytea read back differs");
          return { ms, result: null };
        });
        await db.query("DELETE FROM blob WHERE id = $1", [inserted[0].id]);
        return { upMBps: mbps(size, upMs), downMBps: mbps(size, downMs) };
      } catch (error) {
        return { error: (error as Error).message };
      }
    };
    if (only.has("matrix")) {
      const m: Record<string, unknown> = {};
      for (const [rows, cols] of s.matrices) m[`${rows}x${cols}`] = await blobRoundTrip(rows, cols);
      if (options.big) m[`${s.big[0]}x${s.big[1]}`] = await blobRoundTrip(...s.big);
      out.matrix = { what: "one bytea of rows*cols*8 bytes: INSERT, then SELECT", ...m };
      log(`  raw pg matrix: ${JSON.stringify(out.matrix)}`);
    }

    if (only.has("frame")) {
      const f = s.frame;
      const { grp } = await insertBlobs(f.rows, f.cols, 8, false);
      const ms = await selectFrame(grp, f.rows * f.cols * 8);
      out.frame = { what: `${f.rows} bytea rows of ${f.cols * 8} bytes in one SELECT`, downMBps: mbps(f.rows * f.cols * 8, ms) };
      log(`  raw pg frame: ${JSON.stringify(out.frame)}`);
    }

    if (only.has("view")) {
      const v = s.view;
      const params = await insertBlobs(v.parameters, v.realizations, 8, false);
      const responses: number[] = [];
      for (let r = 0; r < v.responses; r++) responses.push((await insertBlobs(v.realizations, v.values, 8, false)).grp);
      const t0 = now();
      await pool(v.responses + v.parameters, v.concurrency, async (i) => {
        if (i < v.responses) await selectGroup(responses[i], v.realizations * v.values * 8);
        else {
          const { rows } = await db.query("SELECT data FROM blob WHERE grp = $1 AND idx = $2", [params.grp, i - v.responses]);
          check(rows[0].data.length === v.realizations * 8, "raw pg: parameter bytes differ");
        }
      });
      out.view = {
        what: `${v.responses} SELECTs of ${v.realizations} rows x ${v.values * 8} bytes + ${v.parameters} 1-row SELECTs, ${v.concurrency} at a time`,
        seconds: seconds(now() - t0),
      };
      log(`  raw pg view: ${JSON.stringify(out.view)}`);
    }

    if (only.has("latency")) {
      const l = s.latency;
      const { rows } = await db.query("INSERT INTO small (name, value) VALUES ('x', 1) RETURNING id");
      const id = rows[0].id;
      const client = await db.connect();
      const times: number[] = [];
      const t0 = now();
      try {
        while (times.length < l.requests && now() - t0 < limit) {
          const t1 = now();
          const r = await client.query("SELECT id, name, value FROM small WHERE id = $1", [id]);
          times.push(now() - t1);
          check(r.rows.length === 1, "raw pg: 1-row select");
        }
      } finally {
        client.release();
      }
      times.sort((a, b) => a - b);
      const load = await forDuration(Math.min(l.seconds * 1000, limit), l.concurrency, async () => {
        const r = await db.query("SELECT id, name, value FROM small WHERE id = $1", [id]);
        check(r.rows.length === 1, "raw pg: 1-row select");
      });
      out.latency = {
        what: "1-row primary-key SELECT",
        requests: times.length,
        p50Ms: round(percentile(times, 50), 3),
        p99Ms: round(percentile(times, 99), 3),
        concurrentPerSec: perSecond(load.count, load.ms),
      };
      log(`  raw pg latency: ${JSON.stringify(out.latency)}`);
    }

    if (only.has("misfits")) {
      const m = s.misfits;
      const { grp } = await insertBlobs(m.realizations, 2 * m.points, 8, false);
      const times: number[] = [];
      for (let i = 0; i < m.runs; i++) times.push(await selectGroup(grp, m.realizations * 2 * m.points * 8));
      out.misfits = { what: `SELECT ${m.realizations} bytea rows of ${2 * m.points * 8} bytes`, ms: round(median(times), 1) };
      log(`  raw pg misfits: ${JSON.stringify(out.misfits)}`);
    }
  } finally {
    await db.end();
  }
  return out;
}
