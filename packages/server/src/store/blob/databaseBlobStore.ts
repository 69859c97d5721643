// Blob content in the database, in bounded chunks (table blob_chunk). Chunks go
// through the pg pool directly: Prisma's Bytes path is about five times slower.
// A staged block is a blob of its own under `${key}/blocks/${index}/${uuid}` (its
// id); committing re-keys its chunks under key in one transaction, copying nothing.
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import type { Pool, PoolClient } from "pg";
import { Sql, type Statement } from "../db/sql";
import type { Piece } from "../../formats/piece";
import { blobKeys, blobNotFound, type BlobStore } from "./blobStore";
import { checkBlockIds, checkRange } from "./checks";

export const CHUNK_SIZE = 1024 * 1024;
/** Chunks read per query (8 MiB; two batches in memory at most while reading). */
const READ_BATCH = 8;
/** What separates a key from the ids of its staged blocks (see blobKeys.blocks). */
const BLOCKS = "/blocks/";

export class DatabaseBlobStore implements BlobStore {
  readonly kind = "database" as const;
  private readonly sql: Sql;
  constructor(private readonly pool: Pool) {
    this.sql = new Sql(pool);
  }

  async put(key: string, content: Readable): Promise<number> {
    await this.deleteExactly([key]);
    return this.write(key, content);
  }

  async stageBlock(key: string, blockIndex: number, content: Readable): Promise<{ blockId: string; size: number }> {
    const blockId = `${blobKeys.blocks(key)}${blockIndex}/${randomUUID()}`;
    const size = await this.write(blockId, content);
    return { blockId, size };
  }

  async commitBlocks(key: string, blockIds: string[]): Promise<void> {
    checkBlockIds(key, blockIds);
    await this.transaction(async (client) => {
      // One commit of a key at a time; a repeated commit finds its blocks already moved.
      await client.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [key]);
      const present = await client.query<{ blob_key: string }>(
        "SELECT blob_key FROM blob_chunk WHERE blob_key = ANY($1::text[]) AND seq = 0",
        [blockIds],
      );
      if (present.rows.length === 0) return; // already committed
      if (present.rows.length < blockIds.length) {
        const found = new Set(present.rows.map((r) => r.blob_key));
        throw new Error(`Cannot commit '${key}': staged block(s) ${blockIds.filter((id) => !found.has(id)).join(", ")} not found`);
      }
      await client.query("DELETE FROM blob_chunk WHERE blob_key = $1", [key]);
      let offset = 0;
      for (const blockId of blockIds) {
        const moved = await client.query("UPDATE blob_chunk SET blob_key = $1, seq = seq + $2 WHERE blob_key = $3", [key, offset, blockId]);
        offset += moved.rowCount ?? 0;
      }
    });
  }

  async discardBlocks(key: string, blockIds: string[]): Promise<void> {
    checkBlockIds(key, blockIds);
    await this.deleteExactly(blockIds);
  }

  async read(key: string, range?: { start: number; end?: number }): Promise<Readable> {
    if (range && (range.start > 0 || range.end !== undefined)) return this.readRange(key, range);
    const pieces = await this.readPieces(key);
    async function* content(): AsyncGenerator<Buffer> {
      // never done: a stream's reader may hold its buffers for ever
      for await (const piece of pieces) yield piece.bytes;
    }
    return Readable.from(content(), { objectMode: false });
  }

  /**
   * Each chunk is copied out of the driver's message into memory that holds a later chunk
   * once its piece is done. Read as new buffers, a 160 MB matrix made 160 of 1 MB per
   * answer, and V8 collected the whole heap for each ~64 MB of them: ~100 ms of the ~500
   * ms of CPU a 1000 x 20000 NPY answer took.
   */
  async readPieces(key: string): Promise<AsyncIterable<Piece>> {
    const free: Buffer[] = []; // chunk-sized memory of pieces done
    const batch = (seq: number) => this.chunkPieces(key, seq, free);
    const first = await batch(0);
    if (first.length === 0) throw blobNotFound(key);
    async function* content(): AsyncGenerator<Piece> {
      // the next batch is on its way while this one is written out
      let pieces = first;
      for (let seq = pieces.length; pieces.length > 0; seq += pieces.length) {
        const next = pieces.length === READ_BATCH ? batch(seq) : Promise.resolve([]);
        // a reader that stops early leaves the prefetch to settle on its own
        next.catch(() => undefined);
        yield* pieces;
        pieces = await next;
      }
    }
    return content();
  }

  /**
   * Up to READ_BATCH chunks from seq on, in order (fewer round trips than one at a time;
   * COPY sends their bytes as they are), each copied into memory from free (or new),
   * which its piece returns there when done.
   */
  private async chunkPieces(key: string, seq: number, free: Buffer[]): Promise<Piece[]> {
    const pieces: Piece[] = [];
    await this.sql.copyEach<{ data: Buffer }>(chunksFrom(key, seq), [["data", "bytea"]], ({ data }) => {
      // full chunks' memory is used again; a short chunk (a blob's or a block's last) takes some if free
      const memory = (data.length <= CHUNK_SIZE && free.pop()) || Buffer.allocUnsafeSlow(data.length);
      data.copy(memory);
      let held = true;
      const done = () => {
        if (held && memory.length === CHUNK_SIZE) free.push(memory);
        held = false;
      };
      pieces.push({ bytes: memory.subarray(0, data.length), done });
    });
    return pieces;
  }

  /**
   * Removes the chunks of these keys and of every block staged for them, recorded or
   * not: a server killed while a block streamed leaves chunks under an id nobody knows.
   */
  async delete(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.deleteExactly(keys);
    const owners = keys.filter((key) => !key.includes(BLOCKS));
    if (owners.length > 0) {
      // one pass over the (small) heap rows; the chunk data lives out of line
      await this.pool.query(
        `DELETE FROM blob_chunk WHERE strpos(blob_key, '${BLOCKS}') > 0 AND split_part(blob_key, '${BLOCKS}', 1) = ANY($1::text[])`,
        [owners],
      );
    }
  }

  private async deleteExactly(keys: string[]): Promise<void> {
    if (keys.length > 0) await this.pool.query("DELETE FROM blob_chunk WHERE blob_key = ANY($1::text[])", [keys]);
  }

  /** Chunks have different lengths after a commit (each block ends with a short one): find them by their lengths. */
  private async readRange(key: string, range: { start: number; end?: number }): Promise<Readable> {
    checkRange(range);
    const sizes = await this.pool.query<{ seq: number; length: number }>(
      "SELECT seq, octet_length(data) AS length FROM blob_chunk WHERE blob_key = $1 ORDER BY seq",
      [key],
    );
    if (sizes.rows.length === 0) throw blobNotFound(key);
    const total = sizes.rows.reduce((n, r) => n + r.length, 0);
    if (range.start >= total) throw new RangeError(`Range start ${range.start} is beyond the end of '${key}' (${total} bytes)`);
    const last = Math.min(range.end ?? total - 1, total - 1);
    const slices: { seq: number; from: number; length: number }[] = [];
    let position = 0;
    for (const { seq, length } of sizes.rows) {
      const from = Math.max(range.start, position);
      const to = Math.min(last, position + length - 1);
      if (from <= to) slices.push({ seq, from: from - position, length: to - from + 1 });
      position += length;
    }
    const pool = this.pool;
    async function* chunks(): AsyncGenerator<Buffer> {
      for (const slice of slices) {
        const result = await pool.query<{ data: Buffer }>(
          "SELECT substring(data FROM $3 FOR $4) AS data FROM blob_chunk WHERE blob_key = $1 AND seq = $2",
          [key, slice.seq, slice.from + 1, slice.length],
        );
        if (result.rows.length === 0) throw new Error(`Blob '${key}' changed while it was read`);
        yield result.rows[0].data;
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  private async write(key: string, content: Readable): Promise<number> {
    let seq = 0;
    let total = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    // one insert on its way while the next chunk fills: the upload and the database work at once
    let inFlight: Promise<unknown> = Promise.resolve();
    const flush = async (): Promise<void> => {
      const data = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      await inFlight;
      inFlight = this.pool.query("INSERT INTO blob_chunk (blob_key, seq, data) VALUES ($1, $2, $3)", [key, seq++, data]);
      inFlight.catch(() => undefined); // awaited at the next flush or at the end
    };
    try {
      for await (const piece of content) {
        let buf = Buffer.isBuffer(piece) ? piece : Buffer.from(piece as Uint8Array);
        total += buf.length;
        while (pendingBytes + buf.length >= CHUNK_SIZE) {
          const take = CHUNK_SIZE - pendingBytes;
          pending.push(buf.subarray(0, take));
          pendingBytes += take;
          buf = buf.subarray(take);
          await flush();
        }
        if (buf.length > 0) {
          pending.push(buf);
          pendingBytes += buf.length;
        }
      }
      // Every blob has chunk 0, even an empty one: that is how a stored empty blob differs from none.
      if (pendingBytes > 0 || seq === 0) await flush();
      await inFlight;
    } catch (error) {
      await inFlight.catch(() => undefined); // nothing lands after the cleanup
      await this.deleteExactly([key]);
      throw error;
    }
    return total;
  }

  /** One transaction on one connection; a connection lost on the way is dropped, not given back (see Sql.transaction). */
  private async transaction(work: (client: PoolClient) => Promise<void>): Promise<void> {
    const client = await this.pool.connect();
    let broken = false;
    const lost = () => {
      broken = true;
    };
    client.on("error", lost);
    try {
      await client.query("BEGIN");
      await work(client);
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {
        broken = true;
      });
      throw error;
    } finally {
      client.removeListener("error", lost);
      client.release(broken);
    }
  }
}

/** Up to READ_BATCH chunks of key from seq on, in order. */
function chunksFrom(key: string, seq: number): Statement {
  return {
    text: "SELECT data FROM blob_chunk WHERE blob_key = $1 AND seq >= $2 AND seq < $2 + $3 ORDER BY seq",
    values: [key, seq, READ_BATCH],
  };
}
