// Big stacks of per-realization records (GET .../records/{name} without a realization, and
// .../responses/{name}/data) are read and answered a part at a time. The answers are the
// bytes the whole frame gives (stacked as frames.ts stacks it, written by the codecs), in
// every format, and with the column union when the records' labels differ. Stacks with
// values in the blob store are tested in largeMatrices.test.ts (on a test database of its own:
// its checks see every matrix blob of the store).
import http from "node:http";
import net from "node:net";
import { PARTED_STACK_VALUES } from "../../src/domain/stacks";
import { Errors } from "../../src/errors";
import { encodeMatrix } from "../../src/formats";
import { encodeCsv } from "../../src/formats/csv";
import type { Matrix } from "../../src/formats/matrix";
import { BACKENDS, startTestServer, type TestServer } from "../helpers/server";
import { expectStackAnswers, finiteValues as values, npyOf as npy, postStack, stringLabels as labels } from "../helpers/stacks";

describe.each(BACKENDS)("big stacks on %s", (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend);
  });
  afterAll(() => t.close());

  const post = (ensembleId: string, name: string, records: Matrix[]) => postStack(t, ensembleId, name, records);
  const expectAnswers = (ensembleId: string, name: string, whole: Matrix) => expectStackAnswers(t, ensembleId, name, whole);

  test("records of one width and labels: the whole frame's bytes in CSV, JSON and NPY", async () => {
    const [realizations, cols] = [60, 20_000];
    expect(realizations * cols).toBeGreaterThanOrEqual(PARTED_STACK_VALUES);
    const { ensembleId } = await t.ensemble({ size: realizations, response_names: ["WOPR"] });
    const records = Array.from({ length: realizations }, (_, r): Matrix => ({ shape: [1, cols], data: values(cols, r + 1), columns: labels(cols), index: null }));
    await expectAnswers(ensembleId, "WOPR", await post(ensembleId, "WOPR", records));
  });

  test("records whose labels differ are stacked with the column union, as before", async () => {
    const [realizations, cols] = [55, 20_000];
    const { ensembleId } = await t.ensemble({ size: realizations });
    const records = Array.from({ length: realizations }, (_, r): Matrix => ({
      shape: [1, cols],
      data: values(cols, 7 * r + 3),
      // one record names its last column otherwise: the union has one column more
      columns: r === 20 ? { kind: "string", values: [...labels(cols - 1).values, "other"] } : labels(cols),
      index: null,
    }));
    const whole = await post(ensembleId, "F", records);
    expect(whole.shape).toEqual([realizations, cols + 1]);
    await expectAnswers(ensembleId, "F", whole);
  });

  test("a record of three dimensions in a big stack has no table form: 422, as before", async () => {
    const { ensembleId } = await t.ensemble({ size: 3 });
    // values inline (under 4 MiB each), 1.6 million in all
    const shapes: number[][] = [[1, 400_000], [2, 2, 100_000], [400_000]];
    for (const [r, shape] of shapes.entries()) {
      const data = values(shape.reduce((a, b) => a * b, 1), r);
      const posted = await t.api.post(`/ensembles/${ensembleId}/records/D/matrix`, {
        body: npy(shape, data),
        headers: { "content-type": "application/x-numpy" },
        query: { realization_index: r },
      });
      expect(posted.status).toBe(200);
    }
    for (const type of ["text/csv", "application/json", "application/x-numpy", "application/x-parquet"]) {
      const got = await t.api.get(`/ensembles/${ensembleId}/records/D`, { headers: { accept: type } });
      expect(got.status).toBe(422);
      expect(got.json.detail.error).toBe("a 3-dimensional matrix has no table form");
    }
  });

  test("records of no rows among others: the whole frame's bytes", async () => {
    const cols = 30_000;
    const { ensembleId } = await t.ensemble({ size: 40 });
    const records = Array.from({ length: 40 }, (_, r): Matrix => {
      const rows = r % 7 === 3 ? 0 : 1;
      return { shape: [rows, cols], data: values(rows * cols, r + 9), columns: null, index: null };
    });
    await expectAnswers(ensembleId, "Z", await post(ensembleId, "Z", records));
  });

  test("a small stack of records of several rows each (read whole): the whole frame's bytes", async () => {
    const shapes = [[3, 5], [0, 5], [2, 5], [1, 5]];
    const { ensembleId } = await t.ensemble({ size: shapes.length });
    const records = shapes.map(([rows, cols], r): Matrix => ({ shape: [rows, cols], data: values(rows * cols, r + 4), columns: labels(cols), index: null }));
    await expectAnswers(ensembleId, "M", await post(ensembleId, "M", records));
  });

  /** A stack of 70 x 20000 values (its CSV ~25 MB: far more than a socket holds), read in parts. */
  async function bigStack(name: string): Promise<{ experimentId: string; ensembleId: string; whole: Matrix }> {
    const [realizations, cols] = [70, 20_000];
    expect(realizations * cols).toBeGreaterThanOrEqual(PARTED_STACK_VALUES);
    const ids = await t.ensemble({ size: realizations });
    const records = Array.from({ length: realizations }, (_, r): Matrix => ({ shape: [cols], data: values(cols, r + 50), columns: null, index: null }));
    return { ...ids, whole: await post(ids.ensembleId, name, records) };
  }

  test("a stack that cannot be read gets its own answer, not a broken one: the parts are read after the listing", async () => {
    const { ensembleId } = await bigStack("E");
    for (const type of ["text/csv", "application/json", "application/x-numpy"]) {
      t.faults.arm("record.valuesOf", Errors.unavailable("The database cannot be reached; try again shortly"));
      const got = await t.api.get(`/ensembles/${ensembleId}/records/E`, { headers: { accept: type } });
      expect(got.status).toBe(503);
      expect(got.json).toEqual({ detail: "The database cannot be reached; try again shortly" });
    }
    t.faults.arm("record.valuesOf", Errors.unavailable("The database cannot be reached; try again shortly"));
    expect((await t.api.get(`/ensembles/${ensembleId}/responses/E/data`)).status).toBe(503);
    // and nothing is left armed or held: the next reads are whole
    expect((await t.api.get(`/ensembles/${ensembleId}/responses/E/data`)).status).toBe(200);
  });

  test("readers that hang up mid-answer harm nothing: nothing logged as failed, answers side by side after them are whole and right", async () => {
    const { ensembleId, whole } = await bigStack("H");
    // a client gone (closed, or reset under a write) is not an error of the server's
    const logged = jest.spyOn(console, "error");
    const url = new URL(t.api.url(`/ensembles/${ensembleId}/records/H`));
    const types = ["text/csv", "application/json", "application/x-numpy"] as const;
    // more readers at once than the answers' buffers and slots: each takes a piece or two and goes
    await Promise.all(
      Array.from({ length: 12 }, (_, k) => {
        return new Promise<void>((resolve, reject) => {
          const req = http.get(url, { headers: { accept: types[k % 3] } }, (res) => {
            expect(res.statusCode).toBe(200);
            let seen = 0;
            res.on("data", (chunk: Buffer) => {
              seen += chunk.length;
              if (seen > 3_000_000) {
                res.destroy();
                resolve();
              }
            });
            res.on("end", () => reject(new Error("a reader that meant to hang up got the whole answer")));
          });
          req.on("error", reject);
        });
      }),
    );
    // then answers side by side, the pieces of one written in memory that held another's
    const answers = await Promise.all(
      [...types, ...types].map((type) => t.api.get(`/ensembles/${ensembleId}/records/H`, { headers: { accept: type } }).then((got) => ({ type, got }))),
    );
    for (const { type, got } of answers) {
      expect(got.status).toBe(200);
      expect(got.bytes.equals(encodeMatrix(type, whole))).toBe(true);
    }
    const calls = logged.mock.calls.map((c) => c.map(String).join(" "));
    logged.mockRestore();
    expect(calls).toEqual([]);
  });

  test("clients that hang up or reset under pipelined answers: nothing logged as failed, the next answers whole", async () => {
    const { ensembleId, whole: stack } = await bigStack("R");
    // and one matrix of two million values (its answer is streamed too)
    const matrix: Matrix = { shape: [100, 20_000], data: values(2_000_000, 9), columns: null, index: null };
    const posted = await t.api.post(`/ensembles/${ensembleId}/records/M/matrix`, {
      body: npy(matrix.shape, matrix.data),
      headers: { "content-type": "application/x-numpy" },
    });
    expect(posted.status).toBe(200);
    const logged = jest.spyOn(console, "error");
    for (const name of ["R", "M"]) {
      const url = new URL(t.api.url(`/ensembles/${ensembleId}/records/${name}`));
      for (const type of ["text/csv", "application/json", "application/x-numpy"]) {
        for (const reset of [false, true]) {
          const request = `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nAccept: ${type}\r\n\r\n`;
          await new Promise<void>((resolve, reject) => {
            const socket = net.connect(Number(url.port), url.hostname, () => socket.write(request.repeat(3)));
            // a reset (RST) makes the server's next write fail (ECONNRESET, EPIPE) rather than see a close
            socket.once("data", () => {
              if (reset) socket.resetAndDestroy();
              else socket.destroy();
              resolve();
            });
            socket.on("error", reject);
          });
        }
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 500)); // the server meets the hang-ups
    for (const [name, whole] of [["R", stack], ["M", matrix]] as const) {
      for (const type of ["text/csv", "application/x-numpy"] as const) {
        const got = await t.api.get(`/ensembles/${ensembleId}/records/${name}`, { headers: { accept: type } });
        expect(got.status).toBe(200);
        expect(got.bytes.equals(encodeMatrix(type, whole))).toBe(true);
      }
    }
    const calls = logged.mock.calls.map((c) => c.map(String).join(" "));
    logged.mockRestore();
    expect(calls).toEqual([]);
  });

  test("records deleted while their stack is written: the answer ends short, every line it sent is right", async () => {
    const { experimentId, ensembleId, whole } = await bigStack("G");
    const expected = encodeCsv(whole);
    const url = new URL(t.api.url(`/ensembles/${ensembleId}/records/G`));
    const received: Buffer[] = [];
    const ended = await new Promise<string>((resolve) => {
      const req = http.get(url, { headers: { accept: "text/csv" } }, (res) => {
        expect(res.statusCode).toBe(200);
        res.once("data", async (chunk: Buffer) => {
          received.push(chunk);
          res.pause(); // the server stops reading parts once the socket is full
          const deleted = await t.api.delete(`/experiments/${experimentId}`);
          expect(deleted.status).toBe(200);
          res.on("data", (c: Buffer) => received.push(c));
          res.resume();
        });
        res.on("end", () => resolve("end"));
        res.on("error", () => resolve("error"));
        res.on("aborted", () => resolve("aborted"));
      });
      req.on("error", () => resolve("error"));
    });
    expect(ended).not.toBe("end");
    const body = Buffer.concat(received);
    expect(body.length).toBeLessThan(expected.length);
    expect(body.equals(expected.subarray(0, body.length))).toBe(true);
  });
});
