// Matrix records in and out: NPY for the numbers, /labels or the CSV header for the labels.
import { unwrap, type ErtStorageClient, type Schemas } from "./client.js";
import { parseFrameCsv, type Label, type Matrix } from "./frame.js";
import { encodeNpy, parseNpy } from "./npy.js";

export type MatrixFormat = "json" | "npy" | "csv" | "parquet";

export const MEDIA_TYPES: Record<MatrixFormat, string> = {
  json: "application/json",
  npy: "application/x-numpy",
  csv: "text/csv",
  parquet: "application/x-parquet",
};

export interface RecordQuery {
  /** that realization's record (or row of the ensemble-wide matrix) */
  realizationIndex?: number;
  /** only the column with this label */
  label?: string;
}

export interface ReadMatrixOptions extends RecordQuery {
  /** the column labels when already known (GET /ensembles/{id}/parameters lists them all): saves a request */
  labels?: Label[];
}

const RECORD = "/ensembles/{ensemble_id}/records/{name}" as const;

function recordParams(ensembleId: string, name: string, query: RecordQuery) {
  return {
    path: { ensemble_id: ensembleId, name },
    query: { realization_index: query.realizationIndex, label: query.label },
  };
}

/**
 * A matrix record as float64 values with its shape and column labels: the data as NPY,
 * the labels from `/labels`, in parallel. Without realizationIndex a response stored per
 * realization comes back stacked, one row per realization in ascending order; use
 * readMatrixCsv or readResponses when you need the realization of each row.
 */
export async function readMatrix(client: ErtStorageClient, ensembleId: string, name: string, query: ReadMatrixOptions = {}): Promise<Matrix> {
  const [body, labels] = await Promise.all([
    unwrap(
      client.GET(RECORD, {
        params: recordParams(ensembleId, name, query),
        headers: { Accept: MEDIA_TYPES.npy },
        parseAs: "arrayBuffer",
      }),
    ),
    query.label !== undefined
      ? Promise.resolve([query.label])
      : query.labels
        ? Promise.resolve(query.labels)
        : unwrap(client.GET(`${RECORD}/labels`, { params: { path: { ensemble_id: ensembleId, name } } })),
  ]);
  const { data, shape } = parseNpy(body as ArrayBuffer);
  const width = shape.length ? shape[shape.length - 1] : 1;
  return {
    data,
    shape,
    columns: labels.length === width ? labels : null,
    index: query.realizationIndex !== undefined && shape.length > 1 && shape[0] === 1 ? [query.realizationIndex] : null,
  };
}

/** A 2-D matrix record through CSV: one request, row and column labels included. */
export async function readMatrixCsv(client: ErtStorageClient, ensembleId: string, name: string, query: RecordQuery = {}): Promise<Matrix> {
  const text = await unwrap(
    client.GET(RECORD, { params: recordParams(ensembleId, name, query), headers: { Accept: MEDIA_TYPES.csv }, parseAs: "text" }),
  );
  return parseFrameCsv(text as string);
}

/**
 * A response over all realizations in one request (GET .../responses/{name}/data):
 * rows are realizations (index), columns the union of their labels; missing cells NaN.
 */
export async function readResponses(client: ErtStorageClient, ensembleId: string, name: string): Promise<Matrix> {
  const text = await unwrap(
    client.GET("/ensembles/{ensemble_id}/responses/{name}/data", {
      params: { path: { ensemble_id: ensembleId, name } },
      parseAs: "text",
    }),
  );
  return parseFrameCsv(text as string);
}

export interface MisfitQuery {
  /** one column per realization: the sum of absolute misfits */
  summary?: boolean;
  realizationIndex?: number;
}

/** Misfits of a response against its observation (GET /compute/misfits), realizations as rows. */
export async function computeMisfits(
  client: ErtStorageClient,
  ensembleId: string,
  responseName: string,
  query: MisfitQuery = {},
): Promise<Matrix> {
  const text = await unwrap(
    client.GET("/compute/misfits", {
      params: {
        query: {
          ensemble_id: ensembleId,
          response_name: responseName,
          realization_index: query.realizationIndex,
          summary_misfits: query.summary,
        },
      },
      parseAs: "text",
    }),
  );
  return parseFrameCsv(text as string);
}

export interface RecordContent {
  bytes: Uint8Array;
  contentType: string;
  /** a file record's own name; null for matrices */
  filename: string | null;
}

/** A record's bytes as the server sends them: a matrix in the format asked for, a file as stored. */
export async function readRecord(
  client: ErtStorageClient,
  ensembleId: string,
  name: string,
  options: { format?: MatrixFormat; realizationIndex?: number } = {},
): Promise<RecordContent> {
  const { data, error, response } = await client.GET(RECORD, {
    params: recordParams(ensembleId, name, { realizationIndex: options.realizationIndex }),
    headers: { Accept: MEDIA_TYPES[options.format ?? "json"] },
    parseAs: "arrayBuffer",
  });
  if (!response.ok) await unwrap(Promise.resolve({ data, error, response }));
  const disposition = response.headers.get("content-disposition") ?? "";
  const filename = /filename\*=UTF-8''([^;]+)/i.exec(disposition)?.[1] ?? /filename="?([^";]+)"?/i.exec(disposition)?.[1] ?? null;
  return {
    bytes: new Uint8Array((data as ArrayBuffer | undefined) ?? new ArrayBuffer(0)),
    contentType: response.headers.get("content-type") ?? "application/octet-stream",
    filename: filename === null ? null : decodeURIComponent(filename),
  };
}

export type MatrixBody =
  | { json: unknown }
  | { npy: Uint8Array }
  | { csv: string }
  | { parquet: Uint8Array }
  /** numbers in C order with their shape, sent as NPY (float64, bit-exact) */
  | { array: ArrayLike<number>; shape: number[] };

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
      ? [MEDIA_TYPES.json, JSON.stringify(body.json)]
      : "npy" in body
        ? [MEDIA_TYPES.npy, body.npy]
        : "array" in body
          ? [MEDIA_TYPES.npy, encodeNpy(body.array, body.shape)]
          : "csv" in body
            ? [MEDIA_TYPES.csv, body.csv]
            : [MEDIA_TYPES.parquet, body.parquet];
  return unwrap(
    client.POST(`${RECORD}/matrix`, {
      params: { path: { ensemble_id: ensembleId, name }, query },
      body: payload as never,
      bodySerializer: (b: unknown) => b as BodyInit,
      headers: { "Content-Type": type },
    }),
  );
}
