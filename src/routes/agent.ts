/** Agent routes: introspection, delegation and authorization, each one call into the tree. */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { ChildRequest } from "../contract/session-tree";
import { agentAuth, treeOf, type AppEnv } from "../middleware/auth";
import { thumbprint, toAgentJwk } from "../core/auth/jwk";
import { idempotencyOf, respond } from "../http";
import type { Limits } from "../core/policy/attenuate";
import { AuthorizeRequest, DelegateRequest } from "../schemas";
import { Authorization, GrantResponse, SessionView } from "../contract/wire/session";
import { AGENT_SECURITY, body, RequiredIdempotencyHeaders, json, jsonBody, problems } from "./common";
import { PendingApproval } from "../contract/wire/approvals";
import { respondOrPending } from "./pending";

export const agent = new OpenAPIHono<AppEnv>();

/** Problems any agent call can meet before its own rules. */
export const AGENT_PROBLEMS = [
  "unauthenticated",
  "invalid-token",
  "invalid-proof",
  "proof-replayed",
  "session-revoked",
  "session-expired",
  "session-not-yet-valid",
  "principal-frozen",
  "session-frozen",
  "tripwire",
  "rate-limited",
  "validation-failed",
] as const;

const introspect = createRoute({
  method: "get",
  path: "/v1/session",
  tags: ["Agents"],
  summary: "The calling agent's own session and what remains of it",
  security: AGENT_SECURITY,
  middleware: [agentAuth] as const,
  responses: { 200: json(SessionView, "The session"), ...problems(...AGENT_PROBLEMS) },
});

agent.openapi(introspect, async (c) => {
  const { claims, call } = c.var.agent;
  return respond(c, await treeOf(c.env, claims.tree).introspect(call), 200);
});

const delegate = createRoute({
  method: "post",
  path: "/v1/delegations",
  tags: ["Agents"],
  summary: "Delegate a narrower child session to another agent key",
  security: AGENT_SECURITY,
  middleware: [agentAuth, jsonBody] as const,
  request: { headers: RequiredIdempotencyHeaders, body: body(DelegateRequest) },
  responses: {
    201: json(GrantResponse, "The child session and its token"),
    ...problems(...AGENT_PROBLEMS, "delegation-widens", "depth-exceeded", "idempotency-key-reused"),
  },
});

agent.openapi(delegate, async (c) => {
  const input = c.req.valid("json");
  const { claims, call } = c.var.agent;
  const agentJwk = toAgentJwk(input.agent_jwk);
  const child: ChildRequest = {
    agentJwk,
    jkt: await thumbprint(agentJwk),
    scopes: input.scopes,
    label: input.label ?? null,
    ...(input.not_before ? { notBefore: Date.parse(input.not_before) } : {}),
    ...(input.expires_at ? { expiresAt: Date.parse(input.expires_at) } : {}),
    ...(input.limits ? { limits: input.limits as Limits } : {}),
    ...(input.max_depth !== undefined ? { maxDepth: input.max_depth } : {}),
    ...(input.placement ? { placement: input.placement } : {}),
  };
  const idempotency = await idempotencyOf(c);
  return respond(c, await treeOf(c.env, claims.tree).delegate({ ...call, ...(idempotency ? { idempotency } : {}) }, child), 201);
});

const authorize = createRoute({
  method: "post",
  path: "/v1/authorize",
  tags: ["Agents"],
  summary: "Ask to do one action; on success it is counted, debited up the tree and receipted",
  security: AGENT_SECURITY,
  middleware: [agentAuth, jsonBody] as const,
  request: { headers: RequiredIdempotencyHeaders, body: body(AuthorizeRequest) },
  responses: {
    200: json(Authorization, "Allowed: the signed receipt and the session's counters after it"),
    202: json(PendingApproval, "Over an approval line: the amount is reserved and the action waits (Location, Retry-After)"),
    ...problems(...AGENT_PROBLEMS, "scope-denied", "budget-exceeded", "calls-exhausted", "idempotency-key-reused"),
  },
});

agent.openapi(authorize, async (c) => {
  const input = c.req.valid("json");
  const { claims, call } = c.var.agent;
  const idempotency = await idempotencyOf(c);
  return respondOrPending(c, await treeOf(c.env, claims.tree).authorize({ ...call, ...(idempotency ? { idempotency } : {}) }, input), 200);
});
