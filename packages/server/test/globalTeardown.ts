// Stops the embedded PostgreSQL that globalSetup started, if it started one.
import type {} from "./helpers/embeddedPostgres";

export default async function globalTeardown(): Promise<void> {
  const pg = globalThis.ertEmbeddedPostgres;
  globalThis.ertEmbeddedPostgres = undefined;
  await pg?.stop();
}
