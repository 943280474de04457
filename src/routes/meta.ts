/** Public routes about the service itself: keys, health and the problem pages. */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../middleware/auth";
import { jwks, receiptKeyInputs, receiptKeySet, serviceKeys } from "../core/auth/service-keys";
import { settlementStub } from "../contract/stubs";
import { PROBLEMS, type ProblemName } from "../core/errors";
import { Health, Jwks, ReceiptKeys } from "../contract/wire/meta";
import { json } from "./common";

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

const PROBLEM_HELP: Partial<Record<ProblemName, string>> = {
  "validation-failed": "A field broke a rule. `errors[]` names each field and rule; nothing was changed.",
  "invalid-proof": "The DPoP proof failed a check of RFC 9449 §4.3: sign a fresh proof for this method and URL, with the session's key, iat now, and ath of this token.",
  "proof-replayed": "Each DPoP proof is good once. Sign a new proof (new jti) for every request, retries included.",
  "budget-exceeded": "The spend would take the session or an ancestor past a budget. The problem names the session, asset, period and what remains.",
  "delegation-widens": "A child must be narrower than its parent in every respect. `errors[]` names each field that would widen.",
  "rate-limited": "Wait `Retry-After` seconds before the next request.",
  "idempotency-key-reused": "The Idempotency-Key was first used with a different request. Use a new key for a new request.",
};

meta.get("/problems/:name", (c) => {
  const name = c.req.param("name") as ProblemName;
  // Own properties only: `constructor` or `__proto__` are not problem types.
  if (!Object.hasOwn(PROBLEMS, name)) return c.notFound();
  const known = PROBLEMS[name];
  const help = PROBLEM_HELP[name] ?? known.title + ".";
  const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
  return c.html(
    `<!doctype html><meta charset="utf-8"><title>${escapeHtml(name)}</title><h1>${escapeHtml(known.title)}</h1><p><code>${escapeHtml(name)}</code> — HTTP ${known.status}</p><p>${escapeHtml(help)}</p>`,
  );
});
