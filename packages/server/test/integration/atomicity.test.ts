// Writes are all or nothing, under concurrency and when they fail half-way.
import { randomBytes } from "node:crypto";
import { Errors } from "../../src/errors";
import { BACKENDS, startTestServer, type TestServer } from "../helpers/server";

describe.each(BACKENDS)("atomic writes on %s", (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend);
  });
  afterAll(() => t.close());

  const rec = (ensembleId: string, name: string) => `/ensembles/${ensembleId}/records/${name}`;

  test("50 concurrent mixed posts of one name: either the ensemble-wide one wins alone, or one per realization", async () => {
    const { ensembleId } = await t.ensemble({ size: 20 });
    const outcomes = new Set<string>();
    for (let round = 0; round < 6; round++) {
      const name = `mixed-${round}`;
      // 10 ensemble-wide posts and 40 per-realization posts (each realization twice), interleaved
      const posts = Array.from({ length: 50 }, (_, i) =>
        i % 5 === round % 5
          ? { wide: true, realization: -1 }
          : { wide: false, realization: Math.floor(i / 2.5) % 20 },
      );
      const results = await Promise.all(
        posts.map((p) =>
          t.api.post(`${rec(ensembleId, name)}/matrix`, {
            json: [[p.realization, 1]],
            query: p.wide ? {} : { realization_index: p.realization },
          }),
        ),
      );
      const statuses = results.map((r) => r.status);
      expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
      const wideWins = posts.filter((p, i) => p.wide && statuses[i] === 200).length;
      const winners = posts.filter((p, i) => !p.wide && statuses[i] === 200).map((p) => p.realization);
      const realizations = new Set(posts.filter((p) => !p.wide).map((p) => p.realization));
      if (wideWins === 1) {
        expect(winners).toEqual([]);
        outcomes.add("ensemble-wide");
      } else {
        expect(wideWins).toBe(0);
        expect(winners.sort((a, b) => a - b)).toEqual([...realizations].sort((a, b) => a - b));
        outcomes.add("per-realization");
      }
      const stored = await t.db.prisma.record.findMany({ where: { recordInfo: { ensembleId, name } }, select: { realization: true } });
      expect(stored.map((r) => r.realization).sort((a, b) => a - b)).toEqual(wideWins === 1 ? [-1] : [...realizations].sort((a, b) => a - b));
    }
    expect(outcomes.size).toBeGreaterThan(0);
  });

  test("a name with per-realization records takes no ensemble-wide one, and the other way round", async () => {
    const { ensembleId } = await t.ensemble({ size: 2 });
    expect((await t.api.post(`${rec(ensembleId, "A")}/matrix`, { json: [1], query: { realization_index: 0 } })).status).toBe(200);
    const wide = await t.api.post(`${rec(ensembleId, "A")}/matrix`, { json: [[1], [2]] });
    expect(wide.status).toBe(409);
    expect(wide.json.detail.error).toMatch(/per-realization records/);
    expect((await t.api.post(`${rec(ensembleId, "B")}/matrix`, { json: [[1], [2]] })).status).toBe(200);
    expect((await t.api.post(`${rec(ensembleId, "B")}/matrix`, { json: [1], query: { realization_index: 1 } })).status).toBe(409);
  });

  test("a record insert that fails after its record_info leaves nothing: the name's class is not fixed", async () => {
    const { ensembleId } = await t.ensemble({ size: 2, response_names: ["R"] });
    // a failure inside the statement, after record_info and record are written: the matrix
    // insert refuses this one shape (a trigger the test owns, removed afterwards)
    await t.db.pool.query(`CREATE OR REPLACE FUNCTION ert_test_refuse() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN RAISE EXCEPTION 'refused by the test' USING ERRCODE = '40001'; END $$`);
    await t.db.pool.query(`CREATE TRIGGER ert_test_refuse BEFORE INSERT ON matrix FOR EACH ROW
      WHEN (NEW.shape = ARRAY[1,1,1,1,3]) EXECUTE FUNCTION ert_test_refuse()`);
    try {
      const failed = await t.api.post(`${rec(ensembleId, "R")}/matrix`, { json: [[[[[1, 2, 3]]]]], query: { realization_index: 0 } });
      expect(failed.status).toBe(503); // 40001: as a serialization failure would
      expect(await t.db.prisma.recordInfo.count({ where: { ensembleId, name: "R" } })).toBe(0);
      expect(await t.db.prisma.record.count({ where: { recordInfo: { ensembleId } } })).toBe(0);
    } finally {
      await t.db.pool.query("DROP TRIGGER ert_test_refuse ON matrix; DROP FUNCTION ert_test_refuse()");
    }
    const form = new FormData();
    form.append("file", new Blob(["x"]), "x.txt");
    // the failed response matrix fixed no class: the name can still become a file record ("other")
    expect((await t.api.post(`${rec(ensembleId, "R")}/file`, { body: form, query: { realization_index: 0 } })).status).toBe(200);
    expect(await t.db.prisma.recordInfo.findMany({ where: { ensembleId, name: "R" }, select: { recordClass: true } })).toEqual([{ recordClass: "other" }]);
  });

  test("a block commit killed half-way is finished by repeating it, content intact; a committed file takes no more blocks", async () => {
    const { ensembleId } = await t.ensemble({ size: 1 });
    const base = `${rec(ensembleId, "big")}/blob`;
    expect((await t.api.post(base)).status).toBe(200);
    const blocks = [randomBytes(1500000), randomBytes(700000), randomBytes(1)];
    for (const i of [2, 0, 1]) expect((await t.api.put(base, { body: blocks[i], query: { block_index: i } })).status).toBe(200);
    t.faults.arm("file.finishCommit", Errors.unavailable("injected: connection lost"));
    expect((await t.api.patch(base)).status).toBe(503);
    expect((await t.api.get(rec(ensembleId, "big"))).status).toBe(404); // not visible half-committed
    expect((await t.api.put(base, { body: "late", query: { block_index: 3 } })).status).toBe(409); // list is frozen
    expect((await t.api.patch(base)).status).toBe(200);
    const get = await t.api.get(rec(ensembleId, "big"));
    expect(get.status).toBe(200);
    expect(get.bytes.equals(Buffer.concat(blocks))).toBe(true);
    expect((await t.api.patch(base)).status).toBe(409);
    expect((await t.api.put(base, { body: "more", query: { block_index: 0 } })).status).toBe(409);
    expect((await t.api.get(rec(ensembleId, "big"))).bytes.equals(Buffer.concat(blocks))).toBe(true);
  });

  test("a block staged but not recorded (the database failed) is discarded, and the upload goes on", async () => {
    const { ensembleId } = await t.ensemble({ size: 1 });
    const base = `${rec(ensembleId, "lost")}/blob`;
    expect((await t.api.post(base)).status).toBe(200);
    const key = (
      await t.db.pool.query<{ blob_key: string }>(
        `SELECT f.blob_key FROM file f JOIN record r ON r.id = f.record_id JOIN record_info ri ON ri.id = r.record_info_id
          WHERE ri.ensemble_id = $1 AND ri.name = 'lost'`,
        [ensembleId],
      )
    ).rows[0].blob_key;
    t.faults.arm("file.recordBlock", Errors.unavailable("injected: connection lost"));
    expect((await t.api.put(base, { body: randomBytes(1500000), query: { block_index: 0 } })).status).toBe(503);
    // the database store removes it at once; Azure drops uncommitted blocks at the commit
    if (!t.azurite) expect(await t.filesWithContent([key])).toBe(0);
    const block = randomBytes(1000);
    expect((await t.api.put(base, { body: block, query: { block_index: 0 } })).status).toBe(200);
    expect((await t.api.patch(base)).status).toBe(200);
    expect((await t.api.get(rec(ensembleId, "lost"))).bytes.equals(block)).toBe(true);
  });

  test("re-staging a block replaces it; a multipart file takes no blocks", async () => {
    const { ensembleId } = await t.ensemble({ size: 1 });
    const base = `${rec(ensembleId, "b")}/blob`;
    await t.api.post(base);
    await t.api.put(base, { body: "first", query: { block_index: 0 } });
    await t.api.put(base, { body: "second", query: { block_index: 0 } });
    expect((await t.api.patch(base)).status).toBe(200);
    expect((await t.api.get(rec(ensembleId, "b"))).text).toBe("second");
    const form = new FormData();
    form.append("file", new Blob(["whole"]), "w.txt");
    await t.api.post(`${rec(ensembleId, "w")}/file`, { body: form });
    expect((await t.api.put(`${rec(ensembleId, "w")}/blob`, { body: "x", query: { block_index: 0 } })).status).toBe(409);
    expect((await t.api.patch(`${rec(ensembleId, "w")}/blob`)).status).toBe(409);
    expect((await t.api.get(rec(ensembleId, "w"))).text).toBe("whole");
  });

  test("deleting an experiment removes all its content: files, committed blocks, staged blocks", async () => {
    const { experimentId, ensembleId } = await t.ensemble({ size: 1 });
    const form = new FormData();
    form.append("file", new Blob([randomBytes(2_500_000)]), "f.bin");
    await t.api.post(`${rec(ensembleId, "f")}/file`, { body: form });
    await t.api.post(`${rec(ensembleId, "c")}/blob`);
    await t.api.put(`${rec(ensembleId, "c")}/blob`, { body: randomBytes(10), query: { block_index: 0 } });
    await t.api.patch(`${rec(ensembleId, "c")}/blob`);
    await t.api.post(`${rec(ensembleId, "s")}/blob`);
    await t.api.put(`${rec(ensembleId, "s")}/blob`, { body: randomBytes(10), query: { block_index: 0 } });
    const files = await t.db.prisma.file.findMany({ where: { record: { recordInfo: { ensembleId } } }, select: { blobKey: true } });
    const keys = files.map((f) => f.blobKey);
    expect(await t.filesWithContent(keys)).toBe(3); // the multipart file, the committed and the staged block upload
    expect((await t.api.delete(`/experiments/${experimentId}`)).status).toBe(200);
    expect(await t.filesWithContent(keys)).toBe(0);
    expect(await t.db.prisma.blobSweep.count({ where: { OR: keys.map((key) => ({ blobKey: { startsWith: key } })) } })).toBe(0);
  });
});

describe.each(BACKENDS)("references on %s", (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend);
  });
  afterAll(() => t.close());

  test("ids that are not UUIDs are 422 naming the field, in bodies and in GraphQL", async () => {
    const { experimentId, ensembleId } = await t.ensemble({ size: 1 });
    const cases: [string, Record<string, unknown>, (string | number)[]][] = [
      [`/experiments/${experimentId}/ensembles`, { size: 1, parameter_names: [], response_names: [], update_id: "nope" }, ["body", "update_id"]],
      ["/updates", { algorithm: "es", ensemble_reference_id: "nope" }, ["body", "ensemble_reference_id"]],
      ["/updates", { algorithm: "es", ensemble_reference_id: ensembleId, ensemble_result_id: "x" }, ["body", "ensemble_result_id"]],
      [`/experiments/${experimentId}/observations`, { name: "o", values: [1], errors: [1], x_axis: [1], records: ["nope"] }, ["body", "records", 0]],
      [
        "/updates",
        { algorithm: "es", ensemble_reference_id: ensembleId, observation_transformations: [{ name: "t", active: [], scale: [], observation_id: "nope" }] },
        ["body", "observation_transformations", 0, "observation_id"],
      ],
    ];
    for (const [path, json, loc] of cases) {
      const res = await t.api.post(path, { json });
      expect(res.status).toBe(422);
      expect(res.json.detail).toEqual(expect.arrayContaining([expect.objectContaining({ loc: expect.arrayContaining(loc.slice(0, 2)) })]));
      expect(res.text).not.toMatch(/prisma|invalid input syntax|uuid:/i);
    }
    const gql = await t.api.post("/gql", { json: { query: '{ensemble(id: "not-a-uuid") {id}}' } });
    expect(gql.status).toBe(200);
    expect(gql.json.errors[0].message).toBe("id 'not-a-uuid' is not a valid UUID");
    expect(gql.json.data).toEqual({ ensemble: null });
    const missing = await t.api.post("/gql", { json: { query: '{ensemble(id: "00000000-0000-0000-0000-000000000000") {id}}' } });
    expect(missing.json).toEqual({ data: { ensemble: null } });
  });

  test("an update's result is set once; updates and links stay within one experiment", async () => {
    const { experimentId, ensembleId } = await t.ensemble({ size: 1, response_names: ["R"] });
    const update = (await t.api.post("/updates", { json: { algorithm: "es", ensemble_reference_id: ensembleId } })).json;
    const child = await t.api.post(`/experiments/${experimentId}/ensembles`, { json: { size: 1, parameter_names: [], response_names: [], update_id: update.id } });
    expect(child.status).toBe(200);
    const again = await t.api.post(`/experiments/${experimentId}/ensembles`, { json: { size: 1, parameter_names: [], response_names: [], update_id: update.id } });
    expect(again.status).toBe(409);
    expect((await t.api.get(`/experiments/${experimentId}/ensembles`)).json).toHaveLength(2); // the refused one is not stored
    expect((await t.api.get(`/updates/${update.id}`)).json.ensemble_result_id).toBe(child.json.id);

    const other = await t.ensemble({ size: 1 });
    const cross = await t.api.post("/updates", { json: { algorithm: "es", ensemble_reference_id: ensembleId, ensemble_result_id: other.ensembleId } });
    expect(cross.status).toBe(422);
    const crossChild = await t.api.post(`/experiments/${other.experimentId}/ensembles`, {
      json: { size: 1, parameter_names: [], response_names: [], update_id: (await t.api.post("/updates", { json: { algorithm: "es", ensemble_reference_id: ensembleId } })).json.id },
    });
    expect(crossChild.status).toBe(422);

    const record = (await t.api.post(`/ensembles/${ensembleId}/records/R/matrix`, { json: [1], query: { realization_index: 0 } })).json;
    const foreignObs = (await t.api.post(`/experiments/${other.experimentId}/observations`, { json: { name: "o", values: [1], errors: [1], x_axis: [0] } })).json;
    const link = await t.api.post(`/ensembles/${ensembleId}/records/R/observations`, { json: [foreignObs.id], query: { realization_index: 0 } });
    expect(link.status).toBe(422);
    const withForeignRecord = await t.api.post(`/experiments/${other.experimentId}/observations`, {
      json: { name: "p", values: [1], errors: [1], x_axis: [0], records: [record.id] },
    });
    expect(withForeignRecord.status).toBe(422);
    const transformForeign = await t.api.post("/updates", {
      json: { algorithm: "es", ensemble_reference_id: ensembleId, observation_transformations: [{ name: "t", active: [true], scale: [1], observation_id: foreignObs.id }] },
    });
    expect(transformForeign.status).toBe(422);
  });

  test("records posted to an ensemble deleted meanwhile are refused (404), whatever the server remembers of it", async () => {
    const { experimentId, ensembleId } = await t.ensemble({ size: 2 });
    expect((await t.api.post(`/ensembles/${ensembleId}/records/A/matrix`, { json: [1], query: { realization_index: 0 } })).status).toBe(200);
    expect((await t.api.delete(`/experiments/${experimentId}`)).status).toBe(200);
    const late = await t.api.post(`/ensembles/${ensembleId}/records/A/matrix`, { json: [1], query: { realization_index: 1 } });
    expect(late.status).toBe(404);
    expect(late.json).toEqual({ detail: "Item not found" });
    expect(await t.db.prisma.recordInfo.count({ where: { ensembleId } })).toBe(0);
  });
});
