import type { Prisma } from "../store/db/connect";
import type { BlobStore } from "../store/blob";

/** What every service works with. */
export interface Deps {
  prisma: Prisma;
  blobs: BlobStore;
}
