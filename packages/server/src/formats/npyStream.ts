// NPY in pieces, for matrices too large to hold twice: the header on its own,
// read from the first bytes of a body or written before values that stream.
import { checkShape, FormatError } from "./matrix";
import { MAGIC, parseHeader, type Header } from "./npy";

export { npyHeader } from "./npy";

/** numpy writes headers of a few hundred bytes; one of more is not a header. */
export const MAX_NPY_HEADER_BYTES = 64 * 1024;

export interface NpyHeader extends Header {
  /** where the values start */
  dataOffset: number;
}

/** The header from the first bytes of an NPY body; null while more bytes are needed. */
export function readNpyHeader(prefix: Buffer): NpyHeader | null {
  if (prefix.length < 10) return null;
  if (!prefix.subarray(0, 6).equals(MAGIC)) throw new FormatError("not an NPY file (bad magic)");
  const major = prefix[6];
  if (major !== 1 && major !== 2 && major !== 3) throw new FormatError(`NPY version ${major} is not supported`);
  if (major > 1 && prefix.length < 12) return null;
  const start = major === 1 ? 10 : 12;
  const headerLen = major === 1 ? prefix.readUInt16LE(8) : prefix.readUInt32LE(8);
  if (headerLen > MAX_NPY_HEADER_BYTES) throw new FormatError(`NPY header of ${headerLen} bytes is longer than any numpy writes`);
  if (prefix.length < start + headerLen) return null;
  const header = parseHeader(prefix.subarray(start, start + headerLen).toString(major === 3 ? "utf8" : "latin1"));
  checkShape(header.shape);
  return { ...header, dataOffset: start + headerLen };
}
