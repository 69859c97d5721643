// Block upload of big files: POST .../blob creates the record, PUT .../blob?block_index=N
// stages each block (any order), PATCH .../blob commits them in index order.
import { unwrap, type ErtStorageClient } from "./client.js";

export interface UploadOptions {
  realizationIndex?: number;
  /** bytes per block; 8 MiB by default */
  blockSize?: number;
  /** blocks in flight at once; 2 by default */
  concurrency?: number;
  /** called after each staged block with the bytes sent so far and the total */
  onProgress?: (sent: number, total: number) => void;
  signal?: AbortSignal;
}

const BLOB = "/ensembles/{ensemble_id}/records/{name}/blob" as const;

/** Uploads a file record in blocks. `content` is a Blob (a File, or fs.openAsBlob in Node) or bytes. */
export async function uploadFile(
  client: ErtStorageClient,
  ensembleId: string,
  name: string,
  content: Blob | ArrayBuffer | ArrayBufferView,
  options: UploadOptions = {},
): Promise<void> {
  const blob =
    content instanceof Blob
      ? content
      : new Blob([content instanceof ArrayBuffer ? content : new Uint8Array(content.buffer, content.byteOffset, content.byteLength)] as BlobPart[]);
  const blockSize = options.blockSize ?? 8 * 1024 * 1024;
  if (!(blockSize > 0)) throw new RangeError("blockSize must be positive");
  const total = blob.size;
  const blocks = Math.max(1, Math.ceil(total / blockSize));
  const path = { ensemble_id: ensembleId, name };
  const realization = { realization_index: options.realizationIndex };
  await unwrap(client.POST(BLOB, { params: { path, query: realization }, signal: options.signal }));
  let sent = 0;
  let next = 0;
  const worker = async () => {
    while (next < blocks) {
      const index = next++;
      const part = blob.slice(index * blockSize, Math.min(total, (index + 1) * blockSize));
      await unwrap(
        client.PUT(BLOB, {
          params: { path, query: { ...realization, block_index: index } },
          body: part as never,
          bodySerializer: (b: unknown) => b as BodyInit,
          headers: { "Content-Type": "application/octet-stream" },
          signal: options.signal,
        }),
      );
      sent += part.size;
      options.onProgress?.(sent, total);
    }
  };
  await Promise.all(Array.from({ length: Math.min(blocks, Math.max(1, options.concurrency ?? 2)) }, worker));
  await unwrap(client.PATCH(BLOB, { params: { path, query: realization }, signal: options.signal }));
}
