// A small HTTP client over real sockets for the integration tests.
import { parseJson, stringifyJson } from "../../src/formats/json";

export interface Reply {
  status: number;
  headers: Headers;
  bytes: Buffer;
  text: string;
  /** the body parsed as JSON (NaN and Infinity allowed); undefined when it is not JSON */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface RequestOptions {
  /** sent as JSON with exact numbers (-0.0, NaN and Infinity tokens) */
  json?: unknown;
  body?: string | Buffer | FormData | ReadableStream;
  headers?: Record<string, string>;
  query?: Record<string, string | number | boolean | undefined>;
}

export class Client {
  constructor(
    readonly base: string,
    readonly token: string | null = null,
  ) {}

  url(path: string, query?: RequestOptions["query"]): string {
    const url = new URL(path, this.base);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url.toString();
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (this.token !== null && !("Token" in headers)) headers.Token = this.token;
    let body = options.body;
    if (options.json !== undefined) {
      body = stringifyJson(options.json);
      headers["content-type"] ??= "application/json";
    }
    const res = await fetch(this.url(path, options.query), {
      method,
      headers,
      body: body as RequestInit["body"],
      redirect: "manual",
      ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
    } as RequestInit);
    const bytes = Buffer.from(await res.arrayBuffer());
    const text = bytes.toString("utf8");
    let json: unknown;
    if ((res.headers.get("content-type") ?? "").includes("json")) json = parseJson(text);
    return { status: res.status, headers: res.headers, bytes, text, json };
  }

  get = (path: string, options?: RequestOptions) => this.request("GET", path, options);
  post = (path: string, options?: RequestOptions) => this.request("POST", path, options);
  put = (path: string, options?: RequestOptions) => this.request("PUT", path, options);
  patch = (path: string, options?: RequestOptions) => this.request("PATCH", path, options);
  delete = (path: string, options?: RequestOptions) => this.request("DELETE", path, options);
}
