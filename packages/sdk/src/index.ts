// The hand-written entry of the SDK: a typed client (generated types in ./generated),
// the Token header, connection discovery and one error type.
import createFetchClient, { type Client } from "openapi-fetch";
import { findConnection, type Connection } from "./connection";
import type { components, paths } from "./generated/schema";

export type { components, paths } from "./generated/schema";
export { ConnectionNotFound, findConnection, parseConnection, type Connection } from "./connection";

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

/** A client for the server given, or the one discovered (see findConnection). */
export function createClient(connection: Partial<Connection> = {}): ErtStorageClient {
  const found = connection.baseUrl ? { baseUrl: connection.baseUrl, token: connection.token ?? null } : findConnection();
  const token = connection.token !== undefined ? connection.token : found.token;
  return createFetchClient<paths>({ baseUrl: found.baseUrl, headers: token ? { Token: token } : {} });
}

/** Returns the data of a call, or throws ErtStorageError. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw new ErtStorageError(response.status, (error as { detail?: unknown } | undefined)?.detail ?? error);
  return data as T;
}

export type MatrixBody =
  | { json: unknown }
  | { npy: Uint8Array }
  | { csv: string }
  | { parquet: Uint8Array };

/** Posts a matrix record in any of the server's formats (the spec cannot type this body). */
export async function postMatrix(
  client: ErtStorageClient,
  ensembleId: string,
  name: string,
  body: MatrixBody,
  query: { realization_index?: number; prior?: string } = {},
): Promise<Schemas["RecordOut"]> {
  const [type, payload] =
    "json" in body
      ? ["application/json", JSON.stringify(body.json)]
      : "npy" in body
        ? ["application/x-numpy", body.npy]
        : "csv" in body
          ? ["text/csv", body.csv]
          : ["application/x-parquet", body.parquet];
  return unwrap(
    client.POST("/ensembles/{ensemble_id}/records/{name}/matrix", {
      params: { path: { ensemble_id: ensembleId, name }, query },
      body: payload as never,
      bodySerializer: (b: unknown) => b as BodyInit,
      headers: { "Content-Type": type },
    }),
  );
}
