import type { Prisma } from "../db/connect";
import type { BlobStore } from "./blobStore";
import { DatabaseBlobStore } from "./databaseBlobStore";

export type { BlobStore } from "./blobStore";
export { blobKeys } from "./blobStore";

/** The one place that picks where file content goes. */
export function createBlobStore(prisma: Prisma): BlobStore {
  return new DatabaseBlobStore(prisma);
}
