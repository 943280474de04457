#!/usr/bin/env node
// The `remit` command, straight from the TypeScript sources through tsx (no build
// step). `node cli/build.mjs` bundles the same thing into cli/dist/remit.mjs, which
// needs nothing but Node ≥ 22.
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

// The root tsconfig's "paths" point @remit/sdk at its sources (no SDK build needed); tsx
// would otherwise look for a tsconfig from the working directory, which may be anywhere.
register({ tsconfig: fileURLToPath(new URL("../../tsconfig.json", import.meta.url)) });
await import("../src/bin.ts");
