// Bytes and streams for blob store tests.
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";

export const MiB = 1024 * 1024;

export function bytes(length: number): Buffer {
  return randomBytes(length);
}

/** The buffer as a stream of uneven pieces (as a socket delivers them). */
export function streamOf(buffer: Buffer, pieceSize = 200_003): Readable {
  function* pieces() {
    for (let at = 0; at < buffer.length; at += pieceSize) yield buffer.subarray(at, Math.min(at + pieceSize, buffer.length));
  }
  return Readable.from(pieces(), { objectMode: false });
}

/** A stream that delivers `before` bytes, then fails the way an aborted client upload does. */
export function failingStream(before: number): Readable {
  async function* pieces() {
    yield bytes(before);
    await new Promise((resolve) => setImmediate(resolve));
    throw new InputFailed();
  }
  return Readable.from(pieces(), { objectMode: false });
}

export class InputFailed extends Error {
  constructor() {
    super("the client went away");
  }
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}
