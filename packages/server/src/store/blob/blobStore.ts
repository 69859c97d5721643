// Where file content lives. Streams in, streams out: no whole-file buffers.
import type { Readable } from "node:stream";
import type { Piece } from "../../formats/piece";

export interface BlobStore {
  readonly kind: "database" | "azure";
  /** Stores the stream under key, replacing any content; resolves to the byte count. On failure nothing is left under key. */
  put(key: string, content: Readable): Promise<number>;
  /** Stages one block of a block upload for key. Returns an id unique to this staging attempt (re-staging an index gives a new id). Invisible until committed. */
  stageBlock(key: string, blockIndex: number, content: Readable): Promise<{ blockId: string; size: number }>;
  /** Makes key's content the given staged blocks, in order. Idempotent: repeating a commit that already succeeded changes nothing and loses nothing. */
  commitBlocks(key: string, blockIds: string[]): Promise<void>;
  /** Drops staged blocks that were replaced by a re-staged block (may be a no-op where the store discards them at commit). */
  discardBlocks(key: string, blockIds: string[]): Promise<void>;
  /** The content of key, optionally bytes [start, end] inclusive. */
  read(key: string, range?: { start: number; end?: number }): Promise<Readable>;
  /**
   * The content of key as pieces, in order: for a reader that is done with each piece
   * (done()) once it has written or copied it, so that the store may use its memory
   * again. Fails before the first piece is asked for when key holds nothing.
   */
  readPieces(key: string): Promise<AsyncIterable<Piece>>;
  /** Removes the content of these keys and any blocks staged for them; unknown keys are ignored. */
  delete(keys: string[]): Promise<void>;
}

/**
 * A stream's buffers as pieces whose memory is never used again (done() does nothing).
 * return() destroys the stream at once: a reader that stops (a client gone) does not wait
 * for a stalled stream's next buffer, as it would behind an async generator's await.
 */
export function piecesOf(content: Readable): AsyncIterableIterator<Piece> {
  const buffers = content[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next(): Promise<IteratorResult<Piece>> {
      const next = await buffers.next();
      return next.done ? { done: true, value: undefined } : { done: false, value: { bytes: next.value, done: () => undefined } };
    },
    async return(): Promise<IteratorResult<Piece>> {
      content.destroy();
      return { done: true, value: undefined };
    },
  };
}

/** Thrown by a store whose backend cannot be reached; the HTTP layer answers 503 with its message. */
export class BlobStoreUnavailable extends Error {}

/** Layout of blob names: one per file or large matrix. Staged blocks get their ids from the store (`${key}/blocks/${index}/...`). */
export const blobKeys = {
  file: (fileId: string) => `files/${fileId}`,
  /** a large matrix's values (little-endian float64, C order) */
  matrix: (id: string) => `matrices/${id}`,
  /** the prefix every staged block id of key starts with */
  blocks: (key: string) => `${key}/blocks/`,
};

/** Reads a stored blob that is not there: a plain error (a 500 if it reaches HTTP: metadata and content disagree). */
export function blobNotFound(key: string): Error {
  return new Error(`Blob '${key}' not found`);
}
