// After a request that moved a large matrix (or file) up or down, a full collection.
//
// The values of a matrix live in buffers outside V8's heap; V8 frees them when it collects
// its heap, which it does on its own schedule, driven by allocation in the heap. A server
// that has just stored or answered 160 MB and then waits allocates next to nothing: after a
// 1000 x 20000 CSV POST, its resident memory stayed at 293 MB (73 MB before) for as long as
// no other request came, and a large request after it started from there (the bench's
// Parquet step after its CSV step: 314 MB before it began, 532 MB at its peak).
// Collecting once such a request is done gives that memory back at once, for 14-36 ms of
// the main thread (measured, a 15 MB heap) after seconds of work; large requests ending
// within a second of each other share one collection. Node exposes the collector with --expose-gc
// (bin/ert-storage.js's first line and the package scripts pass it); without it, as under
// jest, nothing is done.
import type { Socket } from "node:net";
import type { RequestHandler } from "express";

/** Requests that read and wrote at least this many bytes together are followed by a collection. */
export const LARGE_REQUEST_BYTES = 64 * 1024 * 1024;

type Collector = (options?: { type?: "major" | "minor"; execution?: "sync" | "async" }) => void;

/** Collections are at least this far apart: large requests ending one after another share one. */
export const COLLECTION_INTERVAL_MS = 1000;

/** What each connection had read and written when its last request was done. */
const counted = new WeakMap<Socket, number>();

export function collectAfterLargeRequests(collect = (globalThis as { gc?: Collector }).gc, intervalMs = COLLECTION_INTERVAL_MS): RequestHandler {
  if (!collect) return (_req, _res, next) => next();
  let pending: NodeJS.Timeout | null = null;
  let lastCollection = -Infinity;
  return (req, res, next) => {
    const socket = req.socket;
    res.once("close", () => {
      // counted from the connection's last request, not from now: by the time a request is
      // routed, its connection may have read part of its body already
      const total = socket.bytesRead + socket.bytesWritten;
      const moved = total - (counted.get(socket) ?? 0);
      counted.set(socket, total);
      if (pending || moved < LARGE_REQUEST_BYTES) return;
      // after the handler's own last callbacks (when what it held is garbage), and not
      // sooner than intervalMs after the last one
      pending = setTimeout(
        () => {
          pending = null;
          lastCollection = performance.now();
          collect();
        },
        Math.max(0, lastCollection + intervalMs - performance.now()),
      );
      pending.unref();
    });
    next();
  };
}
