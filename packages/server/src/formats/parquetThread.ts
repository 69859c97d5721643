// Parquet bodies as the server reads them: directly on the main thread when they are as
// pandas writes them (parquetReader.ts), else through Arrow on a worker thread. Arrow
// decodes a file in one synchronous call (a 53 kB ZSTD file of 16M zeros: ~3 s), which on
// the main thread held every other request up that long; and parquet-wasm's memory never
// shrinks once grown, while a thread's goes when the thread ends (it ends when idle).
import { Worker } from "node:worker_threads";
import { FormatError, TooManyValues, type Matrix } from "./matrix";
import { arrowTable, frameOf, readDirect, wholeFile, type ParquetSource } from "./parquet";
import { MAX_FRAME_VALUES } from "./parquetReader";
import { workerFile } from "./workerFile";

export interface ArrowTask {
  id: number;
  bytes: Uint8Array;
  maxValues: number;
}

export type ArrowResult =
  | { id: number; matrix: Matrix }
  | { id: number; error: { message: string; format: boolean; tooMany?: { what: string; maxValues: number } } };

/**
 * The most values a file read through Arrow may decode to: Arrow holds ~8-15 times the
 * values while it decodes (a file of 16M zeros: ~1 GB), whatever ERT_STORAGE_MAX_MATRIX_BYTES allows.
 */
export const ARROW_MAX_VALUES = 2 ** 25;

/** The thread ends after this long without a file, and its memory (parquet-wasm's) with it. */
const IDLE_MS = 10_000;
/**
 * The JavaScript heap a thread may use (the values are outside it). A file whose labels
 * or strings need more fails with a 422, and the server goes on; on the main thread it
 * would have taken the server down.
 */
export const ARROW_HEAP_MB = 2048;

interface Job {
  task: ArrowTask;
  moved: ArrayBuffer[];
  resolve(matrix: Matrix): void;
  reject(error: Error): void;
}

/** One thread, one file at a time: files wait their turn, so Arrow's memory is one file's. */
class ArrowThread {
  private worker: Worker | null = null;
  private running: Job | null = null;
  private readonly queue: Job[] = [];
  private idle: NodeJS.Timeout | null = null;
  private nextId = 0;

  constructor(private readonly file: string) {}

  frame(bytes: Uint8Array, owned: boolean, maxValues: number): Promise<Matrix> {
    // the bytes move to the thread; a view of a larger buffer, or bytes the caller keeps, are copied first
    const own = owned && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
    const sent = own ? bytes : new Uint8Array(bytes);
    return new Promise((resolve, reject) => {
      this.queue.push({ task: { id: this.nextId++, bytes: sent, maxValues }, moved: [sent.buffer as ArrayBuffer], resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.running || this.queue.length === 0) return;
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    const job = this.queue.shift()!;
    this.running = job;
    try {
      this.worker ??= this.spawn();
      this.worker.ref(); // a file being read keeps the process alive until it is read
      this.worker.postMessage(job.task, job.moved);
    } catch (error) {
      this.settle((j) => j.reject(error as Error));
    }
  }

  private spawn(): Worker {
    const worker = new Worker(this.file, { resourceLimits: { maxOldGenerationSizeMb: ARROW_HEAP_MB } });
    worker.on("message", (result: ArrowResult) => {
      this.settle((job) => ("matrix" in result ? job.resolve(result.matrix) : job.reject(errorOf(result.error))));
    });
    const lost = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      void worker.terminate(); // a thread whose answer could not be read would live on
      const message =
        (error as NodeJS.ErrnoException).code === "ERR_WORKER_OUT_OF_MEMORY"
          ? `reading this parquet file through Arrow needs more than the ${ARROW_HEAP_MB} MB of memory the server gives it`
          : `reading this parquet file through Arrow failed: ${error.message}`;
      this.settle((job) => job.reject((error as NodeJS.ErrnoException).code === "ERR_WORKER_OUT_OF_MEMORY" ? new FormatError(message) : new Error(message)));
    };
    worker.on("error", lost);
    worker.on("messageerror", lost);
    worker.on("exit", (code) => lost(new Error(`the thread exited (code ${code})`)));
    return worker;
  }

  /** The running job ends as `end` says; the next one starts, or the thread waits to end. */
  private settle(end: (job: Job) => void): void {
    const job = this.running;
    this.running = null;
    if (job) end(job);
    if (this.queue.length > 0) return this.pump();
    const worker = this.worker;
    if (!worker) return;
    worker.unref(); // an idle thread never keeps the process alive
    this.idle = setTimeout(() => {
      this.idle = null;
      if (this.worker !== worker || this.running) return;
      this.worker = null;
      void worker.terminate();
    }, IDLE_MS);
    this.idle.unref();
  }
}

function errorOf(error: { message: string; format: boolean; tooMany?: { what: string; maxValues: number } }): Error {
  if (error.tooMany) return new TooManyValues(error.tooMany.what, error.tooMany.maxValues);
  return error.format ? new FormatError(error.message) : new Error(error.message);
}

let thread: ArrowThread | null | undefined;

/**
 * The frame in a Parquet file, in memory or on disk: read directly on this thread, or by
 * Arrow on its thread (in place when there is no build of it, under ts-jest without one).
 * FormatError (TooManyValues over maxValues) for a file that is not a frame.
 */
export async function decodeParquet(file: Buffer | ParquetSource, maxValues = MAX_FRAME_VALUES): Promise<Matrix> {
  let values = 0;
  const direct = readDirect(file, maxValues, (n) => (values = n));
  if (direct) return direct;
  if (values > ARROW_MAX_VALUES) {
    throw new TooManyValues(`a parquet file of ${values} values read through Arrow (codecs other than SNAPPY, v2 pages, categoricals)`, ARROW_MAX_VALUES);
  }
  if (thread === undefined) {
    const compiled = workerFile("arrowWorker");
    thread = compiled ? new ArrowThread(compiled) : null;
  }
  const bytes = wholeFile(file);
  // a file read from disk is this call's own; a body in memory may be kept (answered as posted)
  return thread ? thread.frame(bytes, !Buffer.isBuffer(file), maxValues) : frameOf(arrowTable(bytes), maxValues);
}
