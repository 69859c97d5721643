import type { Pool } from "pg";
import type { Prisma } from "../store/db/connect";
import type { BlobStore } from "../store/blob";

/** What every service works with. */
export interface Deps {
  prisma: Prisma;
  /** the same connections as prisma, for the few bulk paths that bypass it */
  pool: Pool;
  blobs: BlobStore;
}
