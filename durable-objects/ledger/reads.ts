/**
 * What the shard tells others: the sealed batches from a cursor on (for the
 * Settlement object), where a receipt is and its inclusion path (for its proof),
 * and counts for the operator. Reads only; sealed batches never change.
 */
import { fromHex, hex } from "../../src/core/encoding";
import { MerkleTree } from "../../src/core/receipts/merkle";
import type { LedgerLocation, SealedBatch, ShardStats } from "../../src/contract/settlement";
import { batchView, currentLog, type BatchRow } from "./seal";

export const MAX_LISTING = 1000;

/** Sealed batches from index `from` on, in order. */
export function sealedBatches(sql: SqlStorage, shard: number, from: number, limit: number): { shard: number; batches: SealedBatch[]; next: number; more: boolean } {
  const take = Math.max(1, Math.min(MAX_LISTING, Math.floor(limit)));
  const rows = sql.exec<BatchRow>("SELECT * FROM batches WHERE idx >= ? ORDER BY idx LIMIT ?", Math.max(0, Math.floor(from)), take + 1).toArray();
  const more = rows.length > take;
  const batches = rows.slice(0, take).map((r) => batchView(shard, r));
  const next = batches.length > 0 ? batches[batches.length - 1]!.index + 1 : Math.max(0, Math.floor(from));
  return { shard, batches, next, more };
}

/** Where a receipt is: received, and once sealed its batch and inclusion path. */
export function locate(sql: SqlStorage, shard: number, id: string): LedgerLocation | null {
  const e = sql.exec<{ received_at: number; batch: number | null; pos: number | null }>("SELECT received_at, batch, pos FROM entries WHERE id = ?", id).toArray()[0];
  if (!e) return null;
  if (e.batch === null || e.pos === null) return { shard, received_at: e.received_at, batch: null };
  const b = sql.exec<BatchRow>("SELECT * FROM batches WHERE idx = ?", e.batch).one();
  const leaves = sql
    .exec<{ leaf_hash: string }>("SELECT leaf_hash FROM entries WHERE batch = ? ORDER BY pos", e.batch)
    .toArray()
    .map((r) => fromHex(r.leaf_hash));
  const tree = new MerkleTree(leaves);
  return {
    shard,
    received_at: e.received_at,
    batch: { index: b.idx, size: b.size, root: b.root, leaf_index: e.pos, path: tree.inclusionProof(e.pos).map(hex), sealed_at: b.sealed_at },
  };
}

export function stats(sql: SqlStorage, shard: number): ShardStats {
  const received = sql.exec<{ n: number }>("SELECT count(*) AS n FROM entries").one().n;
  const open = sql.exec<{ n: number; t: number | null }>("SELECT count(*) AS n, min(received_at) AS t FROM entries WHERE batch IS NULL").one();
  const batches = sql.exec<{ n: number }>("SELECT count(*) AS n FROM batches").one().n;
  const log = currentLog(sql);
  return { shard, received, open: open.n, oldest_open_at: open.t, batches, log_size: log.size, log_root: hex(log.root()) };
}
