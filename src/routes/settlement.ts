/** Settlement routes: receipt proofs, anchors, and the operator's settle and status. */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { adminAuth, agentAuth, principalAuth, principalOf, treeOf, type AppEnv } from "../middleware/auth";
import { problem, RemitError } from "../core/errors";
import { respond } from "../http";
import { IdParam } from "../schemas";
import { AnchorList, AnchorView, ReceiptProofView, SettlementRun, SettlementStatus } from "../contract/wire/settlement";
import { settlementStub } from "../contract/stubs";
import { proveReceipt } from "../settlement/receipt-proof";
import { ADMIN_SECURITY, AGENT_SECURITY, json, jsonBody, PRINCIPAL_SECURITY, problems } from "./common";

export const settlement = new OpenAPIHono<AppEnv>();

/** Principals with their key, agents with their proof: the receipt must be in their tree (as GET /v1/receipts/{id}). */
const principalOrAgent: MiddlewareHandler<AppEnv> = async (c, next) => {
  const auth = /^DPoP /.test(c.req.header("authorization") ?? "") ? agentAuth : principalAuth;
  await auth(c, next);
};

const proof = createRoute({
  method: "get",
  path: "/v1/receipts/{id}/proof",
  tags: ["Receipts"],
  summary: "A receipt's inclusion proof and anchor (pending until its period is anchored)",
  description:
    "A receipt verifies by its signature alone from the moment it is returned (no need to wait). This route says how far it is on its way to the chain: `stage` (outbox, ledger, sealed, anchoring, anchored) and, until anchored, `expected_by` and `overdue`.\n\n" +
    "`expected_by` is an estimate from the schedule. A scheduled run opens at most one period per `SETTLEMENT_INTERVAL_SECONDS` (wall-clock slots) and first seals what the shards hold, so: in a period already → the period's `created_at` + allowance; otherwise → the first slot boundary after the receipt reached its ledger shard (after `at` + 1 s while it is still in its tree's outbox) + allowance. " +
    "Allowance = 10 s + 12 s × (`ANCHOR_CONFIRMATIONS` − 1). `overdue: true` once past it; a period late by more than one interval more also sends `settlement.delayed`.\n\n" +
    "Either a principal's API key (any role, receipts of its trees) or an agent's token and DPoP proof (receipts of its session and descendants).",
  security: [...PRINCIPAL_SECURITY, ...AGENT_SECURITY],
  middleware: [principalOrAgent],
  request: { params: IdParam("rcp") },
  responses: {
    200: json(ReceiptProofView, "The receipt, how far it is on its way to the chain, and once anchored its proof"),
    ...problems("unauthenticated", "invalid-proof", "not-found"),
  },
});

settlement.openapi(proof, async (c) => {
  const { id } = c.req.valid("param");
  const agent = c.get("agent");
  const located = agent
    ? await treeOf(c.env, agent.claims.tree).receiptInOutboxForAgent(agent.call, id)
    : await principalOf(c.env, c.var.principalId).receiptInOutbox(c.var.keyProof, id);
  if (!located.outcome.ok) return respond(c, located, 200);
  const view = await proveReceipt(c.env, located.outcome.value);
  return respond(c, { ...located, outcome: { ok: true, value: view } }, 200);
});

const PeriodParam = z.object({
  period: z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, { message: "must be a period number (1, 2, 3 …)", ...{ params: { rule: "period_format" } } })
    .openapi({ param: { name: "period", in: "path" }, example: "1" }),
});

const AnchorsQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .optional()
    .openapi({ param: { name: "limit", in: "query" }, description: "Default 20" }),
  starting_after: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .openapi({ param: { name: "starting_after", in: "query" }, description: "A period: list the ones before it (newest first)" }),
});

const list = createRoute({
  method: "get",
  path: "/v1/anchors",
  tags: ["Anchors"],
  summary: "Anchored periods, newest first (public)",
  request: { query: AnchorsQuery },
  responses: {
    200: json(AnchorList, "A page of anchors"),
    ...problems("validation-failed"),
  },
});

settlement.openapi(list, async (c) => {
  const q = c.req.valid("query");
  const page = await settlementStub(c.env).anchors({
    ...(q.limit !== undefined ? { limit: q.limit } : {}),
    ...(q.starting_after !== undefined ? { startingAfter: q.starting_after } : {}),
  });
  return c.json(page, 200, { "cache-control": "public, max-age=5" });
});

const one = createRoute({
  method: "get",
  path: "/v1/anchors/{period}",
  tags: ["Anchors"],
  summary: "One period and its anchor, in whatever state it is (public)",
  request: { params: PeriodParam },
  responses: { 200: json(AnchorView, "The period"), ...problems("validation-failed", "not-found") },
});

settlement.openapi(one, async (c) => {
  const period = Number(c.req.valid("param").period);
  const view = await settlementStub(c.env).anchor(period);
  if (!view) throw new RemitError(problem("not-found", `no period ${period}`));
  return c.json(view, 200);
});

const SettleRequest = z
  .strictObject({
    seal: z.boolean().optional().openapi({ description: "First seal what waits in every ledger shard (default true)" }),
  })
  .openapi("SettleRequest");

const settle = createRoute({
  method: "post",
  path: "/v1/admin/settle",
  tags: ["Anchors"],
  summary: "Run the settlement now (operator): seal, fold sealed batches into a period, anchor it, as far as it goes now",
  security: ADMIN_SECURITY,
  middleware: [adminAuth, jsonBody] as const,
  request: { body: { content: { "application/json": { schema: SettleRequest } } } },
  responses: {
    200: json(SettlementRun, "What the run did; `anchor` is the period it worked on"),
    ...problems("unauthenticated", "validation-failed", "service-unavailable"),
  },
});

settlement.openapi(settle, async (c) => {
  const body = (c.req.valid("json") ?? {}) as { seal?: boolean };
  const run = await settlementStub(c.env).run({ trigger: "admin", seal: body.seal ?? true });
  if (run.action === "disabled" || run.action === "misconfigured")
    throw new RemitError(problem("service-unavailable", run.detail ?? "anchoring is not configured", { action: run.action }));
  return c.json(run, 200);
});

const status = createRoute({
  method: "get",
  path: "/v1/admin/settlement",
  tags: ["Anchors"],
  summary: "Settlement state (operator): the period in progress, shard cursors and ledger heads",
  security: ADMIN_SECURITY,
  middleware: [adminAuth] as const,
  responses: {
    200: json(SettlementStatus, "The state"),
    ...problems("unauthenticated"),
  },
});

settlement.openapi(status, async (c) => c.json(await settlementStub(c.env).status(), 200));
