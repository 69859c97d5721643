// GraphQL at /gql through the same client (same base URL and Token header), and the
// one query the explorer needs: an experiment's ensembles with the updates between them.
import { ErtStorageError, type ErtStorageClient } from "./client.js";
import type { Client } from "openapi-fetch";

interface GraphqlPaths {
  "/gql": {
    post: {
      parameters: { query?: never; header?: never; path?: never; cookie?: never };
      requestBody: { content: { "application/json": { query: string; variables?: Record<string, unknown> } } };
      responses: { 200: { headers: Record<string, unknown>; content: { "application/json": { data?: unknown; errors?: { message: string }[] } } } };
    };
  };
}

/** Runs a GraphQL query; GraphQL errors and non-2xx answers throw ErtStorageError. */
export async function graphql<T>(client: ErtStorageClient, query: string, variables?: Record<string, unknown>): Promise<T> {
  const gql = client as unknown as Client<GraphqlPaths>;
  const { data, error, response } = await gql.POST("/gql", { body: { query, variables } });
  if (!response.ok) throw new ErtStorageError(response.status, (error as { detail?: unknown } | undefined)?.detail ?? error);
  if (data?.errors?.length) throw new ErtStorageError(response.status, data.errors.map((e) => e.message).join("; "));
  return data?.data as T;
}

export interface LineageEnsemble {
  id: string;
  size: number;
  activeRealizations: number[];
  parameterNames: string[];
  responseNames: string[];
  /** ISO time the ensemble was created (for an update's result: when the update ran) */
  timeCreated: string;
  userdata: Record<string, unknown>;
  /** the update that produced this ensemble, null for a prior */
  parent: { updateId: string; algorithm: string; ensembleReferenceId: string } | null;
}

const LINEAGE = `query($id: ID!) { experiment(id: $id) { ensembles {
  id size activeRealizations parameterNames responseNames timeCreated userdata
  parent { id algorithm ensembleReference { id } } } } }`;

/** An experiment's ensembles in creation order, each with the update it came from. */
export async function experimentEnsembles(client: ErtStorageClient, experimentId: string): Promise<LineageEnsemble[]> {
  type Raw = Omit<LineageEnsemble, "userdata" | "parent"> & {
    userdata: string;
    parent: { id: string; algorithm: string; ensembleReference: { id: string } } | null;
  };
  const data = await graphql<{ experiment: { ensembles: Raw[] } | null }>(client, LINEAGE, { id: experimentId });
  if (!data.experiment) throw new ErtStorageError(404, "Experiment not found");
  return data.experiment.ensembles
    .map((e) => ({
      ...e,
      userdata: JSON.parse(e.userdata || "{}") as Record<string, unknown>,
      parent: e.parent ? { updateId: e.parent.id, algorithm: e.parent.algorithm, ensembleReferenceId: e.parent.ensembleReference.id } : null,
    }))
    .sort((a, b) => a.timeCreated.localeCompare(b.timeCreated));
}

export interface EnsembleSummary extends LineageEnsemble {
  experiment: { id: string; name: string };
  /** the updates that started from this ensemble, with the ensembles they produced */
  children: { updateId: string; algorithm: string; ensembleResultId: string | null }[];
}

const SUMMARY = `query($id: ID!) { ensemble(id: $id) {
  id size activeRealizations parameterNames responseNames timeCreated userdata
  experiment { id name }
  parent { id algorithm ensembleReference { id } }
  children { id algorithm ensembleResult { id } } } }`;

/** One ensemble with its experiment and the updates into and out of it, in one request. */
export async function ensembleSummary(client: ErtStorageClient, ensembleId: string): Promise<EnsembleSummary> {
  type Raw = Omit<EnsembleSummary, "userdata" | "parent" | "children"> & {
    userdata: string;
    parent: { id: string; algorithm: string; ensembleReference: { id: string } } | null;
    children: { id: string; algorithm: string; ensembleResult: { id: string } | null }[];
  };
  const data = await graphql<{ ensemble: Raw | null }>(client, SUMMARY, { id: ensembleId });
  const e = data.ensemble;
  if (!e) throw new ErtStorageError(404, "Ensemble not found");
  return {
    ...e,
    userdata: JSON.parse(e.userdata || "{}") as Record<string, unknown>,
    parent: e.parent ? { updateId: e.parent.id, algorithm: e.parent.algorithm, ensembleReferenceId: e.parent.ensembleReference.id } : null,
    children: e.children.map((c) => ({ updateId: c.id, algorithm: c.algorithm, ensembleResultId: c.ensembleResult?.id ?? null })),
  };
}

const PARAMETER_PRIORS = `query($id: ID!) { ensemble(id: $id) { parameters { name prior } } }`;

/** The prior each parameter record was posted with (`?prior=NAME`), by parameter name; null where none. */
export async function parameterPriors(client: ErtStorageClient, ensembleId: string): Promise<Record<string, Record<string, unknown> | null>> {
  const data = await graphql<{ ensemble: { parameters: { name: string; prior: string | null }[] } | null }>(client, PARAMETER_PRIORS, {
    id: ensembleId,
  });
  if (!data.ensemble) throw new ErtStorageError(404, "Ensemble not found");
  return Object.fromEntries(data.ensemble.parameters.map((p) => [p.name, p.prior ? (JSON.parse(p.prior) as Record<string, unknown>) : null]));
}
