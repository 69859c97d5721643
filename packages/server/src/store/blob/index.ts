import type { Database } from "../db/connect";
import type { BlobStore } from "./blobStore";
import { DatabaseBlobStore } from "./databaseBlobStore";

export type { BlobStore } from "./blobStore";
export { blobKeys } from "./blobStore";

/** The one place that picks where file content goes. */
export function createBlobStore(db: Database): BlobStore {
  return new DatabaseBlobStore(db.pool);
}
