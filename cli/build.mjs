#!/usr/bin/env node
// Bundles the CLI into one file, cli/dist/remit.mjs (commander, the SDK, viem and
// noble inlined): `node cli/dist/remit.mjs --help` on any Node ≥ 22, no tsx.
import { build } from "esbuild";
import { chmod } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const outfile = fileURLToPath(new URL("./dist/remit.mjs", import.meta.url));
await build({
  entryPoints: [fileURLToPath(new URL("./src/bin.ts", import.meta.url))],
  outfile,
  bundle: true,
  // The root tsconfig's "paths" resolve @remit/sdk to its sources: no SDK build first.
  tsconfig: fileURLToPath(new URL("../tsconfig.json", import.meta.url)),
  platform: "node",
  format: "esm",
  target: "node22",
  // commander is CommonJS: give its require() of Node built-ins a real require.
  banner: { js: '#!/usr/bin/env node\nimport { createRequire as __remitRequire } from "node:module";\nconst require = __remitRequire(import.meta.url);' },
  // node.ts loads Node's built-ins by a computed name: leave those to Node.
  logOverride: { "unsupported-dynamic-import": "silent" },
  legalComments: "none",
});
await chmod(outfile, 0o755);
console.log(`built ${outfile}`);
