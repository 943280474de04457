/**
 * Sealing batches: the waiting receipts, oldest first, become a batch that is its own
 * RFC 9162 tree, and are appended to the shard's log; the batch records the log's
 * size and root after it (a signed-tree-head of sorts, for consistency proofs).
 * Callers run this inside a transaction, so a batch and its log state land together.
 */
import { fromHex, hex } from "../../src/core/encoding";
import { MerkleLog, MerkleTree, type MerkleLogState } from "../../src/core/receipts/merkle";
import type { SealedBatch } from "../../src/contract/settlement";
import { getMeta, setMeta } from "../shared/meta";

export interface BatchRow {
  idx: number;
  root: string;
  size: number;
  log_size: number;
  log_root: string;
  principals: string;
  sealed_at: number;
  [key: string]: SqlStorageValue;
}

/** The shard's whole log (its compact state is kept in `meta`). */
export function currentLog(sql: SqlStorage): MerkleLog {
  const raw = getMeta(sql, "log");
  return raw ? MerkleLog.fromJSON(JSON.parse(raw) as MerkleLogState) : new MerkleLog();
}

/** When the oldest receipt not yet in a batch arrived; null when none waits. */
export function oldestOpen(sql: SqlStorage): number | null {
  return sql.exec<{ t: number | null }>("SELECT min(received_at) AS t FROM entries WHERE batch IS NULL").one().t;
}

/** Seals batches of up to `size` from the waiting receipts, oldest first; with `onlyFull`, full ones only. */
export function sealOpen(sql: SqlStorage, now: number, size: number, onlyFull: boolean): SealedBatch[] {
  const out: SealedBatch[] = [];
  const shard = Number(getMeta(sql, "shard"));
  let log: MerkleLog | null = null;
  for (;;) {
    const rows = sql
      .exec<{ n: number; leaf_hash: string; principal: string }>("SELECT n, leaf_hash, principal FROM entries WHERE batch IS NULL ORDER BY n LIMIT ?", size)
      .toArray();
    if (rows.length === 0 || (onlyFull && rows.length < size)) break;
    log ??= currentLog(sql);
    const leaves = rows.map((r) => fromHex(r.leaf_hash));
    const root = hex(new MerkleTree(leaves).root);
    for (const leaf of leaves) log.append(leaf);
    const index = sql.exec<{ n: number }>("SELECT count(*) AS n FROM batches").one().n;
    for (const [pos, r] of rows.entries()) sql.exec("UPDATE entries SET batch = ?, pos = ? WHERE n = ?", index, pos, r.n);
    const principals = [...new Set(rows.map((r) => r.principal))].sort();
    const row: BatchRow = {
      idx: index,
      root,
      size: rows.length,
      log_size: log.size,
      log_root: hex(log.root()),
      principals: JSON.stringify(principals),
      sealed_at: now,
    };
    sql.exec(
      "INSERT INTO batches (idx, root, size, log_size, log_root, principals, sealed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      row.idx,
      row.root,
      row.size,
      row.log_size,
      row.log_root,
      row.principals,
      row.sealed_at,
    );
    out.push(batchView(shard, row));
  }
  if (log) setMeta(sql, "log", JSON.stringify(log.toJSON()));
  return out;
}

export function batchView(shard: number, r: BatchRow): SealedBatch {
  return {
    shard,
    index: r.idx,
    root: r.root,
    size: r.size,
    log_size: r.log_size,
    log_root: r.log_root,
    principals: JSON.parse(r.principals) as string[],
    sealed_at: r.sealed_at,
  };
}
