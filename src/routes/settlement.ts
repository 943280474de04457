import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { adminAuth, agentAuth, principalAuth, principalOf, treeOf, type AppEnv } from "../middleware/auth";
import { problem, RemitError } from "../core/errors";
import { respond } from "../http";
import { IdParam, SignedReceiptView } from "../schemas";
import { settlementStub } from "../contract/stubs";
import { proveReceipt } from "../settlement/receipt-proof";
import { ADMIN_SECURITY, AGENT_SECURITY, json, jsonBody, PRINCIPAL_SECURITY, problems } from "./common";

export const settlement = new OpenAPIHono<AppEnv>();

const Hex32 = z.string().regex(/^[0-9a-f]{64}$/).openapi({ description: "32 bytes, lowercase hex without 0x" });

export const AnchorView = z
  .object({
    object: z.literal("anchor"),
    period: z.number().int().openapi({ description: "The settlement's sequence number: the key of `rootOf(period)` on RemitAnchor" }),
    root: z.string().openapi({ description: "The period root, 0x-prefixed as on chain" }),
    count: z.number().int().openapi({ description: "Receipts the period covers" }),
    status: z.enum(["pending", "confirming", "anchored", "failed", "superseded"]),
    batches: z.number().int(),
    tx: z.string().nullable(),
    block: z.number().int().nullable(),
    confirmations: z.number().int().nullable(),
    gas_used: z.string().nullable(),
    contract: z.string(),
    chain_id: z.number().int().nullable(),
    created_at: z.string(),
    anchored_at: z.string().nullable(),
    superseded_by: z.number().int().nullable().openapi({ description: "The chain already held another root for this number; the batches moved to this period" }),
  })
  .openapi("Anchor");

const AnchoredProof = z
  .object({
    leaf_index: z.number().int(),
    batch_size: z.number().int(),
    batch_path: z.array(Hex32),
    batch_root: Hex32,
    batch_index: z.number().int(),
    period_size: z.number().int(),
    period_path: z.array(Hex32),
    period_root: Hex32,
    period: z.number().int(),
    contract: z.string(),
    chain_id: z.number().int(),
    tx_hash: z.string(),
    block_number: z.number().int(),
  })
  .openapi("ReceiptInclusionProof", {
    description:
      "receipt → batch root (RFC 9162 inclusion of SHA-256(0x00 || bytes) at leaf_index of batch_size) → period root (inclusion of SHA-256(0x00 || batch_root) at batch_index of period_size) → RemitAnchor.rootOf(period) on chain_id",
  });

const ReceiptProofView = z
  .object({
    object: z.literal("receipt_proof"),
    id: z.string(),
    status: z.enum(["pending", "anchored"]),
    stage: z.enum(["outbox", "ledger", "sealed", "anchoring", "anchored"]).openapi({
      description: "outbox: not yet in the ledger; ledger: received, not sealed; sealed: in a batch; anchoring: in a period being anchored; anchored",
    }),
    receipt: SignedReceiptView,
    shard: z.number().int().nullable(),
    batch: z
      .object({
        shard: z.number().int(),
        index: z.number().int(),
        size: z.number().int(),
        root: Hex32,
        leaf_index: z.number().int(),
        path: z.array(Hex32),
        sealed_at: z.string(),
      })
      .nullable(),
    anchor: AnchorView.nullable(),
    proof: AnchoredProof.nullable(),
  })
  .openapi("ReceiptProof");

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
  limit: z.coerce.number().int().min(1).max(100).optional().openapi({ param: { name: "limit", in: "query" }, description: "Default 20" }),
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
    200: json(z.object({ data: z.array(AnchorView), has_more: z.boolean() }).openapi("AnchorList"), "A page of anchors"),
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

const SettlementRun = z
  .object({
    object: z.literal("settlement_run"),
    trigger: z.enum(["cron", "admin", "alarm"]),
    action: z.enum(["anchored", "confirming", "waiting", "sent", "signed", "error", "failed", "idle", "disabled", "misconfigured"]),
    detail: z.string().optional(),
    anchor: AnchorView.nullable(),
    sealed: z.number().int().optional(),
  })
  .openapi("SettlementRun");

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
    200: json(z.object({ object: z.literal("settlement_status") }).catchall(z.unknown()).openapi("SettlementStatus"), "The state"),
    ...problems("unauthenticated"),
  },
});

settlement.openapi(status, async (c) => c.json(await settlementStub(c.env).status(), 200));
