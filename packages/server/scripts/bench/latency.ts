// Workload 5: GET /ensembles/{id}, sequential latency and concurrent throughput.
import { deleteExperiment, newEnsemble, type Context } from "./context";
import { check } from "./http";
import { forDuration, log, now, percentile, perSecond, round } from "./measure";

/** Requests at concurrency for this long, not counted, before the figures. */
const WARMUP_MS = 1000;

export async function latency(ctx: Context): Promise<Record<string, unknown>> {
  const { requests, seconds, concurrency } = ctx.sizes.latency;
  const limit = ctx.sizes.phaseLimitMs;
  const { experiment, ensemble } = await newEnsemble(ctx, "bench-latency", { size: 100, parameter_names: ["A", "B"], response_names: ["C"] });
  const path = `/ensembles/${ensemble}`;
  const expected = (await ctx.client.request("GET", path)).bytes;
  const get = async () => {
    const reply = await ctx.client.request("GET", path);
    check(reply.status === 200 && reply.bytes === expected && reply.body.includes(ensemble), `GET ${path}: ${reply.status}, ${reply.bytes} bytes`);
  };
  // a server that has been running a while: its JIT has compiled this route's code
  const warmup = await forDuration(Math.min(WARMUP_MS, limit), concurrency, get);
  const times: number[] = [];
  const t0 = now();
  while (times.length < requests && now() - t0 < limit) {
    const t1 = now();
    await get();
    times.push(now() - t1);
  }
  times.sort((a, b) => a - b);
  const load = await forDuration(Math.min(seconds * 1000, limit), concurrency, get);
  const out = {
    warmupRequests: warmup.count,
    requests: times.length,
    p50Ms: round(percentile(times, 50), 3),
    p99Ms: round(percentile(times, 99), 3),
    concurrency,
    concurrentPerSec: perSecond(load.count, load.ms),
    concurrentRequests: load.count,
  };
  log(`  ${ctx.label} latency GET /ensembles/{id}: ${JSON.stringify(out)}`);
  await deleteExperiment(ctx, experiment);
  return out;
}
