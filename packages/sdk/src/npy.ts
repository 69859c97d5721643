// NumPy's NPY format in the browser and in Node (no Buffer): read versions 1-3 of any
// real dtype in either byte and array order, write version 1.0 '<f8' in C order.

export class NpyError extends Error {}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export interface NdArray {
  data: Float64Array;
  shape: number[];
}

type Reader = (view: DataView, offset: number, little: boolean) => number;

const READERS: Record<string, [number, Reader]> = {
  f8: [8, (v, o, le) => v.getFloat64(o, le)],
  f4: [4, (v, o, le) => v.getFloat32(o, le)],
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

/** Parses an NPY file into float64 values in C order and its shape. */
export function parseNpy(input: ArrayBuffer | ArrayBufferView): NdArray {
  const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new NpyError("not an NPY file (bad magic)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  let headerLength: number;
  let start: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new NpyError("truncated NPY header");
    headerLength = view.getUint32(8, true);
    start = 12;
  } else throw new NpyError(`NPY version ${major} is not supported`);
  if (bytes.length < start + headerLength) throw new NpyError("truncated NPY header");
  const header = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new NpyError("NPY header lacks descr, fortran_order or shape");
  }
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((s) => {
      const n = Number(s.replace(/L$/, ""));
      if (!Number.isInteger(n) || n < 0) throw new NpyError(`bad NPY shape (${shapeText})`);
      return n;
    });
  const count = shape.reduce((a, b) => a * b, 1);
  const match = /^([<>|=])([a-z]\d+)$/.exec(descr);
  const reader = match ? READERS[match[2]] : undefined;
  if (!match || !reader) throw new NpyError(`NPY dtype '${descr}' is not a real number type`);
  const [width, read] = reader;
  const offset = start + headerLength;
  if (bytes.length - offset < count * width) throw new NpyError(`NPY data is truncated: ${count} values of '${descr}' expected`);
  const little = match[1] !== ">";
  let data: Float64Array;
  if (match[2] === "f8" && little) {
    // one copy, which also aligns the values for Float64Array
    data = new Float64Array(bytes.slice(offset, offset + count * 8).buffer);
  } else {
    data = new Float64Array(count);
    const body = new DataView(bytes.buffer, bytes.byteOffset + offset, count * width);
    for (let i = 0; i < count; i++) data[i] = read(body, i * width, little);
  }
  if (fortran === "True" && shape.length > 1) data = toCOrder(data, shape);
  return { data, shape };
}

function toCOrder(values: Float64Array, shape: number[]): Float64Array {
  const out = new Float64Array(values.length);
  const dims = shape.length;
  const stride = new Array<number>(dims);
  stride[0] = 1;
  for (let d = 1; d < dims; d++) stride[d] = stride[d - 1] * shape[d - 1];
  const index = new Array<number>(dims).fill(0);
  for (let c = 0; c < values.length; c++) {
    let f = 0;
    for (let d = 0; d < dims; d++) f += index[d] * stride[d];
    out[c] = values[f];
    for (let d = dims - 1; d >= 0; d--) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

/** Writes values (C order) of the given shape as NPY version 1.0 '<f8', as numpy.save does. */
export function encodeNpy(values: ArrayLike<number>, shape: number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (shape.some((n) => !Number.isInteger(n) || n < 0)) throw new NpyError(`bad shape [${shape.join(", ")}]`);
  if (values.length !== count) throw new NpyError(`${values.length} values do not fill shape [${shape.join(", ")}]`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '<f8', 'fortran_order': False, 'shape': ${shapeText}, }`;
  if (shape.length > 0) header += " ".repeat(Math.max(0, 21 - String(shape[0]).length));
  header += " ".repeat(64 - ((10 + header.length + 1) % 64)) + "\n";
  const out = new Uint8Array(10 + header.length + count * 8);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const body = new DataView(out.buffer, 10 + header.length);
  for (let i = 0; i < count; i++) body.setFloat64(i * 8, values[i], true);
  return out;
}
