/**
 * The leased object's side of a budget lease (the parent's side: ./lease-grants.ts). The
 * object holds one session placed here by its parent's object, and that session's
 * subtree; it decides their spends locally, against their own budgets and, for every
 * budget above the lease, a counter whose limit is the slice the parent granted in that
 * window (`lease`). A spend the slices cannot cover waits for one refill from the parent
 * (never inside a decision: the refill is awaited first, then the decision runs in its own
 * transaction and checks everything again); a refill the parent cannot give leaves the
 * slice short, and the decision refuses with `budget-exceeded`, receipted here.
 *
 * The lease lives for a short time (src/core/policy/lease.ts `LEASE_TTL_MS`) and is
 * renewed by any refill: an object its parent cannot reach, or will no longer renew (a
 * revoked or frozen ancestor), stops acting when it lapses.
 */
import type { LeaseGrant, LeaseOffer, SliceReport } from "../../src/contract/session-tree";
import { remaining, rollover } from "../../src/core/policy/budgets";
import { LEASE_RENEW_BEFORE_MS } from "../../src/core/policy/lease";
import { rolledCounter } from "./counters";
import { frozenSessionsChanged } from "./governance";
import { getMeta, insertSession, readChain, readCounters, readSession, setMeta, writeCounter, type SessionRow, type StoredCounter } from "./store";
import type { Tree } from "./tree";

/** Places the offer here, once: the object's identity, the leased session, its ancestors and their budgets' slices (none granted yet). */
export function adoptOffer(tree: Tree & { setFrozen(frozen: boolean): void }, offer: LeaseOffer): void {
  const { sql } = tree;
  if (getMeta(sql, "tree")) return; // at-least-once: the parent retries a placement it did not see confirmed
  setMeta(sql, "tree", offer.tree);
  setMeta(sql, "principal", offer.principal);
  setMeta(sql, "issuer", offer.issuer);
  setMeta(sql, "root", offer.session.id);
  setMeta(sql, "lease_parent", offer.parentTree);
  setMeta(sql, "lease_valid_until", "0");
  const asRow = (s: LeaseOffer["session"]): SessionRow => ({
    ...s,
    status: "active",
    revokedAt: null,
    revokedBy: null,
    callsUsed: 0,
    rateRefused: 0,
    expiryNotified: 0,
  });
  for (const a of offer.ancestors) {
    sql.exec("INSERT INTO lease_chain (id, row, frozen) VALUES (?, ?, ?)", a.id, JSON.stringify(asRow(a)), offer.frozenAncestors.includes(a.id) ? 1 : 0);
    for (const b of a.limits.budgets ?? [])
      sql.exec("INSERT INTO budgets (session_id, asset, period, limit_amount, lease) VALUES (?, ?, ?, '0', 1)", a.id, b.asset, b.period ?? "life");
  }
  insertSession(sql, asRow(offer.session));
  if (offer.principalFrozen) tree.setFrozen(true);
  frozenSessionsChanged(sql);
}

/** The ancestors' ids above the lease, root first. */
function ancestorIds(sql: SqlStorage): string[] {
  const root = readSession(sql, getMeta(sql, "root")!);
  return root ? root.path.slice(0, -1) : [];
}

function leasedCounters(sql: SqlStorage, asset?: string): StoredCounter[] {
  return readCounters(sql, ancestorIds(sql), asset).filter((c) => c.lease);
}

/**
 * How much more of `asset` the slices must be granted for `session` to spend `amount` now:
 * 0 when they cover it, or when the session's own budgets (or its descendants' in this
 * object) cannot take it anyway — then the decision refuses without asking the parent.
 */
export function shortfall(sql: SqlStorage, sessionId: string, amount: { asset: string; value: string }, now: number): bigint {
  const session = readSession(sql, sessionId);
  if (!session) return 0n;
  const value = BigInt(amount.value);
  const chain = readChain(sql, session);
  let need = 0n;
  for (const c of readCounters(
    sql,
    chain.map((s) => s.id),
    amount.asset,
  )) {
    const left = remaining(rollover(c, now));
    if (left >= value) continue;
    if (!c.lease) return 0n;
    if (value - left > need) need = value - left;
  }
  return need;
}

/** Every slice's cumulative figures in the window it was last written in (the parent applies only its current window's). */
export function sliceReport(sql: SqlStorage): SliceReport[] {
  return leasedCounters(sql).map((c) => ({
    session: c.session,
    asset: c.asset,
    period: c.period ?? "life",
    windowStart: c.windowStart,
    granted: c.limit.toString(),
    released: (c.released ?? 0n).toString(),
    spent: c.spent.toString(),
  }));
}

/** Raises each slice to the parent's cumulative grant in its window (a grant never shrinks), and takes the new time-to-live and switches. */
export function applyGrant(tree: Tree & { setFrozen(frozen: boolean): void }, grant: LeaseGrant, now: number): void {
  const { sql } = tree;
  for (const c of leasedCounters(sql)) {
    const slice = grant.slices.find((s) => s.session === c.session && s.asset === c.asset && s.period === (c.period ?? "life"));
    if (!slice) continue;
    const rolled = rolledCounter(c, now);
    if (slice.windowStart !== rolled.windowStart) continue; // granted for another window than this one
    const granted = BigInt(slice.granted);
    if (granted <= rolled.limit && rolled === c) continue;
    writeCounter(sql, { ...rolled, limit: granted > rolled.limit ? granted : rolled.limit });
  }
  setValidUntil(sql, grant.validUntil);
  const frozen = new Set(grant.frozenAncestors);
  for (const id of ancestorIds(sql)) setAncestorFrozen(sql, id, frozen.has(id));
  if (tree.frozen !== grant.principalFrozen) tree.setFrozen(grant.principalFrozen);
}

/** Gives back every slice's unused part (spendable again only after a refill); true when anything was given back. */
export function releaseUnused(sql: SqlStorage, now: number): boolean {
  let any = false;
  for (const c of leasedCounters(sql)) {
    const rolled = rolledCounter(c, now);
    const free = remaining(rolled);
    if (free <= 0n && rolled === c) continue;
    any ||= free > 0n;
    writeCounter(sql, { ...rolled, released: (rolled.released ?? 0n) + (free > 0n ? free : 0n) });
  }
  return any;
}

/** Whether any slice holds an unused part now (the idle alarm gives it back). */
export function holdsUnused(sql: SqlStorage, now: number): boolean {
  return leasedCounters(sql).some((c) => remaining(rollover(c, now)) > 0n);
}

/** The ancestor's freeze switch, pushed by the parent: it stops (or lets act again) everything here beneath it. */
export function setAncestorFrozen(sql: SqlStorage, ancestor: string, frozen: boolean): void {
  sql.exec("UPDATE lease_chain SET frozen = ? WHERE id = ?", frozen ? 1 : 0, ancestor);
  frozenSessionsChanged(sql);
}

// ---------------------------------------------------------------- the lease's time-to-live, in memory after the first read

const validUntilCache = new WeakMap<SqlStorage, number>();

export function validUntil(sql: SqlStorage): number {
  let v = validUntilCache.get(sql);
  if (v === undefined) {
    v = Number(getMeta(sql, "lease_valid_until") ?? "0");
    validUntilCache.set(sql, v);
  }
  return v;
}

export function setValidUntil(sql: SqlStorage, at: number): void {
  setMeta(sql, "lease_valid_until", String(at));
  validUntilCache.set(sql, at);
}

export function forgetLeaseCopies(sql: SqlStorage): void {
  validUntilCache.delete(sql);
}

/** Whether the lease must be renewed before this call: it lapsed, or lapses within the renewal lead. */
export function dueForRenewal(sql: SqlStorage, now: number): boolean {
  return validUntil(sql) - LEASE_RENEW_BEFORE_MS <= now;
}

// ---------------------------------------------------------------- recent use, for the refill's size (a hint: kept in memory only)

interface Use {
  since: number;
  used: Map<string, bigint>;
}
const uses = new WeakMap<SqlStorage, Use>();
const USE_WINDOW_MS = 10_000;

export function noteUse(sql: SqlStorage, asset: string, amount: bigint, now: number): void {
  let u = uses.get(sql);
  if (!u || now - u.since > USE_WINDOW_MS) {
    u = { since: now, used: new Map() };
    uses.set(sql, u);
  }
  u.used.set(asset, (u.used.get(asset) ?? 0n) + amount);
  lastUse.set(sql, now);
}

export function recentUse(sql: SqlStorage, asset: string, now: number): { used: bigint; overMs: number } {
  const u = uses.get(sql);
  if (!u) return { used: 0n, overMs: 1 };
  return { used: u.used.get(asset) ?? 0n, overMs: Math.max(1, now - u.since) };
}

const lastUse = new WeakMap<SqlStorage, number>();

/** The last spend here since the object woke (none known: the object is idle). */
export function lastUsedAt(sql: SqlStorage): number | null {
  return lastUse.get(sql) ?? null;
}
