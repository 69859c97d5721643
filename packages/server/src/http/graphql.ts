// POST /gql (GraphQL over HTTP), behind the same token rule as REST. Answers are
// written by our JSON writer (exact numbers, NaN tokens); errors carry the domain
// error's message, and anything else is "Internal server error" with the request id
// (graphqlHandler.ts, loaded at the first request).
import type { RequestHandler, Router } from "express";
import { Router as router } from "express";
import type { Services } from "../domain";
import { stringifyJson } from "../formats/json";
import type { Prisma } from "../store/db/connect";
import { expressAuthentication } from "./auth";

export function graphqlRouter(services: Services, prisma: Prisma): Router {
  const routes = router();
  let handler: RequestHandler | undefined;
  const handle = (): RequestHandler => {
    handler ??= (require("./graphqlHandler") as typeof import("./graphqlHandler")).createGraphqlHandler(services, prisma);
    return handler;
  };
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
      handle()(req, res, next);
    }).catch(next);
  };
  routes.get("/gql", serve);
  routes.post("/gql", serve);
  return routes;
}
