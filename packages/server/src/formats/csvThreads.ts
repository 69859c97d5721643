// CSV answers of big frames encoded on worker threads: formatting numbers as text is
// most of an answer's cost (a 200 x 20000 frame: ~0.65 s of one core), and on the main
// thread it would hold every other request up that long. Blocks of rows go to the threads
// in turn, so one big answer also uses every core the server was given, and is written
// out block by block.
import fs from "node:fs";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { csvThreadCount } from "../config";
import { encodeCsv } from "./csv";
import type { CsvResult, CsvTask } from "./csvWorker";
import { as2d, FormatError, rangeLabels, type Matrix } from "./matrix";

/** Frames with fewer values are encoded in place: a round trip to a thread costs more. */
const MIN_VALUES = 1 << 17;


/**
 * The compiled worker. Run from the TypeScript sources (the tests, under ts-jest) it is
 * the build's copy, which `pnpm test` makes first; without a build, CSV is encoded in place.
 */
function workerFile(): string | null {
  const compiled = __filename.endsWith(".ts") ? path.join(__dirname, "..", "..", "dist", "src", "formats", "csvWorker.js") : path.join(__dirname, "csvWorker.js");
  return fs.existsSync(compiled) ? compiled : null;
}

interface Pending {
  resolve(bytes: Buffer): void;
  reject(error: Error): void;
}

class CsvThreads {
  private readonly idle: Worker[] = [];
  private readonly queue: { task: CsvTask; pending: Pending }[] = [];
  private readonly running = new Map<Worker, { task: CsvTask; pending: Pending }>();
  private started = 0;
  private nextId = 0;

  constructor(
    private readonly file: string,
    readonly size: number,
  ) {}

  /** The CSV text of the frame's rows from..to (the header line with the first part). */
  encode(m: Matrix, from: number, to: number): Promise<Buffer> {
    const { cols } = as2d(m);
    const part: Matrix = {
      shape: [to - from, cols],
      data: m.data.slice(from * cols, to * cols),
      columns: from === 0 ? m.columns : null,
      index: m.index ? { kind: m.index.kind, values: m.index.values.slice(from, to) } : rangeLabels(to - from, from),
    };
    if (from === 0 && !m.columns) part.columns = rangeLabels(cols);
    const task: CsvTask = { id: this.nextId++, matrix: part, header: from === 0 };
    return new Promise((resolve, reject) => {
      this.queue.push({ task, pending: { resolve, reject } });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const worker = this.idle.pop() ?? this.spawn();
      if (!worker) return;
      const job = this.queue.shift()!;
      this.running.set(worker, job);
      worker.postMessage(job.task, [job.task.matrix.data.buffer as ArrayBuffer]); // a slice: its own buffer
    }
  }

  private spawn(): Worker | null {
    if (this.started >= this.size) return null;
    this.started++;
    const worker = new Worker(this.file);
    worker.on("message", (result: CsvResult) => {
      const job = this.running.get(worker);
      this.running.delete(worker);
      this.idle.push(worker);
      if (job) {
        if ("error" in result) job.pending.reject(new FormatError(result.error));
        else job.pending.resolve(Buffer.from(result.bytes.buffer, result.bytes.byteOffset, result.bytes.length));
      }
      this.pump();
    });
    // a thread that dies (out of memory, a bug) fails its task; a new one takes its place
    const lost = (error: Error) => {
      const job = this.running.get(worker);
      this.running.delete(worker);
      const at = this.idle.indexOf(worker);
      if (at >= 0) this.idle.splice(at, 1);
      this.started--;
      job?.pending.reject(error);
      this.pump();
    };
    worker.on("error", lost);
    worker.on("exit", (code) => {
      if (this.running.has(worker) || this.idle.includes(worker)) lost(new Error(`a CSV thread exited (code ${code})`));
    });
    worker.unref(); // after the listeners (a 'message' listener refs it again): threads never keep the process alive
    return worker;
  }
}

let threads: CsvThreads | null | undefined;

function pool(): CsvThreads | null {
  if (threads === undefined) {
    const size = csvThreadCount();
    const file = size > 0 ? workerFile() : null;
    threads = file ? new CsvThreads(file, size) : null;
  }
  return threads;
}

/** Values per task: about 5 MB of text, so an answer in flight holds a few of these, not all of it. */
const TASK_VALUES = 1 << 18;

/**
 * encodeCsv(m): the bytes themselves for small frames (or without threads); for big ones
 * the bytes in order, a block of rows at a time, written on the threads (a few blocks in
 * flight, no more): the answer is never whole in memory. A frame that has no table form
 * is refused here, before any of it is written.
 */
export function encodeCsvStream(m: Matrix): Buffer | AsyncIterable<Buffer> {
  const { rows, cols } = as2d(m);
  const p = pool();
  if (!p || rows < 2 || rows * cols < MIN_VALUES) return encodeCsv(m);
  return blocks(p, m, rows, Math.max(1, Math.floor(TASK_VALUES / Math.max(cols, 1))));
}

async function* blocks(p: CsvThreads, m: Matrix, rows: number, step: number): AsyncGenerator<Buffer> {
  const inFlight: Promise<Buffer>[] = [];
  const depth = 2 * p.size;
  for (let next = 0; next < rows || inFlight.length > 0; ) {
    while (next < rows && inFlight.length < depth) {
      const to = Math.min(rows, next + step);
      const block = p.encode(m, next, to);
      block.catch(() => undefined); // a reader that stops early leaves the rest to settle unseen
      inFlight.push(block);
      next = to;
    }
    yield await inFlight.shift()!;
  }
}
