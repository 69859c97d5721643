// Seeds a demo experiment through the SDK over HTTP: priors, a prior ensemble, an update
// and its posterior ensemble, parameters (with priors linked), two responses per
// realization and observations linked to them. Deterministic (seeded random numbers);
// returns everything it posted so tests can check the page's numbers against it.
import { createClient, postMatrix, unwrap } from "@ert-storage/sdk";

function random(seed) {
  let s = seed >>> 0;
  const uniform = () => ((s = (s * 1664525 + 1013904223) >>> 0) + 0.5) / 4294967296;
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

export const PRIORS = {
  PORO: { function: "uniform", min: 0.1, max: 0.3 },
  PERM: { function: "lognormal", mean: 5, std: 0.4 },
  MULT: { function: "ert_truncnormal", mean: 1, std: 0.3, min: 0.4, max: 1.6 },
  "COEFFS:a": { function: "normal", mean: 0, std: 1 },
  "COEFFS:b": { function: "loguniform", min: 0.01, max: 1 },
  "COEFFS:c": { function: "trig", min: 0, max: 2, mode: 0.5 },
  BIAS: { function: "const", value: 0.25 },
};

const TRUTH = { PORO: 0.22, PERM: Math.exp(5.2), MULT: 1.1, a: 0.3, b: 0.2, c: 0.8 };

function dateLabels(n) {
  const start = Date.UTC(2010, 0, 1);
  return Array.from({ length: n }, (_, i) => new Date(start + i * 86400000 * 3).toISOString().slice(0, 10));
}

/** FOPR over time and WOPR:OP1 over report steps, from a realization's parameters. */
function simulate(p, points, rng) {
  const fopr = new Float64Array(points);
  for (let i = 0; i < points; i++) {
    const t = i / points;
    fopr[i] = 4000 * p.PORO * (1 - Math.exp(-t * 6 * p.MULT)) * Math.exp(-t * p.b * 2) + p.a * 50 * Math.sin(t * 9) + rng.normal() * 8;
  }
  const steps = Math.max(4, Math.floor(points / 20));
  const wopr = new Float64Array(steps);
  for (let i = 0; i < steps; i++) wopr[i] = Math.log(p.PERM) * 40 * (1 + p.c * (i / steps)) + rng.normal() * 3;
  return { fopr, wopr };
}

function csvRow(labels, rowLabel, values) {
  return `,${labels.join(",")}\n${rowLabel},${Array.from(values, (v) => String(v)).join(",")}\n`;
}

async function pool(items, limit, work) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

function sampleParameters(R, rng, shrink) {
  const mix = (prior, truth) => (shrink ? truth + (prior - truth) * 0.35 : prior);
  const out = { PORO: new Float64Array(R), PERM: new Float64Array(R), MULT: new Float64Array(R), COEFFS: new Float64Array(R * 3) };
  for (let r = 0; r < R; r++) {
    out.PORO[r] = mix(0.1 + 0.2 * rng.uniform(), TRUTH.PORO);
    out.PERM[r] = mix(Math.exp(5 + 0.4 * rng.normal()), TRUTH.PERM);
    out.MULT[r] = mix(Math.min(1.6, Math.max(0.4, 1 + 0.3 * rng.normal())), TRUTH.MULT);
    out.COEFFS[r * 3] = mix(rng.normal(), TRUTH.a);
    out.COEFFS[r * 3 + 1] = mix(Math.exp(Math.log(0.01) + Math.log(100) * rng.uniform()), TRUTH.b);
    const u = rng.uniform();
    out.COEFFS[r * 3 + 2] = mix(u < 0.25 ? Math.sqrt(u * 2 * 0.5) : 2 - Math.sqrt((1 - u) * 2 * 1.5), TRUTH.c);
  }
  return out;
}

async function postEnsemble(client, experimentId, R, points, rng, shrink, updateId) {
  const ensemble = await unwrap(
    client.POST("/experiments/{experiment_id}/ensembles", {
      params: { path: { experiment_id: experimentId } },
      body: { size: R, parameter_names: ["PORO", "PERM", "MULT", "COEFFS"], response_names: ["FOPR", "WOPR:OP1"], ...(updateId ? { update_id: updateId } : {}) },
    }),
  );
  const id = ensemble.id;
  const params = sampleParameters(R, rng, shrink);
  await postMatrix(client, id, "PORO", { array: params.PORO, shape: [R, 1] }, { prior: "PORO" });
  await postMatrix(client, id, "PERM", { array: params.PERM, shape: [R, 1] }, { prior: "PERM" });
  await postMatrix(client, id, "MULT", { array: params.MULT, shape: [R, 1] }, { prior: "MULT" });
  const coeffRows = Array.from({ length: R }, (_, r) => `${r},${params.COEFFS[r * 3]},${params.COEFFS[r * 3 + 1]},${params.COEFFS[r * 3 + 2]}`);
  await postMatrix(client, id, "COEFFS", { csv: `,a,b,c\n${coeffRows.join("\n")}\n` });
  await unwrap(
    client.PUT("/ensembles/{ensemble_id}/records/{name}/userdata", {
      params: { path: { ensemble_id: id, name: "PORO" } },
      body: { description: "porosity", unit: "fraction" },
    }),
  );
  const dates = dateLabels(points);
  const steps = Array.from({ length: Math.max(4, Math.floor(points / 20)) }, (_, i) => i);
  const responses = { FOPR: { labels: dates, rows: [] }, "WOPR:OP1": { labels: steps, rows: [] } };
  const recordIds = [];
  for (let r = 0; r < R; r++) {
    const { fopr, wopr } = simulate({ PORO: params.PORO[r], PERM: params.PERM[r], MULT: params.MULT[r], a: params.COEFFS[r * 3], b: params.COEFFS[r * 3 + 1], c: params.COEFFS[r * 3 + 2] }, points, rng);
    responses.FOPR.rows.push(fopr);
    responses["WOPR:OP1"].rows.push(wopr);
  }
  await pool([...Array(R).keys()], 6, async (r) => {
    const a = await postMatrix(client, id, "FOPR", { csv: csvRow(dates, 0, responses.FOPR.rows[r]) }, { realization_index: r });
    const b = await postMatrix(client, id, "WOPR:OP1", { csv: csvRow(steps, 0, responses["WOPR:OP1"].rows[r]) }, { realization_index: r });
    recordIds.push({ name: "FOPR", id: a.id }, { name: "WOPR:OP1", id: b.id });
  });
  return { id, params, responses, recordIds };
}

/**
 * Seeds one experiment. `posterior: false` makes a single ensemble (no update).
 * Returns the ids and every number posted.
 */
export async function seed({ baseUrl, token = null, realizations = 40, points = 120, posterior = true, name = `explorer-demo-${Date.now()}` }) {
  const client = createClient({ baseUrl, token });
  const rng = random(20240611);
  const experiment = await unwrap(client.POST("/experiments", { body: { name, priors: PRIORS } }));
  const prior = await postEnsemble(client, experiment.id, realizations, points, rng, false, null);
  let update = null;
  let post = null;
  if (posterior) {
    update = await unwrap(client.POST("/updates", { body: { algorithm: "ES-MDA", ensemble_reference_id: prior.id } }));
    post = await postEnsemble(client, experiment.id, realizations, points, rng, true, update.id);
  }
  // observations: the truth's curve at a few labels, 5 % errors, linked to every realization's record
  const truth = simulate(TRUTH, points, random(7));
  const dates = dateLabels(points);
  const at = (n, k) => Array.from({ length: k }, (_, j) => Math.floor(((j + 0.5) * n) / k));
  const foprAt = at(points, 8);
  const woprAt = at(truth.wopr.length, 4);
  const linked = (n) => [...prior.recordIds, ...(post?.recordIds ?? [])].filter((r) => r.name === n).map((r) => r.id);
  const observations = {
    FOPR: { name: "FOPR_OBS", x_axis: foprAt.map((i) => dates[i]), values: foprAt.map((i) => truth.fopr[i]), errors: foprAt.map((i) => Math.max(10, Math.abs(truth.fopr[i]) * 0.05)) },
    "WOPR:OP1": { name: "WOPR_OP1_OBS", x_axis: woprAt, values: woprAt.map((i) => truth.wopr[i]), errors: woprAt.map((i) => Math.abs(truth.wopr[i]) * 0.05) },
  };
  for (const [response, o] of Object.entries(observations)) {
    await unwrap(client.POST("/experiments/{experiment_id}/observations", { params: { path: { experiment_id: experiment.id } }, body: { ...o, records: linked(response) } }));
  }
  return { client, experimentId: experiment.id, name, priorId: prior.id, posteriorId: post?.id ?? null, updateId: update?.id ?? null, prior, posterior: post, observations };
}
