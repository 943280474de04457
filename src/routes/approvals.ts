import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { APPROVAL_STATUSES, ApprovalPage, ApprovalView } from "../contract/wire/approvals";
import { idempotencyOf, respond } from "../http";
import { agentAuth, needs, principalAuth, principalOf, treeOf, type AppEnv } from "../middleware/auth";
import { EmptyRequest, IdParam } from "../schemas";
import { AGENT_PROBLEMS } from "./agent";
import { AGENT_SECURITY, RequiredIdempotencyHeaders, json, jsonBody, PRINCIPAL_SECURITY, problems } from "./common";

export const approvals = new OpenAPIHono<AppEnv>();

/** The longest `?wait=N`, in seconds. */
export const MAX_WAIT_SECONDS = 25;
/** How often a waiting read looks again. */
const WAIT_POLL_MS = 250;

/** Principals with their key, agents with their proof. */
const principalOrAgent: MiddlewareHandler<AppEnv> = async (c, next) => {
  const auth = /^DPoP /.test(c.req.header("authorization") ?? "") ? agentAuth : principalAuth;
  await auth(c, next);
};

const list = createRoute({
  method: "get",
  path: "/v1/approvals",
  tags: ["Approvals"],
  summary: "The approval queue: newest first, with each session's label and path and the reserved amount",
  security: PRINCIPAL_SECURITY,
  middleware: [principalAuth] as const,
  request: {
    query: z.object({
      status: z.enum(APPROVAL_STATUSES).optional().openapi({ description: "Only approvals in this state (e.g. pending)" }),
      limit: z.coerce.number().int().min(1).max(100).default(20),
      starting_after: z
        .string()
        .regex(/^apr_[0-9a-z]{26}$/, { message: "must be an apr_ id", params: { rule: "id_format" } } as never)
        .optional()
        .openapi({ description: "The last approval id of the previous page" }),
    }),
  },
  responses: { 200: json(ApprovalPage, "A page of approvals"), ...problems("unauthenticated", "forbidden", "validation-failed") },
});

approvals.openapi(list, async (c) => {
  const { status, limit, starting_after } = c.req.valid("query");
  const query = { limit, ...(status ? { status } : {}), ...(starting_after ? { startingAfter: starting_after } : {}) };
  return respond(c, await principalOf(c.env, c.var.principalId).listApprovals(c.var.keyProof, query), 200);
});

const get = createRoute({
  method: "get",
  path: "/v1/approvals/{id}",
  tags: ["Approvals"],
  summary: "One approval; agents may wait for a change with ?wait=N (at most 25 s)",
  description:
    "A principal's key reads any of its approvals. An agent reads the approvals of its session and those below it; " +
    "with `wait` it is answered as soon as the state changes (a vote, or the end), or after `wait` seconds. " +
    "Once closed, `receipt` is the signed receipt of the outcome. Either a principal's API key (any role) or an agent's token and DPoP proof.",
  security: [...PRINCIPAL_SECURITY, ...AGENT_SECURITY],
  middleware: [principalOrAgent],
  request: {
    params: IdParam("apr"),
    query: z.object({ wait: z.coerce.number().int().min(0).max(MAX_WAIT_SECONDS).optional().openapi({ description: "Seconds to wait for a change (agents)" }) }),
  },
  responses: { 200: json(ApprovalView, "The approval"), ...problems(...AGENT_PROBLEMS, "forbidden", "not-found") },
});

approvals.openapi(get, async (c) => {
  const { id } = c.req.valid("param");
  const { wait } = c.req.valid("query");
  const agent = c.get("agent");
  if (!agent) return respond(c, await principalOf(c.env, c.var.principalId).getApproval(c.var.keyProof, id), 200);
  const tree = treeOf(c.env, agent.claims.tree);
  const first = await tree.approvalForAgent(agent.call, id);
  if (!first.outcome.ok || !wait || first.outcome.value.status !== "pending") return respond(c, first, 200);
  // The proof was spent by the first read; the loop only reads (no transaction held between reads).
  const seen = first.outcome.value.approved_by.length;
  const until = performance.now() + wait * 1000;
  while (performance.now() < until) {
    await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
    const next = await tree.approvalForSession(agent.claims.sub, id);
    if (!next.ok || next.value.status !== "pending" || next.value.approved_by.length !== seen) return respond(c, { outcome: next }, 200);
  }
  return respond(c, { outcome: await tree.approvalForSession(agent.claims.sub, id) }, 200);
});

const ApproveRequest = z.strictObject({ note: z.string().max(1000).optional() }).openapi("ApproveRequest");
const DenyRequest = z.strictObject({ reason: z.string().max(1000).optional() }).openapi("DenyRequest");

for (const verdict of ["approve", "deny"] as const) {
  const route = createRoute({
    method: "post",
    path: `/v1/approvals/{id}/${verdict}`,
    tags: ["Approvals"],
    summary:
      verdict === "approve"
        ? "Approve with this key (one vote per key); at the quorum the spend is committed and receipted"
        : "Deny: the approval ends, its reservation released, with a denial receipt",
    security: PRINCIPAL_SECURITY,
    middleware: [principalAuth, needs("decide"), jsonBody] as const,
    request: {
      params: IdParam("apr"),
      headers: RequiredIdempotencyHeaders,
      body: { content: { "application/json": { schema: verdict === "approve" ? ApproveRequest : DenyRequest } } },
    },
    responses: {
      200: json(ApprovalView, "The approval after this decision"),
      ...problems("unauthenticated", "forbidden", "validation-failed", "not-found", "approval-closed", "approval-already-voted", "idempotency-key-reused"),
    },
  });
  approvals.openapi(route, async (c) => {
    const { id } = c.req.valid("param");
    const input = c.req.valid("json") as { note?: string; reason?: string };
    const text = (verdict === "approve" ? input.note : input.reason) ?? null;
    return respond(c, await principalOf(c.env, c.var.principalId).decideApproval(c.var.keyProof, await idempotencyOf(c), id, { verdict, text }), 200);
  });
}

const cancel = createRoute({
  method: "post",
  path: "/v1/approvals/{id}/cancel",
  tags: ["Approvals"],
  summary: "Withdraw a pending approval (agent); its reservation is released; allowed after revocation",
  security: AGENT_SECURITY,
  middleware: [agentAuth, jsonBody] as const,
  request: { params: IdParam("apr"), headers: RequiredIdempotencyHeaders, body: { content: { "application/json": { schema: EmptyRequest } } } },
  responses: { 200: json(ApprovalView, "The canceled approval"), ...problems(...AGENT_PROBLEMS, "not-found", "approval-closed", "idempotency-key-reused") },
});

approvals.openapi(cancel, async (c) => {
  const { id } = c.req.valid("param");
  const { claims, call } = c.var.agent;
  const idempotency = await idempotencyOf(c);
  return respond(c, await treeOf(c.env, claims.tree).cancelApproval({ ...call, ...(idempotency ? { idempotency } : {}) }, id), 200);
});
