// The explorer builds to static files the server serves at /ui: hashed assets, no inline
// script (the page's CSP allows none), no source maps (smaller transfer).
import { defineConfig } from "vite";

export default defineConfig({
  base: "/ui/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: true,
  },
});
