import { BACKENDS, startTestServer, type TestServer } from "../helpers/server";

// Worked by hand: observation at C, E, H with values 1, 2, 3 and errors 0.1, 0.2, 0.3.
// Realization 0 has C=0.5, E=2.4, H=3.0:
//   C: r-o = -0.5 -> -(0.5/0.1)^2 = -25;  E: +0.4 -> (0.4/0.2)^2 = 4;  H: 0 -> 0.  Sum |.| = 29.
// Realization 2 has C=1.2, E=1.0, H=3.6:
//   C: +0.2 -> (0.2/0.1)^2 = 4;  E: -1.0 -> -(1.0/0.2)^2 = -25;  H: +0.6 -> (0.6/0.3)^2 = 4.  Sum = 33.
const HEADER = ",A,B,C,D,E,F,G,H\n";
const RESPONSES: Record<number, string> = {
  0: "0,9.0,9.0,0.5,9.0,2.4,9.0,9.0,3.0\n",
  2: "0,9.0,9.0,1.2,9.0,1.0,9.0,9.0,3.6\n",
};

describe.each(BACKENDS)("misfits on %s", (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend);
  });
  afterAll(() => t.close());

  async function setup() {
    const { experimentId, ensembleId } = await t.ensemble({ size: 3, response_names: ["FOPR"] });
    const obs = await t.api.post(`/experiments/${experimentId}/observations`, {
      json: { name: "FOPR", values: [1, 2, 3], errors: [0.1, 0.2, 0.3], x_axis: ["C", "E", "H"] },
    });
    for (const [i, row] of Object.entries(RESPONSES)) {
      await t.api.post(`/ensembles/${ensembleId}/records/FOPR/matrix`, {
        body: HEADER + row,
        headers: { "content-type": "text/csv" },
        query: { realization_index: i },
      });
      await t.api.post(`/ensembles/${ensembleId}/records/FOPR/observations`, { json: [obs.json.id], query: { realization_index: i } });
    }
    return { experimentId, ensembleId };
  }

  const parse = (csv: string) => csv.trim().split("\n").map((line) => line.split(","));

  test("univariate misfits per realization and observed point", async () => {
    const { ensembleId } = await setup();
    const res = await t.api.get("/compute/misfits", { query: { ensemble_id: ensembleId, response_name: "FOPR" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    const [header, ...rows] = parse(res.text);
    expect(header).toEqual(["", "C", "E", "H"]);
    expect(rows.map((r) => r[0])).toEqual(["0", "2"]);
    const values = rows.map((r) => r.slice(1).map(Number));
    const expected = [[-25, 4, 0], [4, -25, 4]];
    values.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i][j], 9)));
  });

  test("summary misfits: one column 0 with the sum of absolute misfits", async () => {
    const { ensembleId } = await setup();
    const res = await t.api.get("/compute/misfits", { query: { ensemble_id: ensembleId, response_name: "FOPR", summary_misfits: true } });
    const [header, ...rows] = parse(res.text);
    expect(header).toEqual(["", "0"]);
    expect(rows.map((r) => r[0])).toEqual(["0", "2"]);
    expect(Number(rows[0][1])).toBeCloseTo(29, 9);
    expect(Number(rows[1][1])).toBeCloseTo(33, 9);
  });

  test("one realization", async () => {
    const { ensembleId } = await setup();
    const res = await t.api.get("/compute/misfits", { query: { ensemble_id: ensembleId, response_name: "FOPR", realization_index: 2 } });
    const [header, ...rows] = parse(res.text);
    expect(header).toEqual(["", "C", "E", "H"]);
    expect(rows).toHaveLength(1);
    expect(rows[0][0]).toBe("2");
  });

  test("clear 4xx errors: unknown ensemble, no observation, missing label, missing parameter", async () => {
    const { experimentId, ensembleId } = await setup();
    const unknown = await t.api.get("/compute/misfits", { query: { ensemble_id: "00000000-0000-0000-0000-000000000000", response_name: "FOPR" } });
    expect(unknown.status).toBe(422);
    await t.api.post(`/ensembles/${ensembleId}/records/LONELY/matrix`, { json: [1], query: { realization_index: 0 } });
    const lonely = await t.api.get("/compute/misfits", { query: { ensemble_id: ensembleId, response_name: "LONELY" } });
    expect(lonely.status).toBe(422);
    expect(lonely.json.detail.error).toMatch(/linked to an observation/);
    const obs = await t.api.post(`/experiments/${experimentId}/observations`, {
      json: { name: "FAR", values: [1], errors: [1], x_axis: ["Z"] },
    });
    await t.api.post(`/ensembles/${ensembleId}/records/LONELY/observations`, { json: [obs.json.id], query: { realization_index: 0 } });
    const missing = await t.api.get("/compute/misfits", { query: { ensemble_id: ensembleId, response_name: "LONELY" } });
    expect(missing.status).toBe(422);
    expect(missing.json.detail.error).toMatch(/label 'Z'/);
    expect((await t.api.get("/compute/misfits", { query: { ensemble_id: ensembleId } })).status).toBe(422);
  });
});
