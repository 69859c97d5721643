// The typed client (generated types in ./generated), the Token header and one error type.
import createFetchClient, { type Client } from "openapi-fetch";
import { findConnection, type Connection } from "./connection.js";
import type { components, paths } from "./generated/schema.js";
import { pythonJsonMiddleware } from "./json.js";

export type ErtStorageClient = Client<paths>;
export type Schemas = components["schemas"];

/** An answer other than 2xx: its status and the server's `detail`. */
export class ErtStorageError extends Error {
  constructor(
    readonly status: number,
    readonly detail: unknown,
  ) {
    super(`ERT Storage answered ${status}: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`);
  }
}

export interface ClientOptions extends Partial<Connection> {
  /** a fetch to use instead of the global one */
  fetch?: typeof globalThis.fetch;
}

/** A client for the server given, or the one discovered (see findConnection; Node only). */
export function createClient(connection: ClientOptions = {}): ErtStorageClient {
  const found = connection.baseUrl ? { baseUrl: connection.baseUrl, token: connection.token ?? null } : findConnection();
  const token = connection.token !== undefined ? connection.token : found.token;
  const client = createFetchClient<paths>({
    baseUrl: found.baseUrl.replace(/\/+$/, ""),
    headers: token ? { Token: token } : {},
    ...(connection.fetch ? { fetch: connection.fetch } : {}),
  });
  client.use(pythonJsonMiddleware);
  return client;
}

/** Returns the data of a call, or throws ErtStorageError. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw new ErtStorageError(response.status, (error as { detail?: unknown } | undefined)?.detail ?? error);
  return data as T;
}
