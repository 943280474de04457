/**
 * Listings and bulk revocation across the principal's trees. A listing page takes two
 * phases. Phase 1 asks every tree that could hold an entry before the cursor (one RPC
 * each, all in flight at once) for only the sort keys (created_at, id) of its first
 * matches before it: an indexed query, no view, no counter, no receipt body (a few keys
 * each, then `limit + 1` from the few trees that may hold more of the page: `pageKeys`).
 * The keys merge newest first; the first `limit` make the page and one more says there
 * are more. Phase 2 asks only the trees holding the page's entries for them by id (at
 * most `limit` trees). The composite cursor names the page's last key, so a page never
 * repeats or skips one, whatever trees are added meanwhile. Trees created after the
 * cursor (or after `created_before`) are not asked: their entries are all newer.
 */
import type { Env } from "../../src/contract/env";
import { encodeCursor, type ListCursor, type ReceiptFilter, type SessionFilter } from "../../src/contract/governance";
import type { BulkRevocation, ReceiptList, SessionList } from "../../src/contract/wire/governance";
import { ok, type Outcome } from "../../src/core/errors";
import { combineExposure } from "./exposure";
import { treeStub } from "./trees";

type Page = { limit: number; before?: ListCursor };

/** Trees that may hold entries created before `bound` (a tree's entries are never older than the tree). */
function treesBefore(sql: SqlStorage, bound: number | undefined): string[] {
  const rows = bound === undefined ? sql.exec<{ id: string }>("SELECT id FROM trees") : sql.exec<{ id: string }>("SELECT id FROM trees WHERE created_at <= ?", bound);
  return rows.toArray().map((r) => r.id);
}

/**
 * Trees that may hold sessions matching `filter` before `bound`. No session outlives its
 * tree's root (attenuation), so a tree whose root expired by `now` holds only expired or
 * revoked sessions, and none of a tree expires after its root: such trees are not asked.
 */
function sessionTrees(sql: SqlStorage, filter: SessionFilter, bound: number | undefined, now: number): string[] {
  const where = ["1"];
  const args: SqlStorageValue[] = [];
  const add = (clause: string, value: number) => {
    where.push(clause);
    args.push(value);
  };
  if (bound !== undefined) add("created_at <= ?", bound);
  // The root's expiry unknown (a tree indexed before it was kept): asked.
  const live = filter.status === "active" || filter.status === "pending" || filter.status === "frozen";
  if (live) add("(expires_at IS NULL OR expires_at > ?)", now);
  if (filter.expiresAfter !== undefined) add("(expires_at IS NULL OR expires_at > ?)", filter.expiresAfter);
  return sql
    .exec<{ id: string }>(`SELECT id FROM trees WHERE ${where.join(" AND ")}`, ...args)
    .toArray()
    .map((r) => r.id);
}

const bound = (...xs: (number | undefined)[]) => {
  const given = xs.filter((x): x is number => x !== undefined);
  return given.length ? Math.min(...given) : undefined;
};

const newestFirst = (x: ListCursor, y: ListCursor) => y.createdAt - x.createdAt || (x.id < y.id ? 1 : x.id > y.id ? -1 : 0);

/**
 * Keys asked of each tree first: about four pages' worth spread over the trees, at least 2.
 * Entries interleaved across many trees need no more; a tree that may hold more of the
 * page is asked again for `limit + 1` (see `pageKeys`).
 */
const firstAsk = (limit: number, trees: number) => Math.min(limit + 1, Math.max(2, Math.ceil((4 * (limit + 1)) / Math.max(1, trees))));

type TreeKey = { tree: string; key: ListCursor };

/**
 * The page's `limit + 1` newest keys over all trees, exactly. Each tree is asked for its
 * first `k` keys; T is the (limit + 1)-th newest of all answers. A tree that answered fewer
 * than `k` has no more; a tree whose k-th key is older than T has more only older than T.
 * Only a tree that answered `k` keys, its k-th newer than T (or all trees so answering
 * when there are fewer than `limit + 1` keys), may hold more of the page: it alone is
 * asked again, for `limit + 1`. So 1,000 trees send ~2,000 keys, not 101,000.
 */
async function pageKeys(trees: string[], limit: number, keysOf: (tree: string, limit: number) => Promise<ListCursor[]>): Promise<TreeKey[]> {
  const want = limit + 1;
  const k = firstAsk(limit, trees.length);
  const first = await Promise.all(trees.map(async (tree) => ({ tree, keys: await keysOf(tree, k) })));
  const merged = first.flatMap((p) => p.keys.map((key) => ({ tree: p.tree, key }))).sort((a, b) => newestFirst(a.key, b.key));
  const threshold = merged.length >= want ? merged[want - 1]!.key : null;
  const again = k >= want ? [] : first.filter((p) => p.keys.length === k && (threshold === null || newestFirst(p.keys[k - 1]!, threshold) < 0));
  if (again.length === 0) return merged.slice(0, want);
  const asked = new Set(again.map((p) => p.tree));
  const more = await Promise.all(again.map(async (p) => (await keysOf(p.tree, want)).map((key) => ({ tree: p.tree, key }))));
  return [...merged.filter((e) => !asked.has(e.tree)), ...more.flat()].sort((a, b) => newestFirst(a.key, b.key)).slice(0, want);
}

/**
 * One page in two phases: the page's keys (`pageKeys`), then `entriesOf` only the trees
 * holding the page's `limit`, by id. An entry phase 2 no longer returns (a session whose
 * status changed in between) is left out; the cursor is still the page's last key, so
 * nothing after it is skipped.
 */
async function twoPhase<T>(
  trees: string[],
  limit: number,
  keysOf: (tree: string, limit: number) => Promise<ListCursor[]>,
  entriesOf: (tree: string, ids: string[]) => Promise<T[]>,
  key: (t: T) => ListCursor,
): Promise<{ data: T[]; has_more: boolean; next_cursor: string | null }> {
  const keys = await pageKeys(trees, limit, keysOf);
  const page = keys.slice(0, limit);
  const has_more = keys.length > limit;
  const byTree = new Map<string, string[]>();
  for (const { tree, key: k } of page) (byTree.get(tree) ?? byTree.set(tree, []).get(tree)!).push(k.id);
  const entries = await Promise.all([...byTree].map(([tree, ids]) => entriesOf(tree, ids)));
  const data = entries.flat().sort((a, b) => newestFirst(key(a), key(b)));
  return { data, has_more, next_cursor: has_more ? encodeCursor(page[page.length - 1]!.key) : null };
}

export async function listSessions(sql: SqlStorage, env: Env, principal: string, filter: SessionFilter, page: Page): Promise<Outcome<SessionList>> {
  const trees = sessionTrees(sql, filter, bound(page.before?.createdAt, filter.createdBefore), Date.now());
  const listed = await twoPhase(
    trees,
    page.limit,
    (t, limit) => treeStub(env, t).sessionKeys(principal, filter, { ...page, limit }),
    (t, ids) => treeStub(env, t).sessionsByIds(principal, filter, ids),
    (s) => ({ createdAt: Date.parse(s.created_at), id: s.id }),
  );
  return ok({ object: "list", ...listed });
}

export async function listReceipts(sql: SqlStorage, env: Env, principal: string, filter: ReceiptFilter, page: Page): Promise<Outcome<ReceiptList>> {
  // A session filter names its tree: ask only that one.
  const trees = filter.session ? [filter.session] : treesBefore(sql, bound(page.before?.createdAt, filter.createdBefore));
  const listed = await twoPhase(
    trees,
    page.limit,
    (t, limit) => treeStub(env, t).receiptKeys(principal, filter, { ...page, limit }),
    (t, ids) => treeStub(env, t).receiptsByIds(principal, ids),
    (r) => ({ createdAt: Date.parse(r.receipt.at), id: r.receipt.id }),
  );
  return ok({ object: "list", ...listed });
}

/** Revokes (or with `dryRun` only names) every session matching the filter, cascading, in every tree at once. */
export async function revokeSessions(sql: SqlStorage, env: Env, principal: string, filter: SessionFilter, dryRun: boolean): Promise<Outcome<BulkRevocation>> {
  // Every tree: a dry run also reports the exposure that would remain across all of them.
  const trees = treesBefore(sql, undefined);
  const parts = await Promise.all(trees.map((t) => treeStub(env, t).revokeMatching(principal, filter, dryRun)));
  // A child placed in an object of its own is a row of its parent's tree and the root of its own: once.
  const ids = [...new Set(parts.flatMap((p) => p.ids))].sort();
  const exposure = dryRun
    ? combineExposure(
        parts.flatMap((p) => (p.exposure ? [p.exposure] : [])),
        Date.now(),
      )
    : null;
  return ok({ object: "bulk_revocation", dry_run: dryRun, count: ids.length, ids, exposure });
}
