// POST /gql (GraphQL over HTTP), behind the same token rule as REST. Answers are
// written by our JSON writer (exact numbers, NaN tokens); errors carry the domain
// error's message, and anything else is "Internal server error" with the request id.
import type { Response as ExpressResponse, Router } from "express";
import { Router as router } from "express";
import { GraphQLError, type ExecutionResult } from "graphql";
import type { Response as GraphqlResponse } from "graphql-http";
import { createHandler } from "graphql-http/lib/use/express";
import type { Services } from "../domain";
import { stringifyJson } from "../formats/json";
import { schema } from "../graphql";
import type { Prisma } from "../store/db/connect";
import { expressAuthentication } from "./auth";
import { asAppError } from "./errors";

export function graphqlRouter(services: Services, prisma: Prisma): Router {
  const routes = router();
  const handler = createHandler({
    schema,
    context: () => ({ prisma, services }),
    onOperation: (req, _args, result): GraphqlResponse => {
      const res = req.context.res;
      const body: ExecutionResult = { ...result };
      if (result.errors) body.errors = result.errors.map((error) => masked(error, res));
      return [stringifyJson(body), { status: 200, statusText: "OK", headers: { "content-type": "application/json; charset=utf-8" } }];
    },
  });
  routes.all("/gql", (req, res, next) => {
    expressAuthentication(req, "Token").then(() => handler(req, res, next), next);
  });
  return routes;
}

/** A resolver's error as clients may see it. */
function masked(error: GraphQLError, res: ExpressResponse): GraphQLError {
  const original = error.originalError;
  if (!original || original instanceof GraphQLError) return error; // syntax, validation, variables: already ours to show
  const known = asAppError(original, res);
  const requestId = String(res.getHeader("x-request-id") ?? "");
  if (!known) console.error(`[${requestId}] GraphQL ${error.path?.join(".") ?? ""} failed:`, original);
  return new GraphQLError(known ? known.message : "Internal server error", {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: known ? { code: known.code, status: known.status } : { code: "internal", request_id: requestId },
  });
}
