/**
 * Import rules for the layers (see DESIGN.md): `npm run check:imports`.
 *
 *   src/core/          pure code: imports nothing of ours outside src/core/
 *   src/contract/      types crossing HTTP/RPC: core and contract only
 *   edge (rest of src) never imports durable-objects/ (src/index.ts, the worker entry, re-exports them)
 *   durable-objects/X  core, contract, durable-objects/shared and its own folder; never the edge
 *   sdk/               sdk, src/core, src/contract; never cloudflare:* nor node:*
 *   cli/               cli, sdk (and src/core if it must)
 *   mcp/               mcp and @remit/sdk only (no service code, not even src/core)
 *
 * Type-only imports count (tsPreCompilationDeps). dependency-cruiser cannot load TypeScript 7,
 * so it parses with swc.
 */
const OURS = "^(src|durable-objects|sdk|cli|mcp|test|scripts|bench|examples)/";

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "No import cycles, at file level, anywhere in the shipped code.",
      severity: "error",
      from: { path: "^(src|durable-objects|sdk|cli|mcp)/" },
      to: { circular: true },
    },
    {
      name: "core-is-pure",
      comment: "src/core imports nothing of ours outside src/core.",
      severity: "error",
      from: { path: "^src/core/" },
      to: { path: OURS, pathNot: "^src/core/" },
    },
    {
      name: "contract-only-core",
      comment: "src/contract imports only src/core and src/contract.",
      severity: "error",
      from: { path: "^src/contract/" },
      to: { path: OURS, pathNot: "^src/(core|contract)/" },
    },
    {
      name: "edge-not-objects",
      comment: "The edge reaches objects through the contract's stubs, never by importing durable-objects/ (only src/index.ts re-exports the classes).",
      severity: "error",
      from: { path: "^src/", pathNot: ["^src/(core|contract)/", "^src/index\\.ts$"] },
      to: { path: "^durable-objects/" },
    },
    {
      name: "objects-not-edge",
      comment: "Durable Objects import core and contract from src/, never the edge.",
      severity: "error",
      from: { path: "^durable-objects/" },
      to: { path: "^src/", pathNot: "^src/(core|contract)/" },
    },
    {
      name: "objects-own-folder",
      comment: "A Durable Object imports its own folder and durable-objects/shared, never another object's folder.",
      severity: "error",
      from: { path: "^durable-objects/([^/]+)/" },
      to: { path: "^durable-objects/", pathNot: ["^durable-objects/$1/", "^durable-objects/shared/"] },
    },
    {
      name: "objects-only-layers",
      comment: "Durable Objects import nothing of ours but src/core, src/contract and durable-objects/.",
      severity: "error",
      from: { path: "^durable-objects/" },
      to: { path: OURS, pathNot: ["^src/", "^durable-objects/"] },
    },
    {
      name: "sdk-only-core-contract",
      comment: "The SDK imports only itself, src/core and src/contract.",
      severity: "error",
      from: { path: "^sdk/" },
      to: { path: OURS, pathNot: ["^sdk/", "^src/(core|contract)/"] },
    },
    {
      name: "sdk-not-workers-runtime",
      comment: "The SDK runs outside workerd: no cloudflare:* modules.",
      severity: "error",
      from: { path: "^sdk/" },
      to: { path: "^cloudflare:" },
    },
    {
      name: "sdk-no-node-builtins",
      comment: "The SDK runs wherever there is fetch and WebCrypto: no node:* modules (its README promises no Node APIs). Its build config runs in Node and may.",
      severity: "error",
      from: { path: "^sdk/src/" },
      to: { dependencyTypes: ["core"] },
    },
    {
      name: "cli-only-sdk",
      comment: "The CLI imports only itself and the SDK (src/core if it must).",
      severity: "error",
      from: { path: "^cli/" },
      to: { path: OURS, pathNot: ["^cli/", "^sdk/", "^src/core/"] },
    },
    {
      name: "mcp-only-sdk",
      comment: "The MCP gateway imports only itself and @remit/sdk (whose sources are sdk/src inside the repo); never service code.",
      severity: "error",
      from: { path: "^mcp/" },
      to: { path: OURS, pathNot: ["^mcp/", "^sdk/src/(index|keys|verify|dpop)\\.ts$"] },
    },
  ],
  options: {
    parser: "swc",
    tsPreCompilationDeps: true,
    doNotFollow: { path: "node_modules" },
    exclude: { path: ["node_modules", "(^|/)dist/", "(^|/)\\.wrangler/"] },
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".mjs", ".js"] },
  },
};
