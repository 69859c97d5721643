// SQL statements and latency of the two hottest requests: a record POST and
// GET /ensembles/{id}. Counts every statement this process sends (Prisma's and
// ours), over real HTTP to the app on a loopback port. Prints one JSON object.
//   node dist/scripts/statements.js [--db postgres|pglite] [--posts 200]
import type { AddressInfo } from "node:net";
import { Client as PgClient } from "pg";
import { createApp } from "../src/app";
import { openDatabase } from "../src/store/db/connect";

let statements = 0;
const query = PgClient.prototype.query;
PgClient.prototype.query = function (this: PgClient, ...args: unknown[]) {
  statements++;
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const backend = arg("db", "postgres");
  const posts = Number(arg("posts", "200"));
  const url = process.env.ERT_STORAGE_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/ert_storage_test";
  const db = await openDatabase(backend === "pglite" ? { kind: "pglite", dataDir: null } : { kind: "postgres", url });
  const app = createApp({ db, token: null });
  const server = await new Promise<import("node:http").Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const call = async (method: string, path: string, body?: string) => {
    const res = await fetch(base + path, { method, body, headers: { "content-type": "application/json" } });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text);
  };
  const experiment = await call("POST", "/experiments", JSON.stringify({ name: "statements" }));
  const ensemble = await call(
    "POST",
    `/experiments/${experiment.id}/ensembles`,
    JSON.stringify({ size: posts + 1, parameter_names: [], response_names: ["R"] }),
  );
  const values = JSON.stringify(Array.from({ length: 2000 }, (_, i) => Math.sin(i) * 1000));
  const post = (i: number) => call("POST", `/ensembles/${ensemble.id}/records/R/matrix?realization_index=${i}`, values);

  await post(0); // the first creates the record info
  let before = statements;
  await post(1);
  const perPost = statements - before;
  before = statements;
  await call("GET", `/ensembles/${ensemble.id}`);
  const perGet = statements - before;

  const times: number[] = [];
  for (let i = 2; i < posts + 2 && i <= posts; i++) {
    const t0 = process.hrtime.bigint();
    await post(i);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  const gets: number[] = [];
  for (let i = 0; i < 500; i++) {
    const t0 = process.hrtime.bigint();
    await call("GET", `/ensembles/${ensemble.id}`);
    gets.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  gets.sort((a, b) => a - b);
  await call("DELETE", `/experiments/${experiment.id}`);
  const q = (xs: number[], p: number) => Number(xs[Math.min(xs.length - 1, Math.floor(p * xs.length))].toFixed(2));
  console.log(
    JSON.stringify({
      backend,
      statements_per_record_post: perPost,
      statements_per_get_ensemble: perGet,
      record_post_ms: { n: times.length, p50: q(times, 0.5), p90: q(times, 0.9), mean: Number((times.reduce((a, b) => a + b, 0) / times.length).toFixed(2)) },
      get_ensemble_ms: { n: gets.length, p50: q(gets, 0.5), p90: q(gets, 0.9) },
    }),
  );
  server.close();
  server.closeAllConnections();
  await db.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
