/**
 * Listings and bulk revocation across the principal's trees. Each page asks every tree
 * that could hold an entry before the cursor (one RPC each, all in flight at once) for
 * its own first `limit + 1` matches before it, newest first, and merges them by
 * (created_at, id): the composite cursor names the last entry shown, so a page never
 * repeats or skips one, whatever trees are added meanwhile. Trees created after the
 * cursor (or after `created_before`) are not asked: their entries are all newer.
 */
import type { Env } from "../../src/contract/env";
import { encodeCursor, type ListCursor, type ListedSession, type ReceiptFilter, type SessionFilter } from "../../src/contract/governance";
import type { BulkRevocation, ReceiptList, SessionList } from "../../src/contract/wire/governance";
import { ok, type Outcome } from "../../src/core/errors";
import type { SignedReceipt } from "../../src/core/receipts/receipt";
import { combineExposure } from "./exposure";
import { treeStub } from "./trees";

type Page = { limit: number; before?: ListCursor };

/** Trees that may hold entries created before `bound` (a tree's entries are never older than the tree). */
function treesBefore(sql: SqlStorage, bound: number | undefined): string[] {
  const rows = bound === undefined ? sql.exec<{ id: string }>("SELECT id FROM trees") : sql.exec<{ id: string }>("SELECT id FROM trees WHERE created_at <= ?", bound);
  return rows.toArray().map((r) => r.id);
}

const bound = (...xs: (number | undefined)[]) => {
  const given = xs.filter((x): x is number => x !== undefined);
  return given.length ? Math.min(...given) : undefined;
};

function merge<T>(parts: T[][], key: (t: T) => ListCursor, limit: number): { data: T[]; has_more: boolean; next_cursor: string | null } {
  const all = parts.flat().sort((a, b) => {
    const x = key(a);
    const y = key(b);
    return y.createdAt - x.createdAt || (x.id < y.id ? 1 : x.id > y.id ? -1 : 0);
  });
  const data = all.slice(0, limit);
  const has_more = all.length > limit;
  return { data, has_more, next_cursor: has_more ? encodeCursor(key(data[data.length - 1]!)) : null };
}

export async function listSessions(sql: SqlStorage, env: Env, principal: string, filter: SessionFilter, page: Page): Promise<Outcome<SessionList>> {
  const trees = treesBefore(sql, bound(page.before?.createdAt, filter.createdBefore));
  const parts = await Promise.all(trees.map((t) => treeStub(env, t).listSessions(principal, filter, { ...page, limit: page.limit + 1 })));
  const key = (s: ListedSession) => ({ createdAt: Date.parse(s.created_at), id: s.id });
  return ok({ object: "list", ...merge(parts, key, page.limit) });
}

export async function listReceipts(sql: SqlStorage, env: Env, principal: string, filter: ReceiptFilter, page: Page): Promise<Outcome<ReceiptList>> {
  // A session filter names its tree: ask only that one.
  const trees = filter.session ? [filter.session] : treesBefore(sql, bound(page.before?.createdAt, filter.createdBefore));
  const parts = await Promise.all(trees.map((t) => treeStub(env, t).listTreeReceipts(principal, filter, { ...page, limit: page.limit + 1 })));
  const key = (r: SignedReceipt) => ({ createdAt: Date.parse(r.receipt.at), id: r.receipt.id });
  return ok({ object: "list", ...merge(parts, key, page.limit) });
}

/** Revokes (or with `dryRun` only names) every session matching the filter, cascading, in every tree at once. */
export async function revokeSessions(sql: SqlStorage, env: Env, principal: string, filter: SessionFilter, dryRun: boolean): Promise<Outcome<BulkRevocation>> {
  // Every tree: a dry run also reports the exposure that would remain across all of them.
  const trees = treesBefore(sql, undefined);
  const parts = await Promise.all(trees.map((t) => treeStub(env, t).revokeMatching(principal, filter, dryRun)));
  const ids = parts.flatMap((p) => p.ids).sort();
  const exposure = dryRun
    ? combineExposure(
        parts.flatMap((p) => (p.exposure ? [p.exposure] : [])),
        Date.now(),
      )
    : null;
  return ok({ object: "bulk_revocation", dry_run: dryRun, count: ids.length, ids, exposure });
}
