// Starts the real app on a loopback port against a real database: the embedded
// PGlite or the PostgreSQL test database. Each test creates its own experiments;
// they are deleted at the end unless ERT_STORAGE_NO_ROLLBACK is set.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp } from "../../src/app";
import { openDatabase, type Database } from "../../src/store/db/connect";
import { Faults } from "../../src/store/db/faults";
import { Client } from "./client";
import { keepData, testDatabaseUrl } from "./env";

export type Backend = "pglite" | "postgres";
export const BACKENDS: Backend[] = ["pglite", "postgres"];

export interface TestServer {
  backend: Backend;
  api: Client;
  db: Database;
  /** arm these to make a repository fail half-way */
  faults: Faults;
  /** creates an experiment (removed after the test file) and returns its id */
  experiment(name?: string, priors?: Record<string, unknown>): Promise<string>;
  /** creates an experiment and an ensemble in it, returns the ensemble id (and the experiment's) */
  ensemble(body?: Record<string, unknown>): Promise<{ experimentId: string; ensembleId: string }>;
  close(): Promise<void>;
}

let counter = 0;

export async function startTestServer(backend: Backend, options: { token?: string } = {}): Promise<TestServer> {
  const db = await openDatabase(backend === "pglite" ? { kind: "pglite", dataDir: null } : { kind: "postgres", url: testDatabaseUrl() });
  let server: Server;
  const faults = new Faults();
  try {
    const app = createApp({ db, token: options.token ?? null, faults });
    server = await new Promise((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
  } catch (error) {
    await db.close();
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
    backend,
    api,
    db,
    faults,
    experiment,
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
    },
  };
}
