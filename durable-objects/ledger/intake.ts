/**
 * Taking receipts in from the trees' outboxes. A malformed batch is refused whole
 * before anything is written; a receipt already held is skipped, because a tree
 * that crashed between sending and marking its outbox sends again (invariant 6).
 */
import type { LedgerEntry } from "../../src/contract/settlement";

const LEAF = /^[0-9a-f]{64}$/;
export const MAX_APPEND = 1000;

/** Throws on a batch the shard must not take. */
export function checkEntries(entries: LedgerEntry[]): void {
  if (!Array.isArray(entries) || entries.length > MAX_APPEND) throw new RangeError(`append takes at most ${MAX_APPEND} entries`);
  for (const e of entries) {
    if (
      typeof e?.id !== "string" ||
      !e.id.startsWith("rcp_") ||
      typeof e.tree !== "string" ||
      typeof e.principal !== "string" ||
      !Number.isSafeInteger(e.seq) ||
      typeof e.leaf_hash !== "string" ||
      !LEAF.test(e.leaf_hash)
    )
      throw new TypeError(`ledger: malformed entry ${JSON.stringify(e)?.slice(0, 200)}`);
  }
}

/** Inserts the entries the shard does not have yet; returns how many were new. Call inside the append's transaction. */
export function insertEntries(sql: SqlStorage, entries: LedgerEntry[], now: number): number {
  let accepted = 0;
  for (const e of entries) {
    const before = sql.exec("SELECT 1 FROM entries WHERE id = ?", e.id).toArray().length;
    if (before > 0) continue;
    sql.exec("INSERT INTO entries (id, tree, principal, seq, leaf_hash, received_at) VALUES (?, ?, ?, ?, ?, ?)", e.id, e.tree, e.principal, e.seq, e.leaf_hash, now);
    accepted++;
  }
  return accepted;
}
