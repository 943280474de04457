/** Public routes about the service itself: keys, health and the problem pages. */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../middleware/auth";
import { jwks, receiptKeyInputs, receiptKeySet, serviceKeys } from "../core/auth/service-keys";
import { settlementStub } from "../contract/stubs";
import { Health, Jwks, ReceiptKeys } from "../contract/wire/meta";
import { json } from "./common";
import { problemDetail, problemIndex } from "./problem-pages";

export const meta = new OpenAPIHono<AppEnv>();

meta.openapi(
  createRoute({
    method: "get",
    path: "/.well-known/jwks.json",
    tags: ["Meta"],
    summary: "The service keys that may sign session tokens today: current and previous (receipts: see /.well-known/receipt-keys.json)",
    responses: { 200: json(Jwks, "JWK Set") },
  }),
  async (c) => c.json(jwks(await serviceKeys(c.env)), 200, { "cache-control": "public, max-age=300" }),
);

meta.openapi(
  createRoute({
    method: "get",
    path: "/.well-known/receipt-keys.json",
    tags: ["Meta"],
    summary: "Every key that ever signed a receipt, with when it started and stopped signing: what offline verification uses, after any number of rotations",
    responses: { 200: json(ReceiptKeys, "JWK Set with signing windows, newest first") },
  }),
  async (c) => {
    // Registering this isolate's keys (idempotent) lists the current key before any receipt.
    const registration = await settlementStub(c.env).registerReceiptKeys(receiptKeyInputs(await serviceKeys(c.env)), Date.now());
    for (const r of registration.refused) console.error(`receipt key ${r.kid} not registered: ${r.reason}`);
    return c.json(receiptKeySet(registration.keys), 200, { "cache-control": "public, max-age=300" });
  },
);

meta.openapi(
  createRoute({
    method: "get",
    path: "/healthz",
    tags: ["Meta"],
    summary: "Liveness",
    responses: { 200: json(Health, "Alive") },
  }),
  (c) => c.json({ ok: true as const }, 200),
);

// The pages problem `type` URLs point at (content: src/core/problem-docs.ts).
meta.get("/problems", problemIndex);
meta.get("/problems/:name", problemDetail);
