// CSV and JSON answers of big frames written on worker threads: formatting numbers as text
// is most of an answer's cost (a 200 x 20000 frame: ~0.65 s of one core), and on the main
// thread it would hold every other request up that long. Blocks of rows go to the threads
// in turn, so one big answer also uses every core the server was given, and is written
// out block by block: it is never whole in memory.
import { Worker } from "node:worker_threads";
import { textThreadCount } from "../config";
import { encodeMatrix, encodeParquet, encodeParquetPieces, PARQUET_WHOLE_BYTES, PARQUET_WHOLE_COLUMNS, type MatrixMediaType } from "./index";
import { answerLabels, storedJsonOf, type LabelsBlock } from "./labels";
import { as2d, FormatError, rangeLabels, rowBlocksOf, type Labels, type Matrix, type RowBlocks } from "./matrix";
import { MAX_FLOAT_TEXT } from "./floatText";
import { npyHeader } from "./npyStream";
import type { Piece } from "./piece";
import { workerFile } from "./workerFile";
import { encodeBlock, type TextResult, type TextTask } from "./textBlock";

export type { Piece } from "./piece";

/** Frames with fewer values are written in place: a round trip to the threads costs more. */
const MIN_VALUES = 1 << 20;
/** CSV frames of more columns than this are written on the threads, however few their values. */
const WIDE_COLUMNS = 1 << 16;
/** Values per block or part: about 2.4 MB of text, so that the blocks of many answers in flight hold little. */
const PART_VALUES = 1 << 17;
/** Room for a part's text: the longest cells, row ends and labels (text that needs more gets a buffer of its own). */
const PART_TEXT_BYTES = PART_VALUES * (MAX_FLOAT_TEXT + 2) + (1 << 20);

/** A block's values and its text, in memory shared with the threads. */
interface PartBuffers {
  values: Float64Array;
  text: Uint8Array;
}

/**
 * Part buffers used again and again: a big answer's values and text go through the same
 * few buffers instead of new ones every ~2.4 MB, whose allocation (page faults, zeroed
 * pages) and collection (V8 runs a full collection for each ~64 MB of new buffers) cost as
 * much as a quarter of a big CSV answer. At most `keep` idle ones are kept.
 */
class PartPool {
  private readonly free: PartBuffers[] = [];

  constructor(private readonly keep: number) {}

  take(): PartBuffers {
    return this.free.pop() ?? { values: new Float64Array(new SharedArrayBuffer(PART_VALUES * 8)), text: new Uint8Array(new SharedArrayBuffer(PART_TEXT_BYTES)) };
  }

  give(part: PartBuffers): void {
    if (this.free.length < this.keep) this.free.push(part);
  }

  /** A piece of bytes in this part's memory, which comes back to the pool when done. */
  piece(bytes: Buffer, part: PartBuffers): Piece {
    let given = false;
    return {
      bytes,
      done: () => {
        if (given) return;
        given = true;
        this.give(part);
      },
    };
  }
}

/** Blocks of one answer being written as text, oldest first, each in a part of the pool. */
class TextsInFlight {
  private readonly queue: { text: Promise<Buffer>; part: PartBuffers }[] = [];

  constructor(private readonly buffers: PartPool) {}

  get length(): number {
    return this.queue.length;
  }

  push(text: Promise<Buffer>, part: PartBuffers): void {
    text.catch(() => undefined); // a reader that stops early leaves the rest to settle unseen
    this.queue.push({ text, part });
  }

  /** The oldest block's text, a piece of its part. */
  async shift(): Promise<Piece> {
    const { text, part } = this.queue.shift()!;
    return this.buffers.piece(await text, part);
  }

  /** Blocks still being written come back to the pool when their thread is done with them. */
  drop(): void {
    for (const { text, part } of this.queue.splice(0)) text.then(() => this.buffers.give(part), () => this.buffers.give(part));
  }
}

/** A piece in memory of its own: nothing to give back. */
function own(bytes: Buffer): Piece {
  return { bytes, done: () => undefined };
}

interface Job {
  task: TextTask;
  resolve(text: Buffer): void;
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
   * A block of a frame's rows as text, written into `into` when it fits. The block's values
   * are in shared memory, or in a buffer of their own, which moves to the thread.
   */
  encodeBlock(format: TextTask["format"], block: Matrix, labels: BlockLabels, first: boolean, last: boolean, into: Uint8Array): Promise<Buffer> {
    const task: TextTask = { id: this.nextId++, format, matrix: block, rowLabels: labels.rows, columnLabels: labels.columns, first, last, into };
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
      const values = job.task.matrix.data.buffer;
      worker.postMessage(job.task, values instanceof SharedArrayBuffer ? [] : [values]);
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
        else if ("length" in result) job.resolve(Buffer.from(job.task.into!.buffer, job.task.into!.byteOffset, result.length));
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
let parts: PartPool | undefined;

/** The thread count of the server's configuration (ERT_STORAGE_TEXT_THREADS, read at start). */
export function configureTextThreads(count: number): void {
  configured = count;
}

function pool(): TextThreads | null {
  if (threads === undefined) {
    const size = configured ?? textThreadCount();
    const file = size > 0 ? workerFile("textWorker") : null;
    threads = file ? new TextThreads(file, size) : null;
  }
  return threads;
}

/** Blocks of text in flight for one answer: one a thread and one more, being written out while the threads make the next. */
function answerDepth(p: TextThreads | null): number {
  return p ? p.size + 1 : 1;
}

/** Idle part buffers kept: what one answer has in flight at full speed, and the one it reads into next. */
function partPool(): PartPool {
  parts ??= new PartPool(answerDepth(pool()) + 1);
  return parts;
}

/** A block as text, on a thread or (without threads) in place, into the part's text buffer when it fits. */
function encodeText(p: TextThreads | null, format: TextTask["format"], block: Matrix, labels: BlockLabels, first: boolean, last: boolean, into: Uint8Array): Promise<Buffer> {
  return p
    ? p.encodeBlock(format, block, labels, first, last, into)
    : Promise.resolve().then(() => encodeBlock({ format, matrix: block, rowLabels: labels.rows, columnLabels: labels.columns, first, last, into }));
}

/**
 * The frame as CSV (format "csv") or as JSON rows (format "json": a 2-D list; the caller
 * writes other shapes itself), a block of rows at a time on the threads with a few blocks
 * in flight; null when the frame is small (or there are no threads): write it in place.
 */
export function textBlocks(format: TextTask["format"], m: Matrix): AsyncIterable<Piece> | null {
  const { rows, cols } = as2d(m);
  const p = pool();
  // small frames and vectors are written in place; as CSV, not when they have long stored
  // labels (over 1 MiB of text): one row of 1M dated columns held the main thread 1.1 s;
  // nor when they are wide: the header of 0 x 1M values (a 128-byte NPY body) 0.3-0.45 s
  const longLabels = format === "csv" && ([m.columns, m.index].some((labels) => labels && storedJsonOf(labels)) || cols > WIDE_COLUMNS);
  if (!p || (!longLabels && (rows < 2 || rows * cols < MIN_VALUES))) return null;
  return blocks(p, format, m, rows, Math.max(1, Math.floor(PART_VALUES / Math.max(cols, 1))));
}

/** A CSV block's labels when the block's matrix does not carry them: its rows', and the header's (first block). */
interface BlockLabels {
  rows: LabelsBlock | undefined;
  columns?: LabelsBlock;
}

/** The labels of a CSV answer's blocks of rows from..to - 1, made as each is sent; none for JSON. */
async function blockLabelsOf(format: TextTask["format"], index: Labels, columns: Labels | null): Promise<(from: number, to: number) => BlockLabels> {
  if (format !== "csv") return () => ({ rows: undefined });
  const rows = await answerLabels(index);
  const header = await storedHeader(columns);
  return (from, to) => ({ rows: rows(from, to), columns: from === 0 ? header : undefined });
}

/**
 * A CSV header's labels as a stretch of their stored text when they are long stored
 * strings or dates (the thread writing the first block parses them), else undefined: the
 * block carries them. A frame of one row and 1M dated columns held the main thread 1.7 s.
 */
async function storedHeader(columns: Labels | null): Promise<LabelsBlock | undefined> {
  if (!columns || !storedJsonOf(columns) || (columns.kind !== "string" && columns.kind !== "datetime")) return undefined;
  return (await answerLabels(columns))(0, Infinity);
}

async function* blocks(p: TextThreads, format: TextTask["format"], m: Matrix, rows: number, step: number): AsyncGenerator<Piece> {
  const { cols } = as2d(m);
  const labelsOf = await blockLabelsOf(format, m.index ?? rangeLabels(rows), m.columns);
  const depth = answerDepth(p);
  const buffers = partPool();
  const inFlight = new TextsInFlight(buffers);
  try {
    // (a frame of no rows is one block: its header)
    for (let next = 0, first = true; next < rows || first || inFlight.length > 0; ) {
      for (; (next < rows || first) && inFlight.length < depth; first = false) {
        const to = Math.min(rows, next + step);
        const part = buffers.take();
        const values = m.data.subarray(next * cols, to * cols);
        const labels = labelsOf(next, to);
        const block: Matrix = {
          shape: [to - next, cols],
          // a copy for the thread: into the part's shared memory when it fits, else one of its own that moves there
          data: values.length <= part.values.length ? copyInto(part.values, values) : values.slice(),
          // (none: the thread numbers them; a million numbers cloned to it held the main thread 66-96 ms)
          columns: next === 0 && !labels.columns ? m.columns : null,
          index: null,
        };
        inFlight.push(p.encodeBlock(format, block, labels, next === 0, to === rows, part.text), part);
        next = to;
      }
      yield await inFlight.shift();
    }
  } finally {
    inFlight.drop();
  }
}

function copyInto(target: Float64Array, values: Float64Array): Float64Array {
  const view = target.subarray(0, values.length);
  view.set(values);
  return view;
}

/** A frame read a part at a time: rows of equal width under one set of column labels. */
export interface RowFrame {
  rows: number;
  cols: number;
  columns: Labels | null;
  /** a label for each row */
  index: Labels;
  /**
   * The values in C order, whole rows at a time, about `values` values a part. Each part is
   * in memory that alloc(n) gives (n values, read before the next part is asked for).
   */
  parts(values: number, alloc: (n: number) => Float64Array): AsyncIterable<Float64Array>;
}

export type RowFrameType = "text/csv" | "application/json" | "application/x-numpy";

/**
 * The frame as CSV, a 2-D JSON list or NPY, written a part at a time as the parts come:
 * the frame is never whole in memory. Text is written on the threads (in place without
 * them), with up to a thread's worth of parts in flight for this answer. The pieces' memory
 * is used again once they are done (see Piece).
 */
export async function* encodeRowFrame(type: RowFrameType, frame: RowFrame): AsyncGenerator<Piece> {
  const { rows, cols } = frame;
  const step = Math.max(1, Math.floor(PART_VALUES / Math.max(cols, 1))) * cols;
  const buffers = partPool();
  // the part buffers the next part is read into: values that fit go into its shared memory
  let into: PartBuffers | null = null;
  const alloc = (n: number) => (into && n <= into.values.length ? into.values.subarray(0, n) : new Float64Array(n));
  let written = 0; // rows
  if (type === "application/x-numpy") {
    // the header once the first part is read: a frame that cannot be read fails before anything is sent
    let header: Buffer | null = npyHeader([rows, cols]);
    const reader = frame.parts(step, alloc)[Symbol.asyncIterator]();
    try {
      for (;;) {
        const part = (into = buffers.take());
        const next = await reader.next();
        into = null;
        if (next.done) {
          buffers.give(part);
          break;
        }
        if (header) yield own(header);
        header = null;
        const values = next.value;
        written += values.length / cols;
        const bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
        if (values.buffer === part.values.buffer) yield buffers.piece(bytes, part);
        else {
          buffers.give(part);
          yield own(bytes);
        }
      }
    } finally {
      into = null;
      await reader.return?.(undefined);
    }
  } else {
    const format = type === "text/csv" ? "csv" : "json";
    const labelsOf = await blockLabelsOf(format, frame.index, frame.columns);
    const p = pool();
    const inFlight = new TextsInFlight(buffers);
    const depth = answerDepth(p);
    const blocks = blocksOf(frame.parts(step, alloc), step)[Symbol.asyncIterator]();
    try {
      for (;;) {
        // a block is read only when a thread can take it soon: however many answers are being
        // written, few blocks are held at once
        const release = await partSlots().acquire();
        let part: PartBuffers;
        try {
          part = buffers.take();
        } catch (error) {
          release(); // memory for a part could not be had: the slot is not kept
          throw error;
        }
        into = part;
        let next: IteratorResult<Float64Array>;
        try {
          next = await blocks.next();
        } catch (error) {
          release();
          buffers.give(part);
          throw error;
        } finally {
          into = null;
        }
        if (next.done) {
          release();
          buffers.give(part);
          break;
        }
        const data = next.value;
        const n = data.length / cols;
        const first = written === 0;
        const labels = labelsOf(written, written + n);
        const block: Matrix = {
          shape: [n, cols],
          data,
          columns: first && !labels.columns ? frame.columns : null, // (none: numbered where it is written)
          index: null,
        };
        written += n;
        const text = encodeText(p, format, block, labels, first, written === rows, part.text);
        text.then(release, release);
        inFlight.push(text, part);
        if (inFlight.length >= depth) yield await inFlight.shift();
      }
      while (inFlight.length > 0) yield await inFlight.shift();
    } finally {
      inFlight.drop();
      await blocks.return(undefined);
    }
  }
  if (written !== rows) throw new Error(`The frame's parts held ${written} rows, not ${rows}`);
}

/** The parts as blocks of at most step values (whole rows: step is a multiple of the width), none empty. */
async function* blocksOf(parts: AsyncIterable<Float64Array>, step: number): AsyncGenerator<Float64Array> {
  for await (const part of parts) {
    if (part.length <= step) {
      if (part.length > 0) yield part;
      continue;
    }
    for (let at = 0; at < part.length; at += step) yield part.slice(at, at + step);
  }
}

/** A count of slots taken in turn (first come, first served). */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(count: number) {
    this.free = count;
  }

  /** Resolves when a slot is taken, to the function that gives it back (once). */
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}

let slots: Slots | undefined;

/** Parts of row frames read and not yet written as text, across all answers: two per thread, and two more. */
function partSlots(): Slots {
  slots ??= new Slots(2 * (pool()?.size ?? 1) + 2);
  return slots;
}

/** Pieces made one at a time, as an async iterable (a piece's done() is the maker's). */
async function* asPieces(pieces: Iterable<Piece>): AsyncGenerator<Piece> {
  yield* pieces;
}

/** The frame as Parquet: whole when small, else a piece at a time. */
export function encodeParquetStream(table: RowBlocks): Buffer | AsyncIterable<Piece> {
  const whole = table.rows * table.cols * 8 <= PARQUET_WHOLE_BYTES && table.cols <= PARQUET_WHOLE_COLUMNS;
  return whole ? encodeParquet(table) : asPieces(encodeParquetPieces(table));
}

/**
 * encodeMatrix(type, m), in blocks on the threads when it is CSV or a 2-D JSON list of a
 * big frame, and Parquet of a big frame a piece at a time. A frame with no table form
 * asked for as CSV, or no Parquet form, is refused here, before anything.
 */
export function encodeMatrixStream(type: MatrixMediaType, m: Matrix): Buffer | AsyncIterable<Piece> {
  if (type === "application/x-parquet") return encodeParquetStream(rowBlocksOf(m));
  const format = type === "text/csv" ? "csv" : type === "application/json" && m.shape.length === 2 ? "json" : null;
  return (format && textBlocks(format, m)) || encodeMatrix(type, m);
}
