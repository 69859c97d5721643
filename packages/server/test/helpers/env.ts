// Where the integration tests find PostgreSQL (a real server; see README).

/** Test databases beside the shared one, for suites whose checks see the whole store (see OWN_DATABASES). */
export type OwnDatabase = "large";
/** Made and migrated by globalSetup with the shared one; largeMatrices.test compares every matrix blob before and after. */
export const OWN_DATABASES: OwnDatabase[] = ["large"];

/** The shared test database, or with own, the one of that name beside it (ert_storage_test_large). */
export function testDatabaseUrl(own?: OwnDatabase): string {
  const url = new URL(process.env.ERT_STORAGE_TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/ert_storage_test");
  if (own) url.pathname = `${url.pathname}_${own}`;
  return url.toString();
}

export function keepData(): boolean {
  const v = process.env.ERT_STORAGE_NO_ROLLBACK;
  return v !== undefined && v !== "" && v !== "0";
}
