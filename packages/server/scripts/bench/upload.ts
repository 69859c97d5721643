// Workload 1, ERT's upload: one ensemble, a response record per realization, each followed
// by its observation link; JSON and NPY bodies, and Parquet as ERT posts responses (a frame
// of one row, a column per date, as pandas writes it); sequential and concurrent.
import { readNpy, writeNpy } from "../../src/formats/npy";
import { writeParquet } from "../../src/formats/parquet";
import { deleteExperiment, newEnsemble, type Context } from "./context";
import { check, expectOk } from "./http";
import { log, now, perSecond, pool, sameValues, seconds, values } from "./measure";

export async function upload(ctx: Context): Promise<Record<string, unknown>> {
  const { records, values: n, concurrency } = ctx.sizes.upload;
  const data = Array.from({ length: records }, (_, i) => values(n, i));
  const bodies = {
    json: { type: "application/json", bodies: data.map((d) => JSON.stringify(Array.from(d))) },
    npy: { type: "application/x-numpy", bodies: data.map((d) => writeNpy(d, [n])) },
    parquet: { type: "application/x-parquet", bodies: data.map((d, i) => writeParquet({ shape: [1, n], data: d, columns: dates(n), index: { kind: "int", values: [i] } })) },
  };
  const out: Record<string, unknown> = { records, valuesPerRecord: n, concurrency };
  for (const [format, { type, bodies: list }] of Object.entries(bodies)) {
    for (const [mode, width] of [
      ["sequential", 1],
      ["concurrent", concurrency],
    ] as const) {
      const name = "FOPR";
      const { experiment, ensemble } = await newEnsemble(ctx, `bench-upload-${format}-${mode}`, { size: records, response_names: [name] });
      const obs = await ctx.client.json("POST", `/experiments/${experiment}/observations`, {
        name: "FOPR-obs",
        values: [1, 2, 3],
        errors: [0.1, 0.1, 0.1],
        x_axis: [0, 1, 2],
      });
      const link = JSON.stringify([obs.id]);
      const recordPath = `/ensembles/${ensemble}/records/${name}`;
      const t0 = now();
      await pool(records, width, async (i) => {
        const post = await ctx.client.request("POST", `${recordPath}/matrix?realization_index=${i}`, { body: list[i], type });
        expectOk(post, `upload ${format} record ${i}`);
        const linked = await ctx.client.request("POST", `${recordPath}/observations?realization_index=${i}`, { body: link, type: "application/json" });
        expectOk(linked, `link observation to record ${i}`);
      });
      const ms = now() - t0;
      out[`${format}_${mode}`] = { seconds: seconds(ms), recordsPerSec: perSecond(records, ms) };
      log(`  ${ctx.label} upload ${format} ${mode}: ${records} records + links in ${seconds(ms)} s (${perSecond(records, ms)} records/s)`);
      await verify(ctx, recordPath, data, obs.id);
      await deleteExperiment(ctx, experiment);
    }
  }
  return out;
}

/** n daily dates from 2000-01-01, as ERT labels a response's values. */
function dates(n: number): { kind: "datetime"; values: string[] } {
  const day = 86_400_000;
  return { kind: "datetime", values: Array.from({ length: n }, (_, k) => new Date(Date.UTC(2000, 0, 1) + k * day).toISOString().slice(0, 19)) };
}

/** Every record stacked (all values equal) and the links of the first, middle and last. */
async function verify(ctx: Context, path: string, data: Float64Array[], obsId: string): Promise<void> {
  const stacked = await ctx.client.request("GET", path, { accept: "application/x-numpy" });
  expectOk(stacked, "read the uploaded records back");
  const m = readNpy(stacked.body);
  check(m.shape[0] === data.length && m.shape[1] === data[0].length, `stacked shape ${m.shape}`);
  data.forEach((d, i) => check(sameValues(m.data.subarray(i * d.length, (i + 1) * d.length), d), `record ${i} read back differs`));
  for (const i of new Set([0, data.length >> 1, data.length - 1])) {
    const links = await ctx.client.json("GET", `${path}/observations?realization_index=${i}`);
    check(links.length === 1 && links[0].id === obsId, `record ${i} is not linked to its observation`);
  }
}
