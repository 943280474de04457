// Builds @remit/mcp into dist/: the library (index) and the `remit-mcp` bin (cli), ESM for
// Node ≥ 22, with declarations. @remit/sdk, the MCP SDK and zod stay dependencies (not bundled).
import { fileURLToPath } from "node:url";
import { defineConfig } from "tsdown";

// TypeScript 7 has no JS compiler API: declarations come from its native tsc (as in sdk/).
const { default: getExePath } = await import(new URL("../node_modules/typescript/lib/getExePath.js", import.meta.url).href);

export default defineConfig({
  entry: { index: "src/index.ts", cli: "src/cli.ts" },
  format: "esm",
  platform: "node",
  target: "node22",
  outDir: "dist",
  // .js (the package is "type": "module"), as the SDK writes.
  fixedExtension: false,
  clean: true,
  tsconfig: fileURLToPath(new URL("./tsconfig.build.json", import.meta.url)),
  dts: { tsgo: { path: getExePath() } },
  // Inside the repo, tsconfig "paths" would point @remit/sdk at its sources; the package depends on the published one.
  deps: { neverBundle: [/^node:/, /^@remit\/sdk(\/|$)/, /^@modelcontextprotocol\/sdk(\/|$)/, "zod"] },
  failOnWarn: true,
  checks: { pluginTimings: false },
});
