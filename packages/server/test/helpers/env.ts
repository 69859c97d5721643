// Where the integration tests find PostgreSQL (a real server; see README).
export function testDatabaseUrl(): string {
  return process.env.ERT_STORAGE_TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/ert_storage_test";
}

export function keepData(): boolean {
  const v = process.env.ERT_STORAGE_NO_ROLLBACK;
  return v !== undefined && v !== "" && v !== "0";
}
