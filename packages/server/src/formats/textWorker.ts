// A worker thread of textThreads.ts: writes a block of a frame's rows as CSV or JSON text,
// into the task's shared buffer when it fits (only the length goes back), else into a
// buffer of its own, which is sent back moved, not copied.
import { parentPort } from "node:worker_threads";
import { encodeBlock, type TextResult, type TextTask } from "./textBlock";

export type { TextResult, TextTask } from "./textBlock";

parentPort?.on("message", (task: TextTask) => {
  let result: TextResult;
  let moved: ArrayBuffer[] = [];
  try {
    const out = encodeBlock(task);
    if (task.into && out.buffer === task.into.buffer) result = { id: task.id, length: out.length };
    else {
      result = { id: task.id, bytes: new Uint8Array(out.buffer, out.byteOffset, out.length) };
      // moved when the bytes have a buffer of their own (not a slice of Node's shared pool)
      if (out.buffer.byteLength > Buffer.poolSize) moved = [out.buffer as ArrayBuffer];
    }
  } catch (error) {
    result = { id: task.id, error: (error as Error).message };
  }
  parentPort!.postMessage(result, moved);
});
