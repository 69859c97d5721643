// The ert-storage command as an operator runs it (needs `pnpm build`: it runs dist/).
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { BlobServiceClient } from "@azure/storage-blob";
import { Client as PgClient } from "pg";
import { azuriteConnectionString, startAzurite } from "../helpers/azurite";
import { Client } from "../helpers/client";
import { testDatabaseUrl } from "../helpers/env";
import { npyOf } from "../helpers/stacks";
import { nodeFlags } from "../../scripts/bench/server";

const bin = path.join(__dirname, "..", "..", "bin", "ert-storage.js");

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number>;
}

function run(args: string[], env: Record<string, string | undefined>, cwd: string): Run {
  const childEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
  const child = spawn(process.execPath, [bin, ...args], { cwd, env: childEnv });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number>((resolve) => child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  return { child, output: () => out, exited };
}

async function waitFor(r: Run, text: string | RegExp, ms = 90000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (typeof text === "string" ? r.output().includes(text) : text.test(r.output())) return;
    if (r.child.exitCode !== null) throw new Error(`exited early: ${r.output()}`);
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`timed out waiting for ${text}: ${r.output()}`);
}

const baseEnv = {
  ERT_STORAGE_TOKEN: undefined,
  ERT_STORAGE_NO_TOKEN: undefined,
  ERT_STORAGE_DATABASE_URL: undefined,
  ERT_STORAGE_AZURE_CONNECTION_STRING: undefined,
  ERT_STORAGE_AZURE_BLOB_CONTAINER: undefined,
  ERT_STORAGE_QUIET: "1",
};

describe("ert-storage command", () => {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "ert-cli-"));
  afterAll(() => fs.rmSync(cwd, { recursive: true, force: true }));

  test("serves the embedded database with a generated token and a discovery file; SIGTERM stops it cleanly", async () => {
    const server = run(["--port", "0"], baseEnv, cwd);
    await waitFor(server, "Token:");
    const discovery = JSON.parse(fs.readFileSync(path.join(cwd, "storage_server.json"), "utf8"));
    expect(discovery.urls).toHaveLength(1);
    expect(discovery.authtoken).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(server.output()).toContain("discarded at exit");
    // the explorer's address carries the generated token in the fragment only
    expect(server.output()).toContain(`Explorer: ${discovery.urls[0]}/ui#token=${discovery.authtoken}`);
    const api = new Client(discovery.urls[0], discovery.authtoken);
    expect((await api.get("/healthcheck")).json).toBe("ALL OK!");
    expect((await api.get("/experiments")).status).toBe(200);
    expect((await new Client(discovery.urls[0]).get("/experiments")).status).toBe(403);

    const second = run(["--port", "0"], baseEnv, cwd);
    expect(await second.exited).toBe(2);
    expect(second.output()).toMatch(/still answers/);

    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    expect(fs.existsSync(path.join(cwd, "storage_server.json"))).toBe(false);
  });

  test("clients that hang up or reset under streamed, pipelined answers are not logged as failures", async () => {
    // NODE_ENV as an operator has it: Express logs what reaches it only outside "test"
    const dir = fs.mkdtempSync(path.join(cwd, "hangup-"));
    const server = run(["--port", "0"], { ...baseEnv, ERT_STORAGE_NO_TOKEN: "1", NODE_ENV: "production" }, dir);
    await waitFor(server, /ERT Storage on http:\/\/\S+/);
    const base = /ERT Storage on (http:\/\/\S+)/.exec(server.output())![1];
    const api = new Client(base);
    const experiment = (await api.post("/experiments", { json: { name: "hang-ups" } })).json as { id: string };
    const ensemble = (await api.post(`/experiments/${experiment.id}/ensembles`, { json: { size: 1, parameter_names: ["M"], response_names: [] } })).json as { id: string };
    const data = new Float64Array(100 * 20_000).map((_, i) => Math.sin(i) * 1e3);
    const body = npyOf([100, 20_000], data);
    expect((await api.post(`/ensembles/${ensemble.id}/records/M/matrix`, { body, headers: { "content-type": "application/x-numpy" } })).status).toBe(200);
    const url = new URL(`${base}/ensembles/${ensemble.id}/records/M`);
    const before = server.output().length;
    for (let round = 0; round < 12; round++) {
      const request = `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nAccept: ${round % 2 ? "application/json" : "text/csv"}\r\n\r\n`;
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect(Number(url.port), url.hostname, () => socket.write(request.repeat(3)));
        socket.once("data", () => {
          // a reset (RST) makes the server's next write fail (ECONNRESET, EPIPE) rather than see a close
          if (round % 3 === 0) socket.destroy();
          else socket.resetAndDestroy();
          resolve();
        });
        socket.on("error", reject);
      });
    }
    const whole = await api.get(`/ensembles/${ensemble.id}/records/M`, { headers: { accept: "text/csv" } });
    expect(whole.status).toBe(200);
    expect(whole.bytes.toString().split("\n")).toHaveLength(102);
    expect(server.output().slice(before)).toBe("");
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  });

  test("run as a program, the command gets node's flags from its first line; the package scripts and the bench give the same", async () => {
    const flags = nodeFlags(fs.readFileSync(bin, "utf8"));
    expect(flags).toContain("--max-semi-space-size=8");
    expect(flags).toContain("--wasm-tiering-budget=1000000000");
    // the kernel runs the first line: a copy of the command that prints what node was given
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ert-flags-"));
    const probe = path.join(dir, "probe.js");
    fs.writeFileSync(probe, `${fs.readFileSync(bin, "utf8").split("\n")[0]}\nconsole.log(JSON.stringify(process.execArgv));\n`, { mode: 0o755 });
    const printed = await new Promise<string>((resolve, reject) => {
      const child = spawn(probe, [], { env: { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH}` } });
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      child.on("error", reject);
      child.on("close", () => resolve(out));
    });
    fs.rmSync(dir, { recursive: true });
    expect(JSON.parse(printed)).toEqual(flags);
    const root = path.join(__dirname, "..", "..", "..", "..");
    for (const [pkg, names] of [[path.join(root, "package.json"), ["start", "ert-storage"]], [path.join(__dirname, "..", "..", "package.json"), ["start", "ert-storage"]]] as const) {
      const scripts = JSON.parse(fs.readFileSync(pkg, "utf8")).scripts as Record<string, string>;
      for (const name of names) expect(scripts[name]).toMatch(new RegExp(`node ${flags.join(" ")} \\S*bin/ert-storage\\.js`));
    }
  });

  test("--help, -h and help print the usage and start nothing", async () => {
    const dir = fs.mkdtempSync(path.join(cwd, "help-"));
    for (const args of [["--help"], ["-h"], ["help"], ["serve", "--help"]]) {
      const r = run(args, baseEnv, dir);
      expect([args, await r.exited]).toEqual([args, 0]);
      expect(r.output()).toMatch(/ERT_STORAGE_DATABASE_URL/);
      expect(fs.readdirSync(dir)).toEqual([]); // no storage_server.json: no server started
    }
  });

  test("an unknown, repeated or valueless serve option is refused before anything starts", async () => {
    const dir = fs.mkdtempSync(path.join(cwd, "options-"));
    for (const [args, message] of [
      [["--bogus"], "unknown option '--bogus' (serve takes --host and --port)"],
      [["serve", "--port", "8001", "extra"], "unknown option 'extra'"],
      [["--port", "1", "--port", "2"], "--port is given twice"],
      [["--host"], "--host needs a value"],
      [["--port", "--host", "x"], "--port needs a value"],
      [["--port", " 80"], "--port must be 0..65535"],
      [["--port", "65536"], "--port must be 0..65535"],
    ] as const) {
      const r = run([...args], baseEnv, dir);
      expect([args, await r.exited]).toEqual([args, 2]);
      expect(r.output()).toContain(message);
      expect(fs.readdirSync(dir)).toEqual([]);
    }
  });

  test("a sqlite URL is refused with a pointer to the embedded database", async () => {
    const r = run([], { ...baseEnv, ERT_STORAGE_DATABASE_URL: "sqlite:///ert.db" }, cwd);
    expect(await r.exited).toBe(2);
    expect(r.output()).toMatch(/pglite:\/\/\/ert-data/);
  });

  test("a text thread count that is not a whole number from 0 to 64 is refused at start", async () => {
    for (const value of ["-1", "2.5", "many", "65"]) {
      const r = run([], { ...baseEnv, ERT_STORAGE_TEXT_THREADS: value }, cwd);
      expect(await r.exited).toBe(2);
      expect(r.output()).toContain(`ERT_STORAGE_TEXT_THREADS=${value}: expected a whole number from 0 to 64`);
    }
  });

  test("with an Azure connection string, file content goes to that container, created at start", async () => {
    const azurite = await startAzurite();
    const container = `ert-cli-${process.pid}`;
    const containerClient = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(container);
    const env = {
      ...baseEnv,
      ERT_STORAGE_NO_TOKEN: "1",
      ERT_STORAGE_AZURE_CONNECTION_STRING: azurite.connectionString,
      ERT_STORAGE_AZURE_BLOB_CONTAINER: container,
    };
    const server = run(["--port", "0"], env, cwd);
    try {
      await waitFor(server, /File content in .*\n/); // printed after the first line, maybe in a chunk of its own
      expect(server.output()).toContain(`File content in Azure Blob Storage container '${container}' at http://127.0.0.1:${azurite.port}/devstoreaccount1/${container}.`);
      expect(server.output()).not.toMatch(/AccountKey/);
      expect(await containerClient.exists()).toBe(true);

      const api = new Client(/ERT Storage on (http:\/\/\S+)/.exec(server.output())![1]);
      const experiment = (await api.post("/experiments", { json: { name: "azure-cli" } })).json.id;
      const ensemble = (await api.post(`/experiments/${experiment}/ensembles`, { json: { size: 1, parameter_names: [], response_names: [] } })).json.id;
      const form = new FormData();
      form.append("file", new Blob(["content in Azure"]), "a.txt");
      expect((await api.post(`/ensembles/${ensemble}/records/f/file`, { body: form })).status).toBe(200);
      expect((await api.get(`/ensembles/${ensemble}/records/f`)).text).toBe("content in Azure");
      const names: string[] = [];
      for await (const blob of containerClient.listBlobsFlat()) names.push(blob.name);
      expect(names).toHaveLength(1);
      expect(names[0]).toMatch(/^files\//);

      // Azure gone: file content answers 503 with the reason, the rest of the API still works
      await azurite.stop();
      const down = await api.get(`/ensembles/${ensemble}/records/f`);
      expect(down.status).toBe(503);
      expect(down.json.detail).toMatch(new RegExp(`Azure Blob Storage container '${container}' .*cannot be reached`));
      expect((await api.get(`/experiments/${experiment}`)).status).toBe(200);
      await azurite.restart();
      expect((await api.get(`/ensembles/${ensemble}/records/f`)).text).toBe("content in Azure");

      expect((await api.delete(`/experiments/${experiment}`)).status).toBe(200);
      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
    } finally {
      server.child.kill("SIGKILL");
      await azurite.close();
    }
  });

  test("an Azure that cannot be reached refuses the start with a clean message and exit 2", async () => {
    // nothing listens on port 1 (a freed port could be taken by an Azurite of a parallel suite)
    const r = run([], { ...baseEnv, ERT_STORAGE_AZURE_CONNECTION_STRING: azuriteConnectionString(1) }, cwd);
    expect(await r.exited).toBe(2);
    expect(r.output()).toMatch(/^ert-storage: Cannot use Azure Blob Storage container 'ert' at http:\/\/127.0.0.1:1\/devstoreaccount1\/ert: .*ECONNREFUSED/m);
    expect(r.output()).not.toMatch(/AccountKey|\n\s+at /);
    expect(fs.existsSync(path.join(cwd, "storage_server.json"))).toBe(false);
  });

  test("a malformed Azure connection string is refused with exit 2, without echoing it", async () => {
    const r = run([], { ...baseEnv, ERT_STORAGE_AZURE_CONNECTION_STRING: "AccountKey=c2VjcmV0;nonsense" }, cwd);
    expect(await r.exited).toBe(2);
    expect(r.output()).toMatch(/ERT_STORAGE_AZURE_CONNECTION_STRING is not a valid Azure Storage connection string/);
    expect(r.output()).not.toContain("c2VjcmV0");
  });

  test("on PostgreSQL: refuses to serve before `migrate deploy`, serves after", async () => {
    const url = new URL(testDatabaseUrl());
    const name = `ert_storage_cli_${process.pid}`;
    const admin = new URL(url);
    admin.pathname = "/postgres";
    const pg = new PgClient({ connectionString: admin.toString() });
    await pg.connect();
    await pg.query(`DROP DATABASE IF EXISTS ${name}`);
    await pg.query(`CREATE DATABASE ${name}`);
    url.pathname = `/${name}`;
    const env = { ...baseEnv, ERT_STORAGE_DATABASE_URL: url.toString(), ERT_STORAGE_NO_TOKEN: "1" };
    try {
      const early = run(["--port", "0"], env, cwd);
      expect(await early.exited).toBe(2);
      expect(early.output()).toMatch(/ert-storage migrate deploy/);

      const deploy = run(["migrate", "deploy"], env, os.tmpdir());
      expect(await deploy.exited).toBe(0);
      const status = run(["migrate", "status"], env, os.tmpdir());
      expect(await status.exited).toBe(0);

      const server = run(["--port", "0"], env, cwd);
      await waitFor(server, /ERT Storage on (http:\/\/\S+)/);
      const base = /ERT Storage on (http:\/\/\S+)/.exec(server.output())![1];
      const api = new Client(base);
      const exp = await api.post("/experiments", { json: { name: "cli" } });
      expect(exp.status).toBe(200);
      server.child.kill("SIGINT");
      expect(await server.exited).toBe(0);
    } finally {
      await pg.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await pg.end();
    }
  });
});
