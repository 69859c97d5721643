// A JSON or CSV matrix body of up to 4 MiB is read into one buffer when it declares its
// length, and through the streaming reader's path when it does not (chunked): either way
// the same record, bit for bit, and the same refusal of a bad body.
import { Readable } from "node:stream";
import fc from "fast-check";
import { writeCsv } from "../../src/formats/csv";
import { stringifyJson } from "../../src/formats/json";
import { readNpy } from "../../src/formats/npy";
import { MatrixValues } from "../../src/domain/matrixValues";
import { BACKENDS, startTestServer, type TestServer } from "../helpers/server";

/** The body as a stream of two pieces: the server cannot know its length. */
function chunked(body: string): ReadableStream {
  const bytes = Buffer.from(body);
  const cut = bytes.length >> 1;
  return Readable.toWeb(Readable.from([bytes.subarray(0, cut), bytes.subarray(cut)])) as unknown as ReadableStream;
}

const matrix = fc
  .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 6 }))
  .chain(([rows, cols]) => fc.array(fc.double(), { minLength: rows * cols, maxLength: rows * cols }).map((xs) => ({ rows, cols, xs })));

describe.each(BACKENDS)("small JSON and CSV matrix bodies on %s", (backend) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(backend);
  });
  afterAll(() => t.close());

  /** The record's values as stored (NPY), or the refusal (status and text); the body must take the path its kind says. */
  async function post(ensembleId: string, name: string, type: string, text: string, sendChunked: boolean): Promise<{ status: number; answer: string }> {
    const body = sendChunked ? chunked(text) : text;
    const streamed = [jest.spyOn(MatrixValues.prototype, "receiveJson"), jest.spyOn(MatrixValues.prototype, "receiveCsv")];
    let posted;
    try {
      posted = await t.api.post(`/ensembles/${ensembleId}/records/${name}/matrix`, { body, headers: { "content-type": type } });
      // a declared length is read whole by the body parser; a chunked body goes to the stream
      // reader (fetch declares an empty stream as Content-Length: 0)
      expect(streamed.reduce((n, spy) => n + spy.mock.calls.length, 0)).toBe(sendChunked && text.length > 0 ? 1 : 0);
    } finally {
      for (const spy of streamed) spy.mockRestore();
    }
    if (posted.status !== 200) return { status: posted.status, answer: posted.text };
    const back = await t.api.get(`/ensembles/${ensembleId}/records/${name}`, { headers: { accept: "application/x-numpy" } });
    const m = readNpy(back.bytes);
    return { status: 200, answer: `${m.shape} ${Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength).toString("hex")}` };
  }

  test("with a length or chunked, the same values to the bit (fast-check)", async () => {
    const { ensembleId } = await t.ensemble({ size: 1 });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(matrix, async ({ rows, cols, xs }) => {
        const data = Float64Array.from(xs);
        const rowsOf = Array.from({ length: rows }, (_, r) => Array.from(data.subarray(r * cols, (r + 1) * cols)));
        const bodies: [string, string][] = [
          ["application/json", stringifyJson(rowsOf)],
          ["text/csv", writeCsv({ shape: [rows, cols], data, columns: null, index: null })],
        ];
        for (const [type, body] of bodies) {
          const declared = await post(ensembleId, `M${n++}`, type, body, false);
          const streamed = await post(ensembleId, `M${n++}`, type, body, true);
          expect(declared.status).toBe(200);
          expect(streamed).toEqual(declared);
          expect(declared.answer).toBe(`${rows},${cols} ${Buffer.from(data.buffer).toString("hex")}`);
        }
      }),
      { numRuns: 25 },
    );
  });

  test("a bad body is refused with the same answer either way, and stores nothing", async () => {
    const declaredTo = (await t.ensemble({ size: 1 })).ensembleId;
    const streamedTo = (await t.ensemble({ size: 1 })).ensembleId;
    const bad: [string, string][] = [
      ["application/json", ""],
      ["application/json", "[[1, 2], [3]]"],
      ["application/json", '[1, "a"]'],
      ["application/json", "[1, 2"],
      ["application/json", '{"a": 1}'],
      ["text/csv", ""],
      ["text/csv", ",a\n0,1,2\n"],
      ["text/csv", ',a\n0,"1\n'],
      ["text/csv", ",a\n0,x\n"],
    ];
    for (const [i, [type, body]] of bad.entries()) {
      const declared = await post(declaredTo, `B${i}`, type, body, false);
      const streamed = await post(streamedTo, `B${i}`, type, body, true);
      expect({ body, status: declared.status }).toEqual({ body, status: 422 });
      // the same answer but for the ensemble's id
      expect(streamed).toEqual({ status: 422, answer: declared.answer.replace(declaredTo, streamedTo) });
    }
    for (const id of [declaredTo, streamedTo]) expect((await t.api.get(`/ensembles/${id}/records`)).json).toEqual({});
  });
});
