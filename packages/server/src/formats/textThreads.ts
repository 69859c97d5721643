// CSV and JSON answers of big frames written on worker threads: formatting numbers as text
// is most of an answer's cost (a 200 x 20000 frame: ~0.65 s of one core), and on the main
// thread it would hold every other request up that long. Blocks of rows go to the threads
// in turn, so one big answer also uses every core the server was given, and is written
// out block by block: it is never whole in memory.
import fs from "node:fs";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { textThreadCount } from "../config";
import { encodeMatrix, type MatrixMediaType } from "./index";
import { formatLabels } from "./labels";
import { as2d, FormatError, rangeLabels, type Matrix } from "./matrix";
import type { TextResult, TextTask } from "./textWorker";

/** Frames with fewer values are written in place: a round trip to the threads costs more. */
const MIN_VALUES = 1 << 20;
/** Values per block: about 5 MB of text, so an answer in flight holds a few of these. */
const BLOCK_VALUES = 1 << 18;

/**
 * The compiled worker. Run from the TypeScript sources (the tests, under ts-jest) it is
 * the build's copy: the root `pnpm test` builds first (textThreads.test.ts fails without
 * one); without a build, text is written in place.
 */
function workerFile(): string | null {
  const compiled = __filename.endsWith(".ts") ? path.join(__dirname, "..", "..", "dist", "src", "formats", "textWorker.js") : path.join(__dirname, "textWorker.js");
  return fs.existsSync(compiled) ? compiled : null;
}

interface Job {
  task: TextTask;
  resolve(bytes: Buffer): void;
  reject(error: Error): void;
}

class TextThreads {
  private readonly idle: Worker[] = [];
  private readonly queue: Job[] = [];
  private readonly running = new Map<Worker, Job>();
  private started = 0;
  private nextId = 0;

  constructor(
    private readonly file: string,
    readonly size: number,
  ) {}

  /**
   * The text of the frame's rows from..to; rowLabels: the frame's row labels as text (a
   * kind formats its values together: datetimes all at midnight are written as dates).
   */
  encode(format: TextTask["format"], m: Matrix, rowLabels: string[], from: number, to: number): Promise<Buffer> {
    const { rows, cols } = as2d(m);
    const block: Matrix = {
      shape: [to - from, cols],
      data: m.data.slice(from * cols, to * cols), // a copy of its own, moved to the thread
      columns: from === 0 ? m.columns ?? rangeLabels(cols) : null,
      index: { kind: "string", values: rowLabels.slice(from, to) },
    };
    const task: TextTask = { id: this.nextId++, format, matrix: block, first: from === 0, last: to === rows };
    return new Promise((resolve, reject) => {
      this.queue.push({ task, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let worker: Worker | null;
      try {
        worker = this.idle.pop() ?? this.spawn();
      } catch (error) {
        // no thread could start: the waiting blocks fail rather than wait forever
        for (const job of this.queue.splice(0)) job.reject(error as Error);
        return;
      }
      if (!worker) return;
      const job = this.queue.shift()!;
      this.running.set(worker, job);
      worker.postMessage(job.task, [job.task.matrix.data.buffer as ArrayBuffer]);
    }
  }

  private spawn(): Worker | null {
    if (this.started >= this.size) return null;
    // a small young generation: a thread's garbage is short strings of text; Node's default
    // let the two threads add ~180 MB to the peak RSS of a 200 x 20000 frame (4 MiB: ~100 MB less, as fast)
    const worker = new Worker(this.file, { resourceLimits: { maxYoungGenerationSizeMb: 4 } });
    this.started++;
    worker.on("messageerror", (error) => {
      // an answer that could not be read: its block fails, the thread serves the next
      const job = this.running.get(worker);
      this.running.delete(worker);
      this.idle.push(worker);
      job?.reject(error);
      this.pump();
    });
    worker.on("message", (result: TextResult) => {
      const job = this.running.get(worker);
      this.running.delete(worker);
      this.idle.push(worker);
      if (job) {
        if ("error" in result) job.reject(new FormatError(result.error));
        else job.resolve(Buffer.from(result.bytes.buffer, result.bytes.byteOffset, result.bytes.length));
      }
      this.pump();
    });
    // a thread that dies (out of memory, a bug) fails its block; a new one takes its place
    const lost = (error: Error) => {
      const job = this.running.get(worker);
      this.running.delete(worker);
      const at = this.idle.indexOf(worker);
      if (at >= 0) this.idle.splice(at, 1);
      this.started--;
      job?.reject(error);
      this.pump();
    };
    worker.on("error", lost);
    worker.on("exit", (code) => {
      if (this.running.has(worker) || this.idle.includes(worker)) lost(new Error(`a text thread exited (code ${code})`));
    });
    worker.unref(); // after the listeners (a 'message' listener refs it again): threads never keep the process alive
    return worker;
  }
}

let threads: TextThreads | null | undefined;
let configured: number | undefined;

/** The thread count of the server's configuration (ERT_STORAGE_TEXT_THREADS, read at start). */
export function configureTextThreads(count: number): void {
  configured = count;
}

function pool(): TextThreads | null {
  if (threads === undefined) {
    const size = configured ?? textThreadCount();
    const file = size > 0 ? workerFile() : null;
    threads = file ? new TextThreads(file, size) : null;
  }
  return threads;
}

/**
 * The frame as CSV (format "csv") or as JSON rows (format "json": a 2-D list; the caller
 * writes other shapes itself), a block of rows at a time on the threads with a few blocks
 * in flight; null when the frame is small (or there are no threads): write it in place.
 */
export function textBlocks(format: TextTask["format"], m: Matrix): AsyncIterable<Buffer> | null {
  const { rows, cols } = as2d(m);
  const p = pool();
  if (!p || rows < 2 || rows * cols < MIN_VALUES) return null;
  const rowLabels = format === "csv" ? formatLabels(m.index ?? rangeLabels(rows)) : [];
  return blocks(p, format, m, rowLabels, rows, Math.max(1, Math.floor(BLOCK_VALUES / Math.max(cols, 1))));
}

async function* blocks(p: TextThreads, format: TextTask["format"], m: Matrix, rowLabels: string[], rows: number, step: number): AsyncGenerator<Buffer> {
  const inFlight: Promise<Buffer>[] = [];
  const depth = 2 * p.size;
  for (let next = 0; next < rows || inFlight.length > 0; ) {
    while (next < rows && inFlight.length < depth) {
      const to = Math.min(rows, next + step);
      const block = p.encode(format, m, rowLabels, next, to);
      block.catch(() => undefined); // a reader that stops early leaves the rest to settle unseen
      inFlight.push(block);
      next = to;
    }
    yield await inFlight.shift()!;
  }
}

/**
 * encodeMatrix(type, m), in blocks on the threads when it is CSV or a 2-D JSON list of a
 * big frame. A frame with no table form asked for as CSV is refused here, before anything.
 */
export function encodeMatrixStream(type: MatrixMediaType, m: Matrix): Buffer | AsyncIterable<Buffer> {
  const format = type === "text/csv" ? "csv" : type === "application/json" && m.shape.length === 2 ? "json" : null;
  return (format && textBlocks(format, m)) || encodeMatrix(type, m);
}
