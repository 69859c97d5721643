// The embedded database's housekeeping. PGlite is PostgreSQL in one process and one
// session: it has no autovacuum and no checkpointer. Without them nothing it ever
// stored is given back: deleted rows keep their pages, and the WAL keeps every byte
// written since the server started (in memory for the in-memory database, on disk in
// its folder). 12 rounds of a 16 MB matrix posted and its experiment deleted took the
// in-memory server from 478 to 989 MB, and grew a folder by 33 MB a round; with a
// VACUUM and a CHECKPOINT after each deletion both stay flat (~30 ms a round).
// PostgreSQL does this by itself (autovacuum, checkpoints): there upkeep does nothing.
import { serialized } from "../../serialized";
import type { Sql } from "./sql";

export class Upkeep {
  /** the WAL position after the last reclaim: nothing was written while it still is */
  private lastLsn: string | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly sql: Sql,
    /** PGlite: nothing else reclaims its space */
    readonly embedded: boolean,
  ) {}

  /**
   * Gives back the space of deleted and replaced rows (VACUUM: trailing free pages are
   * cut off the files, others are reused) and the WAL before a new checkpoint. Runs one
   * at a time; covers everything done before the call. Never throws (a failure is
   * logged and the next call tries again).
   */
  readonly reclaim = serialized(async () => {
    if (!this.embedded) return;
    try {
      await this.sql.run("VACUUM");
      await this.sql.run("CHECKPOINT");
      this.lastLsn = await this.walPosition();
    } catch (error) {
      console.error(`embedded database upkeep failed, will retry: ${(error as Error).message}`);
    }
  });

  /** Reclaims if anything was written since the last time (one small query otherwise). */
  async tick(): Promise<void> {
    if (!this.embedded) return;
    let lsn: string;
    try {
      lsn = await this.walPosition();
    } catch (error) {
      console.error(`embedded database upkeep failed, will retry: ${(error as Error).message}`);
      return;
    }
    if (lsn !== this.lastLsn) await this.reclaim();
  }

  /** Ticks every intervalMs until stop() (embedded database only). */
  start(intervalMs: number): void {
    if (!this.embedded) return;
    this.timer = setInterval(() => void this.tick(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.reclaim.idle();
  }

  private async walPosition(): Promise<string> {
    return (await this.sql.one<{ lsn: string }>("SELECT pg_current_wal_insert_lsn()::text AS lsn"))!.lsn;
  }
}
