import type { Database } from "../db/connect";
import type { AzureBlobStore, AzureConfig } from "./azureBlobStore";
import type { BlobStore } from "./blobStore";
import { DatabaseBlobStore } from "./databaseBlobStore";

export type { BlobStore } from "./blobStore";
export { BlobStoreUnavailable, blobKeys } from "./blobStore";
export type { AzureConfig } from "./azureBlobStore";

/** The one place that picks where file content goes: Azure when configured (config.azure), else the database. */
export function createBlobStore(db: Database, azure: AzureConfig | null): BlobStore {
  if (!azure) return new DatabaseBlobStore(db.pool);
  // The Azure SDK takes ~0.25 s to load: only servers that use it pay for it.
  const { AzureBlobStore } = require("./azureBlobStore") as typeof import("./azureBlobStore");
  return new AzureBlobStore(azure);
}

/** createBlobStore, then makes sure the store can be used (Azure: creates the container if missing). Throws BlobStoreUnavailable. */
export async function openBlobStore(db: Database, azure: AzureConfig | null): Promise<BlobStore> {
  const store = createBlobStore(db, azure);
  if (store.kind === "azure") await (store as AzureBlobStore).ensureReady();
  return store;
}

/** Where the store keeps content, for the start-up message (never a credential). */
export function describeBlobStore(store: BlobStore): string {
  return store.kind === "azure" ? (store as AzureBlobStore).describe : "the database";
}
