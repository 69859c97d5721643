// POST /gql (GraphQL over HTTP), behind the same token rule as REST. Answers are
// written by our JSON writer (exact numbers, NaN tokens); errors carry the domain
// error's message, and anything else is "Internal server error" with the request id.
import type { Response as ExpressResponse, RequestHandler, Router } from "express";
import { Router as router } from "express";
import { GraphQLError, type ExecutionResult, type ValidationContext } from "graphql";
import type { Response as GraphqlResponse } from "graphql-http";
import { createHandler } from "graphql-http/lib/use/express";
import { costLimitRule } from "@escape.tech/graphql-armor-cost-limit";
import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
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
    validationRules: LIMITS,
    context: () => ({ prisma, services }),
    onOperation: (req, _args, result): GraphqlResponse => {
      const res = req.context.res;
      const body: ExecutionResult = { ...result };
      if (result.errors) body.errors = result.errors.map((error) => masked(error, res));
      return [stringifyJson(body), { status: 200, statusText: "OK", headers: { "content-type": "application/json; charset=utf-8" } }];
    },
  });
  const serve: RequestHandler = (req, res, next) => {
    expressAuthentication(req, "Token").then(() => {
      // parseBodies has read a JSON body: graphql-http would wait for ever on the stream again
      // when what it read is empty or falsy (null, false, 0), so those are answered here,
      // as graphql-http answers them when it reads the body itself (other types it refuses, 415)
      if (req.method === "POST" && !req.body && req.is("application/json")) {
        const message = req.body === undefined ? "Missing body" : "JSON body must be an object";
        res.status(400).type("application/json").send(stringifyJson({ errors: [{ message }] }));
        return;
      }
      handler(req, res, next);
    }, next);
  };
  routes.get("/gql", serve);
  routes.post("/gql", serve);
  return routes;
}

/**
 * What one query may ask: the client queries in the contract are 4 levels deep and
 * cost 27 to 48 (graphql-armor's cost: per field, growing with depth), so twice the
 * depth and four times the cost leave room for honest clients and none for abuse.
 */
export const GRAPHQL_LIMITS = { depth: 8, cost: 200, aliases: 15 };
/** Report a refusal as a validation error (a 400 with the reason), rather than throw out of validate. */
const reported = {
  exposeLimits: true,
  propagateOnRejection: false,
  onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)],
};
const LIMITS = [
  maxDepthRule({ n: GRAPHQL_LIMITS.depth, ...reported }),
  costLimitRule({ maxCost: GRAPHQL_LIMITS.cost, ...reported }),
  maxAliasesRule({ n: GRAPHQL_LIMITS.aliases, ...reported }),
];

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
