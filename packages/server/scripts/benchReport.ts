// Prints the JSON of `pnpm bench` as a Markdown table:
// `node packages/server/dist/scripts/benchReport.js bench.json` (or the JSON on stdin).
import fs from "node:fs";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

interface Row {
  label: string;
  /** the figure from one database's results */
  server: (db: Json) => number | undefined;
  /** the same work through pg straight into PostgreSQL */
  raw?: (raw: Json) => number | undefined;
  unit: string;
  /** rates: more is better; else a cost (time, memory) */
  rate?: boolean;
  /** extra text after a database's figure */
  note?: (db: Json) => string | undefined;
  /** the figure's object, to show its error when it failed */
  source?: (db: Json) => Json;
}

const FORMAT_NAMES: Record<string, string> = { json: "JSON", npy: "NPY", csv: "CSV", parquet: "Parquet" };

function rows(result: Json): Row[] {
  const s = result.options.sizes;
  const u = s.upload;
  const out: Row[] = [{ label: `server start to first healthcheck (median of ${s.starts})`, server: (d) => d.start?.medianMs, unit: "ms" }];
  for (const format of ["json", "npy", "parquet"]) {
    for (const [mode, text] of [
      ["sequential", "sequential"],
      ["concurrent", `${u.concurrency} concurrent`],
    ]) {
      out.push({
        label: `upload ${u.records} records of ${u.values} + link, ${FORMAT_NAMES[format]}, ${text}`,
        server: (d) => d.upload?.[`${format}_${mode}`]?.recordsPerSec,
        raw: (r) => r.upload?.[mode]?.recordsPerSec,
        unit: "records/s",
        rate: true,
        note: (d) => secondsNote(d.upload?.[`${format}_${mode}`]?.seconds),
        source: (d) => d.upload?.error ? d.upload : d.upload?.[`${format}_${mode}`],
      });
    }
  }
  for (const [rowsN, cols] of s.matrices as [number, number][]) {
    const key = `${rowsN}x${cols}`;
    for (const format of Object.keys(FORMAT_NAMES)) {
      for (const dir of ["up", "down"]) {
        out.push({
          label: `parameter matrix ${key} ${FORMAT_NAMES[format]} ${dir === "up" ? "POST" : "GET"}`,
          server: (d) => d.matrix?.[key]?.[format]?.[`${dir}MBps`],
          raw: (r) => r.matrix?.[key]?.[`${dir}MBps`],
          unit: "MB/s",
          rate: true,
          note: (d) => rssNote(d.matrix?.[key]?.[format]?.[dir === "up" ? "peakRssMbUp" : "peakRssMbDown"]),
          source: (d) => d.matrix?.error ? d.matrix : d.matrix?.[key]?.[format],
        });
      }
    }
  }
  const f = s.frame;
  out.push({
    label: `response frame: ${f.rows} records of ${f.cols} (CSV) POST, 8 concurrent`,
    server: (d) => d.frame?.upload?.recordsPerSec,
    unit: "records/s",
    rate: true,
    source: (d) => d.frame,
  });
  for (const format of ["csv", "parquet", "npy"]) {
    out.push({
      label: `response frame ${f.rows}x${f.cols} stacked GET ${FORMAT_NAMES[format]}`,
      server: (d) => d.frame?.[format]?.downMBps,
      raw: (r) => r.frame?.downMBps,
      unit: "MB/s",
      rate: true,
      source: (d) => d.frame,
    });
  }
  const v = s.view;
  out.push({
    label: `ensemble view: set up ${v.parameters} parameters + ${v.responses}x${v.realizations} responses of ${v.values}`,
    server: (d) => d.view?.setupSeconds,
    unit: "s",
    source: (d) => d.view,
  });
  out.push({
    label: `ensemble view: everything the view needs (${3 + v.parameters + v.responses} GETs, ${v.concurrency} at a time)`,
    server: (d) => d.view?.seconds,
    raw: (r) => r.view?.seconds,
    unit: "s",
    source: (d) => d.view,
  });
  out.push({ label: "GET /ensembles/{id} latency p50", server: (d) => d.latency?.p50Ms, raw: (r) => r.latency?.p50Ms, unit: "ms" });
  out.push({ label: "GET /ensembles/{id} latency p99", server: (d) => d.latency?.p99Ms, raw: (r) => r.latency?.p99Ms, unit: "ms" });
  out.push({
    label: `GET /ensembles/{id} at concurrency ${s.latency.concurrency}`,
    server: (d) => d.latency?.concurrentPerSec,
    raw: (r) => r.latency?.concurrentPerSec,
    unit: "requests/s",
    rate: true,
  });
  const m = s.misfits;
  out.push({
    label: `misfits ${m.realizations} realizations x ${m.points} points (median of ${m.runs})`,
    server: (d) => d.misfits?.medianMs,
    raw: (r) => r.misfits?.ms,
    unit: "ms",
    note: (d) => (d.misfits?.summaryMs !== undefined ? `summary ${d.misfits.summaryMs} ms` : undefined),
  });
  out.push({ label: "server peak RSS through the run (without --big)", server: (d) => d.peakRssMb, unit: "MB" });
  out.push({ label: "server peak RSS through the run, outside the steps of matrices over 16 MB", server: (d) => d.peakRssMbOutsideBigMatrices, unit: "MB" });
  if (result.options.big) {
    const [br, bc] = s.big;
    const big = `big matrix ${br}x${bc}`;
    out.push({ label: `${big} NPY POST (streamed)`, server: (d) => d.big?.npy_up?.upMBps, raw: (r) => r.matrix?.[`${br}x${bc}`]?.upMBps, unit: "MB/s", rate: true, note: (d) => errorNote(d.big?.npy_up) });
    out.push({ label: `${big} NPY GET`, server: (d) => d.big?.npy_down?.downMBps, raw: (r) => r.matrix?.[`${br}x${bc}`]?.downMBps, unit: "MB/s", rate: true, note: (d) => errorNote(d.big?.npy_down) });
    out.push({ label: `${big} Parquet GET`, server: (d) => d.big?.parquet_down?.downMBps, unit: "MB/s", rate: true, note: (d) => errorNote(d.big?.parquet_down) });
    out.push({ label: `${big}: server peak RSS (its own process)`, server: (d) => d.big?.serverPeakRssMb, unit: "MB" });
  }
  out.push({ label: `raw pg only: ${u.records} one-row INSERTs, one by one`, server: () => undefined, raw: (r) => r.upload?.smallRows?.sequentialPerSec, unit: "rows/s", rate: true });
  out.push({ label: `raw pg only: ${u.records} one-row INSERTs, ${u.concurrency} at a time`, server: () => undefined, raw: (r) => r.upload?.smallRows?.concurrentPerSec, unit: "rows/s", rate: true });
  return out;
}

function secondsNote(s: number | undefined): string | undefined {
  return s === undefined ? undefined : `${s} s`;
}

function rssNote(mb: number | undefined): string | undefined {
  return mb === undefined ? undefined : `peak RSS ${mb} MB`;
}

function errorNote(figure: Json): string | undefined {
  return figure?.error ? `failed: ${shorten(figure.error)}` : undefined;
}

/** An error message fit for a table cell: ids as {id}, no pipes, not too long. */
function shorten(error: unknown): string {
  const text = String(error)
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "{id}")
    .replace(/\|/g, "/")
    .replace(/\s+/g, " ");
  return text.length > 140 ? `${text.slice(0, 137)}...` : text;
}

function number(x: number): string {
  if (Math.abs(x) >= 100) return Math.round(x).toLocaleString("en-US");
  return String(Number(x.toPrecision(3)));
}

/** "52 records/s (×6.8)": ×k is k times the cost of the raw pg figure. */
function cell(row: Row, db: Json, raw: Json): string {
  if (db === undefined) return "not run";
  const value = row.server(db);
  const rawValue = row.raw?.(raw);
  const note = row.note?.(db);
  const failed = row.source?.(db);
  if (failed?.error) return String(failed.error).startsWith("not run") ? shorten(failed.error) : `failed: ${shorten(failed.error)}`;
  if (value === undefined || value === null) return note ?? "—";
  let text = `${number(value)} ${row.unit}`;
  if (rawValue !== undefined && rawValue !== null && value > 0 && rawValue > 0) {
    text += ` (×${number(row.rate ? rawValue / value : value / rawValue)})`;
  }
  return note ? `${text}; ${note}` : text;
}

export function report(result: Json): string {
  const m = result.machine;
  const raw = result.rawPg ?? {};
  const lines = [
    `### ERT Storage bench, ${String(result.date).slice(0, 10)}${result.options.smoke ? " (smoke sizes)" : ""}`,
    "",
    `${m.cores} cores (${m.cpu}), ${m.memoryGb} GB, Node ${m.node}, ${m.platform}; load average ${m.loadAverageAtStart?.join(", ")} at the start, ` +
      `${m.loadAverageAtEnd?.join(", ")} at the end; whole run ${Math.round(result.seconds)} s.`,
    "",
    "MB/s are of float64 payload (rows x cols x 8 bytes). (×k): k times the cost of the same work done with the `pg` driver straight " +
      "into PostgreSQL, no server (the raw pg limit column; the embedded database is compared with the same PostgreSQL figure).",
    "",
    "| workload | PostgreSQL | embedded | raw pg limit |",
    "| --- | --- | --- | --- |",
  ];
  for (const row of rows(result)) {
    const rawValue = row.raw?.(raw);
    const rawText = rawValue === undefined || rawValue === null ? "—" : `${number(rawValue)} ${row.unit}`;
    lines.push(`| ${row.label} | ${cell(row, result.postgres, raw)} | ${cell(row, result.embedded, raw)} | ${rawText} |`);
  }
  if (result.failures?.length) lines.push("", `Failed: ${result.failures.map(shorten).join("; ")}`);
  return lines.join("\n") + "\n";
}

if (require.main === module) {
  const file = process.argv[2];
  const text = fs.readFileSync(file && file !== "-" ? file : 0, "utf8");
  process.stdout.write(report(JSON.parse(text)));
}
