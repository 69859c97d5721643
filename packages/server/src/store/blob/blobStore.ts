// Where file content lives. Streams in, streams out: no whole-file buffers.
import type { Readable } from "node:stream";

export interface BlobStore {
  readonly kind: "database" | "azure";
  /** Stores the stream under key; resolves to the number of bytes stored. */
  put(key: string, content: Readable): Promise<number>;
  /** Stages one block of a block upload; invisible until commitBlocks. */
  stageBlock(key: string, blockKey: string, content: Readable): Promise<number>;
  /** Makes key's content the staged blocks, in the order given. */
  commitBlocks(key: string, blockKeys: string[]): Promise<void>;
  read(key: string): Promise<Readable>;
  /** Removes content and staged blocks of these keys; unknown keys are ignored. */
  delete(keys: string[]): Promise<void>;
}

/** Layout of blob names: one per file, one per staged block. */
export const blobKeys = {
  file: (fileId: string) => `files/${fileId}`,
  block: (fileId: string, blockIndex: number) => `files/${fileId}/blocks/${blockIndex}`,
};
