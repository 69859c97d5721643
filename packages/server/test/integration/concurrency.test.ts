import { BACKENDS, startTestServer, type TestServer } from "../helpers/server";

describe.each(BACKENDS)("concurrent record posts on %s", (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend);
  });
  afterAll(() => t.close());

  test("100 realizations post the first records of a new name at once: all succeed, one record info", async () => {
    const { ensembleId } = await t.ensemble({ size: 100, response_names: ["FOPR"] });
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        t.api.post(`/ensembles/${ensembleId}/records/FOPR/matrix`, {
          body: `,2010-01-01,2010-02-01\n0,${i}.0,${i}.5\n`,
          headers: { "content-type": "text/csv" },
          query: { realization_index: i },
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(new Array(100).fill(200));
    expect(await t.db.prisma.recordInfo.count({ where: { ensembleId, name: "FOPR" } })).toBe(1);
    const all = await t.api.get(`/ensembles/${ensembleId}/records/FOPR`);
    expect(all.json).toHaveLength(100);
    expect(all.json[42]).toEqual([42, 42.5]);
  });

  test("the same realization posted twice at once: exactly one 200 and one 409", async () => {
    const { ensembleId } = await t.ensemble({ size: 2 });
    for (let round = 0; round < 5; round++) {
      const name = `twice-${round}`;
      const results = await Promise.all(
        [0, 1].map(() => t.api.post(`/ensembles/${ensembleId}/records/${name}/matrix`, { json: [1, 2], query: { realization_index: 1 } })),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    }
  });

  test("refused writes cost nothing to the requests around them (no dropped connection, no 503)", async () => {
    const { ensembleId } = await t.ensemble({ size: 2 });
    const mixed = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        i % 2 === 0
          ? t.api.post(`/ensembles/${ensembleId}/records/dup/matrix`, { json: [1], query: { realization_index: 0 } })
          : t.api.get(`/ensembles/${ensembleId}`),
      ),
    );
    const posts = mixed.filter((_, i) => i % 2 === 0).map((r) => r.status);
    expect(posts.filter((s) => s === 200)).toHaveLength(1);
    expect(posts.filter((s) => s === 409)).toHaveLength(29);
    expect(mixed.filter((_, i) => i % 2 === 1).map((r) => r.status)).toEqual(new Array(30).fill(200));
  });
});
