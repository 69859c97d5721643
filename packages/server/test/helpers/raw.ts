// HTTP exactly as written: node:http sends the path as given (fetch and URL would
// resolve "%2E%2E" and reject "%ZZ"), with any method, headers and body bytes, and
// every request is bounded by a timeout.
import http from "node:http";
import { parseJson } from "../../src/formats/json";

export interface RawReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  bytes: Buffer;
  text: string;
  /** the body as JSON when it says it is JSON, else undefined */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** milliseconds before the request is abandoned with an error (default 30 s) */
  timeoutMs?: number;
}

export function rawRequest(base: string, request: RawRequest): Promise<RawReply> {
  const url = new URL(base);
  const body = typeof request.body === "string" ? Buffer.from(request.body) : request.body;
  const headers: Record<string, string> = { ...(request.headers ?? {}) };
  if (body !== undefined) headers["content-length"] = String(body.length);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, method: request.method, path: request.path, headers, agent: false },
      (res) => {
        const parts: Buffer[] = [];
        res.on("data", (d: Buffer) => parts.push(d));
        res.on("error", reject);
        res.on("end", () => {
          const bytes = Buffer.concat(parts);
          const text = bytes.toString("utf8");
          let json: unknown;
          if ((res.headers["content-type"] ?? "").includes("json") && text !== "") json = parseJson(text);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes, text, json });
        });
      },
    );
    req.setTimeout(request.timeoutMs ?? 30_000, () => req.destroy(new Error(`${request.method} ${request.path}: no answer within ${request.timeoutMs ?? 30_000} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** A FormData as the bytes and Content-Type a browser would send. */
export async function multipart(form: FormData): Promise<{ body: Buffer; contentType: string }> {
  const request = new Request("http://localhost/", { method: "POST", body: form });
  return { body: Buffer.from(await request.arrayBuffer()), contentType: request.headers.get("content-type")! };
}
