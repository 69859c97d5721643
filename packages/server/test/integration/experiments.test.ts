import { BACKENDS, startTestServer, type TestServer } from "../helpers/server";

const PRIORS = {
  c: { function: "const", value: 5 },
  t: { function: "trig", min: 0, max: 2, mode: 1 },
  n: { function: "normal", mean: 0, std: 1 },
  ln: { function: "lognormal", mean: 1, std: 0.5 },
  tn: { function: "ert_truncnormal", mean: 1, std: 2, min: -1, max: 3 },
  sn: { function: "stdnormal" },
  u: { function: "uniform", min: 0, max: 1 },
  du: { function: "ert_duniform", bins: 4, min: 0, max: 1 },
  lu: { function: "loguniform", min: 0.1, max: 10 },
  erf: { function: "ert_erf", min: 0, max: 1, skewness: 0.5, width: 2 },
  derf: { function: "ert_derf", bins: 3, min: 0, max: 1, skewness: -0.5, width: 1 },
};

describe.each(BACKENDS)("experiments on %s", (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend);
  });
  afterAll(() => t.close());

  test("create, get and list", async () => {
    const name = `exp-${Date.now()}`;
    const id = await t.experiment(name);
    const got = await t.api.get(`/experiments/${id}`);
    expect(got.status).toBe(200);
    expect(got.json).toEqual({ id, name, ensemble_ids: [], priors: {}, userdata: {} });
    const list = await t.api.get("/experiments");
    expect(list.json.map((e: { id: string }) => e.id)).toContain(id);
  });

  test("every kind of prior round-trips exactly as posted", async () => {
    const id = await t.experiment(undefined, PRIORS);
    const got = await t.api.get(`/experiments/${id}`);
    expect(got.json.priors).toEqual(PRIORS);
    expect(JSON.stringify(got.json.priors.tn)).toBe(JSON.stringify(PRIORS.tn));
  });

  test("a prior with an unknown function or a missing field is 422", async () => {
    const unknown = await t.api.post("/experiments", { json: { name: "x", priors: { a: { function: "gauss", mean: 1 } } } });
    expect(unknown.status).toBe(422);
    const missing = await t.api.post("/experiments", { json: { name: "x", priors: { a: { function: "normal", mean: 1 } } } });
    expect(missing.status).toBe(422);
  });

  test("a body without a name is 422 with a list detail", async () => {
    const res = await t.api.post("/experiments", { json: { priors: {} } });
    expect(res.status).toBe(422);
    expect(res.json.detail).toEqual([{ loc: ["body", "name"], msg: "field required", type: "value_error.missing" }]);
  });

  test("malformed JSON is 422, not 500", async () => {
    const res = await t.api.post("/experiments", { body: '{"name": ', headers: { "content-type": "application/json" } });
    expect(res.status).toBe(422);
    expect(Array.isArray(res.json.detail)).toBe(true);
  });

  test("an unknown id is 404 Item not found; a malformed id is 422", async () => {
    const missing = await t.api.get("/experiments/00000000-0000-0000-0000-000000000000");
    expect(missing).toMatchObject({ status: 404, json: { detail: "Item not found" } });
    const bad = await t.api.get("/experiments/not-a-uuid");
    expect(bad.status).toBe(422);
    expect(bad.json.detail[0]).toMatchObject({ loc: ["path", "experiment_id"], type: "type_error.uuid" });
  });

  test("userdata: {} when unset, PUT replaces, PATCH merges top-level keys", async () => {
    const id = await t.experiment();
    expect((await t.api.get(`/experiments/${id}/userdata`)).json).toEqual({});
    expect((await t.api.put(`/experiments/${id}/userdata`, { json: { a: 1, b: { c: 2 } } })).status).toBe(200);
    expect((await t.api.patch(`/experiments/${id}/userdata`, { json: { b: 3, d: "x" } })).status).toBe(200);
    expect((await t.api.get(`/experiments/${id}/userdata`)).json).toEqual({ a: 1, b: 3, d: "x" });
    expect((await t.api.get(`/experiments/${id}`)).json.userdata).toEqual({ a: 1, b: 3, d: "x" });
    expect((await t.api.put(`/experiments/${id}/userdata`, { json: [1, 2] })).status).toBe(422);
    expect((await t.api.put(`/experiments/${id}/userdata`, { json: { z: 0 } })).status).toBe(200);
    expect((await t.api.get(`/experiments/${id}/userdata`)).json).toEqual({ z: 0 });
  });

  test("DELETE removes the experiment with everything below it", async () => {
    const { experimentId, ensembleId } = await t.ensemble({ size: 2, parameter_names: ["P"] });
    await t.api.post(`/ensembles/${ensembleId}/records/P/matrix`, { json: [[1], [2]] });
    const obs = await t.api.post(`/experiments/${experimentId}/observations`, {
      json: { name: "O", values: [1], errors: [0.1], x_axis: [0] },
    });
    expect(obs.status).toBe(200);
    const del = await t.api.delete(`/experiments/${experimentId}`);
    expect(del.status).toBe(200);
    expect(del.json).toBeNull();
    expect((await t.api.get(`/experiments/${experimentId}`)).status).toBe(404);
    expect((await t.api.get(`/ensembles/${ensembleId}`)).status).toBe(404);
    expect((await t.api.get(`/ensembles/${ensembleId}/records/P`)).status).toBe(404);
    expect((await t.api.delete(`/experiments/${experimentId}`)).status).toBe(404);
  });
});
