// The BlobStore port's contract, run against every implementation on its real
// backend: the database store on PGlite and on PostgreSQL, the Azure store on Azurite.
import { randomUUID } from "node:crypto";
import {
  BlobServiceClient,
  ContainerSASPermissions,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
  type ContainerClient,
} from "@azure/storage-blob";
import { AzureBlobStore } from "../../src/store/blob/azureBlobStore";
import { BlobStoreUnavailable, type BlobStore } from "../../src/store/blob/blobStore";
import { CHUNK_SIZE } from "../../src/store/blob/databaseBlobStore";
import { createBlobStore } from "../../src/store/blob";
import { openDatabase, type Database } from "../../src/store/db/connect";
import { devAccount, startAzurite, type Azurite } from "../helpers/azurite";
import { bytes, failingStream, InputFailed, MiB, readAll, streamOf } from "../helpers/blobs";
import { testDatabaseUrl } from "../helpers/env";

interface Subject {
  store: BlobStore;
  db: Database;
  /** the store's unit of storage: a database chunk, an Azure sub-block */
  unit: number;
  azure?: { azurite: Azurite; container: ContainerClient; config: { connectionString: string; container: string } };
  close(): Promise<void>;
}

type Setup = () => Promise<Subject>;

const database =
  (kind: "pglite" | "postgres"): Setup =>
  async () => {
    const db = await openDatabase(kind === "pglite" ? { kind, dataDir: null } : { kind, url: testDatabaseUrl() });
    return { store: createBlobStore(db, null), db, unit: CHUNK_SIZE, close: () => db.close() };
  };

const azure: Setup = async () => {
  const azurite = await startAzurite();
  const db = await openDatabase({ kind: "pglite", dataDir: null });
  const config = { connectionString: azurite.connectionString, container: `ert-test-${randomUUID().slice(0, 8)}` };
  const store = createBlobStore(db, config) as AzureBlobStore;
  await store.ensureReady();
  const container = BlobServiceClient.fromConnectionString(config.connectionString).getContainerClient(config.container);
  return {
    store,
    db,
    unit: 8 * MiB,
    azure: { azurite, container, config },
    async close() {
      await container.deleteIfExists();
      await db.close();
      await azurite.close();
    },
  };
};

describe.each([
  ["database store on PGlite", database("pglite")],
  ["database store on PostgreSQL", database("postgres")],
  ["Azure store on Azurite", azure],
] as [string, Setup][])("BlobStore contract: %s", (_name, setup) => {
  let subject: Subject;
  let store: BlobStore;
  /** keys and block ids this test created, removed and checked after each test */
  let used: string[] = [];

  beforeAll(async () => {
    subject = await setup();
    store = subject.store;
  });
  afterAll(async () => {
    await subject?.close();
  });
  afterEach(async () => {
    await store.delete(used);
    expect(await chunkRows(used)).toBe(0);
    if (subject.azure) expect(await blobNames(used)).toEqual([]);
    used = [];
  });

  function newKey(): string {
    const key = `files/${randomUUID()}`;
    used.push(key);
    return key;
  }

  async function stage(key: string, index: number, content: Buffer) {
    const staged = await store.stageBlock(key, index, streamOf(content));
    used.push(staged.blockId);
    expect(staged.size).toBe(content.length);
    return staged.blockId;
  }

  /** blob_chunk rows of these keys and of blocks staged for them */
  async function chunkRows(keys: string[]): Promise<number> {
    if (keys.length === 0) return 0;
    const result = await subject.db.pool.query<{ n: string }>(
      "SELECT count(*) AS n FROM blob_chunk WHERE blob_key = ANY($1::text[]) OR blob_key LIKE ANY($2::text[])",
      [keys, keys.map((k) => `${k}/%`)],
    );
    return Number(result.rows[0].n);
  }

  /** names of blobs in the Azurite container among these keys */
  async function blobNames(keys: string[]): Promise<string[]> {
    const names: string[] = [];
    for await (const blob of subject.azure!.container.listBlobsFlat()) if (keys.includes(blob.name)) names.push(blob.name);
    return names;
  }

  /** uncommitted Azure blocks staged for key (0 when the blob does not exist at all) */
  async function uncommitted(key: string): Promise<number> {
    try {
      const list = await subject.azure!.container.getBlockBlobClient(key).getBlockList("uncommitted");
      return list.uncommittedBlocks?.length ?? 0;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return 0;
      throw error;
    }
  }

  async function expectContent(key: string, expected: Buffer) {
    const actual = await readAll(await store.read(key));
    expect(actual.length).toBe(expected.length);
    expect(actual.equals(expected)).toBe(true);
    // as pieces: each done once copied (its memory may then hold a later one), or all held
    const copied: Buffer[] = [];
    for await (const piece of await store.readPieces(key)) {
      copied.push(Buffer.from(piece.bytes));
      piece.done();
    }
    expect(Buffer.concat(copied).equals(expected)).toBe(true);
    const held: Buffer[] = [];
    for await (const piece of await store.readPieces(key)) held.push(piece.bytes);
    expect(Buffer.concat(held).equals(expected)).toBe(true);
  }

  async function expectGone(key: string) {
    const error = await store.read(key).then(readAll).then(
      () => null,
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(BlobStoreUnavailable);
    expect(error!.message).toMatch(/not found/);
    // before the first piece is asked for
    await expect(store.readPieces(key)).rejects.toThrow(/not found/);
  }

  test("put and read round-trip random bytes of every size around the storage unit", async () => {
    const unit = subject.unit;
    for (const size of [0, 1, unit - 1, unit + 1, 20 * MiB + 13]) {
      const key = newKey();
      const content = bytes(size);
      expect(await store.put(key, streamOf(content))).toBe(size);
      await expectContent(key, content);
    }
  });

  test("the content is where the store keeps it, and only there", async () => {
    const key = newKey();
    const content = bytes(subject.unit + 5);
    await store.put(key, streamOf(content));
    if (subject.azure) {
      const props = await subject.azure.container.getBlobClient(key).getProperties();
      expect(props.contentLength).toBe(content.length);
      expect(await blobNames([key])).toEqual([key]);
      const all = await subject.db.pool.query<{ n: string }>("SELECT count(*) AS n FROM blob_chunk");
      expect(Number(all.rows[0].n)).toBe(0);
    } else {
      expect(await chunkRows([key])).toBe(2);
    }
  });

  test("ranges: inclusive ends, open ends, across units, clipped at the end, beyond the end refused", async () => {
    const unit = subject.unit;
    const key = newKey();
    const size = 3 * unit + 5;
    const content = bytes(size);
    await store.put(key, streamOf(content));
    const cases: [number, number | undefined][] = [
      [0, 0],
      [0, undefined],
      [unit - 1, unit],
      [5, undefined],
      [2 * unit + 3, size - 1],
      [10, size + 100],
      [size - 1, undefined],
    ];
    for (const [start, end] of cases) {
      const part = await readAll(await store.read(key, { start, end }));
      expect(part.equals(content.subarray(start, end === undefined ? size : end + 1))).toBe(true);
    }
    await expect(store.read(key, { start: size })).rejects.toThrow(RangeError);
    await expect(store.read(key, { start: 4, end: 3 })).rejects.toThrow(RangeError);
  });

  test("blocks staged out of order (and at once) commit in the order given", async () => {
    const unit = subject.unit;
    const key = newKey();
    const blocks = [bytes(unit + 3), bytes(1), bytes(2 * unit - 1), bytes(0), bytes(777)];
    const order = [2, 0, 4, 1, 3];
    const ids: string[] = [];
    await Promise.all(order.map(async (i) => (ids[i] = await stage(key, i, blocks[i]))));
    await expectGone(key); // staged blocks are invisible
    await store.commitBlocks(key, ids);
    const whole = Buffer.concat(blocks);
    await expectContent(key, whole);
    // a range across the boundaries of blocks (whose last units are short)
    const start = unit - 2;
    const end = unit + 3 + 1 + 10;
    expect((await readAll(await store.read(key, { start, end }))).equals(whole.subarray(start, end + 1))).toBe(true);
    if (subject.azure) expect(await uncommitted(key)).toBe(0);
  });

  test("a re-staged block gets a new id; the new content wins and nothing stale is left", async () => {
    const key = newKey();
    const first = bytes(subject.unit + 9);
    const old = bytes(1000);
    const replacement = bytes(2000);
    const id0 = await stage(key, 0, first);
    const oldId = await stage(key, 1, old);
    const newId = await stage(key, 1, replacement);
    expect(newId).not.toBe(oldId);
    await store.discardBlocks(key, [oldId]);
    await store.commitBlocks(key, [id0, newId]);
    await expectContent(key, Buffer.concat([first, replacement]));
    if (subject.azure) expect(await uncommitted(key)).toBe(0);
    else expect(await chunkRows([oldId])).toBe(0);
  });

  test("committing twice changes nothing and loses nothing", async () => {
    const key = newKey();
    const blocks = [bytes(subject.unit + 1), bytes(12345)];
    const ids = [await stage(key, 0, blocks[0]), await stage(key, 1, blocks[1])];
    await store.commitBlocks(key, ids);
    await store.commitBlocks(key, ids);
    await expectContent(key, Buffer.concat(blocks));
    await store.commitBlocks(key, ids);
    await expectContent(key, Buffer.concat(blocks));
  });

  test("a commit naming a block that was never staged is refused and keeps the content", async () => {
    const key = newKey();
    const content = bytes(100);
    await store.put(key, streamOf(content));
    const staged = await stage(key, 0, bytes(10));
    // the same id with another attempt in it
    const missing = staged.replace(/\/blocks\/0\/([0-9a-f])/, (_m, c: string) => `/blocks/0/${c === "0" ? "1" : "0"}`);
    expect(missing).not.toBe(staged);
    await expect(store.commitBlocks(key, [staged, missing])).rejects.toThrow(/not found/);
    await expect(store.commitBlocks(key, [`files/${randomUUID()}/blocks/0/x`])).rejects.toThrow(/not staged for/);
    await expectContent(key, content);
  });

  test("put over existing content replaces it", async () => {
    const key = newKey();
    await store.put(key, streamOf(bytes(2 * subject.unit + 1)));
    const second = bytes(10);
    expect(await store.put(key, streamOf(second))).toBe(10);
    await expectContent(key, second);
    if (!subject.azure) expect(await chunkRows([key])).toBe(1);
  });

  test("delete removes content and staged blocks; unknown keys are ignored", async () => {
    const stagedOnly = newKey();
    const put = newKey();
    const committed = newKey();
    const stagedIds = [await stage(stagedOnly, 0, bytes(subject.unit + 1)), await stage(stagedOnly, 1, bytes(5))];
    await store.put(put, streamOf(bytes(100)));
    const ids = [await stage(committed, 0, bytes(50))];
    await store.commitBlocks(committed, ids);
    const leftover = await stage(committed, 1, bytes(60)); // staged after the commit
    // as the domain calls it: the file keys with the ids of their staged blocks
    await store.delete([stagedOnly, ...stagedIds, put, committed, ...ids, leftover, `files/${randomUUID()}`]);
    for (const key of [stagedOnly, put, committed]) await expectGone(key);
    expect(await chunkRows([stagedOnly, put, committed])).toBe(0);
    if (subject.azure) {
      expect(await blobNames([stagedOnly, put, committed])).toEqual([]);
      for (const key of [stagedOnly, committed]) expect(await uncommitted(key)).toBe(0);
    }
  });

  test("delete of a key also removes blocks staged for it that nobody recorded (a server killed mid-upload)", async () => {
    const key = newKey();
    const unknown = await store.stageBlock(key, 0, streamOf(bytes(subject.unit + 3)));
    await store.stageBlock(key, 1, streamOf(bytes(10)));
    if (!subject.azure) expect(await chunkRows([unknown.blockId])).toBeGreaterThan(0);
    await store.delete([key]);
    expect(await chunkRows([key])).toBe(0);
    if (subject.azure) expect(await uncommitted(key)).toBe(0);
  });

  test("a failing input stream leaves nothing under the key, and its own error comes back", async () => {
    const unit = subject.unit;
    const fresh = newKey();
    await expect(store.put(fresh, failingStream(unit + unit / 2))).rejects.toThrow(InputFailed);
    await expectGone(fresh);
    const existing = newKey();
    await store.put(existing, streamOf(bytes(300)));
    await expect(store.put(existing, failingStream(2 * unit + 1))).rejects.toThrow(InputFailed);
    await expectGone(existing);
    const blocks = newKey();
    await expect(store.stageBlock(blocks, 0, failingStream(unit + 1))).rejects.toThrow(InputFailed);
    expect(await chunkRows([existing, fresh, blocks])).toBe(0);
    if (subject.azure) {
      expect(await blobNames([fresh, existing, blocks])).toEqual([]);
      for (const key of [fresh, existing]) expect(await uncommitted(key)).toBe(0);
    }
  });

  test("reading a key that holds nothing is a plain not-found error", async () => {
    await expectGone(`files/${randomUUID()}`);
  });

  if (setup !== azure) {
    test("read as pieces, a piece's memory holds a later one once it is done, and never while it is held", async () => {
      const key = newKey();
      const content = bytes(20 * MiB + 13); // more chunks than one batch read
      await store.put(key, streamOf(content));
      const memory = (pieces: { bytes: Buffer }[]) => new Set(pieces.map((p) => p.bytes.buffer)).size;
      const done: { bytes: Buffer }[] = [];
      let offset = 0;
      for await (const piece of await store.readPieces(key)) {
        expect(piece.bytes.equals(content.subarray(offset, offset + piece.bytes.length))).toBe(true);
        offset += piece.bytes.length;
        done.push(piece);
        piece.done();
        piece.done(); // twice changes nothing
      }
      expect(offset).toBe(content.length);
      // 21 pieces in no more memory than two batches' worth
      expect(done.length).toBe(21);
      expect(memory(done)).toBeLessThanOrEqual(16);
      const held: { bytes: Buffer }[] = [];
      for await (const piece of await store.readPieces(key)) held.push(piece);
      expect(memory(held)).toBe(21);
      expect(Buffer.concat(held.map((p) => p.bytes)).equals(content)).toBe(true);
    });
  }

  if (setup === azure) {
    test("blocks staged through one store instance are committed through another (another server process)", async () => {
      const other = new AzureBlobStore(subject.azure!.config);
      const key = newKey();
      const blocks = [bytes(8 * MiB + 100), bytes(3)];
      const ids = [await stage(key, 0, blocks[0]), await stage(key, 1, blocks[1])];
      await other.commitBlocks(key, ids);
      await expectContent(key, Buffer.concat(blocks));
      await other.commitBlocks(key, ids);
      expect((await readAll(await other.read(key))).equals(Buffer.concat(blocks))).toBe(true);
    });

    test("a connection string with a SAS for the existing container only: ready without creating it, and it stores", async () => {
      const { name, key } = devAccount();
      const sas = generateBlobSASQueryParameters(
        {
          containerName: subject.azure!.config.container,
          permissions: ContainerSASPermissions.parse("racwdl"),
          expiresOn: new Date(Date.now() + 3600_000),
        },
        new StorageSharedKeyCredential(name, key),
      ).toString();
      const connectionString = `BlobEndpoint=http://127.0.0.1:${subject.azure!.azurite.port}/${name};SharedAccessSignature=${sas}`;
      const scoped = new AzureBlobStore({ connectionString, container: subject.azure!.config.container });
      await scoped.ensureReady();
      expect(scoped.describe).not.toContain("sig=");
      const k = newKey();
      const content = bytes(1000);
      await scoped.put(k, streamOf(content));
      expect((await readAll(await scoped.read(k))).equals(content)).toBe(true);
      const elsewhere = new AzureBlobStore({ connectionString, container: "other" });
      const error = await elsewhere.ensureReady().catch((e: Error) => e);
      expect(error).toBeInstanceOf(BlobStoreUnavailable);
      expect((error as Error).message).not.toMatch(/sig=(?!REDACTED)/);
    });

    test("deleting the key alone drops the blocks staged for it", async () => {
      const key = newKey();
      await stage(key, 0, bytes(1000));
      expect(await uncommitted(key)).toBe(1);
      await store.delete([key]);
      expect(await uncommitted(key)).toBe(0);
    });

    test("small sub-blocks: a stream is cut into many Azure blocks, staged a few at a time", async () => {
      const small = new AzureBlobStore(subject.azure!.config, { subBlockSize: 64 * 1024, concurrency: 3 });
      const key = newKey();
      const content = bytes(64 * 1024 * 20 + 7);
      const staged = await small.stageBlock(key, 0, streamOf(content, 10_000));
      used.push(staged.blockId);
      expect(await uncommitted(key)).toBe(21);
      await small.commitBlocks(key, [staged.blockId]);
      const list = await subject.azure!.container.getBlockBlobClient(key).getBlockList("committed");
      expect(list.committedBlocks!.map((b) => b.size)).toEqual([...Array(20).fill(64 * 1024), 7]);
      await expectContent(key, content);
    });
  }
});
