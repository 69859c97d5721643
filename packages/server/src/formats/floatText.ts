// Python's repr() of a float64 (pyFloat) written straight into bytes, without a string:
// String(x) costs ~120 ns a value and copying its text into a buffer ~50 ns more, and
// CSV and JSON answers are mostly numbers (a 200 x 20000 frame is 4 million of them).
//
// Between 1e-4 and 1e16 (where Python writes no exponent) the digits are found here:
// the shortest decimal that reads back as x, the nearest to x of those. The work is exact
// double arithmetic, no approximations to get wrong:
//   - x * 10^s, scaled to 17 integer digits, is hi + lo exactly (Dekker's product; 10^s
//     for s <= 22 is itself exact);
//   - half the gap to the neighbouring doubles, times 10^s, is exact too (a power of two
//     times 10^s), so the bounds of the decimals that read back as x are floor()ed exactly
//     (with the rounding error of lo +- half gap from Knuth's two-sum);
//   - digits are then dropped, as Ryu does, while the bounds still hold a shorter decimal;
//     the 17-digit integers are kept as a high part (9 digits) and a low part (8) below
//     2^31. The bounds are at most ~22 apart in units of the 17th digit, so they hold at
//     most one multiple of 10^8: a decimal of 8 digits or fewer is the one the low part
//     rounds to, and its trailing zeros are dropped when it is written.
// Whether a decimal exactly on a bound reads back as x (ties to even) never matters in this
// range: such a bound has more than 17 significant digits, or is odd where the candidates
// are multiples of ten. Everything else (tiny, huge, zero, NaN) is pyFloat's text.
import { endianness } from "node:os";
import { pyFloat } from "./pyfloat";

/** The longest text writePyFloat writes: "-2.2250738585072014e-308". */
export const MAX_FLOAT_TEXT = 24;

const P10 = new Float64Array(23).map((_, i) => Number(`1e${i}`));
/** Dekker's split of 10^s into two halves of 26 bits, for the exact product. */
const SPLITTER = 134217729; // 2^27 + 1
const P10_HIGH = P10.map((p) => {
  const c = SPLITTER * p;
  return c - (c - p);
});
const P10_LOW = P10.map((p, i) => p - P10_HIGH[i]);

/** By binary exponent (+ OFFSET): floor(log10) of the binade's first value, where the next power of ten starts (or Infinity), and 2^(e - 53). */
const OFFSET = 64;
const DECIMAL_EXPONENT = new Int32Array(2 * OFFSET + 16);
const NEXT_POWER = new Float64Array(2 * OFFSET + 16);
const HALF_ULP = new Float64Array(2 * OFFSET + 16);
for (let e = -OFFSET; e < OFFSET + 16; e++) {
  const start = 2 ** e;
  let d = Math.floor(Math.log10(start));
  if (Number(`1e${d + 1}`) <= start) d++;
  if (Number(`1e${d}`) > start) d--;
  DECIMAL_EXPONENT[e + OFFSET] = d;
  const next = Number(`1e${d + 1}`);
  NEXT_POWER[e + OFFSET] = next < 2 * start ? next : Infinity;
  HALF_ULP[e + OFFSET] = 2 ** (e - 53);
}

/** "00" to "99" as byte pairs. */
const PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  PAIRS[2 * i] = 48 + Math.floor(i / 10);
  PAIRS[2 * i + 1] = 48 + (i % 10);
}

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
/** Which of words holds the sign, exponent and high mantissa bits. */
const HIGH_WORD = endianness() === "LE" ? 1 : 0;

/** pyFloat(x) as ASCII at out[at..]; the new end. out needs MAX_FLOAT_TEXT bytes of room. */
export function writePyFloat(out: Uint8Array, at: number, x: number): number {
  if (x > 0) {
    if (x >= 1e-4 && x < 1e16) return writeFixed(out, at, x);
  } else if (x < 0 && x <= -1e-4 && x > -1e16) {
    out[at] = 45; // -
    return writeFixed(out, at + 1, -x);
  }
  return writeAscii(out, at, pyFloat(x));
}

/** Python's json.dumps of a float: writePyFloat, with NaN, Infinity and -Infinity. */
export function writeJsonFloat(out: Uint8Array, at: number, x: number): number {
  if (x !== x) return writeAscii(out, at, "NaN");
  if (x === Infinity) return writeAscii(out, at, "Infinity");
  if (x === -Infinity) return writeAscii(out, at, "-Infinity");
  return writePyFloat(out, at, x);
}

/** A buffer of at least `bytes` bytes: a view of `into` when it is that long, else a new one. */
export function bufferFor(bytes: number, into?: Uint8Array): Buffer {
  return into && into.length >= bytes ? Buffer.from(into.buffer, into.byteOffset, into.length) : Buffer.allocUnsafe(bytes);
}

export function writeAscii(out: Uint8Array, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i);
  return at;
}

/** The shortest digits of x, 1e-4 <= x < 1e16, without an exponent; ".0" after a whole number. */
function writeFixed(out: Uint8Array, at: number, x: number): number {
  bits[0] = x;
  const high32 = words[HIGH_WORD];
  const e = ((high32 >>> 20) & 0x7ff) - 1023 + OFFSET;
  // s: the scale that gives x 17 digits before the point
  let s = 16 - DECIMAL_EXPONENT[e];
  if (x >= NEXT_POWER[e]) s--;
  let p = P10[s];
  let hi = x * p;
  if (hi >= 1e17) hi = x * (p = P10[--s]);
  else if (hi < 1e16) hi = x * (p = P10[++s]);
  let lo = productError(x, hi, s);
  if (hi === 1e16 && lo < 0) {
    // x * 10^s rounded up to 10^16 from below (x under a negative power of ten): one digit more
    hi = x * (p = P10[++s]);
    lo = productError(x, hi, s);
  }
  // half the gap to the next double up, and down (half that below a power of two: in this
  // range that never changes the digits, as the tests of every power of two show, but it is
  // what the bound is)
  const up = p * HALF_ULP[e];
  const down = (high32 & 0xfffff) === 0 && words[1 - HIGH_WORD] === 0 ? up * 0.5 : up;
  // hi + lo = (q - 2) * 1e8 + (base + lo), base in [2e8, 3e8]: the low parts stay positive
  // int32 (after 8 digits dropped they are below 5, so no more can go: see the top of the file)
  const q = Math.floor(hi * 1e-8);
  const base = hi - q * 1e8 + 2e8;
  let below = (base + floorSum(lo, -down)) | 0; // the largest integer under the lower bound (or on it)
  let above = (base + floorSum(lo, up)) | 0; // the largest integer on or under the upper bound
  const loFloor = Math.floor(lo);
  let digits = (base + loFloor) | 0; // floor(x * 10^s), then with its dropped digits
  const half = loFloor + 0.5;
  // the first digit dropped (6: over half, 5: half, 1: under half, 0: none) and whether all after it are 0
  let dropped = lo > half ? 6 : lo === half ? 5 : lo === loFloor ? 0 : 1;
  let restZero = true;
  let r = 0; // digits dropped
  let high = (q - 2) | 0; // the digits above the low 8
  while (r < 8) {
    if (r <= 6) {
      const b2 = (below / 100) | 0;
      const a2 = (above / 100) | 0;
      if (a2 > b2) {
        // two digits can go
        const d = (digits / 100) | 0;
        const pair = digits - d * 100;
        const tens = (pair / 10) | 0;
        restZero = restZero && dropped === 0 && pair === tens * 10;
        dropped = tens;
        digits = d;
        below = b2;
        above = a2;
        r += 2;
        continue;
      }
    }
    const b1 = (below / 10) | 0;
    const a1 = (above / 10) | 0;
    if (a1 <= b1) break;
    const d = (digits / 10) | 0;
    restZero = restZero && dropped === 0;
    dropped = digits - d * 10;
    digits = d;
    below = b1;
    above = a1;
    r++;
  }
  if (dropped > 5 || (dropped === 5 && (!restZero || (digits & 1) === 1))) digits++;
  if (digits <= below) digits = below + 1; // the nearest was under the narrower lower bound of a power of two
  // the significant digits: the high part (9 digits, 10 when x * 10^s rounded up to 10^17), then the low part's 8 - r
  const carry = P10[8 - r];
  while (digits >= carry) {
    digits -= carry;
    high++;
  }
  let headDigits = high;
  let headLength = high >= 1e9 ? 10 : 9;
  let tailDigits = digits;
  let tailLength = 8 - r;
  const pointAt = headLength + tailLength + r - s; // digits before the decimal point
  while (tailLength > 0) {
    const d = (tailDigits / 10) | 0;
    if (tailDigits !== d * 10) break;
    tailDigits = d;
    tailLength--;
  }
  if (tailLength === 0) {
    while (headLength > 1) {
      const d = (headDigits / 10) | 0;
      if (headDigits !== d * 10) break;
      headDigits = d;
      headLength--;
    }
  }
  const n = headLength + tailLength;
  if (pointAt <= 0) {
    // 0.000ddd
    out[at++] = 48;
    out[at++] = 46;
    for (let i = pointAt; i < 0; i++) out[at++] = 48;
    writeDigits(out, (at += headLength), headDigits, headLength);
    writeDigits(out, (at += tailLength), tailDigits, tailLength);
    return at;
  }
  if (pointAt >= n) {
    // ddd000.0
    writeDigits(out, (at += headLength), headDigits, headLength);
    writeDigits(out, (at += tailLength), tailDigits, tailLength);
    for (let i = n; i < pointAt; i++) out[at++] = 48;
    out[at++] = 46;
    out[at++] = 48;
    return at;
  }
  if (pointAt >= headLength) {
    // the point among the tail's digits
    const fraction = n - pointAt;
    const scale = P10[fraction];
    const whole = Math.floor(tailDigits / scale);
    writeDigits(out, (at += headLength), headDigits, headLength);
    writeDigits(out, (at += pointAt - headLength), whole, pointAt - headLength);
    out[at++] = 46;
    writeDigits(out, (at += fraction), tailDigits - whole * scale, fraction);
    return at;
  }
  // the point among the head's digits
  const fraction = headLength - pointAt;
  const scale = P10[fraction];
  const whole = Math.floor(headDigits / scale);
  writeDigits(out, (at += pointAt), whole, pointAt);
  out[at++] = 46;
  writeDigits(out, (at += fraction), headDigits - whole * scale, fraction);
  writeDigits(out, (at += tailLength), tailDigits, tailLength);
  return at;
}

/** The rounding error of hi = x * 10^s: x * 10^s - hi, exactly (Dekker's product, 10^s split once). */
function productError(x: number, hi: number, s: number): number {
  const c = SPLITTER * x;
  const xHigh = c - (c - x);
  const xLow = x - xHigh;
  const pHigh = P10_HIGH[s];
  const pLow = P10_LOW[s];
  return xHigh * pHigh - hi + xHigh * pLow + xLow * pHigh + xLow * pLow;
}

/**
 * floor(a + b) exactly, for doubles whose sum may not be: the rounded sum's floor, one less
 * when the sum rounded up onto an integer (two-sum gives the rounding error). For the bounds
 * above that takes a bound within ~1e-15 of an integer, which this range may not even hold;
 * it costs nothing to be sure.
 */
function floorSum(a: number, b: number): number {
  const sum = a + b;
  const bv = sum - a;
  const error = a - (sum - bv) + (b - bv);
  const f = Math.floor(sum);
  return f === sum && error < 0 ? f - 1 : f;
}

/** The count low decimal digits of v (zeros in front), ending before out[end]. */
function writeDigits(out: Uint8Array, end: number, v: number, count: number): void {
  let value = v | 0;
  let at = end;
  for (; count > 1; count -= 2) {
    const d = (value / 100) | 0;
    const pair = (value - d * 100) << 1;
    out[--at] = PAIRS[pair + 1];
    out[--at] = PAIRS[pair];
    value = d;
  }
  if (count === 1) out[--at] = 48 + (value % 10);
}
