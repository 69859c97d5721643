// Test helper: Python's float.hex() text to a number, exactly.
export function fromHex(text: string): number {
  if (text === "inf") return Infinity;
  if (text === "-inf") return -Infinity;
  if (text === "nan") return NaN;
  const match = /^(-)?0x([01])\.([0-9a-f]*)p([+-]\d+)$/.exec(text);
  if (!match) throw new Error(`not a hex float: ${text}`);
  const [, sign, lead, frac, exp] = match;
  const mantissa = BigInt(`0x${lead}${frac || "0"}`);
  const value = Number(mantissa) * 2 ** (Number(exp) - 4 * (frac || "0").length);
  return sign ? -value : value;
}
