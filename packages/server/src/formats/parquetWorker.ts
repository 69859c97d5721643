// The worker thread of parquetThread.ts: reads a Parquet file (its bytes, or an open file
// of the process) directly or through Arrow, and sends the frame back, its values moved.
import { parentPort } from "node:worker_threads";
import { FormatError, TooManyValues } from "./matrix";
import { readHere } from "./parquet";
import { fileSource } from "./parquetReader";
import type { ParquetResult, ParquetTask } from "./parquetThread";

parentPort?.on("message", ({ id, source, maxValues }: ParquetTask) => {
  let result: ParquetResult;
  let moved: ArrayBuffer[] = [];
  try {
    const file = "bytes" in source ? Buffer.from(source.bytes.buffer, source.bytes.byteOffset, source.bytes.byteLength) : fileSource(source.fd, source.length);
    const matrix = readHere(file, maxValues);
    result = { id, matrix };
    // moved when the values have a buffer of their own (not a view of a larger one)
    if (matrix.data.byteOffset === 0 && matrix.data.byteLength === matrix.data.buffer.byteLength) moved = [matrix.data.buffer as ArrayBuffer];
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
