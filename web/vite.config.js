// Two pages, built to dist/ and served by the hub from its own origin (hub/web.py):
// the workbench (index.html, at /) and the GraphQL IDE (ide.html, at /graphql).
// Nothing is loaded from another host: every script, style and font is bundled here.
import { defineConfig } from "vite";

export default defineConfig({
  // JSX without a React plugin: esbuild compiles it with React's automatic runtime.
  esbuild: { jsx: "automatic" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0, // no data: URLs: every asset is a file of the hub's origin
    chunkSizeWarningLimit: 4000,
    rollupOptions: {
      input: { index: "index.html", ide: "ide.html" },
      onwarn(warning, warn) {
        // React libraries mark modules "use client" for server frameworks: moot here.
        if (warning.code !== "MODULE_LEVEL_DIRECTIVE") warn(warning);
      },
    },
  },
});
