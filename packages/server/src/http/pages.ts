// Documentation pages, with every asset served from npm packages (no CDN).
import path from "node:path";
import express, { Router } from "express";
import swaggerUi from "swagger-ui-express";
import { redocHtml } from "redoc-express/dist/redoc-html-template";

export function docsRouter(spec: object): Router {
  const router = Router();
  router.get("/", (_req, res) => res.redirect("/docs"));
  router.get("/openapi.json", (_req, res) => res.json(spec));
  const swagger = swaggerUi.setup(spec, { customSiteTitle: "ERT Storage API" });
  router.use("/docs", swaggerUi.serveFiles(spec), swagger);
  router.use("/doc", swaggerUi.serveFiles(spec), swagger);
  const redocBundle = path.dirname(require.resolve("redoc/bundles/redoc.standalone.js"));
  router.use("/redoc-assets", express.static(redocBundle, { index: false }));
  router.get("/redoc", (_req, res) => {
    const html = redocHtml({ title: "ERT Storage API", specUrl: "/openapi.json" })
      .replace(/<link href="https:\/\/fonts\.googleapis\.com[^>]*>/, "")
      .replace(/src="https:\/\/unpkg\.com\/redoc[^"]*"/, 'src="/redoc-assets/redoc.standalone.js"');
    res.type("html").send(html);
  });
  return router;
}
