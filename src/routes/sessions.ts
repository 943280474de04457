/** Principal session routes: grant, read, the tree view and revocation. */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { NewSession } from "../contract/session-tree";
import { principalAuth, principalOf, type AppEnv } from "../middleware/auth";
import { thumbprint, toAgentJwk } from "../core/auth/jwk";
import { idempotencyOf, issuer, respond } from "../http";
import type { Limits } from "../core/policy/attenuate";
import { EmptyRequest, GrantRequest, IdParam } from "../schemas";
import { ReceiptPage } from "../contract/wire/receipts";
import { GrantResponse, Revocation, SessionTreeView, SessionView, TREE_PAGE_DEFAULT, TREE_PAGE_MAX } from "../contract/wire/session";
import { scopeCapErrors, treeCaps } from "../core/policy/caps";
import { validationFailed } from "../core/errors";
import { body, RequiredIdempotencyHeaders, jsonBody, json, PRINCIPAL_SECURITY, problems } from "./common";
import { z } from "@hono/zod-openapi";

export const sessions = new OpenAPIHono<AppEnv>();

const AUTH_PROBLEMS = ["unauthenticated", "validation-failed"] as const;

const grant = createRoute({
  method: "post",
  path: "/v1/sessions",
  tags: ["Sessions"],
  summary: "Grant a root session to an agent key",
  security: PRINCIPAL_SECURITY,
  middleware: [principalAuth, jsonBody] as const,
  request: { headers: RequiredIdempotencyHeaders, body: body(GrantRequest) },
  responses: {
    201: json(GrantResponse, "The session and its DPoP-bound token"),
    ...problems(...AUTH_PROBLEMS, "principal-frozen", "idempotency-key-reused", "idempotency-in-flight"),
  },
});

sessions.openapi(grant, async (c) => {
  const input = c.req.valid("json");
  // The schema holds the absolute caps; the configured ones come from the vars.
  const capErrors = scopeCapErrors(input.scopes, treeCaps(c.env));
  if (capErrors.length > 0) validationFailed(capErrors);
  const agentJwk = toAgentJwk(input.agent_jwk);
  const session: NewSession = {
    agentJwk,
    jkt: await thumbprint(agentJwk),
    scopes: input.scopes,
    notBefore: input.not_before ? Date.parse(input.not_before) : Date.now(),
    expiresAt: Date.parse(input.expires_at),
    limits: (input.limits ?? {}) as Limits,
    maxDepth: input.max_depth ?? 3,
    label: input.label ?? null,
    ...(input.child_placement ? { childPlacement: input.child_placement } : {}),
  };
  const principal = principalOf(c.env, c.var.principalId);
  const result = await principal.grantSession(c.var.keyProof, await idempotencyOf(c), { session, issuer: issuer(c.env) });
  return respond(c, result, 201);
});

const getSession = createRoute({
  method: "get",
  path: "/v1/sessions/{id}",
  tags: ["Sessions"],
  summary: "A session with its live counters",
  security: PRINCIPAL_SECURITY,
  middleware: [principalAuth] as const,
  request: { params: IdParam("ses") },
  responses: { 200: json(SessionView, "The session"), ...problems(...AUTH_PROBLEMS, "not-found") },
});

sessions.openapi(getSession, async (c) => {
  const { id } = c.req.valid("param");
  return respond(c, await principalOf(c.env, c.var.principalId).getSession(c.var.keyProof, id), 200);
});

const getTree = createRoute({
  method: "get",
  path: "/v1/sessions/{id}/tree",
  tags: ["Sessions"],
  summary: "A session and its descendants, with counters, a page at a time",
  description: `The session and up to \`limit\` descendants (default ${TREE_PAGE_DEFAULT}, at most ${TREE_PAGE_MAX}), depth-first with siblings in creation order. While \`has_more\`, ask again with \`starting_after\` set to \`next_cursor\`. Called with a principal's API key (\`Authorization: Bearer rmt_…\`); any role may read.`,
  security: PRINCIPAL_SECURITY,
  middleware: [principalAuth] as const,
  request: {
    params: IdParam("ses"),
    query: z.object({
      limit: z.coerce.number().int().min(1).max(TREE_PAGE_MAX).default(TREE_PAGE_DEFAULT),
      starting_after: z
        .string()
        .regex(/^ses_[0-9a-z]{26}$/, { message: "must be a ses_ id" })
        .optional(),
    }),
  },
  responses: { 200: json(SessionTreeView, "The session and one page of its subtree, depth-first"), ...problems(...AUTH_PROBLEMS, "not-found") },
});

sessions.openapi(getTree, async (c) => {
  const { id } = c.req.valid("param");
  const { limit, starting_after } = c.req.valid("query");
  const page = { limit, ...(starting_after ? { startingAfter: starting_after } : {}) };
  return respond(c, await principalOf(c.env, c.var.principalId).getTree(c.var.keyProof, id, page), 200);
});

const revoke = createRoute({
  method: "post",
  path: "/v1/sessions/{id}/revoke",
  tags: ["Sessions"],
  summary: "Revoke a session and every descendant",
  description:
    "From the moment this returns, no request under the session or any descendant succeeds (`session-revoked`, with a denial receipt); pending approvals in the subtree are canceled, and open holds can still be voided. Revocation is final. " +
    "Called with a principal's API key (`Authorization: Bearer rmt_…`) with the `admin` role. Idempotent with `Idempotency-Key`: a retry with the same key and body returns the first result for 24 h. Emits `session.revoked` for each session of the subtree.",
  security: PRINCIPAL_SECURITY,
  middleware: [principalAuth, jsonBody] as const,
  request: { params: IdParam("ses"), headers: RequiredIdempotencyHeaders, body: { content: { "application/json": { schema: EmptyRequest } } } },
  responses: { 200: json(Revocation, "How many sessions were revoked"), ...problems(...AUTH_PROBLEMS, "not-found") },
});

sessions.openapi(revoke, async (c) => {
  const { id } = c.req.valid("param");
  const principal = principalOf(c.env, c.var.principalId);
  return respond(c, await principal.revokeSession(c.var.keyProof, await idempotencyOf(c), id), 200);
});

const listReceipts = createRoute({
  method: "get",
  path: "/v1/sessions/{id}/receipts",
  tags: ["Sessions", "Receipts"],
  summary: "A session's receipts, in the order they were written (spends, captures, voids, denials)",
  security: PRINCIPAL_SECURITY,
  middleware: [principalAuth] as const,
  request: {
    params: IdParam("ses"),
    query: z.object({
      limit: z.coerce.number().int().min(1).max(100).default(20),
      starting_after: z
        .string()
        .regex(/^rcp_[0-9a-z]{26}$/, { message: "must be a rcp_ id" })
        .optional(),
    }),
  },
  responses: { 200: json(ReceiptPage, "One page of receipts, oldest first"), ...problems(...AUTH_PROBLEMS, "not-found") },
});

sessions.openapi(listReceipts, async (c) => {
  const { id } = c.req.valid("param");
  const { limit, starting_after } = c.req.valid("query");
  const principal = principalOf(c.env, c.var.principalId);
  return respond(c, await principal.listReceipts(c.var.keyProof, id, { limit, ...(starting_after ? { startingAfter: starting_after } : {}) }), 200);
});
