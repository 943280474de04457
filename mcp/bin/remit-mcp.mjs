#!/usr/bin/env node
// remit-mcp straight from the TypeScript sources through tsx (inside the repo; no build).
// The published package's bin is dist/cli.js, built by tsdown.
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

// The root tsconfig's "paths" point @remit/sdk at its sources.
register({ tsconfig: fileURLToPath(new URL("../../tsconfig.json", import.meta.url)) });
await import("../src/cli.ts");
