// The GraphQL handler proper: graphql-http over the Pothos schema, with query limits.
// Loaded at the first /gql request (see graphql.ts): the library and the schema built
// from the models took ~150 ms of every server start.
import type { Request as ExpressRequest, Response as ExpressResponse, RequestHandler } from "express";
import { GraphQLError, type ExecutionResult, type ValidationContext } from "graphql";
import { createHandler, type Request as GraphqlRequest, type Response as GraphqlResponse } from "graphql-http";
import { costLimitRule } from "@escape.tech/graphql-armor-cost-limit";
import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import type { Services } from "../domain";
import { stringifyJson } from "../formats/json";
import { schema } from "../graphql";
import type { Prisma } from "../store/db/connect";
import { asAppError } from "./errors";

type Context = { res: ExpressResponse };

/**
 * Answers are written by our JSON writer; a resolver's error is masked (see masked). Every
 * answer is JSON with errors saying what is wrong: graphql-http answers a body that is not
 * JSON with a bare 415, and some refusals without a Content-Type.
 */
export function createGraphqlHandler(services: Services, prisma: Prisma): RequestHandler {
  const handle = createHandler<ExpressRequest, Context, { prisma: Prisma; services: Services }>({
    schema,
    validationRules: LIMITS,
    context: () => ({ prisma, services }),
    onOperation: (req, _args, result): GraphqlResponse => {
      const res = req.context.res;
      const body: ExecutionResult = { ...result };
      if (result.errors) body.errors = result.errors.map((error) => masked(error, res));
      return [stringifyJson(body), { status: 200, statusText: "OK", headers: JSON_TYPE }];
    },
  });
  return (req, res, next) => {
    handle(graphqlRequest(req, res))
      .then(([body, init]) => {
        const headers: Record<string, string> = { ...(init.headers as Record<string, string> | undefined) };
        if (!Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) Object.assign(headers, JSON_TYPE);
        const message = init.status === 415 ? `${init.statusText}: a GraphQL request is a JSON body (Content-Type: application/json)` : init.statusText;
        res.writeHead(init.status, init.statusText, headers).end(body || stringifyJson({ errors: [{ message }] }));
      })
      .catch(next);
  };
}

const JSON_TYPE = { "content-type": "application/json; charset=utf-8" };

/** The request as graphql-http reads it (as its express adapter makes it): a body parseBodies read, else the stream's text. */
function graphqlRequest(req: ExpressRequest, res: ExpressResponse): GraphqlRequest<ExpressRequest, Context> {
  return {
    url: req.url,
    method: req.method,
    headers: req.headers,
    body: () => {
      if (req.body) return req.body as string | Record<string, unknown>;
      return new Promise<string>((resolve) => {
        let body = "";
        req.setEncoding("utf-8");
        req.on("data", (chunk: string) => (body += chunk));
        req.on("end", () => resolve(body));
      });
    },
    raw: req,
    context: { res },
  };
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
