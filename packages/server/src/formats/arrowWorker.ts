// The worker thread of parquetThread.ts: reads a Parquet file through Arrow and sends the
// frame back, its values moved, not copied.
import { parentPort } from "node:worker_threads";
import { FormatError, TooManyValues } from "./matrix";
import { arrowTable, frameOf } from "./parquet";
import type { ArrowResult, ArrowTask } from "./parquetThread";

parentPort?.on("message", ({ id, bytes, maxValues }: ArrowTask) => {
  let result: ArrowResult;
  let moved: ArrayBuffer[] = [];
  try {
    const matrix = frameOf(arrowTable(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)), maxValues);
    result = { id, matrix };
    moved = [matrix.data.buffer as ArrayBuffer];
  } catch (error) {
    result = {
      id,
      error: {
        message: (error as Error).message,
        format: error instanceof FormatError,
        tooMany: error instanceof TooManyValues ? { what: error.what, maxValues: error.maxValues } : undefined,
      },
    };
  }
  parentPort!.postMessage(result, moved);
});
