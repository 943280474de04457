#!/usr/bin/env node
// The `remit` command, straight from the TypeScript sources through tsx (no build
// step). `node cli/build.mjs` bundles the same thing into cli/dist/remit.mjs, which
// needs nothing but Node ≥ 22.
import { register } from "tsx/esm/api";

register();
await import("../src/bin.ts");
