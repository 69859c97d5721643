// POST /gql (GraphQL over HTTP), behind the same token rule as REST.
import { Router } from "express";
import { createHandler } from "graphql-http/lib/use/express";
import type { Services } from "../domain";
import { schema } from "../graphql";
import { expressAuthentication } from "./auth";

export function graphqlRouter(services: Services): Router {
  const router = Router();
  const handler = createHandler({ schema, context: () => ({ prisma: services.deps.prisma, services }) });
  router.all("/gql", (req, res, next) => {
    expressAuthentication(req, "Token").then(() => handler(req, res, next), next);
  });
  return router;
}
