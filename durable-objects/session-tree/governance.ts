/**
 * Governance state of a tree's sessions that the decision path only reads: each
 * session's own freeze switch (separate from the principal's, ./tree-handle.ts) and the
 * moment it was last used (an authorization or a hold, written in that decision's
 * transaction, with its call count: ./counters.ts `countCall`). Both are columns added to `sessions` here, so old trees gain them on start.
 */
import { getMeta, readChain, readSubtree, type SessionRow } from "./store";
import type { Tree } from "./tree";

/**
 * Adds the governance columns and the listings' key indexes (idempotent): `(created_at, id)`
 * on sessions and receipts answers a listing's phase 1 (./listing.ts) in key order, and
 * covers it when no other filter applies. The receipts' older `(created_at)` index is a
 * prefix of the new one and goes.
 */
export function migrateGovernance(sql: SqlStorage): void {
  const columns = new Set(
    sql
      .exec<{ name: string }>("SELECT name FROM pragma_table_info('sessions')")
      .toArray()
      .map((c) => c.name),
  );
  if (!columns.has("last_used_at")) sql.exec("ALTER TABLE sessions ADD COLUMN last_used_at INTEGER");
  if (!columns.has("frozen")) sql.exec("ALTER TABLE sessions ADD COLUMN frozen INTEGER NOT NULL DEFAULT 0");
  sql.exec("CREATE INDEX IF NOT EXISTS receipts_created_id ON receipts(created_at, id)");
  sql.exec("DROP INDEX IF EXISTS receipts_created");
  sql.exec("CREATE INDEX IF NOT EXISTS sessions_created_id ON sessions(created_at, id)");
  frozenSessionsChanged(sql);
}

/** Drops the frozen-session ids read (a rolled-back transaction may have changed them). */
export function frozenSessionsChanged(sql: SqlStorage): void {
  frozenCache.delete(sql);
}

/** The ids of sessions frozen by their own switch, read once per object and kept in step by `setSessionFrozen`. */
const frozenCache = new WeakMap<SqlStorage, Set<string>>();

export function frozenSessions(sql: SqlStorage): Set<string> {
  let set = frozenCache.get(sql);
  if (!set) {
    // In a leased object, an ancestor above the lease is frozen by a push from the parent (./lease-holder.ts).
    set = new Set(
      sql
        .exec<{ id: string }>("SELECT id FROM sessions WHERE frozen = 1 UNION ALL SELECT id FROM lease_chain WHERE frozen = 1")
        .toArray()
        .map((r) => r.id),
    );
    frozenCache.set(sql, set);
  }
  return set;
}

/** Which switches hold the session: the principal's, its own, an ancestor's (empty: none). */
export function frozenBy(tree: Tree, chain: readonly SessionRow[]): ("principal" | "session" | "ancestor")[] {
  const own = frozenSessions(tree.sql);
  const out: ("principal" | "session" | "ancestor")[] = [];
  if (tree.frozen) out.push("principal");
  const self = chain[chain.length - 1];
  if (self && own.has(self.id)) out.push("session");
  if (own.size > 0 && chain.slice(0, -1).some((s) => own.has(s.id))) out.push("ancestor");
  return out;
}

/** The nearest session of the chain frozen by its own switch (the session itself first), or null. */
export function frozenInChain(tree: Tree, chain: readonly SessionRow[]): SessionRow | null {
  const own = frozenSessions(tree.sql);
  if (own.size === 0) return null;
  for (let i = chain.length - 1; i >= 0; i--) if (own.has(chain[i]!.id)) return chain[i]!;
  return null;
}

export function lastUsed(sql: SqlStorage): Map<string, number> {
  return new Map(
    sql
      .exec<{ id: string; last_used_at: number }>("SELECT id, last_used_at FROM sessions WHERE last_used_at IS NOT NULL")
      .toArray()
      .map((r) => [r.id, r.last_used_at]),
  );
}

/** The session and its descendants (depth-first), for the panic button and bulk revocation. */
export function subtreeIds(sql: SqlStorage, id: string): string[] {
  return readSubtree(sql, id).map((s) => s.id);
}

/** Every session of the tree with its chain (root first), or none when the tree is not the principal's. */
export function sessionsWithChains(tree: Tree, principal: string): { row: SessionRow; chain: SessionRow[] }[] {
  if (tree.principal !== principal) return [];
  const root = getMeta(tree.sql, "root");
  if (!root) return [];
  const rows = readSubtree(tree.sql, root);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return rows.map((row) => {
    const chain = row.path.map((id) => byId.get(id));
    // In a leased object the ancestors above its lease are not among its rows.
    return { row, chain: chain.every((s) => s !== undefined) ? chain : readChain(tree.sql, row) };
  });
}
