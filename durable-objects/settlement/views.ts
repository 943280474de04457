/**
 * The anchors as the outside sees them: a period row as an `AnchorView`, the history
 * of anchored periods, and where a sealed batch sits in its period's tree (for a
 * receipt's proof). Period trees are rebuilt from the row and cached in memory.
 */
import { fromHex, hex } from "../../src/core/encoding";
import type { MerkleTree } from "../../src/core/receipts/merkle";
import { periodTree } from "../../src/core/receipts/period";
import type { AnchorView, AnchorViewStatus, BatchInPeriod } from "../../src/contract/settlement";
import type { AnchorRecord } from "./settle";
import { periodRow, type BatchRef, type PeriodRow, type SettlementState } from "./store";

/** Anchored periods, newest first. */
export function anchors(sql: SqlStorage, options: { limit?: number; startingAfter?: number }): { data: AnchorView[]; has_more: boolean } {
  const limit = Math.max(1, Math.min(100, Math.floor(options.limit ?? 20)));
  const before = options.startingAfter ?? Number.MAX_SAFE_INTEGER;
  const rows = sql
    .exec<PeriodRow>("SELECT * FROM periods WHERE status IN ('anchored', 'landed') AND period < ? ORDER BY period DESC LIMIT ?", before, limit + 1)
    .toArray();
  return { data: rows.slice(0, limit).map(view), has_more: rows.length > limit };
}

/** The period a sealed batch belongs to and its path there; null while no period has taken it. */
export function batchInPeriod(state: SettlementState, shard: number, batch: number): BatchInPeriod | null {
  const at = state.sql.exec<{ period: number; position: number }>("SELECT period, position FROM batch_periods WHERE shard = ? AND batch = ?", shard, batch).toArray()[0];
  if (!at) return null;
  const row = periodRow(state.sql, at.period)!;
  const tree = periodTreeOf(state.trees, row);
  return {
    anchor: view(row),
    batch_index: at.position,
    period_size: tree.size,
    period_path: tree.inclusionProof(at.position).map(hex),
    period_root: hex(tree.root),
  };
}

function periodTreeOf(trees: Map<number, MerkleTree>, row: PeriodRow): MerkleTree {
  let tree = trees.get(row.period);
  if (!tree) {
    const refs = JSON.parse(row.batches) as BatchRef[];
    tree = periodTree(refs.map(([, , root]) => fromHex(root)));
    if (trees.size > 16) trees.clear();
    trees.set(row.period, tree);
  }
  return tree;
}

export function view(row: PeriodRow): AnchorView {
  const record = JSON.parse(row.record) as AnchorRecord;
  const status: AnchorViewStatus =
    row.status === "superseded"
      ? "superseded"
      : row.status === "anchored" || row.status === "landed"
        ? "anchored"
        : row.status === "failed"
          ? "failed"
          : row.status === "mined"
            ? "confirming"
            : "pending";
  return {
    object: "anchor",
    period: row.period,
    root: row.root,
    count: row.count,
    status,
    batches: (JSON.parse(row.batches) as BatchRef[]).length,
    tx: record.tx ?? null,
    block: record.block === undefined ? null : Number(record.block),
    confirmations: record.confirmations ?? null,
    gas_used: row.gas_used,
    contract: row.contract,
    chain_id: row.chain_id,
    created_at: new Date(row.created_at).toISOString(),
    anchored_at: row.anchored_at === null ? null : new Date(row.anchored_at).toISOString(),
    superseded_by: row.superseded_by,
  };
}
