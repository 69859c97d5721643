// Documentation pages, with every asset served from npm packages (no CDN).
import fs from "node:fs";
import path from "node:path";
import express, { Router } from "express";
import swaggerUi from "swagger-ui-express";
import { redocHtml } from "redoc-express/dist/redoc-html-template";

/** Our pages load nothing from elsewhere (ReDoc's bundle would fetch its footer logo from a CDN). */
const SELF_ONLY =
  "default-src 'self'; script-src 'self' 'unsafe-inline' blob:; worker-src 'self' blob:; " +
  "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'";

export function docsRouter(spec: object): Router {
  const router = Router();
  router.get("/", (_req, res) => res.redirect(307, "/docs"));
  router.get("/openapi.json", (_req, res) => res.json(spec));
  const swagger = swaggerUi.setup(spec, { customSiteTitle: "ERT Storage API" });
  router.use("/docs", swaggerUi.serveFiles(spec), swagger);
  router.use("/doc", swaggerUi.serveFiles(spec), swagger);
  const redocBundle = path.dirname(packageFile("redoc", "bundles/redoc.standalone.js"));
  router.use("/redoc-assets", express.static(redocBundle, { index: false }));
  router.get("/redoc", (_req, res) => {
    const html = redocHtml({ title: "ERT Storage API", specUrl: "/openapi.json" })
      .replace(/<link href="https:\/\/fonts\.googleapis\.com[^>]*>/, "")
      .replace(/src="https:\/\/unpkg\.com\/redoc[^"]*"/, 'src="/redoc-assets/redoc.standalone.js"');
    res.setHeader("Content-Security-Policy", SELF_ONLY);
    res.type("html").send(html);
  });
  router.use("/gql-assets", graphiqlAssets());
  router.get("/gql", (req, res, next) => {
    // A browser gets GraphiQL; GraphQL clients fall through to the endpoint.
    if (req.accepts(["application/json", "application/graphql-response+json", "text/html"]) !== "text/html") return next();
    res.setHeader("Content-Security-Policy", SELF_ONLY);
    res.type("html").send(GRAPHIQL_PAGE);
  });
  return router;
}

/** A file of an installed package, found from its entry point (exports maps hide the rest). */
function packageFile(name: string, file: string): string {
  let dir = path.dirname(require.resolve(name));
  while (!fs.existsSync(path.join(dir, "package.json")) || path.basename(dir) !== name.split("/").pop()) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`package ${name} not found`);
    dir = parent;
  }
  return path.join(dir, file);
}

/** GraphiQL 3 and the React 18 builds it runs on, straight from their npm packages. */
function graphiqlAssets(): Router {
  const assets = Router();
  const files: Record<string, string> = {
    "graphiql.min.js": packageFile("graphiql", "graphiql.min.js"),
    "graphiql.min.css": packageFile("graphiql", "graphiql.min.css"),
    "react.production.min.js": packageFile("react", "umd/react.production.min.js"),
    "react-dom.production.min.js": packageFile("react-dom", "umd/react-dom.production.min.js"),
  };
  assets.get("/:file", (req, res, next) => {
    const file = files[req.params.file];
    if (!file) return next();
    res.sendFile(file, { maxAge: "1d" });
  });
  return assets;
}

const GRAPHIQL_PAGE = `<!doctype html>
<html>
  <head>
    <meta charset="utf-8" />
    <title>ERT Storage GraphiQL</title>
    <link rel="stylesheet" href="/gql-assets/graphiql.min.css" />
  </head>
  <body style="margin: 0">
    <div id="graphiql" style="height: 100vh"></div>
    <script src="/gql-assets/react.production.min.js"></script>
    <script src="/gql-assets/react-dom.production.min.js"></script>
    <script src="/gql-assets/graphiql.min.js"></script>
    <script>
      // The token goes in the Headers tab: {"Token": "..."} (see storage_server.json).
      const fetcher = GraphiQL.createFetcher({ url: "/gql" });
      ReactDOM.createRoot(document.getElementById("graphiql")).render(
        React.createElement(GraphiQL, {
          fetcher,
          defaultHeaders: '{"Token": ""}',
          defaultQuery: "{ experiments { id name ensembles { id size } } }",
        }),
      );
    </script>
  </body>
</html>
`;
