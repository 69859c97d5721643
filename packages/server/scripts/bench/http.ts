// The bench's HTTP client: node:http with one keep-alive agent (undici's fetch adds
// overhead of its own to every request, which would show up in latency figures).
import http from "node:http";

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** the whole body, unless a sink took it chunk by chunk (then empty) */
  body: Buffer;
  /** bytes received */
  bytes: number;
}

export type Body = Buffer | string | AsyncIterable<Buffer>;

export interface RequestOptions {
  body?: Body;
  /** Content-Type of the body */
  type?: string;
  accept?: string;
  /** Content-Length of a streamed body */
  length?: number;
  /** takes the response body chunk by chunk instead of keeping it */
  sink?: (chunk: Buffer) => void;
}

/** A failed check: the bench stops with it, or records it as a figure. */
export class BenchError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    /** the server gave no answer in time: it is stuck, the bench restarts it */
    readonly timeout = false,
  ) {
    super(message);
  }
}

const MAX_SOCKETS = 16;

export class Client {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS });
  private readonly url: URL;

  /** timeoutMs: longest wait for a whole answer */
  constructor(
    readonly base: string,
    private readonly timeoutMs: number,
  ) {
    this.url = new URL(base);
  }

  /**
   * One request. A fixed body is sent once more if a reused keep-alive socket turned out to be
   * closed by the server before the request reached it (Node's documented idle-socket race);
   * any other failure is the answer.
   */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Reply> {
    // let the agent see sockets the server closed while a long synchronous step ran
    await new Promise((resolve) => setImmediate(resolve));
    // every idle socket in the pool may have been closed: at most one try per socket, and a new one
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(method, path, options);
      } catch (error) {
        const e = error as NodeJS.ErrnoException & { reusedSocket?: boolean };
        const stale = e.reusedSocket && ["ECONNRESET", "EPIPE"].includes(e.code ?? "");
        if (!stale || isStream(options.body) || attempt > MAX_SOCKETS) throw error;
        this.retries++;
      }
    }
  }

  /** requests sent again after the idle-socket race */
  retries = 0;

  private once(method: string, path: string, options: RequestOptions): Promise<Reply> {
    const { body, type, accept, length, sink } = options;
    const headers: http.OutgoingHttpHeaders = {};
    if (type) headers["content-type"] = type;
    if (accept) headers.accept = accept;
    const fixed = typeof body === "string" ? Buffer.from(body) : body instanceof Buffer ? body : null;
    if (fixed) headers["content-length"] = fixed.length;
    else if (length !== undefined) headers["content-length"] = length;
    return new Promise<Reply>((resolve, reject) => {
      let answered = false;
      const req = http.request(
        { host: this.url.hostname, port: this.url.port, path, method, headers, agent: this.agent },
        (res) => {
          answered = true;
          const chunks: Buffer[] = [];
          let bytes = 0;
          res.on("data", (chunk: Buffer) => {
            bytes += chunk.length;
            if (sink) sink(chunk);
            else chunks.push(chunk);
          });
          res.on("end", () => clearTimeout(timer));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), bytes }));
          res.on("error", reject);
        },
      );
      const timer = setTimeout(() => {
        req.destroy();
        reject(new BenchError(`${method} ${path.split("?")[0]}: no answer in ${this.timeoutMs / 1000} s`, undefined, true));
      }, this.timeoutMs);
      req.on("close", () => clearTimeout(timer));
      // A server that answers early (413, 422) and closes breaks the upload: its answer counts.
      req.on("error", (error) => {
        if (!answered) reject(Object.assign(error, { reusedSocket: req.reusedSocket }));
      });
      if (body === undefined || fixed) {
        req.end(fixed ?? undefined);
        return;
      }
      streamBody(req, body as AsyncIterable<Buffer>).catch((error) => {
        if (!answered) {
          req.destroy();
          reject(error);
        }
      });
    });
  }

  /** A JSON request that must succeed; returns the parsed answer. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async json(method: string, path: string, body?: unknown): Promise<any> {
    const reply = await this.request(method, path, body === undefined ? {} : { body: JSON.stringify(body), type: "application/json" });
    expectOk(reply, `${method} ${path}`);
    return reply.body.length ? JSON.parse(reply.body.toString()) : null;
  }

  close(): void {
    this.agent.destroy();
  }
}

function isStream(body: Body | undefined): boolean {
  return body !== undefined && typeof body !== "string" && !(body instanceof Buffer);
}

async function streamBody(req: http.ClientRequest, body: AsyncIterable<Buffer>): Promise<void> {
  for await (const chunk of body) {
    if (req.destroyed) return;
    if (!req.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          req.off("drain", done);
          req.off("close", done);
          resolve();
        };
        req.on("drain", done);
        req.on("close", done);
      });
    }
  }
  req.end();
}

/** Throws unless the answer is 2xx. */
export function expectOk(reply: Reply, what: string): void {
  if (reply.status < 200 || reply.status >= 300) {
    throw new BenchError(`${what}: ${reply.status} ${reply.body.toString("utf8", 0, 300)}`, reply.status);
  }
}

export function check(ok: boolean, message: string): void {
  if (!ok) throw new BenchError(message);
}
