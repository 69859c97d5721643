import { BACKENDS, startTestServer, type TestServer } from "../helpers/server";

describe.each(BACKENDS)("ensembles on %s", (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend);
  });
  afterAll(() => t.close());

  const create = async (experimentId: string, body: Record<string, unknown>) =>
    t.api.post(`/experiments/${experimentId}/ensembles`, { json: body });

  test("create with defaults: active realizations are 0..size-1", async () => {
    const experimentId = await t.experiment();
    const res = await create(experimentId, { size: 3, parameter_names: ["A"], response_names: ["R"], userdata: { k: 1 } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      id: expect.any(String),
      size: 3,
      parameter_names: ["A"],
      response_names: ["R"],
      active_realizations: [0, 1, 2],
      experiment_id: experimentId,
      userdata: { k: 1 },
      parent_ensemble_id: null,
      child_ensemble_ids: [],
    });
    expect((await t.api.get(`/ensembles/${res.json.id}`)).json).toEqual(res.json);
    const exp = await t.api.get(`/experiments/${experimentId}`);
    expect(exp.json.ensemble_ids).toEqual([res.json.id]);
    const list = await t.api.get(`/experiments/${experimentId}/ensembles`);
    expect(list.json).toEqual([res.json]);
  });

  test("explicit active realizations are kept; out of range or repeated is 417", async () => {
    const experimentId = await t.experiment();
    expect((await create(experimentId, { size: 5, active_realizations: [0, 2, 4], parameter_names: [], response_names: [] })).json.active_realizations).toEqual([0, 2, 4]);
    const outside = await create(experimentId, { size: 3, active_realizations: [0, 3], parameter_names: [], response_names: [] });
    expect(outside.status).toBe(417);
    expect(outside.json.detail.error).toMatch(/3/);
    expect(outside.json.detail.experiment_id).toBe(experimentId);
    expect((await create(experimentId, { size: 3, active_realizations: [1, 1], parameter_names: [], response_names: [] })).status).toBe(417);
  });

  test("size -1 means unknown size", async () => {
    const experimentId = await t.experiment();
    const res = await create(experimentId, { size: -1, parameter_names: [], response_names: [] });
    expect(res.status).toBe(200);
    expect(res.json.size).toBe(-1);
    expect(res.json.active_realizations).toEqual([]);
  });

  test("overlapping parameter and response names are 422; missing size is 422", async () => {
    const experimentId = await t.experiment();
    expect((await create(experimentId, { size: 1, parameter_names: ["X"], response_names: ["X"] })).status).toBe(422);
    expect((await create(experimentId, { parameter_names: [] })).status).toBe(422);
  });

  test("an unknown experiment is 404", async () => {
    const res = await create("00000000-0000-0000-0000-000000000000", { size: 1, parameter_names: [], response_names: [] });
    expect(res).toMatchObject({ status: 404, json: { detail: "Item not found" } });
  });

  test("update_id makes the new ensemble that update's result", async () => {
    const { experimentId, ensembleId: prior } = await t.ensemble({ size: 2 });
    const update = await t.api.post("/updates", { json: { algorithm: "es", ensemble_reference_id: prior } });
    expect(update.status).toBe(200);
    const child = await create(experimentId, { size: 2, parameter_names: [], response_names: [], update_id: update.json.id });
    expect(child.status).toBe(200);
    expect(child.json.parent_ensemble_id).toBe(prior);
    expect((await t.api.get(`/ensembles/${prior}`)).json.child_ensemble_ids).toEqual([child.json.id]);
    expect((await t.api.get(`/updates/${update.json.id}`)).json.ensemble_result_id).toBe(child.json.id);
    const missing = await create(experimentId, { size: 2, parameter_names: [], response_names: [], update_id: "00000000-0000-0000-0000-000000000000" });
    expect(missing.status).toBe(404);
  });

  test("userdata GET/PUT/PATCH", async () => {
    const { ensembleId } = await t.ensemble();
    expect((await t.api.get(`/ensembles/${ensembleId}/userdata`)).json).toEqual({});
    await t.api.put(`/ensembles/${ensembleId}/userdata`, { json: { a: [1, 2] } });
    await t.api.patch(`/ensembles/${ensembleId}/userdata`, { json: { b: true } });
    expect((await t.api.get(`/ensembles/${ensembleId}/userdata`)).json).toEqual({ a: [1, 2], b: true });
    expect((await t.api.get(`/ensembles/00000000-0000-0000-0000-000000000000/userdata`)).status).toBe(404);
  });
});
