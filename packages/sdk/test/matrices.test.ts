// The SDK's matrix, upload, misfit and GraphQL helpers against a real server over HTTP.
import {
  computeMisfits, createClient, encodeNpy, ensembleSummary, ErtStorageError, experimentEnsembles, parameterPriors, parseFrameCsv, parseNpy, postMatrix,
  readMatrix, readMatrixCsv, readRecord, readResponses, unwrap, uploadFile, type ErtStorageClient,
} from "../src";
import { startServer, type TestServer } from "./server";

let server: TestServer;
let client: ErtStorageClient;

beforeAll(async () => {
  server = await startServer("sdk-token");
  client = createClient({ baseUrl: server.base, token: "sdk-token" });
});
afterAll(async () => {
  await server?.close();
});

async function ensemble(body: { size: number; parameter_names?: string[]; response_names?: string[] }, priors = {}) {
  const experiment = await unwrap(client.POST("/experiments", { body: { name: `sdk-${Math.random()}`, priors } }));
  const created = await unwrap(
    client.POST("/experiments/{experiment_id}/ensembles", {
      params: { path: { experiment_id: experiment.id } },
      body: { parameter_names: [], response_names: [], ...body },
    }),
  );
  return { experimentId: experiment.id, ensembleId: created.id };
}

test("a matrix posted from a typed array comes back bit-exact as Float64Array with its shape", async () => {
  const { ensembleId } = await ensemble({ size: 3 });
  const values = Float64Array.from([0.1 + 0.2, 5e-324, -0, 1.7976931348623157e308, NaN, -Infinity]);
  await postMatrix(client, ensembleId, "M", { array: values, shape: [3, 2] });
  const m = await readMatrix(client, ensembleId, "M");
  expect(m.shape).toEqual([3, 2]);
  expect(m.data).toBeInstanceOf(Float64Array);
  expect(Array.from(m.data)).toEqual(Array.from(values));
  expect(Object.is(m.data[2], -0)).toBe(true);
  expect(m.columns).toBeNull();
  const row = await readMatrix(client, ensembleId, "M", { realizationIndex: 1 });
  expect(row.shape).toEqual([1, 2]);
  expect(Array.from(row.data)).toEqual([-0, 1.7976931348623157e308]);
  expect(row.index).toEqual([1]);
});

test("parameterPriors: the prior each parameter was posted with", async () => {
  const { ensembleId } = await ensemble({ size: 2, parameter_names: ["PORO", "PERM"] }, { poro: { function: "uniform", min: 0.1, max: 0.3 } });
  await postMatrix(client, ensembleId, "PORO", { array: [0.2, 0.25], shape: [2, 1] }, { prior: "poro" });
  await postMatrix(client, ensembleId, "PERM", { array: [1, 2], shape: [2, 1] });
  expect(await parameterPriors(client, ensembleId)).toEqual({ PORO: { function: "uniform", min: 0.1, max: 0.3 }, PERM: null });
});

test("labels come from /labels for NPY reads, and from the header and index for CSV reads", async () => {
  const { ensembleId } = await ensemble({ size: 2, parameter_names: ["COEFFS:A"] });
  await postMatrix(client, ensembleId, "COEFFS:A", { csv: ",a,b,c\n0,1.5,2.5,3.5\n1,4.5,5.5,6.5\n" });
  const m = await readMatrix(client, ensembleId, "COEFFS:A");
  expect(m.shape).toEqual([2, 3]);
  expect(m.columns).toEqual(["a", "b", "c"]);
  expect(Array.from(m.data)).toEqual([1.5, 2.5, 3.5, 4.5, 5.5, 6.5]);
  const known = await readMatrix(client, ensembleId, "COEFFS:A", { labels: ["a", "b", "c"] });
  expect(known).toEqual(m);
  const b = await readMatrix(client, ensembleId, "COEFFS:A", { label: "b" });
  expect(b.columns).toEqual(["b"]);
  expect(Array.from(b.data)).toEqual([2.5, 5.5]);
  const csv = await readMatrixCsv(client, ensembleId, "COEFFS:A");
  expect(csv.index).toEqual([0, 1]);
  expect(csv.columns).toEqual(["a", "b", "c"]);
  expect(Array.from(csv.data)).toEqual(Array.from(m.data));
});

test("readResponses: every realization's curve in one request, labels unioned, gaps NaN", async () => {
  const { ensembleId } = await ensemble({ size: 4, response_names: ["WOPR:OP1"] });
  await postMatrix(client, ensembleId, "WOPR:OP1", { csv: ",2010-01-01,2010-02-01\n0,1.0,2.0\n" }, { realization_index: 0 });
  await postMatrix(client, ensembleId, "WOPR:OP1", { csv: ",2010-01-01,2010-03-01\n0,3.0,4.0\n" }, { realization_index: 2 });
  const frame = await readResponses(client, ensembleId, "WOPR:OP1");
  expect(frame.shape).toEqual([2, 3]);
  expect(frame.index).toEqual([0, 2]);
  expect(frame.columns).toEqual(["2010-01-01", "2010-02-01", "2010-03-01"]);
  expect(Array.from(frame.data)).toEqual([1, 2, NaN, 3, NaN, 4]);
});

test("computeMisfits: per point and summary, as worked by hand", async () => {
  const { experimentId, ensembleId } = await ensemble({ size: 2, response_names: ["FOPR"] });
  const obs = await unwrap(
    client.POST("/experiments/{experiment_id}/observations", {
      params: { path: { experiment_id: experimentId } },
      body: { name: "FOPR", values: [1, 2], errors: [0.5, 2], x_axis: [0, 1] },
    }),
  );
  for (const [r, values] of [[0, [2, 2]], [1, [0, 6]]] as const) {
    await postMatrix(client, ensembleId, "FOPR", { array: values, shape: [1, 2] }, { realization_index: r });
    await unwrap(
      client.POST("/ensembles/{ensemble_id}/records/{name}/observations", {
        params: { path: { ensemble_id: ensembleId, name: "FOPR" }, query: { realization_index: r } },
        body: [obs.id],
      }),
    );
  }
  const full = await computeMisfits(client, ensembleId, "FOPR");
  // r0: sign(1)*(1/0.5)^2 = 4, 0; r1: sign(-1)*(1/0.5)^2 = -4, (4/2)^2 = 4
  expect(full.index).toEqual([0, 1]);
  expect(Array.from(full.data)).toEqual([4, 0, -4, 4]);
  const summary = await computeMisfits(client, ensembleId, "FOPR", { summary: true });
  expect(summary.shape).toEqual([2, 1]);
  expect(Array.from(summary.data)).toEqual([4, 8]);
  await expect(computeMisfits(client, ensembleId, "NOPE")).rejects.toMatchObject({ status: 422 });
});

test("uploadFile: blocks of the size asked for, progress after each, the bytes back intact", async () => {
  const { ensembleId } = await ensemble({ size: 1 });
  const content = new Uint8Array(10_000 + 123);
  for (let i = 0; i < content.length; i++) content[i] = (i * 7919) % 251;
  const progress: [number, number][] = [];
  await uploadFile(client, ensembleId, "big.bin", content, { blockSize: 2500, concurrency: 3, onProgress: (s, t) => progress.push([s, t]) });
  expect(progress).toHaveLength(5);
  expect(progress.map(([, t]) => t)).toEqual(new Array(5).fill(content.length));
  expect(progress.map(([s]) => s).sort((a, b) => a - b)[4]).toBe(content.length);
  const back = await readRecord(client, ensembleId, "big.bin");
  expect(back.bytes).toEqual(content);
  await expect(uploadFile(client, ensembleId, "big.bin", content)).rejects.toBeInstanceOf(ErtStorageError);
});

test("readRecord gives a matrix in every format", async () => {
  const { ensembleId } = await ensemble({ size: 2 });
  await postMatrix(client, ensembleId, "X", { csv: ",p,q\n0,0.25,1e-300\n1,-3.5,7.0\n" });
  const npy = await readRecord(client, ensembleId, "X", { format: "npy" });
  expect(npy.contentType).toBe("application/x-numpy");
  expect(Array.from(parseNpy(npy.bytes).data)).toEqual([0.25, 1e-300, -3.5, 7]);
  const csv = await readRecord(client, ensembleId, "X", { format: "csv" });
  expect(csv.contentType).toMatch(/^text\/csv/);
  expect(Array.from(parseFrameCsv(new TextDecoder().decode(csv.bytes)).data)).toEqual([0.25, 1e-300, -3.5, 7]);
  const json = await readRecord(client, ensembleId, "X", { format: "json" });
  expect(JSON.parse(new TextDecoder().decode(json.bytes))).toEqual([[0.25, 1e-300], [-3.5, 7]]);
  const parquet = await readRecord(client, ensembleId, "X", { format: "parquet" });
  expect(parquet.contentType).toBe("application/x-parquet");
  expect(new TextDecoder().decode(parquet.bytes.subarray(0, 4))).toBe("PAR1");
  expect(npy.filename).toBeNull();
  await expect(readRecord(client, ensembleId, "missing")).rejects.toMatchObject({ status: 404 });
  expect(encodeNpy([1], [1]).length % 64).toBe(8);
});

test("experimentEnsembles: the lineage through an update, with algorithm and times", async () => {
  const { experimentId, ensembleId: prior } = await ensemble({ size: 2 });
  const update = await unwrap(client.POST("/updates", { body: { algorithm: "ES-MDA", ensemble_reference_id: prior } }));
  const posterior = await unwrap(
    client.POST("/experiments/{experiment_id}/ensembles", {
      params: { path: { experiment_id: experimentId } },
      body: { size: 2, parameter_names: [], response_names: [], update_id: update.id },
    }),
  );
  const lineage = await experimentEnsembles(client, experimentId);
  const summary = await ensembleSummary(client, prior);
  expect(summary.experiment.id).toBe(experimentId);
  expect(summary.children).toEqual([{ updateId: update.id, algorithm: "ES-MDA", ensembleResultId: posterior.id }]);
  expect((await ensembleSummary(client, posterior.id)).parent?.ensembleReferenceId).toBe(prior);
  expect(lineage.map((e) => e.id)).toEqual([prior, posterior.id]);
  expect(lineage[0].parent).toBeNull();
  expect(lineage[1].parent).toEqual({ updateId: update.id, algorithm: "ES-MDA", ensembleReferenceId: prior });
  expect(Number.isNaN(Date.parse(lineage[1].timeCreated))).toBe(false);
  // JSON answers holding NaN (as Python's json writes it) parse through the typed client
  await postMatrix(client, posterior.id, "gappy", { array: [NaN, 1.5, -Infinity], shape: [1, 3] });
  const matrix = await unwrap(client.GET("/ensembles/{ensemble_id}/records/{name}", { params: { path: { ensemble_id: posterior.id, name: "gappy" } } }));
  expect(matrix).toEqual([NaN, 1.5, -Infinity]);
  await expect(experimentEnsembles(client, "00000000-0000-0000-0000-000000000000")).rejects.toMatchObject({ status: 404 });
});
