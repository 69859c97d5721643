// blob_sweep: blob content to remove once not_before has passed. Content of
// deleted experiments is queued by their deletion; an upload registers its key
// before it streams and its record's creation unregisters it, so content of an
// upload the server never finished (a crash) is swept a day later.
import type { Sql } from "./sql";

/** How long an upload may take before its content counts as abandoned. */
export const UPLOAD_GRACE_SECONDS = 24 * 3600;

export class BlobSweepRepository {
  constructor(private readonly sql: Sql) {}

  /** Queues key for removal after the upload grace time, unless something claims it. */
  async registerUpload(key: string): Promise<void> {
    await this.sql.run({
      name: "sweep.register",
      text: `INSERT INTO blob_sweep (blob_key, not_before) VALUES ($1, now() + make_interval(secs => $2))
             ON CONFLICT (blob_key) DO UPDATE SET not_before = EXCLUDED.not_before`,
      values: [key, UPLOAD_GRACE_SECONDS],
    });
  }

  /** Keys whose time has come, at most limit of them. */
  async due(limit: number): Promise<string[]> {
    const rows = await this.sql.rows<{ blob_key: string }>(
      "SELECT blob_key FROM blob_sweep WHERE not_before <= now() ORDER BY not_before LIMIT $1",
      [limit],
    );
    return rows.map((r) => r.blob_key);
  }

  /** Forgets keys whose content is gone (or was claimed). */
  async forget(keys: string[]): Promise<void> {
    if (keys.length > 0) await this.sql.run("DELETE FROM blob_sweep WHERE blob_key = ANY($1::text[])", [keys]);
  }

  async pending(): Promise<number> {
    return Number((await this.sql.one<{ n: string }>("SELECT count(*) AS n FROM blob_sweep"))!.n);
  }
}
