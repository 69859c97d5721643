import type { Limits } from "../config";
import type { BlobStore } from "../store/blob";
import type { Repositories } from "../store/db";

/** What every service works with: the repositories and the blob store. */
export interface Deps {
  repos: Repositories;
  blobs: BlobStore;
  limits: Pick<Limits, "ensembleSize" | "matrixBytes">;
}
