/** Settlement on the wire: anchors, a receipt's proof, settlement runs and status (operator). */
import { z } from "@hono/zod-openapi";
import type { ReceiptProof } from "../../core/receipts/period";
import type { AnchorSettings } from "../../core/settlement-config";
import type * as W from "../wire-types";
import type { Assert, Equal, Same } from "./check";
import { SignedReceiptView } from "./receipts";

const Hex32 = z
  .string()
  .regex(/^[0-9a-f]{64}$/)
  .openapi({ description: "32 bytes, lowercase hex without 0x" });

/** A period and its anchor, as GET /v1/anchors shows it. */
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

export const AnchorList = z.object({ data: z.array(AnchorView), has_more: z.boolean() }).openapi("AnchorList");

export const AnchoredProof = z
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

export const ProofStage = z.enum(["outbox", "ledger", "sealed", "anchoring", "anchored"]).openapi({
  description: "outbox: not yet in the ledger; ledger: received, not sealed; sealed: in a batch; anchoring: in a period being anchored; anchored",
});

export const BatchView = z.object({
  shard: z.number().int(),
  index: z.number().int(),
  size: z.number().int(),
  root: Hex32,
  leaf_index: z.number().int(),
  path: z.array(Hex32),
  sealed_at: z.string(),
});

export const ReceiptProofView = z
  .object({
    object: z.literal("receipt_proof"),
    id: z.string(),
    status: z.enum(["pending", "anchored"]),
    stage: ProofStage,
    receipt: SignedReceiptView,
    shard: z.number().int().nullable().openapi({ description: "The ledger shard of the receipt's tree (null before its first drain)" }),
    received_at: z.string().nullable().openapi({ description: "When its ledger shard took it from the tree's outbox (null while in the outbox)" }),
    batch: BatchView.nullable(),
    anchor: AnchorView.nullable(),
    proof: AnchoredProof.nullable(),
    expected_by: z.string().nullable().openapi({
      description:
        "Until anchored: when the receipt should be anchored, from the schedule (null once anchored). In a period already: the period's opening + the confirmation allowance; otherwise the first settlement-interval boundary (SETTLEMENT_INTERVAL_SECONDS, wall-clock slots) after the receipt reached its ledger shard (or after `at` + 1 s while still in the outbox) + the allowance. Allowance: 10 s + 12 s per confirmation after the first (ANCHOR_CONFIRMATIONS). The receipt verifies by its signature alone from the moment it is returned.",
    }),
    overdue: z.boolean().openapi({ description: "Not anchored and past `expected_by`" }),
  })
  .openapi("ReceiptProof");

export const SettlementRun = z
  .object({
    object: z.literal("settlement_run"),
    trigger: z.enum(["cron", "admin", "alarm"]),
    action: z.enum(["anchored", "confirming", "waiting", "sent", "signed", "error", "failed", "idle", "disabled", "misconfigured"]),
    detail: z.string().optional(),
    anchor: AnchorView.nullable(),
    sealed: z.number().int().optional().openapi({ description: "Batches sealed because the run asked the shards to seal" }),
  })
  .openapi("SettlementRun");

export const ShardStats = z.object({
  shard: z.number().int(),
  received: z.number().int(),
  open: z.number().int(),
  oldest_open_at: z.number().nullable(),
  batches: z.number().int(),
  log_size: z.number().int(),
  log_root: z.string(),
});

export const SettlementStatus = z
  .object({
    object: z.literal("settlement_status"),
    anchoring: z.object({
      state: z.enum(["ready", "disabled", "misconfigured"]),
      reason: z.string().optional(),
      contract: z.string().optional(),
      confirmations: z.number().int().optional(),
    }),
    last_period: z.number().int(),
    // Spread rather than extend: an extended Anchor is an allOf with its $ref, which null cannot match.
    current: z
      .object({
        ...AnchorView.shape,
        attempts: z.number().int(),
        hashes: z.array(z.string()),
        nonce: z.number().int().nullable(),
        error: z.string().nullable(),
        record_status: z.string(),
      })
      .nullable(),
    shards: z.array(z.object({ shard: z.number().int(), next_batch: z.number().int(), ledger: ShardStats.nullable() })),
    unsent_notices: z.number().int(),
  })
  .openapi("SettlementStatus");

export type AnchorView = W.AnchorView;
export type AnchorList = W.AnchorList;
export type AnchoredProof = W.AnchoredProof;
export type ProofStage = W.ProofStage;
export type BatchView = W.BatchView;
export type ReceiptProofView = W.ReceiptProofView;
export type SettlementRun = W.SettlementRun;
export type ShardStats = W.ShardStats;
export type SettlementStatus = W.SettlementStatus;
export type AnchorViewStatus = W.AnchorViewStatus;
export type RunTrigger = W.RunTrigger;
export type RunAction = W.RunAction;

// The plain types the SDK publishes must be exactly what the schemas validate and document.
export type _AnchorViewWire = Assert<Equal<z.output<typeof AnchorView>, AnchorView>>;
export type _AnchorListWire = Assert<Equal<z.output<typeof AnchorList>, AnchorList>>;
export type _AnchoredProofWire = Assert<Equal<z.output<typeof AnchoredProof>, AnchoredProof>>;
export type _ProofStageWire = Assert<Equal<z.output<typeof ProofStage>, ProofStage>>;
export type _BatchViewWire = Assert<Equal<z.output<typeof BatchView>, BatchView>>;
export type _ReceiptProofViewWire = Assert<Equal<z.output<typeof ReceiptProofView>, ReceiptProofView>>;
export type _SettlementRunWire = Assert<Equal<z.output<typeof SettlementRun>, SettlementRun>>;
export type _ShardStatsWire = Assert<Equal<z.output<typeof ShardStats>, ShardStats>>;
export type _SettlementStatusWire = Assert<Equal<z.output<typeof SettlementStatus>, SettlementStatus>>;

// Core computes the inclusion proof and reads the anchoring settings; the wire must say exactly the same.
export type _ProofTie = Assert<Same<Omit<AnchoredProof, "contract" | "chain_id" | "tx_hash" | "block_number">, ReceiptProof>>;
export type _AnchoringTie = Assert<Same<SettlementStatus["anchoring"]["state"], AnchorSettings["state"]>>;
