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
