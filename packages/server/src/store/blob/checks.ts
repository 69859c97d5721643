// Argument checks both stores share.
import { blobKeys } from "./blobStore";

/** Block ids are the store's own: each must belong to key, and appear once. */
export function checkBlockIds(key: string, blockIds: string[]): void {
  const prefix = blobKeys.blocks(key);
  const foreign = blockIds.filter((id) => !id.startsWith(prefix));
  if (foreign.length > 0) throw new Error(`Block id(s) ${foreign.join(", ")} were not staged for '${key}'`);
  if (new Set(blockIds).size !== blockIds.length) throw new Error(`Block ids for '${key}' repeat`);
}

export function checkRange(range: { start: number; end?: number }): void {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0 || (end !== undefined && (!Number.isSafeInteger(end) || end < start))) {
    throw new RangeError(`Invalid byte range ${start}-${end ?? ""}`);
  }
}
