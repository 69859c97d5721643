// @ert-storage/sdk: a typed client for ERT Storage (types generated from the server's
// OpenAPI spec) and helpers for what the spec cannot type: matrices as NPY/CSV, block
// uploads, GraphQL. Runs in Node (>= 20.19) and in browsers.
export type { components, paths } from "./generated/schema.js";
export { createClient, ErtStorageError, unwrap, type ClientOptions, type ErtStorageClient, type Schemas } from "./client.js";
export { ConnectionNotFound, findConnection, parseConnection, type Connection } from "./connection.js";
export { column, CsvError, inferLabels, parseFrameCsv, row, type Label, type Matrix } from "./frame.js";
export {
  ensembleSummary, experimentEnsembles, graphql, parameterPriors, type EnsembleSummary, type LineageEnsemble,
} from "./graphql.js";
export { parseJson } from "./json.js";
export {
  computeMisfits, MEDIA_TYPES, postMatrix, readMatrix, readMatrixCsv, readRecord, readResponses,
  type MatrixBody, type MatrixFormat, type MisfitQuery, type ReadMatrixOptions, type RecordContent, type RecordQuery,
} from "./matrices.js";
export { encodeNpy, NpyError, parseNpy, type NdArray } from "./npy.js";
export { uploadFile, type UploadOptions } from "./upload.js";
