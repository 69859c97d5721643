// Workload 4: what webviz-ert loads to show one ensemble.
import { readCsv } from "../../src/formats/csv";
import { readNpy, writeNpy } from "../../src/formats/npy";
import { deleteExperiment, newEnsemble, type Context } from "./context";
import { check, expectOk, type Reply } from "./http";
import { log, now, pool, sameValues, seconds, values } from "./measure";

export async function ensembleView(ctx: Context): Promise<Record<string, unknown>> {
  const { realizations, parameters, responses, values: n, concurrency } = ctx.sizes.view;
  const pNames = Array.from({ length: parameters }, (_, k) => `COEFFS:P${k}`);
  const rNames = Array.from({ length: responses }, (_, k) => `WOPR:OP${k}`);
  const { experiment, ensemble } = await newEnsemble(ctx, "bench-view", { size: realizations, parameter_names: pNames, response_names: rNames });
  const base = `/ensembles/${ensemble}`;
  const param = (k: number) => values(realizations, 100_000 + k);
  const response = (k: number, r: number) => values(n, 1000 * k + r);

  const t0 = now();
  await pool(parameters, concurrency, async (k) => {
    const csv = `,P${k}\n` + Array.from(param(k), (v, r) => `${r},${v}`).join("\n") + "\n";
    expectOk(await ctx.client.request("POST", `${base}/records/${pNames[k]}/matrix`, { body: csv, type: "text/csv" }), `POST parameter ${k}`);
  });
  await pool(responses * realizations, concurrency, async (i) => {
    const [k, r] = [Math.floor(i / realizations), i % realizations];
    const body = writeNpy(response(k, r), [n]);
    const reply = await ctx.client.request("POST", `${base}/records/${rNames[k]}/matrix?realization_index=${r}`, { body, type: "application/x-numpy" });
    expectOk(reply, `POST response ${k} realization ${r}`);
  });
  const setupMs = now() - t0;
  log(`  ${ctx.label} view: set up ${parameters} parameters and ${responses}x${realizations} response records in ${seconds(setupMs)} s`);

  const t1 = now();
  const ens = await ctx.client.json("GET", base);
  const params = await ctx.client.json("GET", `${base}/parameters`);
  const resps = await ctx.client.json("GET", `${base}/responses`);
  const answers: Reply[] = [];
  await pool(responses + parameters, concurrency, async (i) => {
    answers[i] =
      i < responses
        ? await ctx.client.request("GET", `${base}/responses/${rNames[i]}/data`)
        : await ctx.client.request("GET", `${base}/records/${pNames[i - responses]}`, { accept: "application/x-numpy" });
  });
  const viewMs = now() - t1;
  log(`  ${ctx.label} view: everything the view needs in ${seconds(viewMs)} s`);

  check(ens.parameter_names.length === parameters && ens.response_names.length === responses, "GET ensemble: names");
  check(params.length === parameters && params.every((p: { name: string; labels: string[] }, k: number) => p.name === pNames[k] && p.labels.join() === `P${k}`), "GET parameters: names or labels");
  check(Object.keys(resps).sort().join() === [...rNames].sort().join(), "GET responses: names");
  let bytes = 0;
  answers.forEach((reply, i) => {
    bytes += reply.bytes;
    if (i < responses) {
      expectOk(reply, `response ${rNames[i]} data`);
      const m = readCsv(reply.body.toString("utf8"));
      check(m.shape.join("x") === `${realizations}x${n}`, `response ${i} data: shape ${m.shape}`);
      for (let r = 0; r < realizations; r++) check(sameValues(m.data.subarray(r * n, (r + 1) * n), response(i, r)), `response ${i} realization ${r}: values differ`);
    } else {
      const k = i - responses;
      expectOk(reply, `parameter ${pNames[k]}`);
      const m = readNpy(reply.body);
      check(m.shape.join("x") === `${realizations}x1` && sameValues(m.data, param(k)), `parameter ${k}: shape ${m.shape} or values differ`);
    }
  });
  await deleteExperiment(ctx, experiment);
  return {
    realizations,
    parameters,
    responses,
    valuesPerResponse: n,
    concurrency,
    setupSeconds: seconds(setupMs),
    seconds: seconds(viewMs),
    answerBytes: bytes,
    requests: 3 + responses + parameters,
    peakRssMb: ctx.server.peakRssMb(),
  };
}
