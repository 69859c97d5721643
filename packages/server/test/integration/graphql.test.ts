import { Client as PgClient } from "pg";
import { Client } from "../helpers/client";
import { BACKENDS, startTestServer, type TestServer } from "../helpers/server";

describe.each(BACKENDS)("GraphQL on %s", (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend, { token: "gql-token" });
  });
  afterAll(() => t.close());

  const gql = async (query: string, variables?: Record<string, unknown>, client: Client = t.api) => {
    const res = await client.post("/gql", { json: { query, variables } });
    return res;
  };

  async function family() {
    const experimentId = await t.experiment(undefined, { a: { function: "normal", mean: 0, std: 1 } });
    const mk = async (body: Record<string, unknown> = {}) =>
      (await t.api.post(`/experiments/${experimentId}/ensembles`, { json: { size: 2, parameter_names: ["a"], response_names: ["R"], ...body } })).json;
    const first = await mk({ userdata: { k: "v" } });
    const update = (await t.api.post("/updates", { json: { algorithm: "es", ensemble_reference_id: first.id } })).json;
    const second = await mk({ update_id: update.id });
    await t.api.post(`/ensembles/${first.id}/records/a/matrix`, { json: [[1], [2]], query: { prior: "a" } });
    await t.api.post(`/ensembles/${first.id}/records/R/matrix`, { json: [1, 2], query: { realization_index: 1 } });
    await t.api.post(`/ensembles/${first.id}/records/R/matrix`, { json: [3, 4], query: { realization_index: 0 } });
    return { experimentId, first, second };
  }

  test("the queries real clients send work verbatim", async () => {
    const { experimentId, first, second } = await family();

    const all = await gql("{experiments {name ensembles {id timeCreated parentEnsemble {id} childEnsembles {id}}}}");
    expect(all.status).toBe(200);
    expect(all.json.errors).toBeUndefined();
    const mine = all.json.data.experiments.find((e: { ensembles: { id: string }[] }) => e.ensembles.some((x) => x.id === first.id));
    expect(mine.ensembles).toEqual([
      { id: first.id, timeCreated: expect.any(String), parentEnsemble: null, childEnsembles: [{ id: second.id }] },
      { id: second.id, timeCreated: expect.any(String), parentEnsemble: { id: first.id }, childEnsembles: [] },
    ]);

    const ens = await gql(
      "query($id: ID!) {ensemble(id: $id) {id size activeRealizations timeCreated children {ensembleResult {id}} userdata parent {ensembleReference {id}} experiment {id name}}}",
      { id: first.id },
    );
    expect(ens.json.data.ensemble).toMatchObject({
      id: first.id,
      size: 2,
      activeRealizations: [0, 1],
      children: [{ ensembleResult: { id: second.id } }],
      parent: null,
      experiment: { id: experimentId },
    });
    expect(JSON.parse(ens.json.data.ensemble.userdata)).toEqual({ k: "v" });
    const child = await gql("query($id: ID!) {ensemble(id: $id) {parent {ensembleReference {id}}}}", { id: second.id });
    expect(child.json.data.ensemble.parent).toEqual({ ensembleReference: { id: first.id } });

    const priors = await gql("query($id: ID!) {experiment(id: $id) {priors}}", { id: experimentId });
    expect(JSON.parse(priors.json.data.experiment.priors)).toEqual({ a: { function: "normal", mean: 0, std: 1 } });

    const responses = await gql("{experiments {id ensembles {responses {id name realizationIndex timeCreated timeUpdated userdata}}}}");
    // this test's experiment only: other suites write records named R into the same database meanwhile
    const found = responses.json.data.experiments
      .filter((e: { id: string }) => e.id === experimentId)
      .flatMap((e: { ensembles: { responses: { name: string; realizationIndex: number }[] }[] }) => e.ensembles)
      .flatMap((e: { responses: unknown[] }) => e.responses)
      .filter((r: { name: string }) => r.name === "R");
    expect(found.map((r: { realizationIndex: number }) => r.realizationIndex).sort()).toEqual([0, 1]);
    expect(JSON.parse(found[0].userdata)).toEqual({});
  });

  test("parameters, named responses and unique responses", async () => {
    const { first } = await family();
    const res = await gql("query($id: ID!) {ensemble(id: $id) {parameters {id name prior} responses(names: [\"R\"]) {realizationIndex} uniqueResponses {name}}}", { id: first.id });
    const e = res.json.data.ensemble;
    expect(e.parameters).toEqual([{ id: expect.any(String), name: "a", prior: JSON.stringify({ function: "normal", mean: 0, std: 1 }) }]);
    expect(e.responses).toEqual([{ realizationIndex: 0 }, { realizationIndex: 1 }]);
    expect(e.uniqueResponses).toEqual([{ name: "R" }]);
  });

  test("mutations: createExperiment with nested createEnsemble, and createEnsemble", async () => {
    const res = await gql('mutation {createExperiment(name: "gql") {id name createEnsemble(size: 3, parameterNames: ["p"]) {id size activeRealizations parameterNames}}}');
    expect(res.json.errors).toBeUndefined();
    const created = res.json.data.createExperiment;
    expect(created.name).toBe("gql");
    expect(created.createEnsemble).toMatchObject({ size: 3, activeRealizations: [0, 1, 2], parameterNames: ["p"] });
    const more = await gql("mutation($e: ID!) {createEnsemble(experimentId: $e, size: 2, activeRealizations: [1]) {id activeRealizations experiment {id}}}", { e: created.id });
    expect(more.json.data.createEnsemble).toMatchObject({ activeRealizations: [1], experiment: { id: created.id } });
    expect((await t.api.get(`/experiments/${created.id}`)).json.ensemble_ids).toHaveLength(2);
    // a null in a list the schema lets hold one: refused, naming it, and nothing made (it was dropped with no word)
    for (const [list, name] of [["parameterNames: [\"p\", null]", "parameterNames[1]"], ["activeRealizations: [null, 1]", "activeRealizations[0]"]]) {
      const refused = await gql(`mutation($e: ID!) {createEnsemble(experimentId: $e, size: 2, ${list}) {id}}`, { e: created.id });
      expect(refused.json.errors[0]).toMatchObject({ message: `${name} is null: the list may hold no nulls`, extensions: { status: 422 } });
    }
    expect((await t.api.get(`/experiments/${created.id}`)).json.ensemble_ids).toHaveLength(2);
    await t.api.delete(`/experiments/${created.id}`);
  });

  test("same token rule as REST", async () => {
    const anonymous = new Client(t.api.base);
    expect((await gql("{experiments {id}}", undefined, anonymous))).toMatchObject({ status: 403, json: { detail: "Not authenticated" } });
  });
});

describe.each(BACKENDS)("GraphQL cost on %s", (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend);
  });
  afterAll(() => t.close());

  /** SQL statements this process sends while fn runs. */
  async function statements(fn: () => Promise<unknown>): Promise<number> {
    const original = PgClient.prototype.query;
    let n = 0;
    PgClient.prototype.query = function (this: PgClient, ...args: unknown[]) {
      n++;
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof original;
    try {
      await fn();
    } finally {
      PgClient.prototype.query = original;
    }
    return n;
  }

  const CLIENT_QUERIES = [
    "{experiments {name ensembles {id timeCreated parentEnsemble {id} childEnsembles {id}}}}",
    "query($id: ID!) {ensemble(id: $id) {id size activeRealizations timeCreated children {ensembleResult {id}} userdata parent {ensembleReference {id}} experiment {id name}}}",
    "query($id: ID!) {experiment(id: $id) {priors}}",
    "{experiments {ensembles {responses {id name realizationIndex timeCreated timeUpdated userdata}}}}",
    'query($id: ID!) {experiment(id: $id) {ensembles {parameters {name prior} responses(names: ["R"]) {realizationIndex} uniqueResponses {name} parentEnsemble {id} childEnsembles {id}}}}',
  ];

  test("each client query costs the same number of SQL statements for 10 and for 100 ensembles", async () => {
    const experimentId = await t.experiment(undefined, { a: { function: "uniform", min: 0, max: 1 } });
    let previous: string | null = null;
    const addEnsembles = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const update: string | null = previous
          ? (await t.api.post("/updates", { json: { algorithm: "es", ensemble_reference_id: previous } })).json.id
          : null;
        const e = await t.api.post(`/experiments/${experimentId}/ensembles`, {
          json: { size: 2, parameter_names: ["a"], response_names: ["R"], update_id: update },
        });
        await t.api.post(`/ensembles/${e.json.id}/records/R/matrix`, { json: [1, 2], query: { realization_index: 0 } });
        await t.api.post(`/ensembles/${e.json.id}/records/a/matrix`, { json: [[1], [2]], query: { prior: "a" } });
        previous = e.json.id;
      }
    };
    const cost = async () => {
      const counts: number[] = [];
      for (const query of CLIENT_QUERIES) {
        const variables = query.includes("ensemble(id") ? { id: previous } : { id: experimentId };
        counts.push(
          await statements(async () => {
            const res = await t.api.post("/gql", { json: { query, variables } });
            expect(res.json.errors).toBeUndefined();
          }),
        );
      }
      return counts;
    };
    await addEnsembles(10);
    const at10 = await cost();
    await addEnsembles(90);
    const at100 = await cost();
    expect(at100).toEqual(at10);
    console.log(`SQL statements per client query (${backend}), 10 and 100 ensembles: ${JSON.stringify(at10)}`);
    expect(Math.max(...at10)).toBeLessThanOrEqual(16);
  });

  test("a POST body that is empty, null, false, 0, an array or a string is answered 400 at once (an empty or falsy one hung for ever)", async () => {
    const cases: [string, string, RegExp][] = [
      ["", "application/json", /^Missing body$/],
      ["   ", "application/json", /^Missing body$/],

      ["null", "application/json", /^JSON body must be an object$/],
      ["false", "application/json", /^JSON body must be an object$/],
      ["0", "application/json", /^JSON body must be an object$/],
      ["[]", "application/json", /Missing query/],
      ['"x"', "application/json", /Unparsable JSON body|must be an object/],
    ];
    for (const [body, type, message] of cases) {
      const res = await fetch(`${t.api.base}/gql`, {
        method: "POST",
        body,
        headers: { "content-type": type, token: "gql-token" },
        signal: AbortSignal.timeout(5000),
      });
      expect([body, res.status]).toEqual([body, 400]);
      const answer = (await res.json()) as { errors: { message: string }[] };
      expect(answer.errors[0].message).toMatch(message);
    }
    // another type is graphql-http's to refuse, empty or not: with JSON errors saying why (it was a bare 415)
    for (const [body, type] of [["", "text/plain"], ["{}", "text/plain"], ["{experiments {id}}", "application/graphql"], ["query=x", "application/x-www-form-urlencoded"]]) {
      const res = await fetch(`${t.api.base}/gql`, { method: "POST", body, headers: { "content-type": type, token: "gql-token" }, signal: AbortSignal.timeout(5000) });
      expect([body, res.status, res.headers.get("content-type")]).toEqual([body, 415, "application/json; charset=utf-8"]);
      expect(await res.json()).toEqual({ errors: [{ message: "Unsupported Media Type: a GraphQL request is a JSON body (Content-Type: application/json)" }] });
    }
    // a mutation by GET: 405 and its errors as JSON (they came with no Content-Type)
    const get = await fetch(`${t.api.base}/gql?query=${encodeURIComponent('mutation {createExperiment(name: "x") {id}}')}`, { headers: { token: "gql-token", accept: "application/json" } });
    expect([get.status, get.headers.get("content-type")]).toEqual([405, "application/json; charset=utf-8"]);
    expect(((await get.json()) as { errors: { message: string }[] }).errors[0].message).toMatch(/mutation/i);
    expect((await t.api.post("/gql", { json: { query: "{experiments {id}}" } })).status).toBe(200);
  });

  test("too deep, too costly or too many aliases: refused before anything runs", async () => {
    const deep = await t.api.post("/gql", { json: { query: "{experiments {ensembles {experiment {ensembles {experiment {ensembles {experiment {ensembles {experiment {id}}}}}}}}}}" } });
    expect(deep.json.data).toBeUndefined();
    expect(deep.json.errors[0].message).toMatch(/depth/i);
    const aliases = Array.from({ length: 20 }, (_, i) => `a${i}: experiments {id}`).join(" ");
    const wide = await t.api.post("/gql", { json: { query: `{${aliases}}` } });
    expect(wide.json.data).toBeUndefined();
    expect(wide.json.errors[0].message).toMatch(/alias/i);
    const fields = "id size activeRealizations parameterNames responseNames timeCreated timeUpdated userdata";
    const costly = await t.api.post("/gql", {
      json: { query: `{experiments {ensembles {${fields} childEnsembles {${fields} childEnsembles {${fields} parentEnsemble {${fields} experiment {id name priors userdata}}}}}}}` },
    });
    expect(costly.json.data).toBeUndefined();
    expect(costly.json.errors[0].message).toMatch(/cost/i);
    const syntax = await t.api.post("/gql", { json: { query: "{experiments {" } });
    expect(syntax.json.data).toBeUndefined();
    expect(syntax.json.errors[0].message).toMatch(/Syntax Error/);
  });
});
