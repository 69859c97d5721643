// Azure going away and coming back, with a real Azurite that the test stops and
// restarts: every operation fails with BlobStoreUnavailable (promptly, not after
// minutes of retries: the test timeout below is the hang guard), and the same store
// instance works again once Azurite is back, with nothing to reset.
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { AzureBlobStore } from "../../src/store/blob/azureBlobStore";
import { BlobStoreUnavailable } from "../../src/store/blob/blobStore";
import { azuriteConnectionString, startAzurite, type Azurite } from "../helpers/azurite";
import { bytes, MiB, readAll, streamOf } from "../helpers/blobs";

jest.setTimeout(60_000);

let azurite: Azurite;
let store: AzureBlobStore;
const container = `ert-faults-${randomUUID().slice(0, 8)}`;
const keys: string[] = [];

function newKey(): string {
  const key = `files/${randomUUID()}`;
  keys.push(key);
  return key;
}

/** A client upload that keeps sending 256 KiB pieces until told to stop; calls onSent after `after` bytes. */
function endlessUpload(after: number, onSent: () => void): Readable {
  let sent = 0;
  let told = false;
  async function* pieces() {
    for (;;) {
      yield bytes(256 * 1024);
      sent += 256 * 1024;
      if (sent >= after && !told) {
        told = true;
        onSent();
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  return Readable.from(pieces(), { objectMode: false });
}

async function expectUnavailable(operation: Promise<unknown>) {
  const error = await operation.then(
    () => null,
    (e: Error) => e,
  );
  expect(error).toBeInstanceOf(BlobStoreUnavailable);
  expect(error!.message).toContain(`container '${container}'`);
  expect(error!.message).not.toContain("AccountKey");
}

beforeAll(async () => {
  azurite = await startAzurite();
  // small sub-blocks, so an upload is many requests and an outage lands in the middle of one
  store = new AzureBlobStore({ connectionString: azurite.connectionString, container }, { subBlockSize: MiB });
  await store.ensureReady();
});

afterAll(async () => {
  if (azurite) {
    await azurite.restart(); // whatever a test left it as
    await store.delete(keys);
    await azurite.close();
  }
});

test("while Azurite is stopped every operation fails with BlobStoreUnavailable; after a restart the same store works again", async () => {
  const kept = newKey();
  const keptContent = bytes(3 * MiB + 5);
  await store.put(kept, streamOf(keptContent));
  const staged = newKey();
  const blockId = (await store.stageBlock(staged, 0, streamOf(bytes(1000)))).blockId;

  await azurite.stop();
  await expectUnavailable(store.put(newKey(), streamOf(bytes(2 * MiB))));
  await expectUnavailable(store.read(kept));
  await expectUnavailable(store.read(kept, { start: 10, end: 20 }));
  await expectUnavailable(store.stageBlock(staged, 1, streamOf(bytes(10))));
  await expectUnavailable(store.commitBlocks(staged, [blockId]));
  await expectUnavailable(store.delete([kept]));
  await expectUnavailable(store.ensureReady());

  await azurite.restart();
  expect((await readAll(await store.read(kept))).equals(keptContent)).toBe(true);
  await store.commitBlocks(staged, [blockId]);
  expect((await readAll(await store.read(staged))).length).toBe(1000);
  const fresh = newKey();
  const freshContent = bytes(MiB + 1);
  await store.put(fresh, streamOf(freshContent));
  expect((await readAll(await store.read(fresh))).equals(freshContent)).toBe(true);
});

test("an upload in flight when Azurite dies fails with BlobStoreUnavailable and stops reading its input", async () => {
  const key = newKey();
  let killed: Promise<void> | null = null;
  const upload = endlessUpload(3 * MiB, () => (killed = azurite.stop()));
  await expectUnavailable(store.put(key, upload));
  expect(upload.destroyed).toBe(true);
  await killed;
  await azurite.restart();
  const content = bytes(2 * MiB);
  await store.put(key, streamOf(content));
  expect((await readAll(await store.read(key))).equals(content)).toBe(true);
});

test("a staged block in flight when Azurite dies fails with BlobStoreUnavailable", async () => {
  const key = newKey();
  let killed: Promise<void> | null = null;
  await expectUnavailable(store.stageBlock(key, 0, endlessUpload(2 * MiB, () => (killed = azurite.stop()))));
  await killed;
  await azurite.restart();
  const { blockId, size } = await store.stageBlock(key, 0, streamOf(bytes(100)));
  await store.commitBlocks(key, [blockId]);
  expect((await readAll(await store.read(key))).length).toBe(size);
});

test("a download in flight when Azurite dies ends with BlobStoreUnavailable", async () => {
  const key = newKey();
  await store.put(key, streamOf(bytes(48 * MiB)));
  const download = await store.read(key);
  const iterator = download[Symbol.asyncIterator]();
  await iterator.next(); // the first bytes arrived
  await azurite.stop();
  const error = await (async () => {
    for (;;) if ((await iterator.next()).done) return null;
  })().catch((e: Error) => e);
  expect(error).toBeInstanceOf(BlobStoreUnavailable);
  await azurite.restart();
  expect((await readAll(await store.read(key, { start: 0, end: 9 }))).length).toBe(10);
});

test("an Azure that never answered: ensureReady names the container and the address, not the key", async () => {
  // nothing listens on port 1 (a freed port could be taken by an Azurite of a parallel suite)
  const unreachable = new AzureBlobStore({ connectionString: azuriteConnectionString(1), container: "ert" });
  const error = await unreachable.ensureReady().catch((e: Error) => e);
  expect(error).toBeInstanceOf(BlobStoreUnavailable);
  expect((error as Error).message).toMatch(/Cannot use Azure Blob Storage container 'ert' at http:\/\/127.0.0.1:1\//);
  expect((error as Error).message).toMatch(/ECONNREFUSED/);
  expect((error as Error).message).not.toContain("AccountKey");
});
