// Matrix bodies sent with Content-Encoding gzip or deflate: decoded as they arrive, into the
// same streaming readers as plain bodies (a few megabytes of gzip can hold gigabytes of
// values), so every format keeps every bit, the limit counts decoded bytes, and a body that
// is not what its encoding says is a 400 that stores nothing.
import http from "node:http";
import zlib from "node:zlib";
import fc from "fast-check";
import { readNpy, writeNpy } from "../../src/formats/npy";
import { readParquet, writeParquet } from "../../src/formats/parquet";
import { stringifyJson } from "../../src/formats/json";
import { BACKENDS, startTestServer, type TestServer } from "../helpers/server";

const ENCODERS = { gzip: zlib.gzipSync, "x-gzip": zlib.gzipSync, deflate: zlib.deflateSync } as const;
type Encoding = keyof typeof ENCODERS;

const bitsOf = (xs: ArrayLike<number>) => Buffer.from(Float64Array.from(xs).buffer).toString("hex");

/** A body of each format holding values as rows x cols, with the Content-Type it is posted as. */
function bodyOf(format: "npy" | "csv" | "json" | "parquet", values: number[], rows: number, cols: number): { type: string; body: Buffer } {
  const data = Float64Array.from(values);
  const row = (r: number) => values.slice(r * cols, (r + 1) * cols);
  switch (format) {
    case "npy":
      return { type: "application/x-numpy", body: writeNpy(data, [rows, cols]) };
    case "json":
      return { type: "application/json", body: Buffer.from(stringifyJson(Array.from({ length: rows }, (_, r) => row(r)))) };
    case "csv": {
      const head = "," + Array.from({ length: cols }, (_, c) => `c${c}`).join(",");
      const lines = Array.from({ length: rows }, (_, r) => [r, ...row(r).map((x) => (Object.is(x, -0) ? "-0.0" : String(x)))].join(","));
      return { type: "text/csv", body: Buffer.from([head, ...lines].join("\n") + "\n") };
    }
    case "parquet":
      return {
        type: "application/x-parquet",
        body: writeParquet({
          shape: [rows, cols],
          data,
          columns: { kind: "string", values: Array.from({ length: cols }, (_, c) => `c${c}`) },
          index: { kind: "int", values: Array.from({ length: rows }, (_, r) => r) },
        }),
      };
  }
}

describe.each(BACKENDS)("compressed matrix bodies on %s", (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend);
  });
  afterAll(() => t.close());

  test("gzip and deflate bodies of every format keep every bit", async () => {
    const { ensembleId } = await t.ensemble({ size: 2, parameter_names: ["P"] });
    const finite = fc.double({ noNaN: true, noDefaultInfinity: true }); // CSV text has no NaN token of its own here
    const sample = fc
      .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 6 }))
      .chain(([rows, cols]) =>
        fc.record({
          rows: fc.constant(rows),
          cols: fc.constant(cols),
          values: fc.array(finite, { minLength: rows * cols, maxLength: rows * cols }),
          format: fc.constantFrom("npy" as const, "csv" as const, "json" as const, "parquet" as const),
          encoding: fc.constantFrom(...(Object.keys(ENCODERS) as Encoding[])),
        }),
      );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(sample, async ({ rows, cols, values, format, encoding }) => {
        const name = `P${n++}`;
        const { type, body } = bodyOf(format, values, rows, cols);
        const post = await t.api.post(`/ensembles/${ensembleId}/records/${name}/matrix`, {
          body: ENCODERS[encoding](body),
          headers: { "content-type": type, "content-encoding": encoding },
        });
        expect([format, encoding, post.status, post.text]).toEqual([format, encoding, 200, expect.any(String)]);
        const back = await t.api.get(`/ensembles/${ensembleId}/records/${name}`, { headers: { accept: "application/x-numpy" } });
        const m = readNpy(back.bytes);
        expect(m.shape).toEqual([rows, cols]);
        expect(bitsOf(m.data)).toBe(bitsOf(values));
      }),
      { numRuns: 40 },
    );
  });

  test("a large gzip NPY body streams into the store and reads back whole", async () => {
    const { ensembleId } = await t.ensemble({ size: 2, parameter_names: ["P"] });
    const [rows, cols] = [300, 5000]; // 12 MB of values, past the inline size: they go to the blob store as they arrive
    const data = Float64Array.from({ length: rows * cols }, (_, i) => (i % 7 === 0 ? Math.sin(i) : 0));
    const npy = writeNpy(data, [rows, cols]);
    const post = await t.api.post(`/ensembles/${ensembleId}/records/P/matrix`, {
      body: zlib.gzipSync(npy, { level: 1 }),
      headers: { "content-type": "application/x-numpy", "content-encoding": "gzip" },
    });
    expect(post.status).toBe(200);
    const back = await t.api.get(`/ensembles/${ensembleId}/records/P`, { headers: { accept: "application/x-numpy" } });
    expect(back.bytes.equals(npy)).toBe(true);
    const parquet = await t.api.get(`/ensembles/${ensembleId}/records/P`, { headers: { accept: "application/x-parquet" } });
    expect(bitsOf(readParquet(parquet.bytes).data)).toBe(bitsOf(data));
  });

  test("a body that is not valid gzip or deflate is a 400 naming the encoding, and nothing is stored", async () => {
    const { ensembleId } = await t.ensemble({ size: 2, parameter_names: ["P"] });
    const npy = writeNpy(new Float64Array([1, 2, 3]), [3]);
    const cases: [string, string, Buffer][] = [
      ["gzip", "application/x-numpy", npy],
      ["deflate", "text/csv", Buffer.from(",a\n0,1.5\n")],
      ["gzip", "application/json", zlib.gzipSync(Buffer.from("[[1, 2]]")).subarray(0, 12)], // cut short
      ["gzip", "application/x-parquet", Buffer.from("PAR1 but not gzip")],
    ];
    for (const [encoding, type, body] of cases) {
      const post = await t.api.post(`/ensembles/${ensembleId}/records/P/matrix`, { body, headers: { "content-type": type, "content-encoding": encoding } });
      expect([type, post.status]).toEqual([type, 400]);
      expect(post.text).toContain(`not valid ${encoding} (Content-Encoding)`);
      expect((await t.api.get(`/ensembles/${ensembleId}/records/P`)).status).toBe(404);
    }
  });

  test("a gzip body that is not Parquet is refused at its first bytes; one broken past 64 MiB is a 400", async () => {
    const { ensembleId } = await t.ensemble({ size: 2, parameter_names: ["P"] });
    const post = (body: Buffer) =>
      t.api.post(`/ensembles/${ensembleId}/records/P/matrix`, { body, headers: { "content-type": "application/x-parquet", "content-encoding": "gzip" } });
    // 200 MB of zeros in ~200 kB: before, spooled whole, then read whole into Arrow to learn it is not Parquet
    const zeros = await post(zlib.gzipSync(Buffer.alloc(200 << 20)));
    expect(zeros.status).toBe(422);
    expect(zeros.text).toContain("not a readable parquet file: it does not start and end with PAR1");
    // spooled past the 64 MiB held in memory, then the gzip stream breaks: the answer is 400, nothing stored
    const gz = zlib.gzipSync(Buffer.concat([Buffer.from("PAR1"), Buffer.alloc(70 << 20)]));
    const broken = await post(gz.subarray(0, gz.length - 6));
    expect(broken.status).toBe(400);
    expect(broken.text).toContain("not valid gzip (Content-Encoding)");
    expect((await t.api.get(`/ensembles/${ensembleId}/records/P`)).status).toBe(404);
  });

  test("a block of a block upload is stored as sent, whatever its Content-Encoding says", async () => {
    const { ensembleId } = await t.ensemble({ size: 1 });
    const base = `/ensembles/${ensembleId}/records/F/blob`;
    expect((await t.api.post(base)).status).toBe(200);
    const blocks = [zlib.gzipSync(Buffer.from("hello")), Buffer.from("not brotli"), zlib.deflateSync(Buffer.from("!"))];
    const encodings = ["gzip", "br", "deflate"];
    for (let i = 0; i < blocks.length; i++) {
      const put = await t.api.put(base, { body: blocks[i], query: { block_index: i }, headers: { "content-encoding": encodings[i] } });
      expect([encodings[i], put.status]).toEqual([encodings[i], 200]);
    }
    expect((await t.api.patch(base)).status).toBe(200);
    expect((await t.api.get(`/ensembles/${ensembleId}/records/F`)).bytes.equals(Buffer.concat(blocks))).toBe(true);
  });

  test("a gzip body of a type that is no matrix format is refused (422) before it is read", async () => {
    const { ensembleId } = await t.ensemble({ size: 2, parameter_names: ["P"] });
    const post = await t.api.post(`/ensembles/${ensembleId}/records/P/matrix`, {
      body: zlib.gzipSync(Buffer.alloc(1 << 20)),
      headers: { "content-type": "application/octet-stream", "content-encoding": "x-gzip" },
    });
    expect(post.status).toBe(422);
    expect(post.text).toContain("unsupported Content-Type");
  });

  test("an encoding that is not gzip or deflate is refused (415)", async () => {
    const { ensembleId } = await t.ensemble({ size: 2, parameter_names: ["P"] });
    for (const encoding of ["br", "constructor", "__proto__", "gzip, deflate"]) {
      for (const type of ["application/json", "application/x-numpy", "text/csv", "application/x-parquet"]) {
        const post = await t.api.post(`/ensembles/${ensembleId}/records/P/matrix`, {
          body: zlib.brotliCompressSync(Buffer.from("[[1, 2]]")),
          headers: { "content-type": type, "content-encoding": encoding },
        });
        expect([encoding, type, post.status]).toEqual([encoding, type, 415]);
        expect(post.text).toContain(encoding);
      }
    }
  });
});

describe.each(BACKENDS)("compressed matrix bodies under a small matrix limit on %s", (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend, { limits: { jsonBytes: 1 << 20, matrixBytes: 4000, blockBytes: 1 << 20, ensembleSize: 50 } });
  });
  afterAll(() => t.close());

  test("the limit counts decoded bytes: a small gzip body of a large matrix is 413, and nothing is stored", async () => {
    const { ensembleId } = await t.ensemble({ size: 2, parameter_names: ["P"] });
    const npy = writeNpy(new Float64Array(10_000), [100, 100]); // 80 kB of zeros, ~100 bytes of gzip
    for (const [type, body] of [
      ["application/x-numpy", npy],
      ["text/csv", Buffer.from(",a\n" + "0,0.0\n".repeat(2000))],
      ["application/x-parquet", writeParquet({ shape: [1000, 1], data: new Float64Array(1000), columns: null, index: null })],
    ] as const) {
      const gz = zlib.gzipSync(body);
      expect(gz.length).toBeLessThan(4000);
      const post = await t.api.post(`/ensembles/${ensembleId}/records/P/matrix`, { body: gz, headers: { "content-type": type, "content-encoding": "gzip" } });
      expect([type, post.status]).toEqual([type, 413]);
      expect(post.text).toContain("ERT_STORAGE_MAX_MATRIX_BYTES");
      expect((await t.api.get(`/ensembles/${ensembleId}/records/P`)).status).toBe(404);
    }
  });
});

// Body handling is the same on both databases; this one waits out the server's 10 s drain of a refused body.
describe(`a compressed body streams (${BACKENDS[0]})`, () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(BACKENDS[0]);
  });
  afterAll(() => t.close());

  test("a bad NPY header inside a gzip body is answered while the body is still arriving", async () => {
    // the body streams: the reader sees the decoded header before the client has sent the rest
    const { ensembleId } = await t.ensemble({ size: 2, parameter_names: ["P"] });
    const url = new URL(t.api.url(`/ensembles/${ensembleId}/records/P/matrix`));
    const gzip = zlib.createGzip();
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(url, { method: "POST", headers: { "content-type": "application/x-numpy", "content-encoding": "gzip" } }, (res) => {
        let text = "";
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on("error", (error) => (error.message.includes("socket hang up") ? undefined : reject(error)));
      gzip.on("data", (chunk) => req.write(chunk));
      gzip.write(Buffer.concat([Buffer.from("\x93NUMPY\x01\x00\x20\x00{'descr': 'not a type'}      \n", "latin1"), Buffer.alloc(1 << 16)]));
      gzip.flush(zlib.constants.Z_SYNC_FLUSH); // and never ends: only an answer before the end passes
    });
    expect(answer.status).toBe(422);
    expect(answer.text).toMatch(/descr|dtype|NPY/i);
    gzip.destroy();
    expect((await t.api.get(`/ensembles/${ensembleId}/records/P`)).status).toBe(404);
  });
});
