// A worker thread of csvThreads.ts: encodes the rows of a frame it is sent as CSV and
// sends the bytes back (moved, not copied).
import { parentPort } from "node:worker_threads";
import { encodeCsv } from "./csv";
import type { Matrix } from "./matrix";

export interface CsvTask {
  id: number;
  matrix: Matrix;
  header: boolean;
}

export type CsvResult = { id: number; bytes: Uint8Array } | { id: number; error: string };

parentPort!.on("message", (task: CsvTask) => {
  let result: CsvResult;
  try {
    const out = encodeCsv(task.matrix, { header: task.header });
    result = { id: task.id, bytes: new Uint8Array(out.buffer, out.byteOffset, out.length) };
  } catch (error) {
    result = { id: task.id, error: (error as Error).message };
  }
  // moved when the bytes have a buffer of their own (not a slice of Node's shared pool)
  const own = "bytes" in result && result.bytes.buffer.byteLength > Buffer.poolSize;
  parentPort!.postMessage(result, own ? [(result as { bytes: Uint8Array }).bytes.buffer as ArrayBuffer] : []);
});
