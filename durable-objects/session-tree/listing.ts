/**
 * The tree's part of the principal's listings and bulk revocation: its sessions that
 * match a filter, newest first before a cursor, with their counters; its receipts the
 * same way; and the sessions a filter would revoke (with what would remain exposed).
 * Each call reads the tree's rows once; the principal merges the trees' pages.
 */
import type { ListCursor, ListedSession, ReceiptFilter, SessionFilter, TreeExposure } from "../../src/contract/governance";
import type { SessionView } from "../../src/contract/views";
import type { SignedReceipt } from "../../src/core/receipts/receipt";
import { treeExposure } from "./exposure-inputs";
import { frozenInChain, lastUsed, sessionsWithChains } from "./governance";
import { readReceipts } from "./receipts";
import { revokeSubtree } from "./revoke";
import { getMeta, type SessionRow } from "./store";
import type { Tree } from "./tree";
import { viewSession } from "./views";

export type { ListedSession } from "../../src/contract/governance";

/** The status a session's view shows, as of `now` (the same order as views.ts: revoked, expired, frozen, pending, active). */
export function statusOf(tree: Tree, row: SessionRow, chain: SessionRow[], now: number): SessionView["status"] {
  if (chain.some((s) => s.status === "revoked")) return "revoked";
  if (now >= row.expiresAt) return "expired";
  if (tree.frozen || frozenInChain(tree, chain)) return "frozen";
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

const newestFirst = (a: SessionRow, b: SessionRow) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
const before = (row: SessionRow, c: ListCursor) => row.createdAt < c.createdAt || (row.createdAt === c.createdAt && row.id < c.id);

/** Up to `limit` matching sessions strictly before the cursor, newest first, with counters and last use. */
export function listSessions(tree: Tree, principal: string, filter: SessionFilter, page: { limit: number; before?: ListCursor }, now: number): ListedSession[] {
  const used = lastUsed(tree.sql);
  return sessionsWithChains(tree, principal)
    .filter((s) => (!page.before || before(s.row, page.before)) && matches(tree, s, filter, used, now))
    .sort((a, b) => newestFirst(a.row, b.row))
    .slice(0, page.limit)
    .map(({ row, chain }) => {
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

const receiptBefore = "(created_at < ? OR (created_at = ? AND id < ?))";

/** Up to `limit` of the tree's receipts matching `filter`, newest first, strictly before the cursor. */
export function listTreeReceipts(tree: Tree, principal: string, filter: ReceiptFilter, page: { limit: number; before?: ListCursor }): SignedReceipt[] {
  if (tree.principal !== principal || !getMeta(tree.sql, "tree")) return [];
  const where: string[] = [];
  const args: SqlStorageValue[] = [];
  const add = (clause: string, ...values: SqlStorageValue[]) => {
    where.push(clause);
    args.push(...values);
  };
  if (filter.session) add("session_id = ?", filter.session);
  if (filter.kind) add("kind = ?", filter.kind);
  if (filter.outcome === "denied") add("kind = 'denial'");
  if (filter.outcome === "allowed") add("kind <> 'denial'");
  if (filter.createdAfter !== undefined) add("created_at > ?", filter.createdAfter);
  if (filter.createdBefore !== undefined) add("created_at < ?", filter.createdBefore);
  if (page.before) add(receiptBefore, page.before.createdAt, page.before.createdAt, page.before.id);
  return readReceipts(tree.sql, `${where.length ? where.join(" AND ") : "1"} ORDER BY created_at DESC, id DESC LIMIT ?`, ...args, page.limit);
}
