// The worker thread of parquetThread.ts: reads a Parquet file (its bytes, or an open file
// of the process) directly or through Arrow, and sends the frame back, its values moved
// and its labels as their JSON text (one buffer, moved: not a string per label).
import { parentPort } from "node:worker_threads";
import { toLabelsJson } from "./labels";
import { FormatError, TooManyValues } from "./matrix";
import { readHere } from "./parquet";
import { fileSource } from "./parquetReader";
import type { ParquetResult, ParquetTask } from "./parquetThread";

parentPort?.on("message", ({ id, source, maxValues }: ParquetTask) => {
  let result: ParquetResult;
  let moved: ArrayBuffer[] = [];
  try {
    const file = "bytes" in source ? Buffer.from(source.bytes.buffer, source.bytes.byteOffset, source.bytes.byteLength) : fileSource(source.fd, source.length);
    const { shape, data, columns, index } = readHere(file, maxValues);
    const frame = { shape, data, columns: columns && toLabelsJson(columns, "column labels"), index: index && toLabelsJson(index, "row labels") };
    result = { id, frame };
    // the values moved when they have a buffer of their own (not a view of a larger one)
    if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) moved = [data.buffer as ArrayBuffer];
    for (const labels of [frame.columns, frame.index]) if (labels) moved.push(labels.json.buffer as ArrayBuffer);
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
