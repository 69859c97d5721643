// Answers that tsoa's JSON return path cannot give: matrices by Accept, files, CSV, a JSON null.
import { setImmediate as immediate } from "node:timers/promises";
import type { Request, Response } from "express";
import { acceptedMediaType, npyShape, type Matrix, type MatrixMediaType } from "../formats";
import type { RecordData } from "../domain/recordData";
import { joinBlocks, size } from "../formats/matrix";
import { encodeMatrixStream, encodeParquetStream, encodeRowFrame, type Piece } from "../formats/textThreads";
import { npyHeader } from "../formats/npyStream";
import { Errors } from "../errors";

/** FastAPI answers `null` with 200 for handlers that return nothing; so do we. */
export function sendNull(req: Request): void {
  req.res!.status(200).setHeader("Content-Type", "application/json");
  req.res!.send(Buffer.from("null"));
}

export async function sendMatrix(req: Request, matrix: Matrix, type: MatrixMediaType = acceptedMediaType(req.header("accept"))): Promise<void> {
  if (type === "application/x-numpy") sendNpy(req.res!, matrix);
  else await sendEncoded(req, type, () => encodeMatrixStream(type, matrix));
}

/**
 * NPY: the header, then the values' bytes where they are. Copying them behind the header
 * first cost a fresh buffer the matrix's size per answer (1.6 MB for 100 x 2000), and V8
 * collects everything once ~64 MB of such buffers were made.
 */
function sendNpy(res: Response, m: Matrix): void {
  res.write(startNpy(res, npyShape(m)));
  res.end(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength));
}

/** The status and headers of an NPY answer of this shape (its length known ahead); its header to write first. */
function startNpy(res: Response, shape: number[]): Buffer {
  const header = npyHeader(shape);
  res.status(200).setHeader("Content-Type", "application/x-numpy");
  res.setHeader("Content-Length", String(header.length + size(shape) * 8));
  return header;
}

/** An answer of the type; encode refuses (FormatError) a matrix with no such form: 422. */
async function sendEncoded(req: Request, type: MatrixMediaType, encode: () => Buffer | AsyncIterable<Piece>): Promise<void> {
  let body: Buffer | AsyncIterable<Piece>;
  try {
    body = encode();
  } catch (error) {
    throw Errors.unprocessable(`Cannot answer as ${type}: ${(error as Error).message}`);
  }
  const res = req.res!;
  // setHeader, not type(): Express would add "; charset=utf-8" to application/json
  res.status(200).setHeader("Content-Type", contentType(type));
  if (Buffer.isBuffer(body)) res.send(body);
  else await writeAll(res, body); // chunked: the length is known only at the end
}

/**
 * Writes an answer's pieces out and ends it, each piece done once the socket took it. The
 * next piece is made while one is being written, and asked for only then: at most two are
 * held. A client that goes away mid-answer is not an error of ours; a piece that cannot be
 * made breaks the answer off (the client sees it cut short) and is thrown.
 */
async function writePieces(res: Response, first: IteratorResult<Piece>, pieces: AsyncIterator<Piece>): Promise<void> {
  let next: Promise<IteratorResult<Piece>> | null = null;
  try {
    for (let current = first; !current.done; ) {
      const written = write(res, current.value);
      next = pieces.next();
      next.catch(() => undefined); // settled below, or dropped with the answer
      await written;
      // a piece the socket took at once calls back on the next tick, before any I/O: without
      // a turn of the event loop here, every other request waited for the whole answer (a
      // 190 MB Parquet answer kept /healthcheck waiting 3-5 s)
      await immediate();
      current = await next;
      next = null;
    }
  } catch (error) {
    if (next) next.then((r) => r.done || r.value.done(), () => undefined);
    await pieces.return?.(undefined);
    // the client closed the connection, or reset it under a write: nobody is left to answer
    if (error instanceof ConnectionGone || res.destroyed || res.writableEnded) return;
    res.destroy(error as Error);
    throw error;
  }
  await ended(res);
}

/** Ends the answer; resolves once it is sent or the connection closed before (a client gone after the last piece). */
function ended(res: Response): Promise<void> {
  return new Promise((resolve) => {
    res.once("close", resolve);
    res.end(() => {
      res.off("close", resolve);
      resolve();
    });
  });
}

/** The connection of an answer closed, or failed under a write (EPIPE, ECONNRESET): the client's doing. */
class ConnectionGone extends Error {}

/**
 * Resolves once the socket took the piece (the piece is then done), rejects with
 * ConnectionGone when the connection closes or fails first (the piece is then left as it
 * is: the socket may hold it yet).
 */
function write(res: Response, piece: Piece): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const closed = () => finish(new ConnectionGone("The connection closed mid-answer"));
    const finish = (error?: Error | null) => {
      if (settled) return;
      settled = true;
      res.off("close", closed);
      if (error) return reject(error instanceof ConnectionGone ? error : new ConnectionGone(error.message, { cause: error }));
      piece.done();
      resolve();
    };
    res.once("close", closed);
    res.write(piece.bytes, finish);
  });
}

function contentType(type: MatrixMediaType): string {
  return type === "text/csv" ? "text/csv; charset=utf-8" : type;
}

/** The media type the request's Accept asks a matrix in. */
export function acceptedType(req: Request): MatrixMediaType {
  return acceptedMediaType(req.header("accept"));
}

/** type: the media type of a matrix answer (by default what Accept asks for). */
export async function sendRecordData(req: Request, data: RecordData, type: MatrixMediaType = acceptedType(req)): Promise<void> {
  if (data.kind === "matrix") {
    if (type === "application/x-parquet" && data.parquet) {
      req.res!.status(200).setHeader("Content-Type", type);
      req.res!.send(data.parquet);
      return;
    }
    return await sendMatrix(req, data.matrix, type);
  }
  if (data.kind === "blocks") {
    // made for Parquet answers; any other is written from the blocks joined
    if (type !== "application/x-parquet") return await sendMatrix(req, joinBlocks(data.table), type);
    return await sendEncoded(req, type, () => encodeParquetStream(data.table));
  }
  const res = req.res!;
  if (data.kind === "rows") {
    // read and written a part at a time; a stack is only made so when the answer is not Parquet
    if (type === "application/x-parquet") throw new Error("A stack of records is written whole as Parquet");
    const pieces = encodeRowFrame(type, data.frame);
    // the first piece before the status: a stack that cannot be read at all gets its own answer (404, 503)
    const first = await pieces.next();
    // (an NPY frame's first piece is its header)
    if (type === "application/x-numpy") startNpy(res, [data.frame.rows, data.frame.cols]);
    else res.status(200).setHeader("Content-Type", contentType(type));
    await writePieces(res, first, pieces);
    return;
  }
  if (data.kind === "npy") {
    res.write(startNpy(res, data.shape));
    await writeAll(res, data.values);
    return;
  }
  res.status(200);
  res.setHeader("Content-Type", data.file.contentType);
  res.setHeader("Content-Disposition", contentDisposition(data.file.filename));
  if (data.file.size !== null) res.setHeader("Content-Length", String(data.file.size));
  await writeAll(res, data.content);
}

/** A JSON answer of pieces of text, labelled as res.json labels their whole (see pythonJson), its length known only at the end. */
export async function sendJsonPieces(req: Request, texts: AsyncIterable<string>): Promise<void> {
  const res = req.res!;
  const pieces = (async function* () {
    for await (const text of texts) yield { bytes: Buffer.from(text), done: () => undefined };
  })();
  const first = await pieces.next(); // before the status: the text may be unreadable
  res.status(200).setHeader("Content-Type", "application/json");
  await writePieces(res, first, pieces);
}

/** All the pieces written out (writePieces), and the answer ended. */
async function writeAll(res: Response, content: AsyncIterable<Piece>): Promise<void> {
  const pieces = content[Symbol.asyncIterator]();
  await writePieces(res, await pieces.next(), pieces);
}

/**
 * RFC 6266: a quoted ASCII fallback, and filename* in UTF-8 when the name needs it: for
 * anything but printable ASCII (CR/LF can never reach the header), and for the characters
 * clients misread inside the quotes: '"' and '\\' (escapes), ';' (naive parameter
 * splitting) and '%' (browsers percent-decode filename=).
 */
export function contentDisposition(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]/g, "_").replace(/["\\;%]/g, "_");
  if (fallback === filename) return `attachment; filename="${filename}"`;
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
