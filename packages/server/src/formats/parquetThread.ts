// Parquet bodies as the server reads them: small ones (ERT's per-realization records) on the
// main thread, others on a worker thread, directly or through Arrow. A large file holds a
// thread for as long as it takes to decode: Arrow decodes a file in one synchronous call (a
// 53 kB ZSTD file of 16M zeros: ~3 s), and the direct reader makes a string for each date of
// an index (4M dates: seconds); on the main thread every other request waited that long.
// parquet-wasm's memory never shrinks once grown, while a thread's goes when the thread
// ends (it ends when idle).
import { Worker } from "node:worker_threads";
import { fromLabelsJson, type LabelsJson } from "./labels";
import { FormatError, TooManyValues, type Matrix } from "./matrix";
import { directFrame, readHere, wholeFile, type ParquetSource } from "./parquet";
import { footerLength, MAX_FRAME_VALUES, readTable } from "./parquetReader";
import { workerFile } from "./workerFile";

export { ARROW_MAX_VALUES } from "./parquet";

export interface ParquetTask {
  id: number;
  /** the file's bytes, or an open file of the process (the thread reads it a column chunk at a time) */
  source: { bytes: Uint8Array } | { fd: number; length: number };
  maxValues: number;
}

/** A frame as the thread sends it: its labels as their JSON text. */
export type ThreadFrame = Omit<Matrix, "columns" | "index"> & { columns: LabelsJson | null; index: LabelsJson | null };

export type ParquetResult =
  | { id: number; frame: ThreadFrame }
  | { id: number; error: { message: string; format: boolean; tooMany?: { what: string; maxValues: number } } };

/** Files whose footer says fewer values and rows are read in place: a round trip to the thread costs more (ERT's records are 1 x 2000). */
const IN_PLACE = 1 << 18;
/** Footers longer than this are read on the thread (ERT's 2000 dated columns: ~0.45 MB). */
const IN_PLACE_FOOTER = 2 << 20;
/** The thread ends after this long without a file, and its memory (parquet-wasm's) with it. */
const IDLE_MS = 10_000;
/**
 * A thread that read a frame of this many values ends as soon as no file waits: a 1000 x
 * 20000 frame left it holding ~70 MB (its heap of the footer's 20,000 column chunks, malloc
 * arenas) until IDLE_MS, beside the matrix being stored and the next request's memory.
 * Starting a thread again costs ~30 ms, against a second or more for such a file.
 */
const RETIRE_VALUES = 1 << 22;
/**
 * The thread's young generation, MB: V8's default for a heap of PARQUET_HEAP_MB (~48 MB of
 * semi-spaces) held ~20 MB more at the end of a large file than this does; it collects
 * short-lived footer and page objects, nothing that lives long.
 */
const YOUNG_MB = 12;
/**
 * The JavaScript heap a thread may use (the values are outside it). A file whose labels
 * or strings need more fails with a 422, and the server goes on; on the main thread it
 * would have taken the server down.
 */
export const PARQUET_HEAP_MB = 2048;

interface Job {
  task: ParquetTask;
  moved: ArrayBuffer[];
  resolve(matrix: Matrix): void;
  reject(error: Error): void;
}

/** One thread, one file at a time: files wait their turn, so Arrow's memory is one file's. */
class ParquetThread {
  private worker: Worker | null = null;
  private running: Job | null = null;
  private readonly queue: Job[] = [];
  private idle: NodeJS.Timeout | null = null;
  private nextId = 0;
  /** a frame of RETIRE_VALUES or more was read since the queue was last empty */
  private readLarge = false;

  constructor(private readonly file: string) {}

  lives(): boolean {
    return this.worker !== null;
  }

  frame(file: Buffer | ParquetSource, maxValues: number): Promise<Matrix> {
    let source: ParquetTask["source"];
    let moved: ArrayBuffer[] = [];
    if (!Buffer.isBuffer(file) && file.fd !== undefined) source = { fd: file.fd, length: file.length };
    else {
      // copied: a body in memory may be kept (answered as posted), and a view's buffer is larger
      const bytes = new Uint8Array(wholeFile(file));
      source = { bytes };
      moved = [bytes.buffer];
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ task: { id: this.nextId++, source, maxValues }, moved, resolve, reject });
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
    const worker = new Worker(this.file, { resourceLimits: { maxOldGenerationSizeMb: PARQUET_HEAP_MB, maxYoungGenerationSizeMb: YOUNG_MB } });
    worker.on("message", (result: ParquetResult) => {
      if ("frame" in result && result.frame.data.length >= RETIRE_VALUES) this.readLarge = true;
      this.settle((job) => ("frame" in result ? job.resolve(matrixOf(result.frame)) : job.reject(errorOf(result.error))));
    });
    const lost = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      void worker.terminate(); // a thread whose answer could not be read would live on
      const message =
        (error as NodeJS.ErrnoException).code === "ERR_WORKER_OUT_OF_MEMORY"
          ? `reading this parquet file needs more than the ${PARQUET_HEAP_MB} MB of memory the server gives it`
          : `reading this parquet file failed: ${error.message}`;
      this.settle((job) => job.reject((error as NodeJS.ErrnoException).code === "ERR_WORKER_OUT_OF_MEMORY" ? new FormatError(message) : new Error(message)));
    };
    worker.on("error", lost);
    worker.on("messageerror", lost);
    worker.on("exit", (code) => lost(new Error(`the thread exited (code ${code})`)));
    return worker;
  }

  /** The running job ends as `end` says; the next one starts, or the thread waits to end (after a large frame: ends now). */
  private settle(end: (job: Job) => void): void {
    const job = this.running;
    this.running = null;
    if (job) end(job);
    if (this.queue.length > 0) return this.pump();
    const worker = this.worker;
    if (!worker) return;
    if (this.readLarge) {
      this.readLarge = false;
      this.worker = null;
      void worker.terminate();
      return;
    }
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

function matrixOf({ shape, data, columns, index }: ThreadFrame): Matrix {
  return { shape, data, columns: columns && fromLabelsJson(columns), index: index && fromLabelsJson(index) };
}

function errorOf(error: { message: string; format: boolean; tooMany?: { what: string; maxValues: number } }): Error {
  if (error.tooMany) return new TooManyValues(error.tooMany.what, error.tooMany.maxValues);
  return error.format ? new FormatError(error.message) : new Error(error.message);
}

let thread: ParquetThread | null | undefined;

/** Whether the thread is there now (started and not ended): what tests and diagnostics see of its lifetime. */
export function parquetThreadLives(): boolean {
  return thread?.lives() ?? false;
}

/**
 * The frame in a Parquet file, in memory or on disk (read a column chunk at a time): small
 * files read directly here, others on the thread (in place when there is no build of it,
 * under ts-jest without one). FormatError (TooManyValues over maxValues) for a file that is
 * not a frame; the footer's counts are checked here first, before any value is decoded.
 */
export async function decodeParquet(file: Buffer | ParquetSource, maxValues = MAX_FRAME_VALUES): Promise<Matrix> {
  if (thread === undefined) {
    const compiled = workerFile("parquetWorker");
    thread = compiled ? new ParquetThread(compiled) : null;
  }
  // the footer read and checked here; a small file read on, a large one left to the thread
  // before its index is decoded. A long footer (a file of many columns) is left to the thread
  // unread: 100,000 columns of one row (a 23 MB file, its footer most of it) held the main
  // thread ~0.5 s.
  const table = thread && footerLength(file) > IN_PLACE_FOOTER ? null : readTable(file, maxValues, (count) => count.values + count.rows < IN_PLACE);
  const direct = table && directFrame(table, maxValues);
  if (direct) return direct;
  // the file must stay open until the thread has read it: the caller awaits this before closing it
  return thread ? thread.frame(file, maxValues) : readHere(file, maxValues);
}
