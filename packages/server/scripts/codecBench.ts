// Throughput of the matrix codecs alone (no HTTP, no database), printed as one JSON object.
// `pnpm build && node dist/scripts/codecBench.js [--baseline before.json] [--shapes 100x2000,1x2000]
//  [--formats csv,npy] [--repeat 3]`
// MB/s counts the float64 payload (rows * cols * 8 bytes), so formats compare on equal terms.
// With --baseline (an earlier run's output) it prints {before, after, speedup}.
import fs from "node:fs";
import { decodeMatrix, encodeMatrix, type MatrixMediaType } from "../src/formats";
import type { Matrix } from "../src/formats/matrix";

const FORMATS: Record<string, MatrixMediaType> = {
  json: "application/json",
  npy: "application/x-numpy",
  csv: "text/csv",
  parquet: "application/x-parquet",
};
const SHAPES = ["1x2000", "100x2000", "200x20000", "1000x20000"];

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const shapes = (option("shapes") ?? SHAPES.join(",")).split(",");
const formats = (option("formats") ?? Object.keys(FORMATS).join(",")).split(",");
const repeat = Number(option("repeat") ?? 3);
const baseline = option("baseline");

interface Figure {
  ms: number;
  mb_s: number;
  bytes: number;
}
type Results = Record<string, Record<string, { encode: Figure; decode: Figure } | { error: string }>>;

/** Values like a simulator's: mostly full-precision doubles, some whole numbers and a few NaN. */
function matrix(rows: number, cols: number): Matrix {
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) {
    const u = random();
    data[i] = u < 0.01 ? NaN : u < 0.05 ? Math.round(u * 1000) : (random() - 0.5) * 10 ** Math.floor(random() * 8 - 2);
  }
  return { shape: [rows, cols], data, columns: null, index: null };
}

/** The best of `repeat` runs of fn, with one warm-up run first for small inputs. */
async function time<T>(fn: () => T | Promise<T>, payload: number): Promise<{ ms: number; result: T }> {
  let result = await fn();
  let best = Infinity;
  const runs = payload < 50e6 ? Math.max(repeat, 5) : repeat;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    result = await fn();
    best = Math.min(best, performance.now() - t0);
  }
  return { ms: best, result };
}

function figure(ms: number, payload: number, bytes: number): Figure {
  return { ms: Math.round(ms * 100) / 100, mb_s: Math.round(payload / 1e6 / (ms / 1000)), bytes };
}

async function run(): Promise<Results> {
  const results: Results = {};
  for (const shape of shapes) {
    const [rows, cols] = shape.split("x").map(Number);
    const m = matrix(rows, cols);
    const payload = rows * cols * 8;
    results[shape] = {};
    for (const name of formats) {
      const type = FORMATS[name];
      try {
        const encoded = await time(() => encodeMatrix(type, m), payload);
        const body = encoded.result;
        const decoded = await time(() => decodeMatrix(type, body), payload);
        const back = decoded.result.data;
        for (let i = 0; i < m.data.length; i++) {
          if (!Object.is(back[i], m.data[i])) throw new Error(`value ${i} came back as ${back[i]}, not ${m.data[i]}`);
        }
        results[shape][name] = { encode: figure(encoded.ms, payload, body.length), decode: figure(decoded.ms, payload, body.length) };
      } catch (error) {
        results[shape][name] = { error: String(error instanceof Error ? error.message : error) };
      }
      if (global.gc) global.gc();
    }
  }
  return results;
}

async function main(): Promise<void> {
  const after = await run();
  if (baseline) {
    const before = JSON.parse(fs.readFileSync(baseline, "utf8")) as Results & { after?: Results };
    const old: Results = before.after ?? before;
    const speedup: Record<string, Record<string, Record<string, number | null>>> = {};
    for (const shape of Object.keys(after)) {
      speedup[shape] = {};
      for (const name of Object.keys(after[shape])) {
        const a = after[shape][name];
        const b = old[shape]?.[name];
        const ratio = (dir: "encode" | "decode") =>
          b && "encode" in b && "encode" in a ? Math.round((b[dir].ms / a[dir].ms) * 10) / 10 : null;
        speedup[shape][name] = { encode: ratio("encode"), decode: ratio("decode") };
      }
    }
    console.log(JSON.stringify({ node: process.version, before: old, after, speedup }));
  } else {
    console.log(JSON.stringify({ node: process.version, ...after }));
  }
}

void main();
