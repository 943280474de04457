/**
 * The tree's part of the principal's listings and bulk revocation. A listing comes in two
 * phases (the principal merges the trees, ../principal/listing.ts): first only the sort
 * keys (created_at, id) of the tree's first matches before a cursor, from the
 * `(created_at, id)` indexes without reading a view, a counter or a receipt body; then the
 * full entries of only the ids the principal kept for its page. Bulk revocation reads the
 * tree's rows once: the sessions a filter would revoke (with what would remain exposed).
 */
import type { ListCursor, ListedSession, ReceiptFilter, SessionFilter, TreeExposure } from "../../src/contract/governance";
import type { SessionView } from "../../src/contract/views";
import type { SignedReceipt } from "../../src/core/receipts/receipt";
import { treeExposure } from "./exposure-inputs";
import { lastUsed, sessionsWithChains } from "./governance";
import { readReceipts } from "./receipts";
import { revokeSubtree } from "./revoke";
import { getMeta, readChain, sessionsWhere, type SessionRow } from "./store";
import { heldBySwitch } from "./tripwires";
import type { Tree } from "./tree";
import { viewSession } from "./views";

export type { ListedSession } from "../../src/contract/governance";

/** The status a session's view shows, as of `now` (the same order as views.ts: revoked, expired, frozen, pending, active). */
export function statusOf(tree: Tree, row: SessionRow, chain: SessionRow[], now: number): SessionView["status"] {
  if (chain.some((s) => s.status === "revoked")) return "revoked";
  if (now >= row.expiresAt) return "expired";
  if (heldBySwitch(tree, chain)) return "frozen"; // a trip-wire's freeze too, as the view counts it
  if (now < row.notBefore) return "pending";
  return "active";
}

function matches(tree: Tree, s: { row: SessionRow; chain: SessionRow[] }, f: SessionFilter, used: Map<string, number>, now: number): boolean {
  const { row } = s;
  if (f.root !== undefined && (row.parent === null) !== f.root) return false;
  if (f.label !== undefined && row.label !== f.label) return false;
  if (f.agent !== undefined && row.jkt !== f.agent) return false;
  if (f.depth !== undefined && row.depth !== f.depth) return false;
  if (f.createdBefore !== undefined && !(row.createdAt < f.createdBefore)) return false;
  if (f.createdAfter !== undefined && !(row.createdAt > f.createdAfter)) return false;
  if (f.expiresBefore !== undefined && !(row.expiresAt < f.expiresBefore)) return false;
  if (f.expiresAfter !== undefined && !(row.expiresAt > f.expiresAfter)) return false;
  if (f.idleForMs !== undefined && now - (used.get(row.id) ?? row.createdAt) < f.idleForMs) return false;
  if (f.status !== undefined && statusOf(tree, row, s.chain, now) !== f.status) return false;
  return true;
}

type Page = { limit: number; before?: ListCursor };

/** Strictly before the cursor, newest first: both tables' `(created_at, id)` index answers it in order. */
const BEFORE = "(created_at < ? OR (created_at = ? AND id < ?))";
const NEWEST_FIRST = "ORDER BY created_at DESC, id DESC";
/** One bound JSON array instead of one parameter per id (SQLite caps bound parameters). */
const IN_IDS = "id IN (SELECT value FROM json_each(?))";

class Where {
  readonly clauses: string[] = [];
  readonly args: SqlStorageValue[] = [];
  add(clause: string, ...values: SqlStorageValue[]): this {
    this.clauses.push(clause);
    this.args.push(...values);
    return this;
  }
  get sql(): string {
    return this.clauses.length ? this.clauses.join(" AND ") : "1";
  }
}

/**
 * Every member of a session filter but `status`, in SQL: each is read from the session's
 * own row (the same rules as `matches`). `status` depends on the chain and is checked on
 * the rows this returns, in order, until enough match.
 */
function sessionWhere(f: SessionFilter, now: number): Where {
  // A child placed in an object of its own is listed by that object, with its live counters.
  const w = new Where().add("id NOT IN (SELECT child FROM leases)");
  if (f.root !== undefined) w.add(f.root ? "parent IS NULL" : "parent IS NOT NULL");
  if (f.label !== undefined) w.add("label = ?", f.label);
  if (f.agent !== undefined) w.add("jkt = ?", f.agent);
  if (f.depth !== undefined) w.add("depth = ?", f.depth);
  if (f.createdBefore !== undefined) w.add("created_at < ?", f.createdBefore);
  if (f.createdAfter !== undefined) w.add("created_at > ?", f.createdAfter);
  if (f.expiresBefore !== undefined) w.add("expires_at < ?", f.expiresBefore);
  if (f.expiresAfter !== undefined) w.add("expires_at > ?", f.expiresAfter);
  // Idle for at least the period: last used (or, never used, created) no later than now minus it.
  if (f.idleForMs !== undefined) w.add("coalesce(last_used_at, created_at) <= ?", now - f.idleForMs);
  return w;
}

const ownsSessions = (tree: Tree, principal: string) => tree.principal === principal && getMeta(tree.sql, "root") !== null;

/** The filter's matching sessions among the rows `where` selects (in its order), with their chains; stops when the caller does. */
function* matchingSessions(tree: Tree, f: SessionFilter, where: Where, tail: string, now: number): Generator<{ row: SessionRow; chain: SessionRow[] }> {
  for (const row of sessionsWhere(tree.sql, `${where.sql} ${tail}`, ...where.args)) {
    const chain = readChain(tree.sql, row);
    if (f.status === undefined || statusOf(tree, row, chain, now) === f.status) yield { row, chain };
  }
}

/**
 * Phase 1 of a session listing: the keys of up to `limit` matching sessions strictly before
 * the cursor, newest first. Without a status filter one covering-index query; with one,
 * the rows in key order until `limit` match (each chain read for its status).
 */
export function sessionKeys(tree: Tree, principal: string, filter: SessionFilter, page: Page, now: number): ListCursor[] {
  if (!ownsSessions(tree, principal)) return [];
  const where = sessionWhere(filter, now);
  if (page.before) where.add(BEFORE, page.before.createdAt, page.before.createdAt, page.before.id);
  if (filter.status === undefined)
    return tree.sql
      .exec<{ id: string; created_at: number }>(`SELECT id, created_at FROM sessions WHERE ${where.sql} ${NEWEST_FIRST} LIMIT ?`, ...where.args, page.limit)
      .toArray()
      .map((r) => ({ createdAt: r.created_at, id: r.id }));
  const keys: ListCursor[] = [];
  if (page.limit <= 0) return keys;
  for (const { row } of matchingSessions(tree, filter, where, NEWEST_FIRST, now)) {
    keys.push({ createdAt: row.createdAt, id: row.id });
    if (keys.length >= page.limit) break;
  }
  return keys;
}

/**
 * Phase 2: the listed sessions (views with counters, and last use) among `ids` that still
 * match the filter (one may have changed since phase 1: a listing never shows a session
 * its filter excludes). In no particular order: the principal sorts its page.
 */
export function sessionsByIds(tree: Tree, principal: string, filter: SessionFilter, ids: string[], now: number): ListedSession[] {
  if (ids.length === 0 || !ownsSessions(tree, principal)) return [];
  const where = sessionWhere(filter, now).add(IN_IDS, JSON.stringify(ids));
  const used = new Map(
    tree.sql
      .exec<{ id: string; last_used_at: number }>(`SELECT id, last_used_at FROM sessions WHERE ${IN_IDS} AND last_used_at IS NOT NULL`, JSON.stringify(ids))
      .toArray()
      .map((r) => [r.id, r.last_used_at]),
  );
  return [...matchingSessions(tree, filter, where, "", now)].map(({ row, chain }) => {
    const at = used.get(row.id);
    return { ...viewSession(tree, row, now, chain), last_used_at: at === undefined ? null : new Date(at).toISOString() };
  });
}

/** The sessions a bulk revocation by `filter` reaches: every match and everything beneath it that is not revoked yet. */
function revocationTargets(tree: Tree, principal: string, filter: SessionFilter, now: number): { tops: string[]; ids: string[] } {
  const used = lastUsed(tree.sql);
  const all = sessionsWithChains(tree, principal);
  const matched = new Set(all.filter((s) => matches(tree, s, filter, used, now)).map((s) => s.row.id));
  // A match under another match is revoked with it; the topmost ones are revoked, cascading.
  const reached = all.filter((s) => s.row.path.some((id) => matched.has(id)));
  const tops = all.filter((s) => matched.has(s.row.id) && !s.row.path.slice(0, -1).some((id) => matched.has(id))).map((s) => s.row.id);
  const ids = reached.filter((s) => s.row.status === "active").map((s) => s.row.id);
  return { tops, ids: ids.sort() };
}

/** A bulk revocation's part in this tree: what it would revoke and what would stay exposed (dry run), or the revocation itself. */
export function revokeMatching(tree: Tree, principal: string, filter: SessionFilter, dryRun: boolean, now: number): { ids: string[]; exposure: TreeExposure | null } {
  const { tops, ids } = revocationTargets(tree, principal, filter, now);
  if (dryRun) return { ids, exposure: treeExposure(tree, principal, now, { assumeRevoked: new Set(ids) }) };
  if (ids.length > 0)
    tree.transaction(() => {
      for (const id of tops) revokeSubtree(tree, id, now);
    });
  return { ids, exposure: null };
}

const ownsReceipts = (tree: Tree, principal: string) => tree.principal === principal && getMeta(tree.sql, "tree") !== null;

/** Phase 1 of a receipt listing: the keys of up to `limit` of the tree's receipts matching `filter`, newest first, strictly before the cursor. */
export function receiptKeys(tree: Tree, principal: string, filter: ReceiptFilter, page: Page): ListCursor[] {
  if (!ownsReceipts(tree, principal)) return [];
  const where = new Where();
  if (filter.session) where.add("session_id = ?", filter.session);
  if (filter.kind) where.add("kind = ?", filter.kind);
  if (filter.outcome === "denied") where.add("kind = 'denial'");
  if (filter.outcome === "allowed") where.add("kind <> 'denial'");
  if (filter.createdAfter !== undefined) where.add("created_at > ?", filter.createdAfter);
  if (filter.createdBefore !== undefined) where.add("created_at < ?", filter.createdBefore);
  if (page.before) where.add(BEFORE, page.before.createdAt, page.before.createdAt, page.before.id);
  // Unfiltered, the (created_at, id) index covers it: no receipt row is read.
  return tree.sql
    .exec<{ id: string; created_at: number }>(`SELECT id, created_at FROM receipts WHERE ${where.sql} ${NEWEST_FIRST} LIMIT ?`, ...where.args, page.limit)
    .toArray()
    .map((r) => ({ createdAt: r.created_at, id: r.id }));
}

/** Phase 2: the signed receipts among `ids` (receipts never change), in no particular order. */
export function receiptsByIds(tree: Tree, principal: string, ids: string[]): SignedReceipt[] {
  if (ids.length === 0 || !ownsReceipts(tree, principal)) return [];
  return readReceipts(tree.sql, IN_IDS, JSON.stringify(ids));
}
