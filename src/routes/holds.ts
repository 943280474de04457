/** Hold routes: reserve, capture and void, each one call into the tree. */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { agentAuth, treeOf, type AppEnv } from "../middleware/auth";
import { idempotencyOf, respond } from "../http";
import { CaptureRequest, EmptyRequest, HoldRequest, IdParam } from "../schemas";
import { HoldView, SettledHold } from "../contract/wire/holds";
import { AGENT_PROBLEMS } from "./agent";
import { AGENT_SECURITY, body, RequiredIdempotencyHeaders, json, jsonBody, problems } from "./common";
import { PendingApproval } from "../contract/wire/approvals";
import { respondOrPending } from "./pending";

export const holds = new OpenAPIHono<AppEnv>();

const create = createRoute({
  method: "post",
  path: "/v1/holds",
  tags: ["Holds"],
  summary: "Reserve an amount against every budget up the tree",
  security: AGENT_SECURITY,
  middleware: [agentAuth, jsonBody] as const,
  request: { headers: RequiredIdempotencyHeaders, body: body(HoldRequest) },
  responses: {
    201: json(HoldView, "The open hold"),
    202: json(PendingApproval, "Over an approval line: the amount is reserved and the hold opens once approved (Location, Retry-After)"),
    ...problems(...AGENT_PROBLEMS, "scope-denied", "budget-exceeded", "calls-exhausted", "idempotency-key-reused"),
  },
});

holds.openapi(create, async (c) => {
  const input = c.req.valid("json");
  const { claims, call } = c.var.agent;
  const idempotency = await idempotencyOf(c);
  const result = await treeOf(c.env, claims.tree).hold(
    { ...call, ...(idempotency ? { idempotency } : {}) },
    {
      scope: input.scope,
      amount: input.amount,
      ...(input.expires_in ? { expiresInSeconds: input.expires_in } : {}),
      ...(input.request_digest ? { requestDigest: input.request_digest } : {}),
    },
  );
  return respondOrPending(c, result, 201);
});

const capture = createRoute({
  method: "post",
  path: "/v1/holds/{id}/capture",
  tags: ["Holds"],
  summary: "Capture up to the held amount; the rest is released",
  security: AGENT_SECURITY,
  middleware: [agentAuth, jsonBody] as const,
  request: { params: IdParam("hld"), headers: RequiredIdempotencyHeaders, body: { content: { "application/json": { schema: CaptureRequest } } } },
  responses: { 200: json(SettledHold, "The captured hold and its receipt"), ...problems(...AGENT_PROBLEMS, "not-found", "hold-closed", "idempotency-key-reused") },
});

holds.openapi(capture, async (c) => {
  const { id } = c.req.valid("param");
  const { amount } = c.req.valid("json");
  const { claims, call } = c.var.agent;
  const idempotency = await idempotencyOf(c);
  return respond(c, await treeOf(c.env, claims.tree).capture({ ...call, ...(idempotency ? { idempotency } : {}) }, id, amount), 200);
});

const release = createRoute({
  method: "post",
  path: "/v1/holds/{id}/void",
  tags: ["Holds"],
  summary: "Release a hold; allowed even after revocation",
  security: AGENT_SECURITY,
  middleware: [agentAuth, jsonBody] as const,
  request: { params: IdParam("hld"), headers: RequiredIdempotencyHeaders, body: { content: { "application/json": { schema: EmptyRequest } } } },
  responses: { 200: json(SettledHold, "The voided hold and its receipt"), ...problems(...AGENT_PROBLEMS, "not-found", "hold-closed", "idempotency-key-reused") },
});

holds.openapi(release, async (c) => {
  const { id } = c.req.valid("param");
  const { claims, call } = c.var.agent;
  const idempotency = await idempotencyOf(c);
  return respond(c, await treeOf(c.env, claims.tree).void({ ...call, ...(idempotency ? { idempotency } : {}) }, id), 200);
});
