// Security: every operation of the spec and GraphQL refuse a missing or wrong token
// (403) except the public pages; Content-Disposition stays one safe header whatever the
// filename; no CORS headers unless origins are configured; logs never carry a token.
import { randomBytes, randomUUID } from "node:crypto";
import spec from "../../openapi.json";
import { Client } from "../helpers/client";
import { spawnServer, type ServerProcess } from "../helpers/processes";
import { multipart, rawRequest } from "../helpers/raw";
import { BACKENDS, startTestServer, type TestServer } from "../helpers/server";

const TOKEN = `tok-${randomBytes(12).toString("hex")}`;

interface Operation {
  method: string;
  path: string;
  secured: boolean;
}

/** Every operation of openapi.json, with path parameters filled in (ids a random UUID, names "x"). */
function operations(): Operation[] {
  const result: Operation[] = [];
  for (const [template, ops] of Object.entries(spec.paths as Record<string, Record<string, { security?: unknown[] }>>)) {
    for (const [method, op] of Object.entries(ops)) {
      const path = template.replace(/\{([^}]+)\}/g, (_m, param: string) => (param.endsWith("_id") ? randomUUID() : "x"));
      result.push({ method: method.toUpperCase(), path, secured: (op.security ?? []).length > 0 });
    }
  }
  return result;
}

describe.each(BACKENDS)("authentication on %s", (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend, { token: TOKEN });
  });
  afterAll(() => t.close());

  const ops = operations();

  test("the spec marks every operation but /healthcheck as needing the token", () => {
    expect(ops.filter((o) => !o.secured).map((o) => `${o.method} ${o.path}`)).toEqual(["GET /healthcheck"]);
    expect(ops.length).toBeGreaterThan(40);
  });

  test.each([
    ["no token", {}, "Not authenticated"],
    ["a wrong token", { Token: `${TOKEN}x` }, "Invalid token"],
    ["an empty token", { Token: "" }, "Not authenticated"],
    ["the token in another case", { Token: TOKEN.toUpperCase() }, "Invalid token"],
  ] as [string, Record<string, string>, string][])("every operation with %s answers 403", async (_what, headers, detail) => {
    const refused: string[] = [];
    for (const op of ops.filter((o) => o.secured)) {
      // a body as a client sends it: multipart for files, JSON for the rest
      let body: string | Buffer | undefined = ["POST", "PUT", "PATCH"].includes(op.method) ? "{}" : undefined;
      let type = "application/json";
      if (op.path.endsWith("/file")) {
        const form = new FormData();
        form.append("file", new Blob(["content"]), "a.txt");
        ({ body, contentType: type } = await multipart(form));
      }
      const reply = await rawRequest(t.api.base, { method: op.method, path: op.path, headers: { ...headers, ...(body ? { "content-type": type } : {}) }, body });
      expect([op.method, op.path, reply.status, reply.json]).toEqual([op.method, op.path, 403, { detail }]);
      refused.push(op.path);
    }
    for (const method of ["POST", "GET"]) {
      const reply = await rawRequest(t.api.base, {
        method,
        path: method === "GET" ? "/gql?query=%7Bexperiments%7Bid%7D%7D" : "/gql",
        headers: { ...headers, "content-type": "application/json", accept: "application/json" },
        body: method === "POST" ? JSON.stringify({ query: "{ experiments { id } }" }) : undefined,
      });
      expect([method, "/gql", reply.status, reply.json]).toEqual([method, "/gql", 403, { detail }]);
    }
    expect(refused.length).toBe(ops.length - 1);
  });

  test("the right token passes (a header name in any case)", async () => {
    for (const name of ["Token", "token", "TOKEN"]) {
      const reply = await rawRequest(t.api.base, { method: "GET", path: "/experiments", headers: { [name]: TOKEN } });
      expect(reply.status).toBe(200);
    }
  });

  test("public without a token: /, /healthcheck, the docs pages, the spec and GraphiQL for browsers", async () => {
    const anonymous = new Client(t.api.base);
    const root = await anonymous.get("/");
    expect([root.status, root.headers.get("location")]).toEqual([307, "/docs"]);
    expect((await anonymous.get("/healthcheck")).json).toBe("ALL OK!");
    for (const page of ["/docs", "/doc"]) {
      const reply = await anonymous.get(page);
      expect([page, reply.status, reply.headers.get("location")]).toEqual([page, 301, `${page}/`]);
    }
    for (const page of ["/docs/", "/doc/", "/redoc"]) {
      const reply = await anonymous.get(page);
      expect([page, reply.status, reply.headers.get("content-type")]).toEqual([page, 200, expect.stringMatching(/^text\/html/)]);
    }
    const openapi = await anonymous.get("/openapi.json");
    expect(openapi.status).toBe(200);
    expect(openapi.json.paths["/experiments"]).toBeDefined();
    const graphiql = await anonymous.get("/gql", { headers: { accept: "text/html,application/xhtml+xml" } });
    expect([graphiql.status, graphiql.text]).toEqual([200, expect.stringContaining("graphiql")]);
  });
});

/** The filename a Content-Disposition names, read as RFC 6266 says: filename* wins, parameters split outside quotes. */
function filenameOf(header: string): string {
  const params = new Map<string, string>();
  for (const match of header.matchAll(/;\s*([^=;\s]+)=("(?:[^"\\]|\\.)*"|[^;]*)/g)) {
    params.set(match[1].toLowerCase(), match[2].startsWith('"') ? match[2].slice(1, -1).replace(/\\(.)/g, "$1") : match[2]);
  }
  const star = params.get("filename*");
  return star ? decodeURIComponent(star.replace(/^UTF-8''/i, "")) : params.get("filename")!;
}

describe("Content-Disposition of stored files", () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(BACKENDS[0]);
  });
  afterAll(() => t.close());

  /** A multipart body whose part names the file with RFC 5987's filename*, which may hold any character. */
  function withFilename(filename: string, content: string): { body: Buffer; contentType: string } {
    const boundary = `----ert${randomBytes(6).toString("hex")}`;
    const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename*=UTF-8''${encoded}\r\nContent-Type: text/plain\r\n\r\n`),
      Buffer.from(content),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    return { body, contentType: `multipart/form-data; boundary=${boundary}` };
  }

  test.each([
    ["plain", "data.txt", 'attachment; filename="data.txt"'],
    ["quotes", 'say "hi".txt', `attachment; filename="say _hi_.txt"; filename*=UTF-8''say%20%22hi%22.txt`],
    ["a Windows path (only its last part is kept)", "C:\\dir\\a.txt", `attachment; filename="a.txt"`],
    ["a POSIX path (only its last part is kept)", "../../etc/passwd", `attachment; filename="passwd"`],
    ["CR/LF and a header after it", "a\r\nSet-Cookie: x=1\r\n\r\n<b>", `attachment; filename="a__Set-Cookie: x=1____<b>"; filename*=UTF-8''a%0D%0ASet-Cookie%3A%20x%3D1%0D%0A%0D%0A%3Cb%3E`],
    ["non-ASCII", "grid_æøå_测试.EGRID", `attachment; filename="grid_______.EGRID"; filename*=UTF-8''grid_%C3%A6%C3%B8%C3%A5_%E6%B5%8B%E8%AF%95.EGRID`],
    ["a semicolon and filename*", "a.txt; filename*=UTF-8''evil.exe", `attachment; filename="a.txt_ filename*=UTF-8''evil.exe"; filename*=UTF-8''a.txt%3B%20filename%2A%3DUTF-8%27%27evil.exe`],
    ["percent signs", "100%25 done.txt", `attachment; filename="100_25 done.txt"; filename*=UTF-8''100%2525%20done.txt`],
  ])("%s", async (_what, filename, expected) => {
    const { ensembleId } = await t.ensemble({ size: 1 });
    const { body, contentType } = withFilename(filename, "content");
    const post = await rawRequest(t.api.base, { method: "POST", path: `/ensembles/${ensembleId}/records/f/file`, headers: { "content-type": contentType }, body });
    expect(post.status).toBe(200);
    const read = await rawRequest(t.api.base, { method: "GET", path: `/ensembles/${ensembleId}/records/f` });
    expect(read.status).toBe(200);
    expect(read.text).toBe("content");
    expect(read.headers["content-disposition"]).toBe(expected);
    // one header, nothing injected
    expect(read.headers["set-cookie"]).toBeUndefined();
    expect(Object.keys(read.headers).filter((h) => h.startsWith("content-disposition"))).toEqual(["content-disposition"]);
    // what an RFC 6266 reader makes of it: the name as stored
    expect(filenameOf(read.headers["content-disposition"]!)).toBe(filename.replace(/^.*[\\/]/, ""));
  });

  test("a block upload is named after its record: quotes, backslashes and unicode in the name", async () => {
    const { ensembleId } = await t.ensemble({ size: 1 });
    const name = 'we"ird\\na;me=æ';
    const rec = `/ensembles/${ensembleId}/records/${encodeURIComponent(name)}/blob`;
    expect((await rawRequest(t.api.base, { method: "POST", path: rec })).status).toBe(200);
    expect((await rawRequest(t.api.base, { method: "PUT", path: `${rec}?block_index=0`, body: "blocks" })).status).toBe(200);
    expect((await rawRequest(t.api.base, { method: "PATCH", path: rec })).status).toBe(200);
    const read = await rawRequest(t.api.base, { method: "GET", path: `/ensembles/${ensembleId}/records/${encodeURIComponent(name)}` });
    expect(read.text).toBe("blocks");
    expect(read.headers["content-disposition"]).toBe(`attachment; filename="we_ird_na_me=_"; filename*=UTF-8''we%22ird%5Cna%3Bme%3D%C3%A6`);
    expect(filenameOf(read.headers["content-disposition"]!)).toBe(name);
  });

  test("a multipart filename with quotes (FormData's escaping) round-trips", async () => {
    const { ensembleId } = await t.ensemble({ size: 1 });
    const form = new FormData();
    form.append("file", new Blob(["x"]), 'q"uote.txt');
    const { body, contentType } = await multipart(form);
    expect((await rawRequest(t.api.base, { method: "POST", path: `/ensembles/${ensembleId}/records/f/file`, headers: { "content-type": contentType }, body })).status).toBe(200);
    const read = await rawRequest(t.api.base, { method: "GET", path: `/ensembles/${ensembleId}/records/f` });
    expect(read.headers["content-disposition"]).toBe(`attachment; filename="q_uote.txt"; filename*=UTF-8''q%22uote.txt`);
  });
});

describe("CORS", () => {
  const servers: ServerProcess[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });
  const start = async (env: Record<string, string>) => {
    const server = await spawnServer({ ERT_STORAGE_TOKEN: TOKEN, ...env });
    servers.push(server);
    return server;
  };
  const preflight = (base: string, origin: string) =>
    rawRequest(base, {
      method: "OPTIONS",
      path: "/experiments",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "token,content-type" },
    });

  test("unset: no CORS headers on any answer, and no preflight succeeds", async () => {
    const server = await start({});
    const origin = "https://webviz.example.com";
    for (const reply of [
      await rawRequest(server.url, { method: "GET", path: "/experiments", headers: { origin, token: TOKEN } }),
      await rawRequest(server.url, { method: "GET", path: "/healthcheck", headers: { origin } }),
      await rawRequest(server.url, { method: "GET", path: "/experiments", headers: { origin } }),
    ]) {
      expect(Object.keys(reply.headers).filter((h) => h.startsWith("access-control-"))).toEqual([]);
    }
    const pre = await preflight(server.url, origin);
    expect(pre.status).toBe(405);
    expect(Object.keys(pre.headers).filter((h) => h.startsWith("access-control-"))).toEqual([]);
  });

  test("ERT_STORAGE_CORS_ORIGINS: listed origins only, preflights without a token, the token still required", async () => {
    const server = await start({ ERT_STORAGE_CORS_ORIGINS: "https://webviz.example.com, http://localhost:8080/" });
    for (const origin of ["https://webviz.example.com", "http://localhost:8080"]) {
      const pre = await preflight(server.url, origin);
      expect(pre.status).toBe(204);
      expect(pre.headers).toMatchObject({
        "access-control-allow-origin": origin,
        "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE",
        "access-control-allow-headers": expect.stringMatching(/Token/),
        vary: expect.stringMatching(/Origin/),
      });
      expect(pre.headers["access-control-allow-credentials"]).toBeUndefined();
      const get = await rawRequest(server.url, { method: "GET", path: "/experiments", headers: { origin, token: TOKEN } });
      expect(get.status).toBe(200);
      expect(get.headers["access-control-allow-origin"]).toBe(origin);
      expect(get.headers["access-control-expose-headers"]).toMatch(/Content-Disposition/);
      // CORS opens nothing: without the token it is still 403
      const anonymous = await rawRequest(server.url, { method: "GET", path: "/experiments", headers: { origin } });
      expect([anonymous.status, anonymous.json]).toEqual([403, { detail: "Not authenticated" }]);
    }
    for (const origin of ["https://evil.example.com", "https://webviz.example.com.evil.com", "null"]) {
      const pre = await preflight(server.url, origin);
      expect(pre.status).toBe(405);
      expect(pre.headers["access-control-allow-origin"]).toBeUndefined();
      const get = await rawRequest(server.url, { method: "GET", path: "/experiments", headers: { origin, token: TOKEN } });
      expect(get.status).toBe(200);
      expect(get.headers["access-control-allow-origin"]).toBeUndefined();
    }
  });

  test("ERT_STORAGE_CORS_ORIGINS=*: any origin, without credentials", async () => {
    const server = await start({ ERT_STORAGE_CORS_ORIGINS: "*" });
    const pre = await preflight(server.url, "https://anywhere.example.org");
    expect([pre.status, pre.headers["access-control-allow-origin"]]).toEqual([204, "*"]);
    expect(pre.headers["access-control-allow-credentials"]).toBeUndefined();
  });
});

describe("logs never carry a token", () => {
  test("a logging server given tokens in headers, query strings and bodies writes none of them", async () => {
    const wrong = `wrong-${randomBytes(12).toString("hex")}`;
    const inQuery = `qtok-${randomBytes(12).toString("hex")}`;
    // NODE_ENV=production: the request log is on (jest sets test, which turns it off)
    const server = await spawnServer({ ERT_STORAGE_TOKEN: TOKEN, NODE_ENV: "production", ERT_STORAGE_QUIET: undefined });
    try {
      const api = new Client(server.url, TOKEN);
      const experiment = await api.post("/experiments", { json: { name: "logs" }, query: { token: inQuery, Token: inQuery, access_token: inQuery } });
      expect(experiment.status).toBe(200);
      const id = experiment.json.id;
      await new Client(server.url, wrong).get(`/experiments/${id}`, { query: { token: inQuery } });
      await new Client(server.url).get("/experiments", { query: { token: inQuery } });
      await api.get(`/experiments/${randomUUID()}`, { query: { token: inQuery } }); // 404 whose detail echoes the query
      await api.post("/gql", { json: { query: "{ nope }", variables: { token: inQuery } } });
      await api.post(`/experiments/${id}/ensembles`, { json: { size: "x", token: inQuery } }); // 422
      await new Client(server.url, wrong).post("/gql", { json: { query: "{ experiments { id } }" } });
      await rawRequest(server.url, { method: "GET", path: "/experiments", headers: { token: TOKEN, "x-request-id": `id with spaces ${inQuery}` } });
      await api.delete(`/experiments/${id}`);
      await until(() => (server.output().match(/ \d+\.\dms /g) ?? []).length >= 9);
      const output = server.output();
      expect(output).toMatch(/^POST \/experiments 200 /m);
      expect(output).toMatch(/^GET \/experiments\/[0-9a-f-]+ 403 /m);
      for (const secret of [TOKEN, wrong, inQuery]) expect(output).not.toContain(secret);
    } finally {
      await server.stop();
    }
  });
});

async function until(probe: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
