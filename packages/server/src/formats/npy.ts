// NumPy's NPY format: read versions 1-3 of any numeric dtype and order,
// write version 1 '<f8' as numpy.lib.format.write_array does.
import { checkShape, FormatError, size, type Matrix } from "./matrix";

export const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

export interface Header {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
}

export function readNpy(buf: Buffer): Matrix {
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) throw new FormatError("not an NPY file (bad magic)");
  const major = buf[6];
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = buf.readUInt16LE(8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new FormatError("truncated NPY header");
    headerLen = buf.readUInt32LE(8);
    start = 12;
  } else {
    throw new FormatError(`NPY version ${major} is not supported`);
  }
  if (buf.length < start + headerLen) throw new FormatError("truncated NPY header");
  const header = parseHeader(buf.subarray(start, start + headerLen).toString(major === 3 ? "utf8" : "latin1"));
  checkShape(header.shape);
  const body = buf.subarray(start + headerLen);
  const n = size(header.shape);
  const values = decode(body, header.descr, n);
  const data = header.fortranOrder && header.shape.length > 1 ? toCOrder(values, header.shape) : values;
  return { shape: header.shape, data, columns: null, index: null };
}

export function parseHeader(text: string): Header {
  if (/'descr'\s*:\s*\[/.test(text)) throw new FormatError("NPY with a structured dtype (named fields) is not a matrix of numbers");
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new FormatError("NPY header lacks descr, fortran_order or shape");
  }
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((s) => {
      const v = Number(s.replace(/L$/, ""));
      if (!Number.isInteger(v) || v < 0) throw new FormatError(`bad NPY shape (${shapeText})`);
      return v;
    });
  return { descr, fortranOrder: fortran === "True", shape };
}

type Reader = (view: DataView, offset: number, little: boolean) => number;

const READERS: Record<string, [number, Reader]> = {
  f8: [8, (v, o, le) => v.getFloat64(o, le)],
  f4: [4, (v, o, le) => v.getFloat32(o, le)],
  f2: [2, (v, o, le) => halfToFloat(v.getUint16(o, le))],
  i8: [8, (v, o, le) => Number(v.getBigInt64(o, le))],
  i4: [4, (v, o, le) => v.getInt32(o, le)],
  i2: [2, (v, o, le) => v.getInt16(o, le)],
  i1: [1, (v, o) => v.getInt8(o)],
  u8: [8, (v, o, le) => Number(v.getBigUint64(o, le))],
  u4: [4, (v, o, le) => v.getUint32(o, le)],
  u2: [2, (v, o, le) => v.getUint16(o, le)],
  u1: [1, (v, o) => v.getUint8(o)],
  b1: [1, (v, o) => (v.getUint8(o) ? 1 : 0)],
};

function decode(body: Buffer, descr: string, n: number): Float64Array {
  const match = /^([<>|=])([a-z]\d+)$/.exec(descr);
  const reader = match ? READERS[match[2]] : undefined;
  if (!match || !reader) throw new FormatError(`NPY dtype '${descr}' is not a real number type`);
  const [width, read] = reader;
  if (body.length < n * width) throw new FormatError(`NPY data is truncated: ${n} values of '${descr}' expected`);
  const little = match[1] !== ">";
  // the values in place, as the store reads a matrix's blob: a view, not a copy
  if (match[2] === "f8" && little && body.byteOffset % 8 === 0) return new Float64Array(body.buffer, body.byteOffset, n);
  const view = new DataView(body.buffer, body.byteOffset, n * width);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = read(view, i * width, little);
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

function toCOrder(values: Float64Array, shape: number[]): Float64Array {
  const n = values.length;
  const out = new Float64Array(n);
  const dims = shape.length;
  // Fortran strides: first index varies fastest.
  const fStride = new Array<number>(dims);
  fStride[0] = 1;
  for (let d = 1; d < dims; d++) fStride[d] = fStride[d - 1] * shape[d - 1];
  const idx = new Array<number>(dims).fill(0);
  for (let c = 0; c < n; c++) {
    let f = 0;
    for (let d = 0; d < dims; d++) f += idx[d] * fStride[d];
    out[c] = values[f];
    for (let d = dims - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** Version 1.0 '<f8', C order, header padded to 64 bytes like numpy's write_array. */
export function writeNpy(data: Float64Array, shape: number[]): Buffer {
  const header = npyHeader(shape);
  // one buffer, one copy of the values (an answer cannot be header and values apart)
  const out = Buffer.allocUnsafe(header.length + data.byteLength);
  header.copy(out, 0);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), header.length);
  return out;
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
