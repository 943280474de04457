/** What crosses the ledger, settlement and proof boundaries: entries, batches, anchors, runs. */
import type { SignedReceipt } from "../core/receipts/receipt";
import type { AnchorView } from "./wire-types";

export type { AnchorView, AnchorViewStatus, RunAction, RunTrigger, SettlementRun, SettlementStatus, ShardStats } from "./wire-types";

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

/** Where a sealed batch sits in its period: the second half of a receipt's proof. */
export interface BatchInPeriod {
  anchor: AnchorView;
  batch_index: number;
  period_size: number;
  period_path: string[];
  /** hex without 0x, like the other hashes of a proof */
  period_root: string;
}
