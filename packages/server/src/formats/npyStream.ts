// NPY in pieces, for matrices too large to hold twice: the header on its own,
// read from the first bytes of a body or written before values that stream.
import { checkShape, FormatError } from "./matrix";
import { parseHeader, type Header } from "./npy";

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
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

/** The version 1 '<f8' C-order header numpy.lib.format.write_array writes for shape. */
export function npyHeader(shape: number[]): Buffer {
  const shapeText = shape.length === 0 ? "()" : shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // numpy leaves room for the first axis to grow in place (GROWTH_AXIS_MAX_DIGITS = 21)
  if (shape.length > 0) header += " ".repeat(21 - String(shape[0]).length);
  const pad = 64 - ((10 + header.length + 1) % 64);
  const full = header + " ".repeat(pad) + "\n";
  const prefix = Buffer.alloc(10 + full.length);
  MAGIC.copy(prefix, 0);
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(full.length, 8);
  prefix.write(full, 10, "latin1");
  return prefix;
}
