// Command-line flags and the sizes of every workload (full run, or --smoke).
export const WORKLOADS = ["upload", "matrix", "frame", "view", "latency", "misfits"] as const;
export type Workload = (typeof WORKLOADS)[number];
export type Db = "postgres" | "embedded";
/** The matrix workload's formats, in the order they run. */
export const MATRIX_FORMATS = ["json", "npy", "csv", "parquet"] as const;
export type MatrixFormat = (typeof MATRIX_FORMATS)[number];

export interface Sizes {
  upload: { records: number; values: number; concurrency: number };
  matrices: [number, number][];
  big: [number, number];
  frame: { rows: number; cols: number };
  view: { realizations: number; parameters: number; responses: number; values: number; concurrency: number };
  latency: { requests: number; seconds: number; concurrency: number };
  misfits: { realizations: number; points: number; runs: number };
  starts: number;
  /** longest a timed loop runs (latency, throughput) */
  phaseLimitMs: number;
  /** longest wait for one answer; a server that takes longer is stuck and restarted */
  requestTimeoutMs: number;
}

export interface Options {
  smoke: boolean;
  big: boolean;
  dbs: Db[];
  only: Set<Workload>;
  /** the matrix workload's formats (--formats); each starts on the memory the ones before it left */
  formats: MatrixFormat[];
  out: string | null;
  sizes: Sizes;
}

const FULL: Sizes = {
  upload: { records: 1000, values: 2000, concurrency: 8 },
  matrices: [
    [100, 2000],
    [1000, 20000],
  ],
  big: [1000, 200000],
  frame: { rows: 200, cols: 20000 },
  view: { realizations: 200, parameters: 200, responses: 10, values: 20000, concurrency: 8 },
  latency: { requests: 2000, seconds: 3, concurrency: 8 },
  misfits: { realizations: 1000, points: 500, runs: 3 },
  starts: 3,
  phaseLimitMs: 120_000,
  requestTimeoutMs: 180_000,
};

const SMOKE: Sizes = {
  upload: { records: 20, values: 2000, concurrency: 8 },
  matrices: [[10, 50]],
  big: [10, 2000],
  frame: { rows: 5, cols: 100 },
  view: { realizations: 5, parameters: 5, responses: 2, values: 100, concurrency: 8 },
  latency: { requests: 300, seconds: 0.5, concurrency: 8 },
  misfits: { realizations: 20, points: 10, runs: 3 },
  starts: 1,
  phaseLimitMs: 2000,
  requestTimeoutMs: 30_000,
};

const USAGE = `Usage: pnpm bench [--smoke] [--big] [--db postgres|embedded] [--only ${WORKLOADS.join(",")}] [--formats ${MATRIX_FORMATS.join(",")}] [--out file.json]`;

export function parseOptions(argv: string[]): Options {
  const options: Options = { smoke: false, big: false, dbs: ["postgres", "embedded"], only: new Set(WORKLOADS), formats: [...MATRIX_FORMATS], out: null, sizes: FULL };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new Error(`${arg} needs a value\n${USAGE}`);
      return v;
    };
    if (arg === "--smoke") options.smoke = true;
    else if (arg === "--big") options.big = true;
    else if (arg === "--out") options.out = value();
    else if (arg === "--db") {
      const db = value();
      if (db !== "postgres" && db !== "embedded") throw new Error(`--db ${db}: postgres or embedded\n${USAGE}`);
      options.dbs = [db];
    } else if (arg === "--only") {
      const names = value().split(",");
      const bad = names.filter((n) => !(WORKLOADS as readonly string[]).includes(n));
      if (bad.length) throw new Error(`--only: unknown workload ${bad.join(", ")}\n${USAGE}`);
      options.only = new Set(names as Workload[]);
    } else if (arg === "--formats") {
      const names = value().split(",");
      const bad = names.filter((n) => !(MATRIX_FORMATS as readonly string[]).includes(n));
      if (bad.length) throw new Error(`--formats: unknown format ${bad.join(", ")}\n${USAGE}`);
      options.formats = MATRIX_FORMATS.filter((f) => names.includes(f));
    } else if (arg === "--help" || arg === "-h") {
      console.error(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  if (options.smoke) options.sizes = SMOKE;
  return options;
}
