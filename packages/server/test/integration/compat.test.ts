// Behaviours the original service's clients and tests rely on.
import { Readable } from "node:stream";
import { writeParquet } from "../../src/formats/parquet";
import { BACKENDS, startTestServer, type TestServer } from "../helpers/server";

describe.each(BACKENDS)("as the original answers, on %s", (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend);
  });
  afterAll(() => t.close());

  test("floats of 1e16 and more come back in exponent form, so Python reads floats", async () => {
    const experimentId = await t.experiment(undefined, { p: { function: "const", value: 1.2345678901234568e20 } });
    const res = await t.api.get(`/experiments/${experimentId}`);
    expect(res.text).toContain('"value":1.2345678901234568e+20');
    const obs = await t.api.post(`/experiments/${experimentId}/observations`, {
      json: { name: "o", values: [1e16, 0.00001, 5], errors: [1, 1, 1], x_axis: [0, 1, 2] },
    });
    expect(obs.text).toContain('"values":[1e+16,1e-05,5]');
  });

  test("GET /experiments/{id}/priors answers the priors", async () => {
    const priors = { a: { function: "normal", mean: 0, std: 1 }, b: { function: "stdnormal" } };
    const experimentId = await t.experiment(undefined, priors);
    expect((await t.api.get(`/experiments/${experimentId}/priors`)).json).toEqual(priors);
    expect((await t.api.get("/experiments/00000000-0000-0000-0000-000000000000/priors")).json).toEqual({ detail: "Item not found" });
  });

  test("a parquet body read back whole is answered byte for byte, with or without a Content-Length", async () => {
    const body = writeParquet({
      shape: [2, 2],
      data: new Float64Array([0.1, 0.2, 0.3, 0.4]),
      columns: { kind: "string", values: ["a", "b"] },
      index: { kind: "int", values: [0, 1] },
    });
    for (const chunked of [false, true]) {
      const { ensembleId } = await t.ensemble({ size: 2, parameter_names: ["P"] });
      // chunked: a stream of two pieces, so the server reads the body without knowing its length
      const sent = chunked ? (Readable.toWeb(Readable.from([body.subarray(0, 7), body.subarray(7)])) as unknown as ReadableStream) : body;
      const post = await t.api.post(`/ensembles/${ensembleId}/records/P/matrix`, { body: sent, headers: { "content-type": "application/x-parquet" } });
      expect(post.status).toBe(200);
      const get = await t.api.get(`/ensembles/${ensembleId}/records/P`, { headers: { accept: "application/x-parquet" } });
      expect(get.bytes.equals(body)).toBe(true);
      expect((await t.api.get(`/records/${post.json.id}/data`, { headers: { accept: "application/x-parquet" } })).bytes.equals(body)).toBe(true);
      // a part of it is a new frame
      const row = await t.api.get(`/ensembles/${ensembleId}/records/P`, { headers: { accept: "text/csv" }, query: { realization_index: 1 } });
      expect(row.text).toBe(",a,b\n1,0.3,0.4\n");
    }
  });

  test("a row of an unlabelled ensemble-wide matrix is labelled 0, as pandas numbers a new frame", async () => {
    const { ensembleId } = await t.ensemble({ size: 2, parameter_names: ["P"] });
    await t.api.post(`/ensembles/${ensembleId}/records/P/matrix`, { json: [[1, 2], [3, 4]] });
    const row = await t.api.get(`/ensembles/${ensembleId}/records/P`, { headers: { accept: "text/csv" }, query: { realization_index: 1 } });
    expect(row.text).toBe(",0,1\n0,3.0,4.0\n");
  });

  test("an ensemble-wide file is what every realization reads", async () => {
    const { ensembleId } = await t.ensemble({ size: 2 });
    const form = new FormData();
    form.append("file", new Blob(["shared"]), "s.txt");
    await t.api.post(`/ensembles/${ensembleId}/records/f/file`, { body: form });
    expect((await t.api.get(`/ensembles/${ensembleId}/records/f`, { query: { realization_index: 1 } })).text).toBe("shared");
  });

  test("a file upload that is not multipart is 422 naming the file field", async () => {
    const { ensembleId } = await t.ensemble();
    for (const options of [{}, { json: {} }]) {
      const res = await t.api.post(`/ensembles/${ensembleId}/records/f/file`, options);
      expect(res.status).toBe(422);
      expect(res.json.detail).toEqual([{ loc: ["body", "file"], msg: "field required", type: "value_error.missing" }]);
    }
  });

  test("a known path with another method is 405 with Allow; / redirects with 307", async () => {
    const put = await t.api.put("/experiments", { json: {} });
    expect(put.status).toBe(405);
    expect(put.headers.get("allow")).toBe("POST, GET");
    expect(put.json).toEqual({ detail: "Method Not Allowed" });
    const { ensembleId } = await t.ensemble();
    const labels = await t.api.post(`/ensembles/${ensembleId}/records/x/labels`);
    expect(labels.status).toBe(405);
    expect(labels.headers.get("allow")).toBe("GET");
    expect((await t.api.get("/nowhere")).status).toBe(404);
    const root = await t.api.get("/");
    expect(root.status).toBe(307);
    expect(root.headers.get("location")).toBe("/docs");
  });

  test("an ensemble needs parameter_names and response_names, which may not share a name", async () => {
    const experimentId = await t.experiment();
    const missing = await t.api.post(`/experiments/${experimentId}/ensembles`, { json: { size: 1, parameter_names: [] } });
    expect(missing.status).toBe(422);
    expect(missing.json.detail[0]).toMatchObject({ loc: ["body", "response_names"], msg: "field required" });
    const overlap = await t.api.post(`/experiments/${experimentId}/ensembles`, { json: { size: 1, parameter_names: ["a"], response_names: ["a"] } });
    expect(overlap.status).toBe(422);
    expect(overlap.json.detail).toEqual([{ loc: ["body", "__root__"], msg: "parameters and responses cannot have a name in common", type: "value_error" }]);
  });

  test("misfits: an unknown ensemble cannot be computed (422); a realization without a linked record is not found (404)", async () => {
    const missing = await t.api.get("/compute/misfits", { query: { ensemble_id: "00000000-0000-0000-0000-000000000000", response_name: "R" } });
    expect(missing.status).toBe(422);
    expect(missing.json.detail.error).toMatch(/Unable to compute misfits/);
    const { ensembleId } = await t.ensemble({ size: 2, response_names: ["R"] });
    const none = await t.api.get("/compute/misfits", { query: { ensemble_id: ensembleId, response_name: "R", realization_index: 1 } });
    expect(none.status).toBe(404);
  });
});

describe("the edge, before any body is read", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer("postgres", { token: "edge-token" });
  });
  afterAll(() => t.close());

  test("a body without a valid token is refused (403) before it is read, whatever the route", async () => {
    const anonymous = new (t.api.constructor as typeof import("../helpers/client").Client)(t.api.base);
    const file = await anonymous.post("/ensembles/00000000-0000-0000-0000-000000000000/records/x/file", { json: {} });
    expect(file.status).toBe(403);
    const matrix = await anonymous.post("/ensembles/00000000-0000-0000-0000-000000000000/records/x/matrix", { json: [1] });
    expect(matrix.json).toEqual({ detail: "Not authenticated" });
  });

  test("a JSON model sent as text/plain is not read as JSON (422); other methods on /gql are 405 with a JSON detail", async () => {
    const res = await t.api.post("/experiments", { body: '{"name": "x"}', headers: { "content-type": "text/plain" } });
    expect(res.status).toBe(422);
    const del = await t.api.delete("/gql");
    expect(del.status).toBe(405);
    expect(del.json).toEqual({ detail: "Method Not Allowed" });
  });
});
