#!/usr/bin/env node
// The `remit` command. Runs the TypeScript sources through tsx (no build step);
// `node cli/build.mjs` bundles a standalone cli/dist/remit.mjs instead.
import { register } from "tsx/esm/api";

register();
const { run } = await import("../src/main.ts");
const code = await run(process.argv);
// Let stdout and stderr drain (they are pipes when scripted), then leave: idle
// keep-alive sockets must not hold the process open.
await new Promise((resolve) => process.stdout.write("", resolve));
await new Promise((resolve) => process.stderr.write("", resolve));
process.exit(code);
