// The app factory: everything but listen(), so tests drive it in-process.
import express, { type Express } from "express";
import { DEFAULT_LIMITS, type Limits } from "./config";
import { createServices, type Services } from "./domain";
import { createBlobStore, type BlobStore } from "./store/blob";
import type { Database } from "./store/db/connect";
import { createRepositories } from "./store/db";
import type { Faults } from "./store/db/faults";
import { parseBodies, pythonJson } from "./http/bodies";
import { cors } from "./http/cors";
import { errorHandler, rememberPathParams } from "./http/errors";
import { requestLog } from "./http/logging";
import { graphqlRouter } from "./http/graphql";
import { methodNotAllowed } from "./http/methods";
import { authenticateBodies } from "./http/auth";
import { docsRouter } from "./http/pages";
import { uiRouter } from "./http/ui";
import { collectAfterLargeRequests } from "./http/memory";
import { RegisterRoutes } from "./http/routes.generated";
import { upload } from "./http/upload";
import spec from "../openapi.json";

export interface AppOptions {
  db: Database;
  /** where file content goes; by default the database */
  blobs?: BlobStore;
  /** null turns authentication off */
  token: string | null;
  logRequests?: boolean;
  /** request size limits; DEFAULT_LIMITS when not given */
  limits?: Limits;
  /** fault points tests arm to fail a repository half-way */
  faults?: Faults;
}

export function createApp(options: AppOptions): Express & { locals: { services: Services } } {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  // flat key=value pairs, which is all the API has: qs (Express's default) builds nested
  // objects from a[b]=c and cost ~30 µs a request
  app.set("query parser", "simple");
  const { db } = options;
  const limits = options.limits ?? DEFAULT_LIMITS;
  app.locals.limits = limits;
  app.locals.services = createServices({
    repos: createRepositories(db, options.faults),
    blobs: options.blobs ?? createBlobStore(db, null),
    limits,
  });
  app.locals.token = options.token;
  app.use(requestLog(options.logRequests ?? false));
  app.use(collectAfterLargeRequests());
  app.use(cors());
  app.use(pythonJson);
  app.use(docsRouter(spec));
  app.use(uiRouter());
  app.use(authenticateBodies);
  app.use(parseBodies(limits));
  app.use(graphqlRouter(app.locals.services, db.prisma));
  rememberPathParams(app);
  RegisterRoutes(app, { multer: upload });
  app.use(methodNotAllowed(spec));
  app.use((req, res) => {
    res.status(404).json({ detail: "Not Found" });
  });
  app.use(errorHandler);
  return app as Express & { locals: { services: Services } };
}
