// Profiles reading a 1000 x 2000 matrix (16 MB) as NPY through the app in-process:
//   node --cpu-prof dist/scripts/profileRead.js [--db postgres|pglite] [--accept application/x-numpy]
import type { AddressInfo } from "node:net";
import { createApp } from "../src/app";
import { writeNpy } from "../src/formats/npy";
import { openDatabase } from "../src/store/db/connect";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const backend = arg("db", "postgres");
  const accept = arg("accept", "application/x-numpy");
  const url = process.env.ERT_STORAGE_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/ert_storage_test";
  const db = await openDatabase(backend === "pglite" ? { kind: "pglite", dataDir: null } : { kind: "postgres", url });
  const app = createApp({ db, token: null });
  const server = await new Promise<import("node:http").Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const json = async (method: string, path: string, body?: unknown): Promise<{ id: string }> =>
    (await (await fetch(base + path, { method, body: JSON.stringify(body), headers: { "content-type": "application/json" } })).json()) as { id: string };
  const experiment = await json("POST", "/experiments", { name: "profile" });
  const ensemble = await json("POST", `/experiments/${experiment.id}/ensembles`, { size: 1000, parameter_names: ["P"], response_names: [] });
  const data = new Float64Array(1000 * 2000).map(() => Math.random());
  const t0 = performance.now();
  const post = await fetch(`${base}/ensembles/${ensemble.id}/records/P/matrix`, {
    method: "POST",
    body: writeNpy(data, [1000, 2000]),
    headers: { "content-type": "application/x-numpy" },
  });
  if (post.status !== 200) throw new Error(await post.text());
  const postMs = performance.now() - t0;
  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t1 = performance.now();
    const res = await fetch(`${base}/ensembles/${ensemble.id}/records/P`, { headers: { accept } });
    await res.arrayBuffer();
    times.push(performance.now() - t1);
  }
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({ backend, accept, post_ms: Math.round(postMs), get_ms_p50: Math.round(times[5]), get_mb_s: Math.round(16 / (times[5] / 1000)) }));
  await json("DELETE", `/experiments/${experiment.id}`);
  server.close();
  server.closeAllConnections();
  await db.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
