/** The wire's settlement, as plain TypeScript (see ../wire-types.ts). */
import type { ReceiptProof } from "../../core/receipts/period";
import type { SignedReceiptView } from "./receipts";

/** A period and its anchor, as GET /v1/anchors shows it. */
export interface AnchorView {
  object: "anchor";
  /** The settlement's sequence number: the key of `rootOf(period)` on RemitAnchor. */
  period: number;
  /** The period root, 0x-prefixed as on chain. */
  root: string;
  /** Receipts the period covers. */
  count: number;
  status: AnchorViewStatus;
  batches: number;
  tx: string | null;
  block: number | null;
  confirmations: number | null;
  gas_used: string | null;
  contract: string;
  chain_id: number | null;
  created_at: string;
  anchored_at: string | null;
  /** The chain already held another root for this number; the batches moved to this period. */
  superseded_by: number | null;
}

export type AnchorViewStatus = "pending" | "confirming" | "anchored" | "failed" | "superseded";

export interface AnchorList {
  data: AnchorView[];
  has_more: boolean;
}

/**
 * receipt → batch root → period root → RemitAnchor.rootOf(period) on chain_id. Hashes are
 * 32 bytes, lowercase hex without 0x.
 */
export interface AnchoredProof extends ReceiptProof {
  contract: string;
  chain_id: number;
  tx_hash: string;
  block_number: number;
}

/** outbox: not yet in the ledger; ledger: received, not sealed; sealed: in a batch; anchoring: in a period being anchored; anchored. */
export type ProofStage = "outbox" | "ledger" | "sealed" | "anchoring" | "anchored";

export interface BatchView {
  shard: number;
  index: number;
  size: number;
  root: string;
  leaf_index: number;
  path: string[];
  sealed_at: string;
}

export interface ReceiptProofView {
  object: "receipt_proof";
  id: string;
  status: "pending" | "anchored";
  stage: ProofStage;
  receipt: SignedReceiptView;
  /** The ledger shard of the receipt's tree (null before its first drain). */
  shard: number | null;
  /** When its ledger shard took it from the tree's outbox (null while in the outbox). */
  received_at: string | null;
  batch: BatchView | null;
  anchor: AnchorView | null;
  proof: AnchoredProof | null;
  /** Until anchored: when it should be anchored, from the schedule (see the route's description); null once anchored. */
  expected_by: string | null;
  /** Not anchored and past `expected_by`. */
  overdue: boolean;
}

export type RunTrigger = "cron" | "admin" | "alarm";
export type RunAction = "anchored" | "confirming" | "waiting" | "sent" | "signed" | "error" | "failed" | "idle" | "disabled" | "misconfigured";

export interface SettlementRun {
  object: "settlement_run";
  trigger: RunTrigger;
  action: RunAction;
  detail?: string | undefined;
  anchor: AnchorView | null;
  /** Batches sealed because the run asked the shards to seal. */
  sealed?: number | undefined;
}

export interface ShardStats {
  shard: number;
  received: number;
  open: number;
  oldest_open_at: number | null;
  batches: number;
  log_size: number;
  log_root: string;
}

/** The period being anchored, with its sending state. */
export interface CurrentAnchor extends AnchorView {
  attempts: number;
  hashes: string[];
  nonce: number | null;
  error: string | null;
  record_status: string;
}

export interface SettlementStatus {
  object: "settlement_status";
  anchoring: {
    state: "ready" | "disabled" | "misconfigured";
    reason?: string | undefined;
    contract?: string | undefined;
    confirmations?: number | undefined;
  };
  last_period: number;
  current: CurrentAnchor | null;
  shards: { shard: number; next_batch: number; ledger: ShardStats | null }[];
  unsent_notices: number;
}
