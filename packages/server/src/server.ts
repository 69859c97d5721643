// Starts and stops a listening server: database, app, discovery file, signals.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { maxHeaderSize, STATUS_CODES, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import path from "node:path";
import type { Config } from "./config";
import { openBlobStore, type BlobStore } from "./store/blob";
import { openDatabase, type Database } from "./store/db/connect";
import { configureTextThreads } from "./formats/textThreads";

/** How often content of deleted experiments and abandoned uploads is swept from the blob store. */
const SWEEP_INTERVAL_MS = 10 * 60 * 1000;
/** How often the embedded database checks whether it has space and WAL to give back (upkeep.ts). */
const UPKEEP_INTERVAL_MS = 10 * 1000;

/** Starting would break something already running. */
export class RefusedToStart extends Error {}

export interface Running {
  url: string;
  token: string | null;
  server: Server;
  db: Database;
  blobs: BlobStore;
  stop(): Promise<void>;
}

export interface ServeOptions {
  host: string;
  port: number;
  config: Config;
  /** where storage_server.json goes; null: write none */
  discoveryDir: string | null;
}

export async function serve(options: ServeOptions): Promise<Running> {
  const { config } = options;
  configureTextThreads(config.textThreads);
  const token = config.token ?? (config.tokenGenerated ? randomBytes(24).toString("base64url") : null);
  const discovery = options.discoveryDir ? path.join(options.discoveryDir, "storage_server.json") : null;
  if (discovery) await refuseIfRunning(discovery);

  // The embedded database compiles its WASM in the background while the app's modules load.
  const opening = openDatabase(config.database);
  let createApp: typeof import("./app").createApp;
  try {
    ({ createApp } = await import("./app"));
  } catch (error) {
    await (await opening).close();
    throw error;
  }
  const db = await opening;
  let blobs: BlobStore;
  try {
    // Azure: the container is created now if missing; unreachable, the start fails (BlobStoreUnavailable).
    blobs = await openBlobStore(db, config.azure);
  } catch (error) {
    await db.close();
    throw error;
  }
  const app = createApp({ db, blobs, token, logRequests: config.logRequests, limits: config.limits });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(options.port, options.host, () => resolve(s));
    s.once("error", reject);
  }).catch(async (error) => {
    await db.close();
    throw error;
  });
  prepareServer(server);
  const { sweeper, deps } = app.locals.services;
  sweeper.start(SWEEP_INTERVAL_MS);
  deps.repos.upkeep.start(UPKEEP_INTERVAL_MS);
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  const url = `http://${host}:${port}`;
  if (discovery) {
    fs.writeFileSync(discovery, JSON.stringify({ urls: [url], authtoken: token }, null, 2) + "\n", { mode: 0o600 });
  }
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await sweeper.stop();
      await deps.repos.upkeep.stop();
      await db.close();
      if (discovery && fs.existsSync(discovery)) fs.rmSync(discovery);
    })());
  return { url, token, server, db, blobs, stop };
}

/** An existing discovery file whose server still answers must not be overwritten. */
async function refuseIfRunning(file: string): Promise<void> {
  if (!fs.existsSync(file)) return;
  let urls: string[] = [];
  try {
    const content = JSON.parse(fs.readFileSync(file, "utf8"));
    urls = content.urls ?? (content.base_url ? [content.base_url] : []);
  } catch {
    return;
  }
  for (const url of urls) {
    if (await answers(url)) {
      throw new RefusedToStart(`${file} belongs to a server that still answers at ${url}; stop it first or start elsewhere`);
    }
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/healthcheck`, { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
}

/**
 * Idle keep-alive connections stay open a minute (Node's default is 5 s): clients that
 * pause between requests (ERT between realizations, a bench building a body) reuse them
 * instead of racing the server's close. Longer than a load balancer's usual 60 s.
 * Requests Node's parser refuses are answered as every other error, with a JSON detail.
 */
export function prepareServer(server: Server): void {
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.on("clientError", answerClientError);
}

/**
 * Node's own answers to requests its parser refuses have no body: a 70,000-character
 * record name got a bare 431. The same statuses as Node's (431, 413, 408, else 400), with
 * a detail, unless the connection is gone or an answer has begun on it.
 */
function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  const answering = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === "ECONNRESET" || !socket.writable || answering?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, detail] = CLIENT_ERRORS[error.code ?? ""] ?? [400, "Bad Request: the request is not valid HTTP"];
  const body = JSON.stringify({ detail });
  // closed once written, as Node closes it: ended only, the socket waited for the client's end (FIN-WAIT-2 up to the headers timeout)
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`, () => socket.destroy());
}

const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, `Request Header Fields Too Large: the request line and headers are over ${maxHeaderSize} bytes (a record name, say, too long for a URL)`],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, "Content Too Large: chunk extensions are too long"],
  ERR_HTTP_REQUEST_TIMEOUT: [408, "Request Timeout: the request did not arrive in time"],
};
