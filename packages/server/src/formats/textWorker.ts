// A worker thread of textThreads.ts: writes a block of a frame's rows as CSV or JSON text
// and sends the bytes back (moved, not copied).
import { parentPort } from "node:worker_threads";
import { encodeBlock, type TextResult, type TextTask } from "./textBlock";

export type { TextResult, TextTask } from "./textBlock";

parentPort?.on("message", (task: TextTask) => {
  let result: TextResult;
  try {
    const out = encodeBlock(task);
    result = { id: task.id, bytes: new Uint8Array(out.buffer, out.byteOffset, out.length) };
  } catch (error) {
    result = { id: task.id, error: (error as Error).message };
  }
  // moved when the bytes have a buffer of their own (not a slice of Node's shared pool)
  const own = "bytes" in result && result.bytes.buffer.byteLength > Buffer.poolSize;
  parentPort!.postMessage(result, own ? [(result as { bytes: Uint8Array }).bytes.buffer as ArrayBuffer] : []);
});
