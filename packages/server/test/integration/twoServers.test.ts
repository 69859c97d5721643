// Two server processes on one PostgreSQL database, as a deployment behind a load
// balancer runs them: the record rules hold when the posts are split across both,
// a block upload can send its blocks to either and commit on either, and both answer
// every read the same.
import { randomBytes } from "node:crypto";
import { Client, type Reply } from "../helpers/client";
import { testDatabaseUrl } from "../helpers/env";
import { spawnServer, type ServerProcess } from "../helpers/processes";

describe("two servers on one PostgreSQL database", () => {
  const env = { ERT_STORAGE_DATABASE_URL: testDatabaseUrl(), ERT_STORAGE_NO_TOKEN: "1" };
  let servers: ServerProcess[] = [];
  let a: Client;
  let b: Client;
  let experimentId: string;

  beforeAll(async () => {
    servers = await Promise.all([spawnServer(env), spawnServer(env)]);
    [a, b] = servers.map((s) => new Client(s.url));
    experimentId = (await a.post("/experiments", { json: { name: `two-servers-${randomBytes(4).toString("hex")}` } })).json.id;
  });
  afterAll(async () => {
    if (experimentId) await b.delete(`/experiments/${experimentId}`);
    await Promise.all(servers.map((s) => s.stop()));
  });

  const either = (i: number) => (i % 2 === 0 ? a : b);

  async function ensemble(size: number, names: { parameter_names?: string[]; response_names?: string[] } = {}): Promise<string> {
    const res = await either(size).post(`/experiments/${experimentId}/ensembles`, { json: { size, parameter_names: [], response_names: [], ...names } });
    expect(res.status).toBe(200);
    return res.json.id;
  }

  function statuses(replies: Reply[]): Record<number, number> {
    const counts: Record<number, number> = {};
    for (const r of replies) counts[r.status] = (counts[r.status] ?? 0) + 1;
    return counts;
  }

  test("every realization posting the same new name at once, half to each server: all stored", async () => {
    const ensembleId = await ensemble(24, { response_names: ["WOPR:OP1"] });
    const replies = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        either(i).post(`/ensembles/${ensembleId}/records/WOPR:OP1/matrix`, { json: [i, i + 0.5], query: { realization_index: i } }),
      ),
    );
    expect(statuses(replies)).toEqual({ 200: 24 });
    for (const api of [a, b]) {
      const stacked = await api.get(`/ensembles/${ensembleId}/records/WOPR:OP1`);
      expect(stacked.json).toEqual(Array.from({ length: 24 }, (_, i) => [i, i + 0.5]));
    }
  });

  test("one record per realization: the same realization posted to both servers at once stores one", async () => {
    const ensembleId = await ensemble(10);
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        either(i).post(`/ensembles/${ensembleId}/records/dup/matrix`, { json: [Math.floor(i / 2), i], query: { realization_index: Math.floor(i / 2) } }),
      ),
    );
    expect(statuses(replies)).toEqual({ 200: 10, 409: 10 });
    for (let r = 0; r < 10; r++) {
      const pair = [replies[2 * r], replies[2 * r + 1]];
      const won = pair.findIndex((x) => x.status === 200);
      expect(pair[1 - won].json.detail.error).toMatch(/already exists for realization/);
      // the record stored is the one whose post answered 200
      for (const api of [a, b]) expect((await api.get(`/ensembles/${ensembleId}/records/dup`, { query: { realization_index: r } })).json).toEqual([r, 2 * r + won]);
    }
  });

  test("a name is ensemble-wide or per realization, never both, whichever server gets which post", async () => {
    for (let round = 0; round < 4; round++) {
      const ensembleId = await ensemble(8);
      const perRealization = Array.from({ length: 8 }, (_, i) =>
        either(i + round).post(`/ensembles/${ensembleId}/records/mixed/matrix`, { json: [i], query: { realization_index: i } }),
      );
      const wide = either(round + 1).post(`/ensembles/${ensembleId}/records/mixed/matrix`, { json: [[1, 2]] });
      const replies = await Promise.all([...perRealization, wide]);
      const wideReply = replies[8];
      const stored = replies.slice(0, 8).filter((r) => r.status === 200).length;
      if (wideReply.status === 200) expect(stored).toBe(0);
      else {
        expect(wideReply.status).toBe(409);
        expect(stored).toBe(8);
      }
      expect(replies.every((r) => r.status === 200 || r.status === 409)).toBe(true);
      const listA = await a.get(`/ensembles/${ensembleId}/records`);
      const listB = await b.get(`/ensembles/${ensembleId}/records`);
      expect(listA.text).toBe(listB.text);
      const read = await a.get(`/ensembles/${ensembleId}/records/mixed`);
      expect(read.json).toEqual(wideReply.status === 200 ? [1, 2] : Array.from({ length: 8 }, (_, i) => [i]));
    }
  });

  test("a name keeps one class and one type: a file and a matrix raced on two servers, one kind wins", async () => {
    for (let round = 0; round < 4; round++) {
      const ensembleId = await ensemble(6, { parameter_names: ["P"] });
      const posts = Array.from({ length: 6 }, (_, i) => {
        if (i % 2 === 0) {
          const form = new FormData();
          form.append("file", new Blob([`file ${i}`]), `f${i}.txt`);
          return either(i + round).post(`/ensembles/${ensembleId}/records/P/file`, { body: form, query: { realization_index: i } });
        }
        return either(i + round).post(`/ensembles/${ensembleId}/records/P/matrix`, { json: [i], query: { realization_index: i } });
      });
      const replies = await Promise.all(posts);
      const files = replies.filter((_, i) => i % 2 === 0);
      const matrices = replies.filter((_, i) => i % 2 === 1);
      // all of one kind stored, all of the other refused with the clash named
      const fileWon = files.every((r) => r.status === 200);
      expect(fileWon ? matrices.map((r) => r.status) : files.map((r) => r.status)).toEqual([409, 409, 409]);
      expect((fileWon ? files : matrices).map((r) => r.status)).toEqual([200, 200, 200]);
      for (const r of fileWon ? matrices : files) expect(r.json.detail.error).toMatch(/Record class of new record does not match previous record class/);
      const labels = await b.get(`/ensembles/${ensembleId}/parameters`);
      expect(labels.status).toBe(200);
      for (const api of [a, b]) {
        const read = await api.get(`/ensembles/${ensembleId}/records/P`, { query: { realization_index: fileWon ? 2 : 3 } });
        expect(fileWon ? read.text : read.json).toEqual(fileWon ? "file 2" : [3]);
      }
    }
  });

  test("a block upload sends its blocks to alternating servers and commits on either", async () => {
    const ensembleId = await ensemble(2);
    const rec = `/ensembles/${ensembleId}/records/grid`;
    expect((await a.post(`${rec}/blob`)).status).toBe(200);
    const blocks = Array.from({ length: 12 }, (_, i) => randomBytes(256 * 1024 + i));
    // all at once, in no order, half to each server
    const staged = await Promise.all(blocks.map((block, i) => either(i).put(`${rec}/blob`, { body: block, query: { block_index: i } })));
    expect(statuses(staged)).toEqual({ 200: 12 });
    // a block re-sent to the other server replaces the first staging
    const replacement = randomBytes(1000);
    expect((await b.put(`${rec}/blob`, { body: replacement, query: { block_index: 4 } })).status).toBe(200);
    blocks[4] = replacement;
    // both servers asked to commit at the same moment: one commits, the other finds it
    // committed (409) or finishes the same commit (200)
    const commits = await Promise.all([a.patch(`${rec}/blob`), b.patch(`${rec}/blob`)]);
    expect(commits.map((r) => r.status).sort()).toEqual(expect.arrayContaining([200]));
    expect(commits.every((r) => r.status === 200 || r.status === 409)).toBe(true);
    expect((await a.patch(`${rec}/blob`)).status).toBe(409);
    expect((await a.put(`${rec}/blob`, { body: "late", query: { block_index: 12 } })).status).toBe(409);
    const whole = Buffer.concat(blocks);
    for (const api of [a, b]) {
      const read = await api.get(rec);
      expect(read.status).toBe(200);
      expect(read.bytes.equals(whole)).toBe(true);
    }
  });

  test("both servers answer every read the same", async () => {
    const ensembleId = await ensemble(3, { parameter_names: ["P"], response_names: ["R"] });
    await a.post(`/ensembles/${ensembleId}/records/P/matrix`, { json: [[1.5], [2.5], [3.5]] });
    for (let i = 0; i < 3; i++) await either(i).post(`/ensembles/${ensembleId}/records/R/matrix`, { json: [i, i * 2], query: { realization_index: i } });
    const observation = (await b.post(`/experiments/${experimentId}/observations`, { json: { name: `obs-${ensembleId}`, values: [1, 2], errors: [0.1, 0.2], x_axis: [0, 1] } })).json.id;
    await a.post(`/ensembles/${ensembleId}/records/R/observations`, { json: [observation], query: { realization_index: 1 } });
    await b.put(`/ensembles/${ensembleId}/userdata`, { json: { written: "on b" } });
    const reads = [
      `/experiments/${experimentId}`,
      `/experiments/${experimentId}/ensembles`,
      `/experiments/${experimentId}/observations`,
      `/ensembles/${ensembleId}`,
      `/ensembles/${ensembleId}/userdata`,
      `/ensembles/${ensembleId}/records`,
      `/ensembles/${ensembleId}/parameters`,
      `/ensembles/${ensembleId}/responses`,
      `/ensembles/${ensembleId}/records/P`,
      `/ensembles/${ensembleId}/records/R`,
      `/ensembles/${ensembleId}/records/R?realization_index=1`,
      `/ensembles/${ensembleId}/records/R/observations?realization_index=1`,
      `/ensembles/${ensembleId}/responses/R/data`,
      `/compute/misfits?ensemble_id=${ensembleId}&response_name=R`,
    ];
    for (const path of reads) {
      const [ra, rb] = await Promise.all([a.get(path), b.get(path)]);
      expect([path, ra.status]).toEqual([path, 200]);
      expect([path, rb.status, rb.text]).toEqual([path, 200, ra.text]);
    }
    const gql = { query: "query($id: ID!) { ensemble(id: $id) { id size userdata responses { name realizationIndex } } }", variables: { id: ensembleId } };
    const [ga, gb] = await Promise.all([a.post("/gql", { json: gql }), b.post("/gql", { json: gql })]);
    expect(ga.json.errors).toBeUndefined();
    expect(gb.text).toBe(ga.text);
  });
});
