// Workload 6: misfits of every realization against one observation (the pattern of ERT's
// own misfit view): records of 2*points columns, the observation on every other one.
import { deleteExperiment, newEnsemble, type Context } from "./context";
import { check, expectOk } from "./http";
import { log, median, now, pool, round, seconds } from "./measure";

export async function misfits(ctx: Context): Promise<Record<string, unknown>> {
  const { realizations, points, runs } = ctx.sizes.misfits;
  const columns = Array.from({ length: 2 * points }, (_, i) => `T${i}`);
  const { experiment, ensemble } = await newEnsemble(ctx, "bench-misfits", { size: realizations, response_names: ["FOPR"] });
  const obs = await ctx.client.json("POST", `/experiments/${experiment}/observations`, {
    name: "FOPR",
    values: Array.from({ length: points }, (_, j) => j),
    errors: Array.from({ length: points }, () => 0.5),
    x_axis: columns.filter((_, i) => i % 2 === 0),
  });
  const value = (r: number, i: number) => i / 2 + Math.sin(r + i);
  const header = "," + columns.join(",") + "\n";
  const t0 = now();
  await pool(realizations, 8, async (r) => {
    const body = header + "0," + columns.map((_, i) => String(value(r, i))).join(",") + "\n";
    const base = `/ensembles/${ensemble}/records/FOPR`;
    expectOk(await ctx.client.request("POST", `${base}/matrix?realization_index=${r}`, { body, type: "text/csv" }), `POST FOPR ${r}`);
    expectOk(
      await ctx.client.request("POST", `${base}/observations?realization_index=${r}`, { body: JSON.stringify([obs.id]), type: "application/json" }),
      `link FOPR ${r}`,
    );
  });
  const loadMs = now() - t0;

  // Realization 0's misfits as the contract defines them: sign(r - o) * ((r - o) / error)^2
  const expected = Array.from({ length: points }, (_, j) => {
    const d = value(0, 2 * j) - j;
    return Math.sign(d) * (d / 0.5) ** 2;
  });
  const query = `/compute/misfits?ensemble_id=${ensemble}&response_name=FOPR`;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t1 = now();
    const reply = await ctx.client.request("GET", `${query}&summary_misfits=false`);
    times.push(now() - t1);
    expectOk(reply, "misfits");
    const lines = reply.body.toString().trimEnd().split("\n");
    check(lines.length === realizations + 1, `misfits: ${lines.length - 1} rows, expected ${realizations}`);
    check(lines[0].split(",").length === points + 1, `misfits: ${lines[0].split(",").length - 1} columns, expected ${points}`);
    const row0 = lines[1].split(",");
    check(row0[0] === "0" && row0.slice(1).every((v, j) => close(Number(v), expected[j])), `misfits of realization 0 differ: ${lines[1].slice(0, 120)}`);
  }
  const t2 = now();
  const summary = await ctx.client.request("GET", `${query}&summary_misfits=true`);
  const summaryMs = now() - t2;
  expectOk(summary, "summary misfits");
  const sLines = summary.body.toString().trimEnd().split("\n");
  const sum = expected.reduce((a, v) => a + Math.abs(v), 0);
  check(sLines.length === realizations + 1 && close(Number(sLines[1].split(",")[1]), sum), `summary misfits: ${sLines.length - 1} rows, first ${sLines[1]}, expected 0,${sum}`);

  const out = {
    realizations,
    points,
    loadSeconds: seconds(loadMs),
    ms: times.map((t) => round(t, 1)),
    medianMs: round(median(times), 1),
    summaryMs: round(summaryMs, 1),
  };
  log(`  ${ctx.label} misfits: ${JSON.stringify(out)}`);
  await deleteExperiment(ctx, experiment);
  return out;
}

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
}
