// Every request has a size limit, set by an environment variable; over it: 413 naming both.
import { randomBytes } from "node:crypto";
import net from "node:net";
import { writeNpy } from "../../src/formats/npy";
import { compactZeros } from "../../src/formats/testing";
import { BACKENDS, startTestServer, type TestServer } from "../helpers/server";

describe.each(BACKENDS)("request limits on %s", (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend, { limits: { jsonBytes: 2000, matrixBytes: 4000, blockBytes: 1000, ensembleSize: 50 } });
  });
  afterAll(() => t.close());

  test("JSON bodies, matrices and blocks over their limits are 413 naming the limit and the variable; nothing is stored", async () => {
    const experimentId = await t.experiment();
    const big = await t.api.put(`/experiments/${experimentId}/userdata`, { json: { text: "x".repeat(3000) } });
    expect(big.status).toBe(413);
    expect(big.json.detail).toBe("Request body larger than 2000 bytes, the limit for JSON bodies; ERT_STORAGE_MAX_JSON_BYTES sets it");
    expect((await t.api.get(`/experiments/${experimentId}/userdata`)).json).toEqual({});

    const { ensembleId } = await t.ensemble({ size: 2 });
    const npy = writeNpy(new Float64Array(600), [600]);
    const matrix = await t.api.post(`/ensembles/${ensembleId}/records/M/matrix`, { body: npy, headers: { "content-type": "application/x-numpy" } });
    expect(matrix.status).toBe(413);
    expect(matrix.json.detail).toMatch(/4000 bytes, the limit for matrices; ERT_STORAGE_MAX_MATRIX_BYTES/);
    const json = await t.api.post(`/ensembles/${ensembleId}/records/M/matrix`, { json: new Array(1000).fill(1.5) });
    expect(json.status).toBe(413);
    expect(json.json.detail).toMatch(/4000 bytes, the limit for matrices; ERT_STORAGE_MAX_MATRIX_BYTES/);
    const csv = await t.api.post(`/ensembles/${ensembleId}/records/M/matrix`, { body: `,a\n0,${"1.5".repeat(2000)}\n`, headers: { "content-type": "text/csv" } });
    expect(csv.status).toBe(413);
    expect(csv.json.detail).toMatch(/the limit for matrices; ERT_STORAGE_MAX_MATRIX_BYTES/);
    expect((await t.api.get(`/ensembles/${ensembleId}/records`)).json).toEqual({});

    // Parquet holds many values in few bytes: the limit counts what the body decodes to,
    // from the file's footer, whichever reader would read it (a 221 kB ZSTD file of 64M
    // zeros took 34 s and 4.7 GB before)
    for (const [codec, rows] of [["SNAPPY", 600], ["ZSTD", 600], ["ZSTD", 1_000_000]] as const) {
      const body = compactZeros(rows, 1, codec);
      expect(body.length).toBeLessThan(4000);
      const parquet = await t.api.post(`/ensembles/${ensembleId}/records/M/matrix`, { body, headers: { "content-type": "application/x-parquet" } });
      expect([codec, rows, parquet.status]).toEqual([codec, rows, 413]);
      expect(parquet.json.detail).toBe(
        `Request body decodes to more than 4000 bytes, the limit for matrices; ERT_STORAGE_MAX_MATRIX_BYTES sets it (a parquet file of ${rows} rows x 1 columns is more than the 500 values (4000 bytes of float64) one may decode to)`,
      );
    }
    expect(Object.keys((await t.api.get(`/ensembles/${ensembleId}/records`)).json)).toEqual([]);
    const within = await t.api.post(`/ensembles/${ensembleId}/records/W/matrix`, { body: compactZeros(500, 1, "ZSTD"), headers: { "content-type": "application/x-parquet" } });
    expect(within.status).toBe(200);
    expect((await t.api.get(`/ensembles/${ensembleId}/records/W`, { headers: { accept: "application/json" } })).json).toEqual(new Array(500).fill([0]));
    // no index column: pandas' default 0..n-1, stored as no labels (not 500 of them) and answered so
    expect((await t.db.pool.query("SELECT row_labels FROM matrix WHERE record_id = $1", [within.json.id])).rows).toEqual([{ row_labels: null }]);
    const numbered = await t.api.get(`/ensembles/${ensembleId}/records/W`, { headers: { accept: "text/csv" } });
    expect(numbered.text.split("\n").slice(1, -1).map((line) => line.split(",")[0])).toEqual(Array.from({ length: 500 }, (_, i) => String(i)));

    await t.api.post(`/ensembles/${ensembleId}/records/B/blob`);
    const block = await t.api.put(`/ensembles/${ensembleId}/records/B/blob`, { body: randomBytes(1500), query: { block_index: 0 } });
    expect(block.status).toBe(413);
    expect(block.json.detail).toMatch(/1000 bytes, the limit for a staged block; ERT_STORAGE_MAX_BLOCK_BYTES/);
    const streamed = await t.api.put(`/ensembles/${ensembleId}/records/B/blob`, {
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 3; i++) controller.enqueue(randomBytes(600));
          controller.close();
        },
      }),
      query: { block_index: 0 },
    });
    expect(streamed.status).toBe(413); // no Content-Length: cut off while streaming
    expect((await t.api.patch(`/ensembles/${ensembleId}/records/B/blob`)).status).toBe(422); // no block was recorded
  });

  test("matrix bodies: read whole with or without a length; one cut short stores nothing and the server goes on", async () => {
    const { ensembleId } = await t.ensemble({ size: 2 });
    const path = (name: string) => `/ensembles/${ensembleId}/records/${name}/matrix`;
    const values = [0.1, -0, 1e-300, 123456.789];
    // with a Content-Length
    expect((await t.api.post(path("L"), { json: values })).status).toBe(200);
    // chunked: no length known in advance
    const chunked = await t.api.post(path("C"), {
      body: new ReadableStream({
        start(controller) {
          for (const part of ["[0.1, -0.0, ", "1e-300, 123456.789]"]) controller.enqueue(new TextEncoder().encode(part));
          controller.close();
        },
      }),
      headers: { "content-type": "application/json" },
    });
    expect(chunked.status).toBe(200);
    for (const name of ["L", "C"]) {
      const back = await t.api.get(`/ensembles/${ensembleId}/records/${name}`);
      expect(back.text).toBe("[0.1, -0.0, 1e-300, 123456.789]");
    }
    // declared 1000 bytes, sent 10, then the connection closes
    await new Promise<void>((resolve, reject) => {
      const url = new URL(t.api.base);
      const socket = net.connect(Number(url.port), url.hostname, () => {
        socket.end(`POST ${path("Cut")} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n[1.5, 2.5,`);
      });
      socket.on("error", reject);
      socket.on("close", () => resolve());
      socket.resume();
    });
    const records = (await t.api.get(`/ensembles/${ensembleId}/records`)).json;
    expect(Object.keys(records).sort()).toEqual(["C", "L"]);
    expect((await t.api.post(path("After"), { json: [1, 2] })).status).toBe(200);
  });

  test("a body over its limit is read to its end and answered 413 on a connection that stays open; one declaring more than 64 MiB is not read", async () => {
    const { ensembleId } = await t.ensemble({ size: 1 });
    const url = new URL(t.api.base);
    const connect = async () => {
      const socket = net.connect(Number(url.port), url.hostname);
      await new Promise((resolve) => socket.once("connect", resolve));
      const state = { answer: "", closed: false };
      socket.on("data", (d: Buffer) => (state.answer += d.toString("latin1")));
      socket.on("close", () => (state.closed = true));
      socket.on("error", () => undefined);
      return { socket, state };
    };
    const waitFor = async (done: () => boolean) => {
      for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
    };
    // as a client that writes the whole body before it reads (fetch, Python requests): every
    // byte is sent, then the next request on the same connection
    const body = writeNpy(new Float64Array(600), [600]); // 4928 bytes, over the 4000 of matrices
    const { socket, state } = await connect();
    socket.write(
      Buffer.concat([
        Buffer.from(`POST /ensembles/${ensembleId}/records/M/matrix HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-numpy\r\nContent-Length: ${body.length}\r\n\r\n`),
        body,
        Buffer.from("GET /healthcheck HTTP/1.1\r\nHost: x\r\n\r\n"),
      ]),
    );
    await waitFor(() => /HTTP\/1\.1 200/.test(state.answer) || state.closed);
    expect(state.answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(state.answer).toMatch(/4000 bytes, the limit for matrices/);
    expect(state.answer.toLowerCase()).not.toContain("connection: close");
    expect(state.answer).toMatch(/HTTP\/1\.1 200 /); // the same connection answered the next request
    socket.destroy();

    // the same for a JSON body over its limit
    const experimentId = await t.experiment();
    const text = JSON.stringify({ text: "x".repeat(3000) });
    const json = await connect();
    json.socket.write(`PUT /experiments/${experimentId}/userdata HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${text.length}\r\n\r\n${text}GET /healthcheck HTTP/1.1\r\nHost: x\r\n\r\n`);
    await waitFor(() => /HTTP\/1\.1 200/.test(json.state.answer) || json.state.closed);
    expect(json.state.answer).toMatch(/^HTTP\/1\.1 413 [^]*2000 bytes, the limit for JSON bodies[^]*HTTP\/1\.1 200 /);
    json.socket.destroy();

    // a length beyond what is worth reading: the answer comes before any of the body, and the connection closes
    for (const [method, path, type] of [
      ["POST", `/ensembles/${ensembleId}/records/M/matrix`, "application/x-numpy"],
      ["PUT", `/experiments/${experimentId}/userdata`, "application/json"],
    ]) {
      const huge = await connect();
      huge.socket.write(`${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nContent-Length: ${64 * 1024 * 1024 + 1}\r\n\r\n`);
      await waitFor(() => huge.state.closed);
      expect([path, huge.state.answer]).toEqual([path, expect.stringMatching(/^HTTP\/1\.1 413 /)]);
      expect(huge.state.answer.toLowerCase()).toContain("connection: close");
      expect(huge.state.closed).toBe(true);
    }
    expect((await t.api.get(`/ensembles/${ensembleId}/records`)).json).toEqual({});
    expect((await t.api.get(`/experiments/${experimentId}/userdata`)).json).toEqual({});
  });

  test("an ensemble larger than the maximum size is refused before anything is made", async () => {
    const experimentId = await t.experiment();
    const res = await t.api.post(`/experiments/${experimentId}/ensembles`, { json: { size: 51, parameter_names: [], response_names: [] } });
    expect(res.status).toBe(422);
    expect(res.json.detail).toEqual([
      { loc: ["body", "size"], msg: "ensure this value is less than or equal to 50 (ERT_STORAGE_MAX_ENSEMBLE_SIZE)", type: "value_error.number.not_le" },
    ]);
    for (const size of [2.5, 1e300, -2]) {
      const bad = await t.api.post(`/experiments/${experimentId}/ensembles`, { json: { size, parameter_names: [], response_names: [] } });
      expect(bad.status).toBe(422);
      expect(JSON.stringify(bad.json.detail)).toMatch(/size/);
    }
    expect((await t.api.get(`/experiments/${experimentId}/ensembles`)).json).toEqual([]);
  });
});

describe("a streamed body whose client goes away", () => {
  test("ends in an error for its reader, not in a wait for ever (with and without a length)", async () => {
    const express = (await import("express")).default;
    const { limitedBody } = await import("../../src/http/bodies");
    const outcomes: Promise<string>[] = [];
    const app = express();
    app.post("/", (req) => {
      outcomes.push(
        (async () => {
          try {
            for await (const piece of limitedBody(req, 1 << 20, "matrices", "ERT_STORAGE_MAX_MATRIX_BYTES")) void piece;
            return "ended";
          } catch (error) {
            return `failed: ${(error as Error).message}`;
          }
        })(),
      );
    });
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      for (const head of ["Content-Length: 1000", "Transfer-Encoding: chunked"]) {
        const socket = net.connect(port, "127.0.0.1");
        await new Promise((resolve) => socket.once("connect", resolve));
        const start = head.startsWith("Transfer") ? "a\r\n0123456789\r\n" : "0123456789";
        socket.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${head}\r\n\r\n${start}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
        socket.destroy();
      }
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise((resolve) => (timer = setTimeout(() => resolve("still waiting"), 3000)));
      const settled = await Promise.race([Promise.all(outcomes.map((o) => o)), waited]);
      clearTimeout(timer); // left running, it kept the test's process alive 3 s after the run
      expect(settled).toEqual(["failed: request aborted", "failed: request aborted"]);
    } finally {
      server.close();
    }
  });
});
