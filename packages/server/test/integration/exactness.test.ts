// A number stored is the number returned, bit for bit: random doubles (subnormals,
// -0.0, extremes, NaN and ±Infinity where the field allows them) through every
// numeric field, in the POST answer and in every later read, REST and GraphQL.
import fc from "fast-check";
import { readCsv, writeCsv } from "../../src/formats/csv";
import { parseJson } from "../../src/formats/json";
import type { Matrix } from "../../src/formats/matrix";
import { readNpy, writeNpy } from "../../src/formats/npy";
import { labelValues } from "../../src/formats/labels";
import { readParquet, writeParquet } from "../../src/formats/parquet";
import { anyMatrix, recoded } from "../../src/formats/testing";
import { BACKENDS, startTestServer, type TestServer } from "../helpers/server";

/** Doubles that round badly, and the edges: fast-check's own biased doubles plus named ones. */
const EDGES = [-0, 0, 5e-324, -5e-324, 2.2250738585072014e-308, 2.225073858507201e-308, 1.7976931348623157e308, -1.7976931348623157e308, 1 / 3, 0.1, 0.29889899443840107];
const double = fc.oneof(fc.double(), fc.constantFrom(...EDGES));
const finite = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(...EDGES));
const doubles = (min: number, max: number) => fc.array(double, { minLength: min, maxLength: max });

/** Every value of b is the value of a, to the bit (NaN is NaN; -0 is not 0). */
function sameDoubles(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  expect(Array.from(actual).map(key)).toEqual(Array.from(expected).map(key));
}
function key(x: number): string {
  return Number.isNaN(x) ? "NaN" : Object.is(x, -0) ? "-0" : String(x);
}

/** JSON documents at any depth, numbers of every kind inside. */
const doc = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: "small" }, double, fc.string(), fc.boolean(), fc.constant(null), tie("list"), tie("object")),
  list: fc.array(tie("node"), { maxLength: 4 }),
  object: fc.dictionary(fc.string(), tie("node"), { maxKeys: 4, noNullPrototype: true }),
})).object;

const PRIOR_FIELDS: Record<string, string[]> = {
  const: ["value"],
  trig: ["min", "max", "mode"],
  normal: ["mean", "std"],
  lognormal: ["mean", "std"],
  ert_truncnormal: ["mean", "std", "min", "max"],
  uniform: ["min", "max"],
  ert_duniform: ["bins", "min", "max"],
  loguniform: ["min", "max"],
  ert_erf: ["min", "max", "skewness", "width"],
  ert_derf: ["bins", "min", "max", "skewness", "width"],
};

const PRIOR_NUMBERS = Object.values(PRIOR_FIELDS).flat().length;
const priors = fc
  .array(double, { minLength: PRIOR_NUMBERS, maxLength: PRIOR_NUMBERS })
  .map((xs) => {
    let i = 0;
    return Object.fromEntries(
      Object.entries(PRIOR_FIELDS).map(([fn, fields]) => [`P_${fn}`, { function: fn, ...Object.fromEntries(fields.map((f) => [f, xs[i++]])) }]),
    );
  });

const matrix = fc
  .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }))
  .chain(([rows, cols]) => fc.array(double, { minLength: rows * cols, maxLength: rows * cols }).map((xs) => ({ rows, cols, xs })));

const sample = fc.record({
  priors,
  values: doubles(1, 12),
  scaleSeed: doubles(12, 12),
  xAxisSeed: fc.array(finite, { minLength: 12, maxLength: 12 }),
  userdata: doc,
  patch: doc,
  matrix,
});

describe.each(BACKENDS)("exact numbers on %s", (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend);
  });
  afterAll(() => t.close());

  test("priors, observations, transformations, userdata, matrices in four formats and GraphQL keep every bit", async () => {
    await fc.assert(
      fc.asyncProperty(sample, async (s) => {
        const { api } = t;
        // priors: POST answer, GET, GraphQL
        const experimentId = await t.experiment(undefined, s.priors);
        const experiment = (await api.get(`/experiments/${experimentId}`)).json;
        expect(experiment.priors).toEqual(s.priors);
        const created = await api.post("/experiments", { json: { name: "exact", priors: s.priors } });
        expect(created.json.priors).toEqual(s.priors);
        await api.delete(`/experiments/${created.json.id}`);

        // observations: values, errors (NaN allowed), x_axis
        const n = s.values.length;
        const observation = { name: "OBS", values: s.values, errors: s.scaleSeed.slice(0, n), x_axis: s.xAxisSeed.slice(0, n) };
        const posted = await api.post(`/experiments/${experimentId}/observations`, { json: observation });
        expect(posted.status).toBe(200);
        expect(posted.json).toMatchObject(observation);
        const listed = (await api.get(`/experiments/${experimentId}/observations`)).json;
        expect(listed[0]).toMatchObject(observation);

        // a transformation's scale, seen from the update's result ensemble
        const mk = async (body: Record<string, unknown>) =>
          (await api.post(`/experiments/${experimentId}/ensembles`, { json: { size: s.matrix.rows, parameter_names: [], response_names: ["R"], ...body } })).json;
        const prior = await mk({ userdata: s.userdata });
        const scale = s.scaleSeed.slice(12 - n);
        const update = await api.post("/updates", {
          json: {
            algorithm: "es",
            ensemble_reference_id: prior.id,
            observation_transformations: [{ name: "t", active: scale.map((_, i) => i % 2 === 0), scale, observation_id: posted.json.id }],
          },
        });
        expect(update.status).toBe(200);
        const posterior = await mk({ update_id: update.json.id });
        const seen = (await api.get(`/ensembles/${posterior.id}/observations`)).json;
        expect(seen[0].transformation.scale).toEqual(scale);
        expect(seen[0]).toMatchObject(observation);

        // userdata at any depth, on all four owners; PUT, PATCH, GET
        expect(prior.userdata).toEqual(s.userdata);
        expect((await api.get(`/ensembles/${prior.id}/userdata`)).json).toEqual(s.userdata);
        const owners = [
          `/experiments/${experimentId}/userdata`,
          `/ensembles/${posterior.id}/userdata`,
          `/observations/${posted.json.id}/userdata`,
        ];
        const { rows, cols, xs } = s.matrix;
        const m: Matrix = { shape: [rows, cols], data: Float64Array.from(xs), columns: null, index: null };
        await api.post(`/ensembles/${prior.id}/records/J/matrix`, { json: nested(xs, rows, cols) });
        owners.push(`/ensembles/${prior.id}/records/J/userdata`);
        for (const path of owners) {
          expect((await api.put(path, { json: s.userdata })).status).toBe(200);
          expect((await api.get(path)).json).toEqual(s.userdata);
          expect((await api.patch(path, { json: s.patch })).status).toBe(200);
          expect((await api.get(path)).json).toEqual({ ...s.userdata, ...s.patch });
        }

        // matrices: posted in each format, read back in each format
        const bodies: [string, string | Buffer][] = [
          ["application/x-numpy", writeNpy(m.data, m.shape)],
          ["text/csv", writeCsv(m)],
          ["application/x-parquet", writeParquet(m)],
        ];
        for (const [type, body] of bodies) {
          const name = `M-${type.split("/")[1]}`;
          expect((await api.post(`/ensembles/${prior.id}/records/${name}/matrix`, { body, headers: { "content-type": type } })).status).toBe(200);
        }
        for (const name of ["J", "M-x-numpy", "M-csv", "M-x-parquet"]) {
          const get = (accept: string) => api.get(`/ensembles/${prior.id}/records/${name}`, { headers: { accept } });
          sameDoubles(readNpy((await get("application/x-numpy")).bytes).data, xs);
          sameDoubles(readCsv((await get("text/csv")).text).data, xs);
          sameDoubles(readParquet((await get("application/x-parquet")).bytes).data, xs);
          sameDoubles((parseJson((await get("application/json")).text) as unknown[]).flat() as number[], xs);
        }

        // GraphQL: priors and userdata are JSON text, observation values Float64
        const gql = await api.post("/gql", {
          json: {
            query: "query($id: ID!) {experiment(id: $id) {priors userdata observations {values errors xAxis} ensembles {userdata}}}",
            variables: { id: experimentId },
          },
        });
        expect(gql.json.errors).toBeUndefined();
        const e = gql.json.data.experiment;
        expect(parseJson(e.priors)).toEqual(s.priors);
        expect(parseJson(e.userdata)).toEqual({ ...s.userdata, ...s.patch });
        expect(e.observations[0].values).toEqual(observation.values);
        expect(e.observations[0].errors).toEqual(observation.errors);
        expect(parseJson(e.observations[0].xAxis)).toEqual(observation.x_axis);
        expect(parseJson(e.ensembles[0].userdata)).toEqual(s.userdata);
        await api.delete(`/experiments/${experimentId}`);
      }),
      { numRuns: 15 },
    );
  });

  test("a Parquet file read on the server's Parquet thread keeps its labels and values (generated frames in ZSTD)", async () => {
    // ZSTD files are read by Arrow, on the thread, which sends the labels back as their stored text
    const { ensembleId } = await t.ensemble();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(anyMatrix(5, 5), async (m) => {
        const name = `Z${n++}`;
        const posted = await t.api.post(`/ensembles/${ensembleId}/records/${name}/matrix`, { body: recoded(writeParquet(m), "ZSTD"), headers: { "content-type": "application/x-parquet" } });
        expect(posted.status).toBe(200);
        const get = (accept: string) => t.api.get(`/ensembles/${ensembleId}/records/${name}`, { headers: { accept } });
        // the CSV answer is made from what was stored (the Parquet one is the body as posted)
        expect((await get("text/csv")).text).toBe(writeCsv(m));
        // as the file's own columns read in place (a frame without column labels has 0..n-1 in a file)
        const columns = readParquet(writeParquet(m)).columns;
        expect((await t.api.get(`/ensembles/${ensembleId}/records/${name}/labels`)).json).toEqual(columns ? labelValues(columns) : []);
      }),
      { numRuns: 25 },
    );
  });

  test("a realization's Parquet record (ERT's response: one row, dated columns) keeps every bit, alone and stacked", async () => {
    // a realization's file is not kept as posted: every answer is made from what was stored
    const size = 4;
    const { ensembleId } = await t.ensemble({ size, response_names: ["R"] });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }).chain((cols) => fc.array(doubles(cols, cols), { minLength: size, maxLength: size })), async (rows) => {
        const name = `R${n++}`;
        const cols = rows[0].length;
        const columns = { kind: "datetime" as const, values: Array.from({ length: cols }, (_, k) => `20${10 + k}-01-01T00:00:00`) };
        for (const [r, xs] of rows.entries()) {
          const body = writeParquet({ shape: [1, cols], data: Float64Array.from(xs), columns, index: { kind: "int", values: [r] } });
          const posted = await t.api.post(`/ensembles/${ensembleId}/records/${name}/matrix`, { body, headers: { "content-type": "application/x-parquet" }, query: { realization_index: r } });
          expect(posted.status).toBe(200);
        }
        for (const [r, xs] of rows.entries()) {
          const get = (accept: string) => t.api.get(`/ensembles/${ensembleId}/records/${name}`, { headers: { accept }, query: { realization_index: r } });
          sameDoubles(readNpy((await get("application/x-numpy")).bytes).data, xs);
          const parquet = readParquet((await get("application/x-parquet")).bytes);
          sameDoubles(parquet.data, xs);
          expect(parquet.columns).toEqual(columns);
          sameDoubles(readCsv((await get("text/csv")).text).data, xs);
        }
        const stacked = await t.api.get(`/ensembles/${ensembleId}/records/${name}`, { headers: { accept: "application/x-numpy" } });
        sameDoubles(readNpy(stacked.bytes).data, rows.flat());
      }),
      { numRuns: 15 },
    );
  });

  test("the largest double, -0.0 and a subnormal in an observation are stored, not refused", async () => {
    const experimentId = await t.experiment();
    const values = [1.7976931348623157e308, -0, 5e-324, NaN, -Infinity];
    const res = await t.api.post(`/experiments/${experimentId}/observations`, {
      json: { name: "edges", values, errors: values, x_axis: [1, 2, 3, 4, 5] },
    });
    expect(res.status).toBe(200);
    expect(res.text).toContain("[1.7976931348623157e+308,-0.0,5e-324,NaN,-Infinity]");
    sameDoubles((await t.api.get(`/experiments/${experimentId}/observations`)).json[0].values, values);
  });
});

function nested(xs: number[], rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, (_, r) => xs.slice(r * cols, (r + 1) * cols));
}
