// Builds @remit/sdk into dist/: ESM and bundled .d.ts for each public entry, with what the
// SDK uses of ../src/core and ../src/contract inlined, so the package stands alone.
import { fileURLToPath } from "node:url";
import { defineConfig } from "tsdown";

// TypeScript 7 has no JS compiler API, so declarations come from its native `tsc` binary
// (rolldown-plugin-dts's tsgo mode runs it with --emitDeclarationOnly --noCheck).
const { default: getExePath } = await import(new URL("../node_modules/typescript/lib/getExePath.js", import.meta.url).href);

export default defineConfig({
  entry: { index: "src/index.ts", verify: "src/verify.ts", keys: "src/keys.ts", dpop: "src/dpop.ts" },
  format: "esm",
  platform: "neutral",
  target: "es2022",
  outDir: "dist",
  clean: true,
  tsconfig: fileURLToPath(new URL("../tsconfig.sdk.json", import.meta.url)),
  dts: { tsgo: { path: getExePath() } },
  // Declaration files have no side effects: without this, a `declare module "zod"` that
  // src/core's webhook events pull in (through @hono/zod-openapi) would drag zod's and
  // OpenAPI's types into the SDK's .d.ts although no SDK type uses them.
  // The server's own packages and Node's built-ins are never part of the SDK: src/core files the
  // SDK uses only for types import them, and the .d.ts resolver need not look inside.
  deps: { neverBundle: [/^node:/, /^@hono\//, "hono", "jose", "zod", "standardwebhooks"] },
  // A warning is a packaging mistake in the making; the plugin-timing note is not one.
  failOnWarn: true,
  checks: { pluginTimings: false },
  treeshake: { moduleSideEffects: (id: string) => !/\.d\.[cm]?ts$/.test(id) },
});
