// Answers that tsoa's JSON return path cannot give: matrices by Accept, files, CSV, a JSON null.
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Request, Response } from "express";
import { acceptedMediaType, type Matrix, type MatrixMediaType } from "../formats";
import type { RecordData } from "../domain/recordData";
import { size } from "../formats/matrix";
import { encodeMatrixStream, encodeRowFrame } from "../formats/textThreads";
import { npyHeader } from "../formats/npyStream";
import { Errors } from "../errors";

/** FastAPI answers `null` with 200 for handlers that return nothing; so do we. */
export function sendNull(req: Request): void {
  req.res!.status(200).setHeader("Content-Type", "application/json");
  req.res!.send(Buffer.from("null"));
}

export async function sendMatrix(req: Request, matrix: Matrix, type: MatrixMediaType = acceptedMediaType(req.header("accept"))): Promise<void> {
  let body: Buffer | AsyncIterable<Buffer>;
  try {
    body = encodeMatrixStream(type, matrix);
  } catch (error) {
    throw Errors.unprocessable(`Cannot answer as ${type}: ${(error as Error).message}`);
  }
  const res = req.res!;
  // setHeader, not type(): Express would add "; charset=utf-8" to application/json
  res.status(200).setHeader("Content-Type", contentType(type));
  if (Buffer.isBuffer(body)) res.send(body);
  else await streamTo(res, stream(body)); // chunked: the length is known only at the end
}

/**
 * An answer's pieces as a stream that asks for the next piece only when the socket took the
 * last: Readable.from's default would read 16 pieces (of up to ~5 MB text each) ahead.
 */
function stream(source: AsyncIterable<Buffer>): Readable {
  return Readable.from(source, { highWaterMark: 1 });
}

/** The rest of pieces, first (already taken) first. */
async function* after(first: IteratorResult<Buffer>, pieces: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  if (first.done) return;
  yield first.value;
  yield* pieces;
}

function contentType(type: MatrixMediaType): string {
  return type === "text/csv" ? "text/csv; charset=utf-8" : type;
}

/** Pipes an answer out; a client that goes away mid-answer is not an error of ours. */
async function streamTo(res: Response, source: NodeJS.ReadableStream): Promise<void> {
  try {
    await pipeline(source, res);
  } catch (error) {
    // the client closed the connection: nobody is left to answer (a failing source is thrown)
    if ((error as { code?: string }).code === "ERR_STREAM_PREMATURE_CLOSE" && res.destroyed) return;
    throw error;
  }
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
  const res = req.res!;
  if (data.kind === "rows") {
    // read and written a part at a time; a stack is only made so when the answer is not Parquet
    if (type === "application/x-parquet") throw new Error("A stack of records is written whole as Parquet");
    const pieces = encodeRowFrame(type, data.frame);
    // the first piece before the status: a stack that cannot be read at all gets its own answer (404, 503)
    const first = await pieces.next();
    res.status(200).setHeader("Content-Type", contentType(type));
    if (type === "application/x-numpy") {
      res.setHeader("Content-Length", String(npyHeader([data.frame.rows, data.frame.cols]).length + data.frame.rows * data.frame.cols * 8));
    }
    await streamTo(res, stream(after(first, pieces)));
    return;
  }
  if (data.kind === "npy") {
    const header = npyHeader(data.shape);
    res.status(200);
    res.setHeader("Content-Type", "application/x-numpy");
    res.setHeader("Content-Length", String(header.length + size(data.shape) * 8));
    res.write(header);
    await streamTo(res, data.values);
    return;
  }
  res.status(200);
  res.setHeader("Content-Type", data.file.contentType);
  res.setHeader("Content-Disposition", contentDisposition(data.file.filename));
  if (data.file.size !== null) res.setHeader("Content-Length", String(data.file.size));
  await streamTo(res, data.content);
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
