import { startTestServer, type TestServer } from "../helpers/server";
import { Client } from "../helpers/client";

describe("service routes and auth", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer("pglite", { token: "s3cret-token" });
  });
  afterAll(() => t.close());

  test("GET / redirects to /docs", async () => {
    const res = await t.api.get("/");
    expect(res.status).toBe(307);
    expect(res.headers.get("location")).toBe("/docs");
  });

  test("healthcheck answers without a token", async () => {
    const res = await new Client(t.api.base).get("/healthcheck");
    expect(res.status).toBe(200);
    expect(res.json).toBe("ALL OK!");
  });

  test("server info names the server and its version", async () => {
    const res = await t.api.get("/server/info");
    expect(res.status).toBe(200);
    expect(res.json.name).toBe("Ert Storage Server");
    expect(res.json.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  test("a missing token is 403 Not authenticated, a wrong one 403 Invalid token", async () => {
    const anonymous = new Client(t.api.base);
    expect(await anonymous.get("/experiments")).toMatchObject({ status: 403, json: { detail: "Not authenticated" } });
    const wrong = new Client(t.api.base, "s3cret-tokem");
    expect(await wrong.get("/experiments")).toMatchObject({ status: 403, json: { detail: "Invalid token" } });
    expect((await t.api.get("/experiments")).status).toBe(200);
  });

  test("docs pages and the spec are served without a token and without a CDN", async () => {
    const anonymous = new Client(t.api.base);
    for (const path of ["/docs/", "/doc/", "/redoc", "/gql"]) {
      const res = await anonymous.get(path, { headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
      expect(res.status).toBe(200);
      expect(res.text).toContain("<html");
      expect(res.text).not.toMatch(/unpkg|jsdelivr|googleapis|cdnjs/);
    }
    const spec = await anonymous.get("/openapi.json");
    expect(spec.status).toBe(200);
    expect(spec.json.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.json.paths)).toEqual(expect.arrayContaining(["/experiments", "/ensembles/{ensemble_id}/records/{name}/matrix"]));
    for (const asset of ["/redoc-assets/redoc.standalone.js", "/gql-assets/graphiql.min.js", "/gql-assets/react.production.min.js"]) {
      expect((await anonymous.get(asset)).status).toBe(200);
    }
    expect((await anonymous.get("/gql-assets/../package.json")).status).toBe(404);
  });

  test("the refresh facade answers 200 and does nothing", async () => {
    expect((await t.api.post("/updates/facade")).status).toBe(200);
  });

  test("an unknown route is 404", async () => {
    expect((await t.api.get("/no/such/route")).status).toBe(404);
  });
});
