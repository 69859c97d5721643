import fs from "node:fs";
import path from "node:path";
import { readNpy, writeNpy } from "../../src/formats/npy";
import { readParquet, writeParquet } from "../../src/formats/parquet";
import { BACKENDS, startTestServer, type TestServer } from "../helpers/server";

const fixtures = path.join(__dirname, "..", "fixtures");

describe.each(BACKENDS)("matrix records on %s", (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend);
  });
  afterAll(() => t.close());

  const rec = (ensembleId: string, name: string) => `/ensembles/${ensembleId}/records/${encodeURIComponent(name)}`;

  test("JSON in and out, NaN and Infinity included; one row comes back flat", async () => {
    const { ensembleId } = await t.ensemble();
    const post = await t.api.post(`${rec(ensembleId, "M")}/matrix`, { body: "[[1, 2.5], [NaN, -Infinity]]", headers: { "content-type": "application/json" } });
    expect(post.status).toBe(200);
    expect(post.json).toEqual({
      id: expect.any(String),
      name: "M",
      userdata: {},
      has_observations: false,
      record_class: "other",
      record_type: "matrix",
    });
    const get = await t.api.get(rec(ensembleId, "M"));
    expect(get.text).toBe("[[1.0, 2.5], [NaN, -Infinity]]");
    expect(get.headers.get("content-type")).toBe("application/json");
    expect(post.headers.get("content-type")).toBe("application/json");
    await t.api.post(`${rec(ensembleId, "V")}/matrix`, { json: [[1, 2, 3]] });
    expect((await t.api.get(rec(ensembleId, "V"))).json).toEqual([1, 2, 3]);
    await t.api.post(`${rec(ensembleId, "T")}/matrix`, { json: [[[1, 2], [3, 4]], [[5, 6], [7, 8]]] });
    expect((await t.api.get(rec(ensembleId, "T"))).json).toEqual([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
    expect((await t.api.get(rec(ensembleId, "T"), { headers: { accept: "text/csv" } })).status).toBe(422);
  });

  test("a body that is not a matrix is 422 naming the record", async () => {
    const { ensembleId } = await t.ensemble();
    for (const [type, body] of [
      ["application/json", "[[1, 2], [3]]"],
      ["application/json", "{not json"],
      ["application/x-numpy", "not numpy"],
      ["text/csv", ",a\n0,word\n"],
      ["application/x-parquet", "PAR1 nope"],
      ["image/png", "x"],
    ]) {
      const res = await t.api.post(`${rec(ensembleId, "bad")}/matrix`, { body, headers: { "content-type": type } });
      expect(res.status).toBe(422);
      expect(res.json.detail).toMatchObject({ name: "bad", ensemble_id: ensembleId, error: expect.stringContaining("'bad'") });
    }
    expect((await t.api.get(rec(ensembleId, "bad"))).status).toBe(404);
  });

  test("NPY both ways, exact to the bit", async () => {
    const { ensembleId } = await t.ensemble();
    const file = fs.readFileSync(path.join(fixtures, "npy", "f8_100x3.npy"));
    expect((await t.api.post(`${rec(ensembleId, "N")}/matrix`, { body: file, headers: { "content-type": "application/x-numpy" } })).status).toBe(200);
    const get = await t.api.get(rec(ensembleId, "N"), { headers: { accept: "application/x-numpy" } });
    expect(get.headers.get("content-type")).toBe("application/x-numpy");
    expect(get.bytes.equals(file)).toBe(true);
    const be = fs.readFileSync(path.join(fixtures, "npy", "be_f8_2d.npy"));
    await t.api.post(`${rec(ensembleId, "BE")}/matrix`, { body: be, headers: { "content-type": "application/x-numpy" } });
    expect((await t.api.get(rec(ensembleId, "BE"))).json).toEqual([[0.25, 1.25], [2.25, 3.25]]);
  });

  test("CSV as pandas writes it comes back byte for byte; x-dataframe is an alias", async () => {
    const { ensembleId } = await t.ensemble();
    const csv = fs.readFileSync(path.join(fixtures, "csv", "ints_small.csv"));
    expect((await t.api.post(`${rec(ensembleId, "C")}/matrix`, { body: csv, headers: { "content-type": "application/x-dataframe" } })).status).toBe(200);
    const get = await t.api.get(rec(ensembleId, "C"), { headers: { accept: "text/csv" } });
    expect(get.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(get.bytes.equals(csv)).toBe(true);
    expect((await t.api.get(rec(ensembleId, "C"), { headers: { accept: "application/x-dataframe" } })).text).toBe(csv.toString());
    expect((await t.api.get(`${rec(ensembleId, "C")}/labels`)).json).toEqual(["A", "B"]);
    const json = await t.api.get(rec(ensembleId, "C"));
    expect(json.json).toEqual([[1e-5, 0.1], [1e16, -2]]);
  });

  test("Parquet keeps column and index labels and their kinds", async () => {
    const { ensembleId } = await t.ensemble({ size: 3, response_names: ["WOPR:OP1"] });
    const frame = {
      shape: [1, 3],
      data: new Float64Array([0.5, 1.5, 2.5]),
      columns: { kind: "datetime" as const, values: ["2010-01-01T00:00:00", "2010-02-01T00:00:00", "2010-03-01T00:00:00"] },
      index: { kind: "int" as const, values: [2] },
    };
    const res = await t.api.post(`${rec(ensembleId, "WOPR:OP1")}/matrix`, {
      body: writeParquet(frame),
      headers: { "content-type": "application/x-parquet" },
      query: { realization_index: 2 },
    });
    expect(res.status).toBe(200);
    const get = await t.api.get(rec(ensembleId, "WOPR:OP1"), { headers: { accept: "application/x-parquet" }, query: { realization_index: 2 } });
    const back = readParquet(get.bytes);
    expect(back.columns).toEqual(frame.columns);
    expect(back.index).toEqual(frame.index);
    expect(Array.from(back.data)).toEqual([0.5, 1.5, 2.5]);
    const csv = await t.api.get(rec(ensembleId, "WOPR:OP1"), { headers: { accept: "text/csv" } });
    expect(csv.text).toBe(",2010-01-01,2010-02-01,2010-03-01\n2,0.5,1.5,2.5\n");
    // the file as posted is kept only where it is answered: an ensemble-wide record (sent
    // with a length, or chunked: then it is read as it arrives)
    const wide = await t.api.post(`${rec(ensembleId, "WIDE")}/matrix`, { body: writeParquet(frame), headers: { "content-type": "application/x-parquet" } });
    expect(wide.status).toBe(200);
    const chunked = (file: Buffer) => new ReadableStream({ start: (c) => (c.enqueue(new Uint8Array(file)), c.close()) });
    const own = await t.api.post(`${rec(ensembleId, "WOPR:OP1")}/matrix`, { body: chunked(writeParquet(frame)), headers: { "content-type": "application/x-parquet" }, query: { realization_index: 1 } });
    expect(own.status).toBe(200);
    const wideChunked = await t.api.post(`${rec(ensembleId, "WIDE2")}/matrix`, { body: chunked(writeParquet(frame)), headers: { "content-type": "application/x-parquet" } });
    expect(wideChunked.status).toBe(200);
    const ids = [res.json.id, own.json.id, wide.json.id, wideChunked.json.id];
    const kept = await t.db.pool.query("SELECT m.record_id, m.parquet IS NOT NULL AS kept FROM matrix m WHERE m.record_id = ANY($1::uuid[])", [ids]);
    expect(Object.fromEntries(kept.rows.map((r) => [r.record_id, r.kept]))).toEqual({ [ids[0]]: false, [ids[1]]: false, [ids[2]]: true, [ids[3]]: true });
    expect((await t.api.get(rec(ensembleId, "WIDE"), { headers: { accept: "application/x-parquet" } })).bytes.equals(writeParquet(frame))).toBe(true);
  });

  test("per-realization records stack as rows sorted by realization, with the union of labels", async () => {
    const { ensembleId } = await t.ensemble({ size: 4, response_names: ["R"] });
    const post = (i: number, csv: string) =>
      t.api.post(`${rec(ensembleId, "R")}/matrix`, { body: csv, headers: { "content-type": "text/csv" }, query: { realization_index: i } });
    expect((await post(3, ",a,b\n0,3.0,3.5\n")).status).toBe(200);
    expect((await post(1, ",a,c\n0,1.0,1.5\n")).status).toBe(200);
    const csv = await t.api.get(rec(ensembleId, "R"), { headers: { accept: "text/csv" } });
    expect(csv.text).toBe(",a,c,b\n1,1.0,1.5,\n3,3.0,,3.5\n");
    expect((await t.api.get(rec(ensembleId, "R"))).json).toEqual([[1, 1.5, NaN], [3, NaN, 3.5]]);
    expect((await t.api.get(rec(ensembleId, "R"), { query: { realization_index: 3 } })).json).toEqual([3, 3.5]);
    const one = await t.api.get(rec(ensembleId, "R"), { query: { realization_index: 0 } });
    expect(one.status).toBe(404);
    expect(one.json.detail).toEqual({ ensemble_id: ensembleId, name: "R", realization_index: "0", error: "Record not found" });
    const data = await t.api.get(`/ensembles/${ensembleId}/responses/R/data`);
    expect(data.text).toBe(",a,c,b\n1,1.0,1.5,\n3,3.0,,3.5\n");
    expect((await t.api.get(rec(ensembleId, "R"), { query: { label: "c" }, headers: { accept: "text/csv" } })).text).toBe(",c\n1,1.5\n3,\n");
  });

  test("labels that repeat, change back and are missing between realizations stack as each record has them", async () => {
    // the labels of a row are sent only when they differ from the row before: every kind of run
    const { ensembleId } = await t.ensemble({ size: 7, response_names: ["R"] });
    const labelled = (cols: string[], index: string, v: number) => `,${cols.join(",")}\n${index},${cols.map((_, k) => v + k / 10).join(",")}\n`;
    const bodies: [number, string, string][] = [
      [0, "text/csv", labelled(["a", "b"], "x", 0)],
      [1, "text/csv", labelled(["a", "b"], "x", 1)],
      [2, "text/csv", labelled(["c"], "y", 2)],
      [3, "application/json", "[30, 31]"],
      [4, "text/csv", labelled(["a", "b"], "x", 4)],
      [5, "application/json", "[50, 51]"],
      [6, "text/csv", labelled(["c"], "y", 6)],
    ];
    for (const [i, type, body] of bodies) {
      expect((await t.api.post(`${rec(ensembleId, "R")}/matrix`, { body, headers: { "content-type": type }, query: { realization_index: i } })).status).toBe(200);
    }
    const csv = await t.api.get(`/ensembles/${ensembleId}/responses/R/data`);
    // rows are labelled with their realization
    expect(csv.text).toBe([",a,b,c,0,1", "0,0.0,0.1,,,", "1,1.0,1.1,,,", "2,,,2.0,,", "3,,,,30.0,31.0", "4,4.0,4.1,,,", "5,,,,50.0,51.0", "6,,,6.0,,", ""].join("\n"));
    for (const [i, type, body] of bodies) {
      const one = await t.api.get(rec(ensembleId, "R"), { query: { realization_index: i }, headers: { accept: "text/csv" } });
      const header = type === "text/csv" ? body.split("\n")[0] : ",0,1";
      expect(one.text.split("\n")[0]).toBe(header);
    }
  });

  test("a realization without its own record gets row N of the ensemble-wide matrix", async () => {
    const { ensembleId } = await t.ensemble({ size: 3, parameter_names: ["P"] });
    await t.api.post(`${rec(ensembleId, "P")}/matrix`, { body: ",x,y\n0,1.0,2.0\n1,3.0,4.0\n2,5.0,6.0\n", headers: { "content-type": "text/csv" } });
    expect((await t.api.get(rec(ensembleId, "P"), { query: { realization_index: 1 } })).json).toEqual([3, 4]);
    expect((await t.api.get(rec(ensembleId, "P"), { query: { realization_index: 2 }, headers: { accept: "text/csv" } })).text).toBe(",x,y\n2,5.0,6.0\n");
    expect((await t.api.get(rec(ensembleId, "P"), { headers: { accept: "text/csv" } })).text).toBe(",x,y\n0,1.0,2.0\n1,3.0,4.0\n2,5.0,6.0\n");
    const npy = await t.api.get(rec(ensembleId, "P"), { headers: { accept: "application/x-numpy" }, query: { label: "y" } });
    expect(readNpy(npy.bytes)).toMatchObject({ shape: [3, 1] });
    expect(Array.from(readNpy(npy.bytes).data)).toEqual([2, 4, 6]);
    const missing = await t.api.get(rec(ensembleId, "P"), { query: { label: "z" } });
    expect(missing.status).toBe(422);
    expect(missing.json.detail.error).toBe("Record label 'z' not found!");
    expect((await t.api.get(`/ensembles/${ensembleId}/parameters`)).json).toEqual([{ name: "P", labels: ["x", "y"] }]);
  });

  test("record rules: duplicates 409, class or type clash 409, inactive realization 417, 1-D ensemble-wide parameter 422", async () => {
    const { ensembleId } = await t.ensemble({ size: 3, active_realizations: [0, 2], parameter_names: ["P"], response_names: ["R"] });
    expect((await t.api.post(`${rec(ensembleId, "O")}/matrix`, { json: [1, 2] })).status).toBe(200);
    const dup = await t.api.post(`${rec(ensembleId, "O")}/matrix`, { json: [1, 2] });
    expect(dup.status).toBe(409);
    expect(dup.json.detail).toMatchObject({ ensemble_id: ensembleId, name: "O" });
    expect((await t.api.post(`${rec(ensembleId, "O")}/matrix`, { json: [1], query: { realization_index: 0 } })).status).toBe(409);
    expect((await t.api.post(`${rec(ensembleId, "R")}/matrix`, { json: [1], query: { realization_index: 1 } })).status).toBe(417);
    expect((await t.api.post(`${rec(ensembleId, "R")}/matrix`, { json: [1], query: { realization_index: 7 } })).status).toBe(417);
    expect((await t.api.post(`${rec(ensembleId, "R")}/matrix`, { json: [1], query: { realization_index: 2 } })).status).toBe(200);
    expect((await t.api.post(`${rec(ensembleId, "R")}/matrix`, { json: [1], query: { realization_index: 2 } })).status).toBe(409);
    const flat = await t.api.post(`${rec(ensembleId, "P")}/matrix`, { json: [1, 2, 3] });
    expect(flat.status).toBe(422);
    expect(flat.json.detail.error).toMatch(/dimensionality of at least 2/);
    expect((await t.api.post(`${rec(ensembleId, "P")}/matrix`, { json: [[1], [2], [3]] })).status).toBe(200);
    const form = new FormData();
    form.append("file", new Blob(["x"]), "x.txt");
    const classClash = await t.api.post(`${rec(ensembleId, "R")}/file`, { body: form, query: { realization_index: 0 } });
    expect(classClash.status).toBe(409);
    expect(classClash.json.detail).toMatchObject({ new_record_class: "other", old_record_class: "response" });
    await t.api.post(`${rec(ensembleId, "O2")}/matrix`, { json: [1], query: { realization_index: 0 } });
    const typeClash = await t.api.post(`${rec(ensembleId, "O2")}/file`, { body: form, query: { realization_index: 2 } });
    expect(typeClash.status).toBe(409);
    expect(typeClash.json.detail).toMatchObject({ new_record_type: "file", old_record_type: "matrix" });
    expect((await t.api.post(`/ensembles/00000000-0000-0000-0000-000000000000/records/X/matrix`, { json: [[1]] })).status).toBe(404);
  });

  test("prior links a parameter record to a prior of the experiment", async () => {
    const experimentId = await t.experiment(undefined, { coeff: { function: "uniform", min: 0, max: 1 } });
    const ens = await t.api.post(`/experiments/${experimentId}/ensembles`, { json: { size: 2, parameter_names: ["COEFFS:COEFF_A", "B"], response_names: [] } });
    const ensembleId = ens.json.id;
    const ok = await t.api.post(`${rec(ensembleId, "COEFFS:COEFF_A")}/matrix`, { json: [[0.1], [0.2]], query: { prior: "coeff" } });
    expect(ok.status).toBe(200);
    expect((await t.api.post(`${rec(ensembleId, "other")}/matrix`, { json: [[0.1]], query: { prior: "coeff" } })).status).toBe(422);
    expect((await t.api.post(`${rec(ensembleId, "B")}/matrix`, { json: [0.1], query: { prior: "nope", realization_index: 0 } })).status).toBe(404);
  });

  test("listings: records, responses, record by id and its data", async () => {
    const { ensembleId } = await t.ensemble({ size: 2, parameter_names: ["P"], response_names: ["R"] });
    const p = await t.api.post(`${rec(ensembleId, "P")}/matrix`, { json: [[1], [2]] });
    const r = await t.api.post(`${rec(ensembleId, "R")}/matrix`, { json: [5, 6], query: { realization_index: 1 } });
    const all = await t.api.get(`/ensembles/${ensembleId}/records`);
    expect(Object.keys(all.json).sort()).toEqual(["P", "R"]);
    expect(all.json.P).toEqual(p.json);
    expect([p.json.record_class, p.json.record_type, r.json.record_class]).toEqual(["parameter", "matrix", "response"]);
    await t.api.post(`${rec(ensembleId, "big")}/blob`);
    expect((await t.api.get(`/ensembles/${ensembleId}/records`)).json.big).toMatchObject({ record_class: "other", record_type: "file" });
    const responses = await t.api.get(`/ensembles/${ensembleId}/responses`, { query: { record_class: "response" } });
    expect(responses.json).toEqual({ R: r.json });
    expect((await t.api.get(`/records/${r.json.id}`)).json).toEqual(r.json);
    expect((await t.api.get(`/records/${r.json.id}/data`, { headers: { accept: "text/csv" } })).text).toBe(",0,1\n1,5.0,6.0\n");
    expect((await t.api.get(`/records/${p.json.id}/data`)).json).toEqual([[1], [2]]);
    expect((await t.api.get(`/records/00000000-0000-0000-0000-000000000000`)).status).toBe(404);
    expect((await t.api.get(`/ensembles/${ensembleId}/records/nope/labels`)).status).toBe(404);
  });

  test("record userdata, ensemble-wide and per realization", async () => {
    const { ensembleId } = await t.ensemble({ size: 2 });
    await t.api.post(`${rec(ensembleId, "U.v1")}/matrix`, { json: [1], query: { realization_index: 0 } });
    const path = `${rec(ensembleId, "U.v1")}/userdata`;
    expect((await t.api.get(path, { query: { realization_index: 0 } })).json).toEqual({});
    await t.api.put(path, { json: { a: 1 }, query: { realization_index: 0 } });
    await t.api.patch(path, { json: { b: 2 }, query: { realization_index: 0 } });
    expect((await t.api.get(path, { query: { realization_index: 0 } })).json).toEqual({ a: 1, b: 2 });
    expect((await t.api.get(path)).status).toBe(404);
  });
});
