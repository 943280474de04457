/** What crosses the ledger, settlement and proof boundaries: entries, batches, anchors, runs. */
import type { SignedReceipt } from "../core/receipts/receipt";
import type { AnchorSettings } from "../core/settlement-config";
/** A receipt and where it is on its way to the ledger (for the proof route). */
export interface ReceiptInOutbox {
  signed: SignedReceipt;
  /** The shard has acknowledged it. */
  shipped: boolean;
  /** The tree's ledger shard (null before the first drain). */
  shard: number | null;
}

/** What a tree's outbox sends for each receipt. The leaf commits to the receipt's canonical bytes. */
export interface LedgerEntry {
  id: string;
  tree: string;
  principal: string;
  seq: number;
  /** hex SHA-256(0x00 || bytes) */
  leaf_hash: string;
}

export interface AppendResult {
  shard: number;
  accepted: number;
  duplicates: number;
  /** Batches sealed by this append (full ones). */
  sealed: number[];
}

export interface SealedBatch {
  shard: number;
  index: number;
  /** hex, 32 bytes */
  root: string;
  size: number;
  /** The shard log's size and root once this batch was appended to it. */
  log_size: number;
  log_root: string;
  /** Principals with a receipt in the batch (for their settlement webhooks). */
  principals: string[];
  sealed_at: number;
}

export interface LedgerLocation {
  shard: number;
  received_at: number;
  batch: null | {
    index: number;
    size: number;
    root: string;
    leaf_index: number;
    path: string[];
    sealed_at: number;
  };
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

export type RunTrigger = "cron" | "admin" | "alarm";

export type AnchorViewStatus = "pending" | "confirming" | "anchored" | "failed" | "superseded";

/** A period and its anchor, as GET /v1/anchors shows it. */
export interface AnchorView {
  object: "anchor";
  period: number;
  /** 0x-prefixed, as on chain. */
  root: string;
  /** Receipts covered. */
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
  superseded_by: number | null;
}

/** Where a sealed batch sits in its period: the second half of a receipt's proof. */
export interface BatchInPeriod {
  anchor: AnchorView;
  batch_index: number;
  period_size: number;
  period_path: string[];
  /** hex without 0x, like the other hashes of a proof */
  period_root: string;
}

export type RunAction =
  | "anchored"
  | "confirming"
  | "waiting"
  | "sent"
  | "signed"
  | "error"
  | "failed"
  | "idle"
  | "disabled"
  | "misconfigured";

export interface SettlementRun {
  object: "settlement_run";
  trigger: RunTrigger;
  action: RunAction;
  detail?: string;
  anchor: AnchorView | null;
  /** Batches sealed because the run asked the shards to seal. */
  sealed?: number;
}

export interface SettlementStatus {
  object: "settlement_status";
  anchoring: { state: AnchorSettings["state"]; reason?: string; contract?: string; confirmations?: number };
  last_period: number;
  current: (AnchorView & { attempts: number; hashes: string[]; nonce: number | null; error: string | null; record_status: string }) | null;
  shards: Array<{ shard: number; next_batch: number; ledger: ShardStats | null }>;
  unsent_notices: number;
}

/** A Ledger shard's RPC surface (durable-objects/ledger/index.ts implements it). */
export interface LedgerRpc extends Rpc.DurableObjectBranded {
  append(shard: number, entries: LedgerEntry[]): AppendResult;
  seal(shard: number): { shard: number; sealed: SealedBatch[] };
  sealedBatches(shard: number, from: number, limit?: number): { shard: number; batches: SealedBatch[]; next: number; more: boolean };
  locate(shard: number, id: string): LedgerLocation | null;
  stats(shard: number): ShardStats;
}

/** The Settlement singleton's RPC surface (durable-objects/settlement/index.ts implements it). */
export interface SettlementRpc extends Rpc.DurableObjectBranded {
  run(options: { trigger: RunTrigger; seal?: boolean }): Promise<SettlementRun>;
  anchors(options?: { limit?: number; startingAfter?: number }): { data: AnchorView[]; has_more: boolean };
  anchor(period: number): AnchorView | null;
  batchInPeriod(shard: number, batch: number): BatchInPeriod | null;
  status(): Promise<SettlementStatus>;
}
