import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { BlobServiceClient } from "@azure/storage-blob";
import { createApp } from "../../src/app";
import { CHUNK_SIZE } from "../../src/store/blob/databaseBlobStore";
import { openDatabase, type Database } from "../../src/store/db/connect";
import { Client } from "../helpers/client";
import { BACKENDS, startTestServer, type TestServer } from "../helpers/server";

describe.each(BACKENDS)("file records on %s", (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend);
  });
  afterAll(() => t.close());

  const upload = (ensembleId: string, name: string, content: Blob, filename: string, query = {}) => {
    const form = new FormData();
    form.append("file", content, filename);
    return t.api.post(`/ensembles/${ensembleId}/records/${name}/file`, { body: form, query });
  };

  test("a multipart file keeps its bytes, filename and content type", async () => {
    const { ensembleId } = await t.ensemble({ size: 2 });
    const bytes = randomBytes(3 * CHUNK_SIZE + 17);
    const res = await upload(ensembleId, "grid", new Blob([bytes], { type: "application/x-eclipse" }), "CASE.EGRID");
    expect(res.status).toBe(200);
    const get = await t.api.get(`/ensembles/${ensembleId}/records/grid`);
    expect(get.status).toBe(200);
    expect(get.bytes.equals(bytes)).toBe(true);
    expect(get.headers.get("content-type")).toBe("application/x-eclipse");
    expect(get.headers.get("content-disposition")).toBe('attachment; filename="CASE.EGRID"');
    expect(get.headers.get("content-length")).toBe(String(bytes.length));
  });

  test("per-realization files, an empty file, and a filename that needs quoting", async () => {
    const { ensembleId } = await t.ensemble({ size: 2 });
    expect((await upload(ensembleId, "log", new Blob(["zero"]), "a.txt", { realization_index: 0 })).status).toBe(200);
    expect((await upload(ensembleId, "log", new Blob([]), 'résumé "x".txt', { realization_index: 1 })).status).toBe(200);
    expect((await t.api.get(`/ensembles/${ensembleId}/records/log`, { query: { realization_index: 0 } })).text).toBe("zero");
    const second = await t.api.get(`/ensembles/${ensembleId}/records/log`, { query: { realization_index: 1 } });
    expect(second.bytes.length).toBe(0);
    expect(second.headers.get("content-disposition")).toBe(
      `attachment; filename="r_sum_ _x_.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22x%22.txt`,
    );
    expect((await t.api.get(`/ensembles/${ensembleId}/records/log`)).status).toBe(404);
    expect((await upload(ensembleId, "log", new Blob(["again"]), "a.txt", { realization_index: 0 })).status).toBe(409);
    expect((await upload(ensembleId, "log", new Blob(["x"]), "a.txt", { realization_index: 9 })).status).toBe(417);
  });

  test("a multipart body without the file field is 422", async () => {
    const { ensembleId } = await t.ensemble();
    const form = new FormData();
    form.append("other", "x");
    const res = await t.api.post(`/ensembles/${ensembleId}/records/f/file`, { body: form });
    expect(res.status).toBe(422);
  });

  test("block upload: blocks in any order, invisible until committed, concatenated in index order", async () => {
    const { ensembleId } = await t.ensemble({ size: 1 });
    const base = `/ensembles/${ensembleId}/records/big/blob`;
    expect((await t.api.post(base)).status).toBe(200);
    const blocks = [randomBytes(1000), randomBytes(CHUNK_SIZE + 5), randomBytes(10)];
    for (const i of [2, 0]) expect((await t.api.put(base, { body: blocks[i], query: { block_index: i } })).status).toBe(200);
    expect((await t.api.get(`/ensembles/${ensembleId}/records/big`)).status).toBe(404);
    const early = await t.api.patch(base);
    expect(early.status).toBe(422);
    expect(early.json.detail.error).toMatch(/block\(s\) 1 missing/);
    expect((await t.api.put(base, { body: blocks[1], query: { block_index: 1 } })).status).toBe(200);
    expect((await t.api.patch(base)).status).toBe(200);
    const get = await t.api.get(`/ensembles/${ensembleId}/records/big`);
    expect(get.status).toBe(200);
    expect(get.bytes.equals(Buffer.concat(blocks))).toBe(true);
    expect((await t.api.put(base, { body: "x", query: { block_index: -1 } })).status).toBe(422);
    expect((await t.api.put(`/ensembles/${ensembleId}/records/none/blob`, { body: "x", query: { block_index: 0 } })).status).toBe(404);
  });

  test("a commit with two billion blocks missing names the first 100 and counts the rest", async () => {
    const { ensembleId } = await t.ensemble({ size: 1 });
    const base = `/ensembles/${ensembleId}/records/far/blob`;
    expect((await t.api.post(base)).status).toBe(200);
    for (const i of [2147483647, 3, 1]) expect((await t.api.put(base, { body: "x", query: { block_index: i } })).status).toBe(200);
    const res = await t.api.patch(base); // it built every missing index before, and the process died of it
    expect(res.status).toBe(422);
    const missing = [0, 2, ...Array.from({ length: 98 }, (_, k) => k + 4)];
    expect(res.json.detail).toMatchObject({ missing_block_indices: missing, missing_block_count: 2147483648 - 3 });
    expect(res.json.detail.error).toBe(`Cannot commit record 'far': block(s) ${missing.join(", ")} and ${2147483648 - 3 - 100} more missing`);
    expect(res.text.length).toBeLessThan(2000);
    expect((await t.api.get("/healthcheck")).status).toBe(200);
  });

  test("deleting the experiment removes the file content", async () => {
    const { experimentId, ensembleId } = await t.ensemble({ size: 1 });
    await upload(ensembleId, "f", new Blob([randomBytes(CHUNK_SIZE + 100)]), "f.bin");
    const file = await t.db.prisma.file.findFirstOrThrow({ where: { record: { recordInfo: { ensembleId } } } });
    // where the content is: database chunks, or a blob in Azurite (ERT_STORAGE_TEST_BLOBS=azure)
    const stored = async () => {
      if (!t.azurite) return t.db.prisma.blobChunk.count({ where: { blobKey: file.blobKey } });
      const blob = BlobServiceClient.fromConnectionString(t.azurite.connectionString).getContainerClient("ert").getBlobClient(file.blobKey);
      return (await blob.exists()) ? 2 : 0;
    };
    expect(await stored()).toBe(2);
    await t.api.delete(`/experiments/${experimentId}`);
    expect(await stored()).toBe(0);
  });

  test(`a large file streams through (${backend === "postgres" ? 300 : 64} MB)`, async () => {
    const { ensembleId } = await t.ensemble({ size: 1 });
    const size = (backend === "postgres" ? 300 : 64) * 1024 * 1024;
    const piece = randomBytes(1024 * 1024);
    const sent = createHash("sha256");
    let left = size;
    const stream = new ReadableStream({
      pull(controller) {
        if (left === 0) return controller.close();
        const n = Math.min(left, piece.length);
        sent.update(piece.subarray(0, n));
        controller.enqueue(piece.subarray(0, n));
        left -= n;
      },
    });
    const boundary = "ert-boundary-7d3f";
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
    const tail = `\r\n--${boundary}--\r\n`;
    const body = Readable.toWeb(Readable.from((async function* () {
      yield Buffer.from(head);
      for await (const chunk of Readable.fromWeb(stream as never)) yield chunk;
      yield Buffer.from(tail);
    })())) as ReadableStream;
    const res = await t.api.post(`/ensembles/${ensembleId}/records/big/file`, {
      body,
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
    });
    expect(res.status).toBe(200);
    const got = await fetch(t.api.url(`/ensembles/${ensembleId}/records/big`));
    const received = createHash("sha256");
    let count = 0;
    for await (const chunk of Readable.fromWeb(got.body as never)) {
      received.update(chunk as Buffer);
      count += (chunk as Buffer).length;
    }
    expect(count).toBe(size);
    expect(received.digest("hex")).toBe(sent.digest("hex"));
  });
});

describe("staged blocks survive a restart of a server on a pglite directory", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ert-pglite-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function start(): Promise<{ db: Database; server: Server; api: Client }> {
    const db = await openDatabase({ kind: "pglite", dataDir: dir });
    const app = createApp({ db, token: null });
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    return { db, server, api: new Client(`http://127.0.0.1:${(server.address() as AddressInfo).port}`) };
  }
  async function stop(s: { db: Database; server: Server }) {
    await new Promise((resolve) => s.server.close(resolve));
    await s.db.close();
  }

  test("stage, restart, stage, commit", async () => {
    let s = await start();
    const exp = await s.api.post("/experiments", { json: { name: "restart" } });
    const ens = await s.api.post(`/experiments/${exp.json.id}/ensembles`, { json: { size: 1, parameter_names: [], response_names: [] } });
    const base = `/ensembles/${ens.json.id}/records/r/blob`;
    await s.api.post(base);
    await s.api.put(base, { body: "second", query: { block_index: 1 } });
    await stop(s);
    s = await start();
    await s.api.put(base, { body: "first-", query: { block_index: 0 } });
    expect((await s.api.patch(base)).status).toBe(200);
    expect((await s.api.get(`/ensembles/${ens.json.id}/records/r`)).text).toBe("first-second");
    await stop(s);
  });
});
