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

/** WAL written since the last checkpoint that makes the next tick checkpoint (the server's WAL in memory or in its folder stays about this size). */
const WAL_BUDGET = 64 * 1024 * 1024;
/** The least time between two reclaims the ticks start (a deletion reclaims at once). */
const RECLAIM_EVERY_MS = 60_000;

const WAL_POSITION = "SELECT pg_current_wal_insert_lsn()::text AS lsn";

export class Upkeep {
  /**
   * The WAL position after upkeep's own last statements: nothing was written since while
   * it still is. null: not known yet (the first reclaim runs whatever the position).
   */
  private lastLsn: string | null = null;
  /** the WAL moved since the last reclaim */
  private dirty = false;
  /** when the last reclaim (or the start) was (Date.now()) */
  private lastReclaim = Date.now();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;

  constructor(
    private readonly sql: Sql,
    /** PGlite: nothing else reclaims its space */
    readonly embedded: boolean,
    private readonly walBudget = WAL_BUDGET,
  ) {}

  /**
   * Gives back the space of deleted and replaced rows (VACUUM: trailing free pages are
   * cut off the files, others are reused) and the WAL before a new checkpoint, unless
   * nothing was written since upkeep last did. Runs one at a time; covers everything
   * done before the call. Never throws (a failure is logged and the next call tries again).
   */
  readonly reclaim = serialized(async () => {
    if (!this.embedded) return;
    try {
      // one connection: no write can come between the statements and go unseen
      await this.sql.session(async (session) => {
        if (!this.dirty && (await session.one<{ lsn: string }>(WAL_POSITION))!.lsn === this.lastLsn) return;
        await session.run("VACUUM");
        await session.run("CHECKPOINT");
        this.lastLsn = (await session.one<{ lsn: string }>(WAL_POSITION))!.lsn;
        this.dirty = false;
        this.lastReclaim = Date.now();
      });
    } catch (error) {
      console.error(`embedded database upkeep failed, will retry: ${(error as Error).message}`);
    }
  });

  /**
   * Checkpoints when the WAL since the last checkpoint passed WAL_BUDGET (a big upload
   * would otherwise keep all it wrote twice, as rows and as WAL, until its experiment
   * goes), and reclaims when the WAL moved since the last reclaim (writes; after a
   * checkpoint the first reads of a page may log it too) and that reclaim is
   * RECLAIM_EVERY_MS old. One small query when there is nothing to do.
   */
  tick(now = Date.now()): Promise<void> {
    if (!this.embedded) return Promise.resolve();
    this.ticking ??= this.check(now).finally(() => (this.ticking = null));
    return this.ticking;
  }

  private async check(now: number): Promise<void> {
    try {
      const reclaimDue = await this.sql.session(async (session) => {
        const { lsn, behind } = (await session.one<{ lsn: string; behind: string }>(
          "SELECT pg_current_wal_insert_lsn()::text AS lsn, (pg_current_wal_insert_lsn() - (SELECT redo_lsn FROM pg_control_checkpoint()))::text AS behind",
        ))!;
        if (this.lastLsn === null) this.lastLsn = lsn; // the first tick: what was there before the start is not this run's
        else if (lsn !== this.lastLsn) this.dirty = true;
        if (this.dirty && now - this.lastReclaim >= RECLAIM_EVERY_MS) return true; // reclaimed below, off this connection
        if (Number(behind) > this.walBudget) {
          await session.run("CHECKPOINT");
          this.lastLsn = (await session.one<{ lsn: string }>(WAL_POSITION))!.lsn; // the checkpoint's own record is no write
        }
        return false;
      });
      if (reclaimDue) await this.reclaim();
    } catch (error) {
      console.error(`embedded database upkeep failed, will retry: ${(error as Error).message}`);
    }
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
    await this.ticking;
    await this.reclaim.idle();
  }
}
