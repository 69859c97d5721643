// The SDK against a real server (the embedded database) over HTTP.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createClient, ErtStorageError, findConnection, postMatrix, unwrap, type ErtStorageClient } from "../src";
import { startServer, type TestServer } from "./server";

let server: TestServer;
let base: string;
let client: ErtStorageClient;

beforeAll(async () => {
  server = await startServer("sdk-token");
  base = server.base;
  client = createClient({ baseUrl: base, token: "sdk-token" });
});

afterAll(async () => {
  await server?.close();
});

test("experiments, ensembles and matrices through the typed client", async () => {
  const experiment = await unwrap(client.POST("/experiments", { body: { name: "sdk", priors: { a: { function: "normal", mean: 0, std: 1 } } } }));
  expect(experiment.priors).toEqual({ a: { function: "normal", mean: 0, std: 1 } });
  const ensemble = await unwrap(
    client.POST("/experiments/{experiment_id}/ensembles", {
      params: { path: { experiment_id: experiment.id } },
      body: { size: 2, parameter_names: ["a"], response_names: [] },
    }),
  );
  expect(ensemble.active_realizations).toEqual([0, 1]);
  const record = await postMatrix(client, ensemble.id, "a", { csv: ",x\n0,0.5\n1,1.5\n" }, { prior: "a" });
  expect(record.name).toBe("a");
  const parameters = await unwrap(client.GET("/ensembles/{ensemble_id}/parameters", { params: { path: { ensemble_id: ensemble.id } } }));
  expect(parameters).toEqual([{ name: "a", labels: ["x"] }]);
});

test("errors become ErtStorageError with the server's detail", async () => {
  const missing = unwrap(client.GET("/experiments/{experiment_id}", { params: { path: { experiment_id: "00000000-0000-0000-0000-000000000000" } } }));
  await expect(missing).rejects.toBeInstanceOf(ErtStorageError);
  await expect(missing).rejects.toMatchObject({ status: 404, detail: "Item not found" });
  const anonymous = createClient({ baseUrl: base, token: null });
  await expect(unwrap(anonymous.GET("/experiments"))).rejects.toMatchObject({ status: 403, detail: "Not authenticated" });
});

test("discovery: the environment first, then storage_server.json upwards, in both formats", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ert-sdk-"));
  const nested = path.join(dir, "a", "b");
  fs.mkdirSync(nested, { recursive: true });
  fs.writeFileSync(path.join(dir, "storage_server.json"), JSON.stringify({ urls: ["http://127.0.0.1:1234", "http://host:1234"], authtoken: "t1" }));
  expect(findConnection({}, nested)).toEqual({ baseUrl: "http://127.0.0.1:1234", token: "t1" });
  fs.writeFileSync(path.join(dir, "storage_server.json"), JSON.stringify({ base_url: "http://x:9/", auth_token: "t2" }));
  expect(findConnection({}, nested)).toEqual({ baseUrl: "http://x:9", token: "t2" });
  expect(findConnection({ ERT_STORAGE_CONNECTION_STRING: '{"base_url": "http://env:1", "auth_token": null}' }, nested)).toEqual({
    baseUrl: "http://env:1",
    token: null,
  });
  fs.rmSync(dir, { recursive: true, force: true });
});
