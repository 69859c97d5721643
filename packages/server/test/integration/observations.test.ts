import { BACKENDS, startTestServer, type TestServer } from "../helpers/server";

describe.each(BACKENDS)("observations and updates on %s", (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend);
  });
  afterAll(() => t.close());

  const observe = (experimentId: string, body: Record<string, unknown>) =>
    t.api.post(`/experiments/${experimentId}/observations`, { json: { values: [1, 2], errors: [0.1, 0.2], x_axis: ["A", "B"], ...body } });

  test("create, list, unique name per experiment", async () => {
    const experimentId = await t.experiment();
    const res = await observe(experimentId, { name: "FOPR" });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      id: expect.any(String),
      name: "FOPR",
      values: [1, 2],
      errors: [0.1, 0.2],
      x_axis: ["A", "B"],
      records: [],
      userdata: {},
      transformation: null,
    });
    const dup = await observe(experimentId, { name: "FOPR" });
    expect(dup.status).toBe(409);
    expect(dup.json.detail.error).toMatch(/FOPR/);
    expect((await observe(await t.experiment(), { name: "FOPR" })).status).toBe(200);
    expect((await t.api.get(`/experiments/${experimentId}/observations`)).json).toEqual([res.json]);
    expect((await observe(experimentId, { name: "short", errors: [1] })).status).toBe(422);
    expect((await observe("00000000-0000-0000-0000-000000000000", { name: "x" })).status).toBe(404);
  });

  test("linked to records at creation and later; listed from both sides; has_observations", async () => {
    const { experimentId, ensembleId } = await t.ensemble({ size: 2, response_names: ["R"] });
    const r0 = await t.api.post(`/ensembles/${ensembleId}/records/R/matrix`, { json: [1, 2], query: { realization_index: 0 } });
    const r1 = await t.api.post(`/ensembles/${ensembleId}/records/R/matrix`, { json: [3, 4], query: { realization_index: 1 } });
    const o1 = await observe(experimentId, { name: "O1", records: [r0.json.id] });
    expect(o1.json.records).toEqual([r0.json.id]);
    const o2 = await observe(experimentId, { name: "O2" });
    const link = await t.api.post(`/ensembles/${ensembleId}/records/R/observations`, { json: [o2.json.id], query: { realization_index: 1 } });
    expect(link.status).toBe(200);
    const listed = await t.api.get(`/ensembles/${ensembleId}/records/R/observations`, { query: { realization_index: 1 } });
    expect(listed.json.map((o: { name: string }) => o.name)).toEqual(["O2"]);
    expect(listed.json[0].records).toEqual([r1.json.id]);
    expect((await t.api.get(`/records/${r1.json.id}`)).json.has_observations).toBe(true);
    const none = await t.api.post(`/ensembles/${ensembleId}/records/R/observations`, {
      json: ["00000000-0000-0000-0000-000000000000"],
      query: { realization_index: 0 },
    });
    expect(none.status).toBe(422);
    expect((await observe(experimentId, { name: "O3", records: ["00000000-0000-0000-0000-000000000000"] })).status).toBe(404);
  });

  test("a link replaces the record's links; an ensemble-wide matrix serves every realization; refusals change nothing", async () => {
    const { experimentId, ensembleId } = await t.ensemble({ size: 3, response_names: ["R"], parameter_names: ["P"] });
    const path = (name: string) => `/ensembles/${ensembleId}/records/${name}/observations`;
    const r1 = await t.api.post(`/ensembles/${ensembleId}/records/R/matrix`, { json: [3, 4], query: { realization_index: 1 } });
    const wide = await t.api.post(`/ensembles/${ensembleId}/records/P/matrix`, { json: [[1], [2], [3]] });
    const [a, b, c] = await Promise.all(["A", "B", "C"].map(async (name) => (await observe(experimentId, { name })).json.id as string));
    const foreign = (await observe(await t.experiment(), { name: "F" })).json.id as string;
    const names = async (p: string, realization?: number) =>
      ((await t.api.get(p, { query: realization === undefined ? {} : { realization_index: realization } })).json as { name: string }[]).map((o) => o.name).sort();

    expect((await t.api.post(path("R"), { json: [a, b, a], query: { realization_index: 1 } })).status).toBe(200);
    expect(await names(path("R"), 1)).toEqual(["A", "B"]);
    expect((await t.api.post(path("R"), { json: [b, c], query: { realization_index: 1 } })).status).toBe(200);
    expect(await names(path("R"), 1)).toEqual(["B", "C"]);

    // another experiment's observation: 422 naming it, the links stay as they were
    const refused = await t.api.post(path("R"), { json: [a, foreign], query: { realization_index: 1 } });
    expect(refused.status).toBe(422);
    expect(refused.json.detail.error).toContain(foreign);
    expect(refused.json.detail.error).not.toContain(a);
    expect(await names(path("R"), 1)).toEqual(["B", "C"]);
    // unknown observations among known ones are ignored; none known is 422
    const unknown = "00000000-0000-4000-8000-000000000001";
    expect((await t.api.post(path("R"), { json: [c, unknown], query: { realization_index: 1 } })).status).toBe(200);
    expect(await names(path("R"), 1)).toEqual(["C"]);
    expect((await t.api.post(path("R"), { json: [unknown], query: { realization_index: 1 } })).status).toBe(422);
    expect(await names(path("R"), 1)).toEqual(["C"]);

    // realization 2 has no R of its own; P is ensemble-wide and serves it
    const missing = await t.api.post(path("R"), { json: [a], query: { realization_index: 2 } });
    expect(missing.status).toBe(404);
    expect(missing.json.detail.error).toBe("Record not found");
    expect((await t.api.post(path("P"), { json: [a], query: { realization_index: 2 } })).status).toBe(200);
    expect(await names(path("P"))).toEqual(["A"]);
    expect((await t.api.get(`/records/${wide.json.id}`)).json.has_observations).toBe(true);
    expect((await t.api.get(`/records/${r1.json.id}`)).json.has_observations).toBe(true);
    // an ensemble-wide record that is a file serves no realization; a per-realization record is not ensemble-wide
    const form = new FormData();
    form.append("file", new Blob([Buffer.from("abc")]), "f.txt");
    expect((await t.api.post(`/ensembles/${ensembleId}/records/F/file`, { body: form })).status).toBe(200);
    expect((await t.api.post(path("F"), { json: [a] })).status).toBe(200);
    expect((await t.api.post(path("F"), { json: [a], query: { realization_index: 1 } })).status).toBe(404);
    expect((await t.api.post(path("R"), { json: [a] })).status).toBe(404);
    expect(await names(path("R"), 1)).toEqual(["C"]);
    // unknown ensemble or record name: 404
    expect((await t.api.post(`/ensembles/00000000-0000-4000-8000-000000000002/records/R/observations`, { json: [a] })).status).toBe(404);
    expect((await t.api.post(path("Q"), { json: [a], query: { realization_index: 1 } })).status).toBe(404);
  });

  test("observation userdata", async () => {
    const experimentId = await t.experiment();
    const o = await observe(experimentId, { name: "U" });
    await t.api.put(`/observations/${o.json.id}/userdata`, { json: { a: 1 } });
    await t.api.patch(`/observations/${o.json.id}/userdata`, { json: { b: 2 } });
    expect((await t.api.get(`/observations/${o.json.id}/userdata`)).json).toEqual({ a: 1, b: 2 });
  });

  test("updates link three generations; transformations show for the ensemble the update produced only", async () => {
    const experimentId = await t.experiment();
    const ens = async (body: Record<string, unknown> = {}) =>
      (await t.api.post(`/experiments/${experimentId}/ensembles`, { json: { size: 2, parameter_names: [], response_names: [], ...body } })).json;
    const obs = (await observe(experimentId, { name: "OBS" })).json;
    const other = (await observe(experimentId, { name: "OTHER" })).json;
    const first = await ens();
    const u1 = await t.api.post("/updates", {
      json: {
        algorithm: "ensemble_smoother",
        ensemble_reference_id: first.id,
        observation_transformations: [{ name: "OBS", active: [true, false], scale: [1, 0.5], observation_id: obs.id }],
      },
    });
    expect(u1.status).toBe(200);
    expect(u1.json).toEqual({
      id: expect.any(String),
      experiment_id: experimentId,
      algorithm: "ensemble_smoother",
      ensemble_reference_id: first.id,
      ensemble_result_id: null,
    });
    const second = await ens({ update_id: u1.json.id });
    const u2 = await t.api.post("/updates", { json: { algorithm: "es", ensemble_reference_id: second.id } });
    const third = await ens({ update_id: u2.json.id });
    expect((await t.api.get(`/ensembles/${first.id}`)).json).toMatchObject({ parent_ensemble_id: null, child_ensemble_ids: [second.id] });
    expect((await t.api.get(`/ensembles/${second.id}`)).json).toMatchObject({ parent_ensemble_id: first.id, child_ensemble_ids: [third.id] });
    expect((await t.api.get(`/ensembles/${third.id}`)).json).toMatchObject({ parent_ensemble_id: second.id, child_ensemble_ids: [] });
    expect((await t.api.get(`/updates/${u1.json.id}`)).json.ensemble_result_id).toBe(second.id);

    const atSecond = (await t.api.get(`/ensembles/${second.id}/observations`)).json;
    const transformed = atSecond.find((o: { name: string }) => o.name === "OBS");
    expect(transformed.transformation).toEqual({ id: expect.any(String), name: "OBS", observation_id: obs.id, active: [true, false], scale: [1, 0.5] });
    expect(atSecond.find((o: { name: string }) => o.name === "OTHER").transformation).toBeNull();
    for (const e of [first, third]) {
      const list = (await t.api.get(`/ensembles/${e.id}/observations`)).json;
      expect(list.map((o: { transformation: unknown }) => o.transformation)).toEqual([null, null]);
    }
    expect(other.id).toBeDefined();
  });

  test("update errors: unknown ensemble 404, transformation lengths 422, result with a parent already 409", async () => {
    const { experimentId, ensembleId } = await t.ensemble({ size: 2 });
    const obs = (await observe(experimentId, { name: "OBS" })).json;
    expect((await t.api.post("/updates", { json: { algorithm: "es", ensemble_reference_id: "00000000-0000-0000-0000-000000000000" } })).status).toBe(404);
    const bad = await t.api.post("/updates", {
      json: { algorithm: "es", ensemble_reference_id: ensembleId, observation_transformations: [{ name: "OBS", active: [true], scale: [1, 2], observation_id: obs.id }] },
    });
    expect(bad.status).toBe(422);
    expect(bad.json.detail.error).toMatch(/length 2/);
    const result = (await t.api.post(`/experiments/${experimentId}/ensembles`, { json: { size: 2, parameter_names: [], response_names: [] } })).json;
    expect((await t.api.post("/updates", { json: { algorithm: "a", ensemble_reference_id: ensembleId, ensemble_result_id: result.id } })).status).toBe(200);
    expect((await t.api.post("/updates", { json: { algorithm: "b", ensemble_reference_id: ensembleId, ensemble_result_id: result.id } })).status).toBe(409);
    expect((await t.api.post("/updates", { json: { ensemble_reference_id: ensembleId } })).status).toBe(422);
    expect((await t.api.get("/updates/00000000-0000-0000-0000-000000000000")).status).toBe(404);
  });
});
