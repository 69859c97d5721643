// Starts the real app on a loopback port against a real database: the embedded
// PGlite or the PostgreSQL test database. Each test creates its own experiments;
// they are deleted at the end unless ERT_STORAGE_NO_ROLLBACK is set.
// ERT_STORAGE_TEST_BLOBS=azure keeps file content in a real Azurite instead of the
// database (one per server), so any suite can run on the Azure blob store.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp } from "../../src/app";
import type { Services } from "../../src/domain";
import { prepareServer } from "../../src/server";
import type { Limits } from "../../src/config";
import { openBlobStore, type BlobStore } from "../../src/store/blob";
import { openDatabase, type Database } from "../../src/store/db/connect";
import { Faults } from "../../src/store/db/faults";
import { BlobServiceClient } from "@azure/storage-blob";
import { startAzurite, type Azurite } from "./azurite";
import { Client } from "./client";
import { keepData, testDatabaseUrl, type OwnDatabase } from "./env";

export type Backend = "pglite" | "postgres";
/** Both databases; ERT_STORAGE_TEST_BACKENDS=postgres (or pglite) runs one. */
export const BACKENDS: Backend[] = (process.env.ERT_STORAGE_TEST_BACKENDS?.split(",") as Backend[] | undefined) ?? ["pglite", "postgres"];

export interface TestServer {
  backend: Backend;
  api: Client;
  db: Database;
  /** arm these to make a repository fail half-way */
  faults: Faults;
  /** the app's services, as the server process runs them (its timers are not started) */
  services: Services;
  blobs: BlobStore;
  /** the Azurite holding file content under ERT_STORAGE_TEST_BLOBS=azure, else null */
  azurite: Azurite | null;
  /** how many of these files (blob keys) still have content in the blob store, staged blocks included */
  filesWithContent(fileKeys: string[]): Promise<number>;
  /** creates an experiment (removed after the test file) and returns its id */
  experiment(name?: string, priors?: Record<string, unknown>): Promise<string>;
  /** creates an experiment and an ensemble in it, returns the ensemble id (and the experiment's) */
  ensemble(body?: Record<string, unknown>): Promise<{ experimentId: string; ensembleId: string }>;
  /** how many connections the server holds open */
  connections(): Promise<number>;
  close(): Promise<void>;
}

let counter = 0;

/**
 * The app on a loopback port. database: on PostgreSQL, a test database of the suite's own
 * instead of the shared one (the embedded database is each server's own anyway).
 */
export async function startTestServer(backend: Backend, options: { token?: string; limits?: Limits; database?: OwnDatabase } = {}): Promise<TestServer> {
  const db = await openDatabase(backend === "pglite" ? { kind: "pglite", dataDir: null } : { kind: "postgres", url: testDatabaseUrl(options.database) });
  let server: Server;
  const faults = new Faults();
  let azurite: Azurite | null = null;
  let blobs: BlobStore;
  let services: Services;
  try {
    if (process.env.ERT_STORAGE_TEST_BLOBS === "azure") {
      azurite = await startAzurite();
      blobs = await openBlobStore(db, { connectionString: azurite.connectionString, container: "ert" });
    } else blobs = await openBlobStore(db, null);
    const app = createApp({ db, blobs, token: options.token ?? null, faults, limits: options.limits });
    services = app.locals.services;
    server = await new Promise((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
      prepareServer(s);
    });
  } catch (error) {
    await db.close();
    await azurite?.close();
    throw error;
  }
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const api = new Client(base, options.token ?? null);
  const created: string[] = [];

  const experiment = async (name?: string, priors?: Record<string, unknown>) => {
    const res = await api.post("/experiments", { json: { name: name ?? `test-${process.pid}-${++counter}`, priors } });
    if (res.status !== 200) throw new Error(`creating an experiment: ${res.status} ${res.text}`);
    created.push(res.json.id);
    return res.json.id as string;
  };

  return {
    connections: () => new Promise((resolve, reject) => server.getConnections((error, n) => (error ? reject(error) : resolve(n)))),
    backend,
    api,
    db,
    faults,
    services,
    blobs,
    azurite,
    experiment,
    async filesWithContent(fileKeys) {
      if (azurite) {
        const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient("ert");
        let n = 0;
        for (const key of fileKeys) {
          for await (const blob of container.listBlobsFlat({ prefix: key, includeUncommitedBlobs: true })) if (blob.name === key) n++;
        }
        return n;
      }
      const rows = await db.pool.query<{ key: string }>(
        "SELECT DISTINCT split_part(blob_key, '/', 2) AS key FROM blob_chunk WHERE split_part(blob_key, '/', 2) = ANY($1::text[])",
        [fileKeys.map((k) => k.split("/")[1])],
      );
      return rows.rows.length;
    },
    async ensemble(body = {}) {
      const experimentId = await experiment();
      const res = await api.post(`/experiments/${experimentId}/ensembles`, {
        json: { size: 5, parameter_names: [], response_names: [], ...body },
      });
      if (res.status !== 200) throw new Error(`creating an ensemble: ${res.status} ${res.text}`);
      return { experimentId, ensembleId: res.json.id as string };
    },
    async close() {
      if (!keepData()) {
        for (const id of created) await api.delete(`/experiments/${id}`);
      }
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await db.close();
      await azurite?.close();
    },
  };
}
