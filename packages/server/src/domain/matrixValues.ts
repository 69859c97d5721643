// Where a matrix's values live: inline in its row when small, in the blob store
// (bounded chunks, as file content) when large. Large NPY bodies stream straight
// into the blob store and back out, never held whole.
import { randomUUID } from "node:crypto";
import { open, rm, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { decodeMatrix, decodeParquetFile } from "../formats";
import { decodeCsv } from "../formats/csv";
import { MAX_FRAME_VALUES, NOT_PARQUET } from "../formats/parquet";
import { CsvMatrixReader } from "../formats/csvStream";
import { as2d, FormatError, rangeLabels, size, type Labels, type Matrix } from "../formats/matrix";
import { readJsonMatrix } from "../formats/jsonMatrix";
import { JsonMatrixReader } from "../formats/jsonMatrixStream";
import { readNpy } from "../formats/npy";
import { MAX_NPY_HEADER_BYTES, readNpyHeader, type NpyHeader } from "../formats/npyStream";
import { blobKeys } from "../store/blob";
import type { StoredMatrix } from "../store/db/matrices";
import type { RowFrame } from "../formats/textThreads";
import type { Deps } from "./context";

/** Matrices with more value bytes than this keep them in the blob store. */
export const INLINE_MATRIX_BYTES = 4 * 1024 * 1024;

/** Parquet bodies up to this size are kept as posted, to be answered byte for byte. */
export const PARQUET_AS_POSTED_LIMIT = 64 * 1024 * 1024;

/** Pieces written to the blob store at a time. */
const PIECE_BYTES = 1024 * 1024;

/** Text bodies up to this size are read whole (see receiveText and bodies.ts streamsText). */
export const WHOLE_TEXT_BYTES = 4 * 1024 * 1024;

/** JsonMatrixReader or CsvMatrixReader: pieces in, values in blocks out. */
interface TextMatrixReader {
  feed(piece: Buffer): void;
  end(): { shape: number[]; blocks: Float64Array[]; columns?: Labels; index?: Labels };
}

/** A body read: its matrix (with a Parquet body kept as posted), or values already in the blob store. */
export type ReceivedMatrix = { matrix: Matrix; posted?: Buffer } | { stored: StoredMatrix };

export class MatrixValues {
  constructor(private readonly deps: Deps) {}

  /** The most values a Parquet body may decode to: what the matrix limit holds, at most MAX_FRAME_VALUES. */
  get maxParquetValues(): number {
    return Math.min(MAX_FRAME_VALUES, Math.floor(this.deps.limits.matrixBytes / 8));
  }

  /** The matrix with its values at hand: read from the blob store when they are there. */
  async load(stored: StoredMatrix): Promise<Matrix> {
    if (stored.data) return { shape: stored.shape, data: stored.data, columns: stored.columns, index: stored.index };
    const bytes = size(stored.shape) * 8;
    // allocUnsafeSlow: a buffer of its own, so the Float64Array over it is aligned
    const values = Buffer.allocUnsafeSlow(bytes);
    await this.readInto(stored.blobKey, values);
    return { shape: stored.shape, data: new Float64Array(values.buffer, values.byteOffset, bytes / 8), columns: stored.columns, index: stored.index };
  }

  /** The values under a blob key into target, which they must fill exactly. */
  async readInto(blobKey: string, target: Uint8Array): Promise<void> {
    for await (const _ of this.fill(blobKey, target.length, () => target));
  }

  /**
   * The `bytes` bytes under blobKey copied into buffers from next (each filled before the
   * next is asked for), yielding each one full. Throws if the store holds more or fewer.
   */
  private async *fill(blobKey: string, bytes: number, next: (bytesLeft: number) => Uint8Array): AsyncGenerator<Uint8Array> {
    let left = bytes; // bytes not yet in a buffer
    let part: Uint8Array | null = null;
    let filled = 0; // bytes of part
    for await (const piece of await this.deps.blobs.readPieces(blobKey)) {
      const chunk = piece.bytes;
      for (let at = 0; at < chunk.length; ) {
        if (part === null) {
          if (left === 0) throw new Error(`Matrix values under '${blobKey}' are more than the ${bytes} bytes its shape says`);
          part = next(left);
          filled = 0;
        }
        const take = Math.min(chunk.length - at, part.length - filled);
        part.set(chunk.subarray(at, at + take), filled);
        filled += take;
        at += take;
        if (filled === part.length) {
          left -= part.length;
          const done = part;
          part = null;
          yield done;
        }
      }
      piece.done();
    }
    if (left > 0) throw new Error(`Matrix values under '${blobKey}' are fewer than the ${bytes} bytes its shape says`);
  }

  /**
   * A 2-D matrix in the blob store as a frame read a part at a time, straight from the
   * store's stream: its values are never whole in memory.
   */
  rowFrame(stored: StoredMatrix & { blobKey: string }): RowFrame {
    const { rows, cols } = as2d(stored);
    return {
      rows,
      cols,
      columns: stored.columns,
      index: stored.index ?? rangeLabels(rows),
      parts: (values, alloc) => this.rowParts(stored.blobKey, rows, cols, values, alloc),
    };
  }

  /** The values under blobKey in parts of whole rows, about `values` values each, in memory from alloc. */
  private async *rowParts(blobKey: string, rows: number, cols: number, values: number, alloc: (n: number) => Float64Array): AsyncGenerator<Float64Array> {
    const partValues = Math.max(1, Math.floor(values / cols)) * cols;
    const next = (bytesLeft: number) => {
      const n = Math.min(partValues, bytesLeft / 8);
      const target = alloc(n);
      return new Uint8Array(target.buffer, target.byteOffset, n * 8);
    };
    for await (const part of this.fill(blobKey, rows * cols * 8, next)) yield new Float64Array(part.buffer, part.byteOffset, part.length / 8);
  }

  /**
   * The matrix as it is to be stored: a large one's values go to the blob store first,
   * under a key registered for sweeping until a record claims it (see discard).
   */
  async store(matrix: Matrix): Promise<StoredMatrix> {
    if (matrix.data.byteLength <= INLINE_MATRIX_BYTES) return { ...matrix, blobKey: null };
    const bytes = Buffer.from(matrix.data.buffer, matrix.data.byteOffset, matrix.data.byteLength);
    const { key } = await this.put(Readable.from(pieces(bytes)));
    return { shape: matrix.shape, columns: matrix.columns, index: matrix.index, data: null, blobKey: key };
  }

  /**
   * Reads an NPY body. A large little-endian float64 C-order one streams into the blob
   * store as it arrives; anything else is read whole and decoded. FormatError for a body
   * that is not the NPY it says it is.
   */
  async receiveNpy(body: Readable): Promise<ReceivedMatrix> {
    const pieces = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const head: Buffer[] = [];
    let headBytes = 0;
    let header: NpyHeader | null = null;
    while (header === null) {
      const next = await pieces.next();
      if (next.done) return { matrix: readNpy(Buffer.concat(head)) }; // says what is wrong
      head.push(next.value);
      headBytes += next.value.length;
      header = readNpyHeader(Buffer.concat(head, headBytes));
      if (header === null && headBytes > MAX_NPY_HEADER_BYTES + 12) throw new FormatError("truncated NPY header");
    }
    const bytes = size(header.shape) * 8;
    const streamable = header.descr === "<f8" && (!header.fortranOrder || header.shape.length < 2) && bytes > INLINE_MATRIX_BYTES;
    if (!streamable) {
      for (let next = await pieces.next(); !next.done; next = await pieces.next()) head.push(next.value);
      return { matrix: readNpy(Buffer.concat(head)) };
    }
    const first = Buffer.concat(head, headBytes).subarray(header.dataOffset);
    async function* values(): AsyncGenerator<Buffer> {
      // exactly `bytes` bytes; whatever follows is not read as values (as readNpy)
      let left = bytes;
      for (let piece: Buffer | undefined = first; piece !== undefined; ) {
        if (left > 0 && piece.length > 0) {
          const take = piece.subarray(0, left);
          left -= take.length;
          yield take;
        }
        const next = await pieces.next();
        piece = next.done ? undefined : next.value;
      }
    }
    const { key, size: stored } = await this.put(Readable.from(values()));
    if (stored !== bytes) {
      await this.discard(key);
      throw new FormatError(`NPY data is truncated: ${bytes / 8} values of '<f8' expected, ${Math.floor(stored / 8)} sent`);
    }
    return { stored: { shape: header.shape, data: null, blobKey: key, columns: null, index: null } };
  }

  /**
   * Reads a Parquet body not read yet: a large one (declaredLength over
   * PARQUET_AS_POSTED_LIMIT) or one of unknown length (chunked). One of unknown length is
   * held up to that size, read and kept as posted (posted); a larger one goes to a
   * temporary file and is read from there a column chunk at a time (a Parquet file is read
   * from its end: the footer says where each column is), so the body is never in memory
   * beside the matrix it fills. The file (os.tmpdir(), readable by this user only) loses
   * its name as soon as it is open, so a server killed mid-request leaves nothing behind
   * (but in the instant between the two). FormatError for a body that is not a Parquet frame.
   */
  async receiveParquet(body: Readable, declaredLength?: number): Promise<ReceivedMatrix> {
    const pieces = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const large = declaredLength !== undefined && declaredLength > PARQUET_AS_POSTED_LIMIT;
    const { head, whole } = large ? { head: [], whole: null } : await headOf(pieces, PARQUET_AS_POSTED_LIMIT);
    if (whole) return { matrix: await decodeMatrix("application/x-parquet", whole, this.maxParquetValues), posted: whole };
    const path = join(tmpdir(), `ert-storage-${randomUUID()}.parquet`);
    let file: FileHandle | undefined;
    try {
      file = await open(path, "wx+", 0o600);
      await rm(path, { force: true });
      // a body that does not start as Parquet does is refused at its first bytes, not spooled
      // whole first (a 1 MB gzip body can decode to gigabytes)
      let start = Buffer.alloc(0);
      const checked = (piece: Buffer) => {
        if (start.length < 4) {
          start = Buffer.concat([start, piece.subarray(0, 4 - start.length)]);
          if (start.length === 4 && start.toString("latin1") !== "PAR1") throw new FormatError(NOT_PARQUET);
        }
        return piece;
      };
      async function* all(): AsyncGenerator<Buffer> {
        while (head.length > 0) yield checked(head.shift()!);
        for (let next = await pieces.next(); !next.done; next = await pieces.next()) yield checked(next.value);
      }
      // through the handle itself: a write stream over its fd closes the fd when the body fails
      // (pipeline destroys it, autoClose or not), and file.close() then fails (EBADF) or, had
      // the number been reused meanwhile, closes another file
      for await (const piece of all()) {
        for (let at = 0; at < piece.length; ) at += (await file.write(piece, at, piece.length - at)).bytesWritten;
      }
      return { matrix: await decodeParquetFile(file.fd, (await file.stat()).size, this.maxParquetValues) };
    } catch (error) {
      // a body not read to its end goes too (a file that cannot be written must not wait for the client's next piece)
      if (!body.readableEnded) body.destroy();
      throw error;
    } finally {
      await file?.close();
    }
  }

  /** Reads a JSON matrix body (see receiveText). */
  receiveJson(body: Readable): Promise<ReceivedMatrix> {
    return this.receiveText(body, readJsonMatrix, () => new JsonMatrixReader());
  }

  /** Reads a CSV matrix body (see receiveText). */
  receiveCsv(body: Readable): Promise<ReceivedMatrix> {
    return this.receiveText(body, decodeCsv, () => new CsvMatrixReader());
  }

  /**
   * A JSON or CSV matrix body. Up to WHOLE_TEXT_BYTES it is read whole, as before; a
   * larger one goes through the format's streaming reader as it arrives, its text never
   * held, and large values go to the blob store from the reader's blocks. FormatError
   * for a body that is not a matrix.
   */
  private async receiveText(body: Readable, whole: (bytes: Buffer) => Matrix, streaming: () => TextMatrixReader): Promise<ReceivedMatrix> {
    const pieces = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const first = await headOf(pieces, WHOLE_TEXT_BYTES);
    if (first.whole) return { matrix: whole(first.whole) };
    const { head } = first;
    const reader = streaming();
    for (const piece of head.splice(0)) reader.feed(piece);
    for (let next = await pieces.next(); !next.done; next = await pieces.next()) reader.feed(next.value);
    const { shape, blocks, columns = null, index = null } = reader.end();
    const count = blocks.reduce((a, b) => a + b.length, 0);
    if (count * 8 <= INLINE_MATRIX_BYTES) return { matrix: { shape, data: joined(blocks, count), columns, index } };
    const { key } = await this.put(Readable.from(blocks.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength))));
    return { stored: { shape, data: null, blobKey: key, columns, index } };
  }

  /** Removes the values of a matrix that no record took. */
  async discard(key: string): Promise<void> {
    await this.deps.blobs.delete([key]);
    await this.deps.repos.sweep.forget([key]);
  }

  private async put(content: Readable): Promise<{ key: string; size: number }> {
    const key = blobKeys.matrix(randomUUID());
    await this.deps.repos.sweep.registerUpload(key);
    try {
      return { key, size: await this.deps.blobs.put(key, content) };
    } catch (error) {
      // nothing is left under the key (the store's promise); the registration goes too
      await this.deps.repos.sweep.forget([key]).catch(() => undefined);
      throw error;
    }
  }
}

/**
 * A body's first pieces, until more than `limit` bytes came: whole, the body joined, when it
 * ended first; else head, the pieces read (the rest is still in `pieces`).
 */
async function headOf(pieces: AsyncIterator<Buffer>, limit: number): Promise<{ head: Buffer[]; whole: Buffer | null }> {
  const head: Buffer[] = [];
  let bytes = 0;
  while (bytes <= limit) {
    const next = await pieces.next();
    if (next.done) return { head, whole: Buffer.concat(head, bytes) };
    head.push(next.value);
    bytes += next.value.length;
  }
  return { head, whole: null };
}

function joined(blocks: Float64Array[], count: number): Float64Array {
  if (blocks.length === 1) return blocks[0];
  const data = new Float64Array(count);
  let at = 0;
  for (const block of blocks) {
    data.set(block, at);
    at += block.length;
  }
  return data;
}

function* pieces(bytes: Buffer): Generator<Buffer> {
  for (let at = 0; at < bytes.length; at += PIECE_BYTES) yield bytes.subarray(at, at + PIECE_BYTES);
}
