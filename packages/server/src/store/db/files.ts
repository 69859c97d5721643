// Block uploads: a file record whose content arrives as staged blocks, then is
// committed. State: staging -> committing (block list frozen) -> committed.
// A commit that stops half-way is finished by repeating it.
import type { Faults } from "./faults";
import type { Sql } from "./sql";

export interface StagedBlock {
  index: number;
  /** the blob store's id of this staging of the block */
  blobKey: string;
  size: number;
}

export type CommitStart =
  | { kind: "ready"; blocks: StagedBlock[] }
  | { kind: "committed" }
  | { kind: "empty" }
  | { kind: "incomplete"; missing: number[]; missingCount: number };

/** How many missing block indices a refused commit names; the rest are counted. */
export const MISSING_BLOCKS_NAMED = 100;

export class FileRepository {
  constructor(
    private readonly sql: Sql,
    private readonly faults: Faults,
  ) {}

  /**
   * Records a staged block while the file is still staging. Resolves to whether it
   * was recorded, and the blob key of the staging it replaced (to be discarded).
   */
  async recordBlock(fileId: string, block: StagedBlock): Promise<{ recorded: boolean; replaced: string | null }> {
    this.faults.hit("file.recordBlock");
    const row = await this.sql.one<{ recorded: boolean; replaced: string | null }>({
      name: "file.recordBlock",
      text: `WITH f AS (SELECT id FROM file WHERE id = $1 AND state = 'staging' FOR SHARE),
                  old AS (SELECT b.blob_key FROM file_block b JOIN f ON f.id = b.file_id WHERE b.block_index = $2 FOR UPDATE OF b),
                  up AS (
                    INSERT INTO file_block (id, file_id, block_index, blob_key, size)
                    SELECT gen_random_uuid(), f.id, $2, $3, $4 FROM f
                    ON CONFLICT (file_id, block_index) DO UPDATE SET blob_key = EXCLUDED.blob_key, size = EXCLUDED.size
                    RETURNING 1)
             SELECT EXISTS (SELECT 1 FROM up) AS recorded, (SELECT blob_key FROM old) AS replaced`,
      values: [fileId, block.index, block.blobKey, block.size],
    });
    return row!;
  }

  /**
   * Freezes the block list for a commit: a staging file with every block from 0 to
   * the highest index becomes committing. A file already committing answers its
   * frozen list again, so an interrupted commit can be finished.
   */
  async startCommit(fileId: string): Promise<CommitStart> {
    return this.sql.transaction(async (tx) => {
      const file = await tx.one<{ state: string }>("SELECT state FROM file WHERE id = $1 FOR UPDATE", [fileId]);
      if (!file || file.state === "committed") return { kind: "committed" };
      const rows = await tx.rows<{ block_index: number; blob_key: string; size: string }>(
        "SELECT block_index, blob_key, size FROM file_block WHERE file_id = $1 ORDER BY block_index",
        [fileId],
      );
      if (rows.length === 0) return { kind: "empty" };
      const last = rows[rows.length - 1].block_index;
      if (rows.length !== last + 1) {
        // the first few gaps, walked between the staged indices (a block staged at 2^31 - 1
        // alone leaves two billion missing: they are counted, not listed)
        const missing: number[] = [];
        for (let k = 0, expected = 0; k < rows.length && missing.length < MISSING_BLOCKS_NAMED; expected = rows[k].block_index + 1, k++) {
          for (let i = expected; i < rows[k].block_index && missing.length < MISSING_BLOCKS_NAMED; i++) missing.push(i);
        }
        return { kind: "incomplete", missing, missingCount: last + 1 - rows.length };
      }
      if (file.state === "staging") await tx.run("UPDATE file SET state = 'committing' WHERE id = $1", [fileId]);
      return { kind: "ready", blocks: rows.map((r) => ({ index: r.block_index, blobKey: r.blob_key, size: Number(r.size) })) };
    });
  }

  /** Marks a committing file committed, with its size; its block rows go. */
  async finishCommit(fileId: string, size: number): Promise<void> {
    this.faults.hit("file.finishCommit");
    await this.sql.run(
      `WITH done AS (UPDATE file SET state = 'committed', size = $2 WHERE id = $1 AND state = 'committing' RETURNING id)
       DELETE FROM file_block WHERE file_id IN (SELECT id FROM done)`,
      [fileId, size],
    );
  }
}
