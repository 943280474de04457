/**
 * The parent's side of a budget lease. A child delegated with `placement: "own_object"`
 * lives in an object of its own (./lease-holder.ts); this object keeps its row (so its
 * tree, revocation and governance see it) and grants it slices of every budget up the
 * chain, reserved in the ancestors' counters exactly like a hold: the ancestors' totals
 * stay exact (invariant 1) whatever the leased object does, since it can only spend what
 * was reserved here.
 *
 * Each slice's figures are cumulative per window (granted here; spent and given back as
 * the leased object reports them), so a report sent twice or late moves nothing twice,
 * and a rolled-over window's reservation is simply gone, as a hold's is.
 */
import type { LeaseAsk, LeaseGrant, LeaseOffer, PlacedSession, SliceReport } from "../../src/contract/session-tree";
import type { LeaseAnswer } from "../../src/contract/rpc";
import type { LeaseView } from "../../src/contract/wire/session";
import { formatAmount } from "../../src/core/policy/amounts";
import { release, remaining, reserve } from "../../src/core/policy/budgets";
import { LEASE_TTL_MS, reportDelta, sliceGranted } from "../../src/core/policy/lease";
import { budgetThresholdEvents, rolledCounter } from "./counters";
import { frozenSessions } from "./governance";
import { lifeless } from "./liveness";
import { getMeta, readChain, readCounters, readSession, writeCounter, type SessionRow, type StoredCounter } from "./store";
import type { Tree } from "./tree";

export type LeaseState = "open" | "revoking" | "closed";

type LeaseRow = {
  child: string;
  object: string;
  state: LeaseState;
  placed: number;
  valid_until: number;
  requests: number;
};

type SliceRow = {
  session: string;
  asset: string;
  period: string;
  window_start: number | null;
  granted: string;
  released: string;
  spent: string;
};

export function leaseOf(sql: SqlStorage, child: string): LeaseRow | null {
  return sql.exec<LeaseRow>("SELECT child, object, state, placed, valid_until, requests FROM leases WHERE child = ?", child).toArray()[0] ?? null;
}

/** Records a child placed in its own object (in the delegation's transaction). */
export function recordLease(sql: SqlStorage, child: string, object: string, now: number): void {
  sql.exec("INSERT INTO leases (child, object, created_at) VALUES (?, ?, ?)", child, object, now);
  leasedChildren(sql).add(child);
}

const leased = new WeakMap<SqlStorage, Set<string>>();

/**
 * The children this object placed in objects of their own, read once per object, so a view
 * of any other session asks nothing more (an id left by a rolled-back delegation only costs
 * a lookup that finds no lease).
 */
export function leasedChildren(sql: SqlStorage): Set<string> {
  let set = leased.get(sql);
  if (!set) {
    set = new Set(
      sql
        .exec<{ child: string }>("SELECT child FROM leases")
        .toArray()
        .map((r) => r.child),
    );
    leased.set(sql, set);
  }
  return set;
}

const placed = (s: SessionRow): PlacedSession => ({
  id: s.id,
  parent: s.parent,
  path: s.path,
  depth: s.depth,
  agentJwk: s.agentJwk,
  jkt: s.jkt,
  scopes: s.scopes,
  notBefore: s.notBefore,
  expiresAt: s.expiresAt,
  limits: s.limits,
  maxDepth: s.maxDepth,
  label: s.label,
  createdAt: s.createdAt,
});

/** What the leased object needs to stand on its own: the child, its ancestors, the switches now. */
export function leaseOffer(tree: Tree, child: string): LeaseOffer | null {
  const lease = leaseOf(tree.sql, child);
  const row = readSession(tree.sql, child);
  if (!lease || !row) return null;
  const chain = readChain(tree.sql, row);
  const frozen = frozenSessions(tree.sql);
  return {
    tree: lease.object,
    parentTree: tree.id,
    principal: tree.principal,
    issuer: getMeta(tree.sql, "issuer")!,
    session: placed(row),
    ancestors: chain.slice(0, -1).map(placed),
    frozenAncestors: chain
      .slice(0, -1)
      .filter((s) => frozen.has(s.id))
      .map((s) => s.id),
    principalFrozen: tree.frozen,
  };
}

/** One more request from the leased object (a refill, renewal or report): the lease view's `requests`. */
export function countLeaseRequest(sql: SqlStorage, child: string): void {
  sql.exec("UPDATE leases SET requests = requests + 1 WHERE child = ?", child);
}

export function markPlaced(sql: SqlStorage, child: string): void {
  sql.exec("UPDATE leases SET placed = 1 WHERE child = ?", child);
}

/** Leases whose object has not confirmed it holds the offer (retried on the alarm). */
export function leasesToPlace(sql: SqlStorage): string[] {
  return sql
    .exec<{ child: string }>("SELECT child FROM leases WHERE placed = 0 AND state = 'open'")
    .toArray()
    .map((r) => r.child);
}

/** The ancestors' counters a slice of `asset` is taken from: every budget of that asset above the child. */
function ancestorCounters(tree: Tree, chain: SessionRow[], asset: string | undefined, now: number): StoredCounter[] {
  const above = chain.slice(0, -1).map((s) => s.id);
  return readCounters(tree.sql, above, asset).map((c) => rolledCounter(c, now));
}

function sliceRow(sql: SqlStorage, child: string, c: StoredCounter): SliceRow | null {
  return (
    sql
      .exec<SliceRow>(
        "SELECT session, asset, period, window_start, granted, released, spent FROM lease_slices WHERE child = ? AND session = ? AND asset = ? AND period = ?",
        child,
        c.session,
        c.asset,
        c.period ?? "life",
      )
      .toArray()[0] ?? null
  );
}

/** The slice's record in the counter's current window (a new window starts from nothing). */
function currentSlice(sql: SqlStorage, child: string, c: StoredCounter): SliceRow {
  const row = sliceRow(sql, child, c);
  if (row && row.window_start === c.windowStart) return row;
  return { session: c.session, asset: c.asset, period: c.period ?? "life", window_start: c.windowStart, granted: "0", released: "0", spent: "0" };
}

function writeSlice(sql: SqlStorage, child: string, s: SliceRow): void {
  sql.exec(
    `INSERT INTO lease_slices (child, session, asset, period, window_start, granted, released, spent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(child, session, asset, period) DO UPDATE SET window_start = excluded.window_start, granted = excluded.granted, released = excluded.released, spent = excluded.spent`,
    child,
    s.session,
    s.asset,
    s.period,
    s.window_start,
    s.granted,
    s.released,
    s.spent,
  );
}

/**
 * Applies the leased object's cumulative figures: what it spent moves from held to spent
 * in the ancestor's counter, what it gave back leaves held. Only a report of the
 * counter's current window moves anything (an earlier window's reservation is gone).
 * `final`: the lease is over (revoked), so everything granted and not spent comes back.
 */
export function applyReport(tree: Tree, child: string, report: SliceReport[], now: number, final = false): bigint {
  const row = readSession(tree.sql, child);
  if (!row) return 0n;
  let freed = 0n;
  const counters = ancestorCounters(tree, readChain(tree.sql, row), undefined, now);
  for (const c of counters) {
    const slice = currentSlice(tree.sql, child, c);
    const sent = report.find((r) => r.session === c.session && r.asset === c.asset && r.period === (c.period ?? "life") && r.windowStart === c.windowStart);
    const recorded = { granted: BigInt(slice.granted), released: BigInt(slice.released), spent: BigInt(slice.spent) };
    const reported = sent ? { granted: BigInt(sent.granted), released: BigInt(sent.released), spent: BigInt(sent.spent) } : recorded;
    const delta = reportDelta(recorded, reported);
    let spent = recorded.spent + delta.spent;
    let released = recorded.released + delta.released;
    // Never more than was granted: a report can only account for what this object reserved.
    if (spent > recorded.granted) spent = recorded.granted;
    if (spent + released > recorded.granted) released = recorded.granted - spent;
    if (final) released = recorded.granted - spent;
    const moveSpent = spent - recorded.spent;
    const moveReleased = released - recorded.released;
    if (moveSpent === 0n && moveReleased === 0n) continue;
    freed += moveReleased;
    // From held: to spent what was spent, back to free what was given back (clamped, like a void).
    const fromHeld = release(c, moveSpent + moveReleased);
    writeCounter(tree.sql, { ...fromHeld, spent: c.spent + moveSpent, session: c.session, thresholds: c.thresholds });
    writeSlice(tree.sql, child, { ...slice, spent: spent.toString(), released: released.toString() });
  }
  return freed;
}

/** The lease's figures for the answer to the leased object: every slice's cumulative grant in its current window. */
function grantOf(tree: Tree, child: string, chain: SessionRow[], lease: { valid_until: number }, now: number): LeaseGrant {
  const frozen = frozenSessions(tree.sql);
  return {
    validUntil: lease.valid_until,
    slices: ancestorCounters(tree, chain, undefined, now).map((c) => {
      const s = currentSlice(tree.sql, child, c);
      return { session: c.session, asset: c.asset, period: c.period ?? "life", windowStart: c.windowStart, granted: s.granted };
    }),
    frozenAncestors: chain
      .slice(0, -1)
      .filter((s) => frozen.has(s.id))
      .map((s) => s.id),
    principalFrozen: tree.frozen,
  };
}

export type RefillAnswer = LeaseAnswer;

/**
 * A refill (or, without an asset, a renewal), in one transaction: the report is applied,
 * the lease must be open and the child live, then a slice of `asset` is reserved in every
 * ancestor's counter — the child's ask, capped at an even share of what is left
 * (src/core/policy/lease.ts). `short`: `need` does not fit now; the caller may take back
 * what other leases hold unused and ask again.
 */
export function refill(tree: Tree, child: string, ask: LeaseAsk, now: number): RefillAnswer {
  const { sql } = tree;
  const lease = leaseOf(sql, child);
  const row = readSession(sql, child);
  if (!lease || !row) return { refused: { stop: "unknown", detail: `no lease for session ${child}` } };
  countLeaseRequest(sql, child);
  applyReport(tree, child, ask.report, now);
  const chain = readChain(sql, row);
  if (lease.state !== "open") return { refused: { stop: "revoked", by: row.revokedBy ?? child, detail: `session ${child} was revoked` } };
  const dead = lifeless(tree, { session: row, chain, now });
  if (dead?.name === "session-revoked") return { refused: { stop: "revoked", by: String(dead.extra?.revoked_session ?? child), detail: dead.detail } };
  if (dead?.name === "session-expired") return { refused: { stop: "revoked", by: child, detail: dead.detail } };
  // A frozen lease is answered with the switches, not a grant: the leased object stops until they clear.
  if (dead && dead.name !== "session-not-yet-valid") {
    const frozen = frozenSessions(sql);
    return {
      refused: {
        stop: "frozen",
        detail: dead.detail,
        frozenAncestors: chain
          .slice(0, -1)
          .filter((s) => frozen.has(s.id))
          .map((s) => s.id),
        principalFrozen: tree.frozen,
        problem: { name: dead.name, detail: dead.detail },
      },
    };
  }

  const validUntil = Math.min(now + LEASE_TTL_MS, row.expiresAt);
  sql.exec("UPDATE leases SET valid_until = ? WHERE child = ?", validUntil, child);
  if (ask.asset !== undefined && ask.need !== undefined) {
    const need = BigInt(ask.need);
    const counters = ancestorCounters(tree, chain, ask.asset, now);
    if (counters.length > 0 && need > 0n) {
      const available = counters.reduce((m, c) => (remaining(c) < m ? remaining(c) : m), remaining(counters[0]!));
      const open = sql.exec<{ n: number }>("SELECT count(*) AS n FROM leases WHERE state = 'open'").one().n;
      const amount = sliceGranted({ want: BigInt(ask.want ?? ask.need), need, available, openLeases: open });
      if (amount === null) return { short: need - (available > 0n ? available : 0n) };
      for (const c of counters) {
        const next: StoredCounter = { ...reserve(c, amount), session: c.session, thresholds: c.thresholds };
        next.thresholds = budgetThresholdEvents(sql, tree.principal, next, now);
        writeCounter(sql, next);
        const slice = currentSlice(sql, child, c);
        writeSlice(sql, child, { ...slice, granted: (BigInt(slice.granted) + amount).toString() });
      }
    }
  }
  return { granted: grantOf(tree, child, chain, { valid_until: validUntil }, now) };
}

/** The other open leases, whose unused slices a short refill may take back. */
export function otherOpenLeases(sql: SqlStorage, child: string): { child: string; object: string }[] {
  return sql.exec<{ child: string; object: string }>("SELECT child, object FROM leases WHERE state = 'open' AND placed = 1 AND child <> ?", child).toArray();
}

/** Every slice's cumulative grant for `child`, as the leased object must know it before it gives back what it does not use. */
export function grantsFor(tree: Tree, child: string, now: number): LeaseGrant | null {
  const lease = leaseOf(tree.sql, child);
  const row = readSession(tree.sql, child);
  if (!lease || !row) return null;
  return grantOf(tree, child, readChain(tree.sql, row), lease, now);
}

/** In a revocation's transaction: the open leases of the sessions it revoked must be told (./lease-calls.ts), and grant nothing more. */
export function markRevoking(sql: SqlStorage, revoked: readonly string[]): void {
  if (revoked.length === 0) return;
  sql.exec("UPDATE leases SET state = 'revoking' WHERE state = 'open' AND child IN (SELECT value FROM json_each(?))", JSON.stringify(revoked));
}

export function leasesRevoking(sql: SqlStorage): { child: string; object: string }[] {
  return sql.exec<{ child: string; object: string }>("SELECT child, object FROM leases WHERE state = 'revoking'").toArray();
}

export function closeLease(sql: SqlStorage, child: string): void {
  sql.exec("UPDATE leases SET state = 'closed' WHERE child = ?", child);
}

/** Open leases beneath `id` (or `id` itself), for a freeze to reach. */
export function leasesBeneath(sql: SqlStorage, id: string): { child: string; object: string }[] {
  return sql
    .exec<{ child: string; object: string; path: string }>(
      "SELECT l.child, l.object, s.path FROM leases l JOIN sessions s ON s.id = l.child WHERE l.state = 'open' AND l.placed = 1",
    )
    .toArray()
    .filter((l) => (JSON.parse(l.path) as string[]).includes(id))
    .map(({ child, object }) => ({ child, object }));
}

/** Open leases that lapsed while still holding part of a budget here: the alarm asks their objects to settle. */
export function lapsedLeases(sql: SqlStorage, now: number): { child: string; object: string }[] {
  // Amounts are TEXT of up to 38 digits: compared as BigInt, never CAST to SQLite's 64-bit INTEGER.
  const rows = sql
    .exec<{ child: string; object: string; granted: string; released: string; spent: string }>(
      `SELECT l.child, l.object, s.granted, s.released, s.spent FROM leases l JOIN lease_slices s ON s.child = l.child
       WHERE l.state = 'open' AND l.placed = 1 AND l.valid_until < ?`,
      now,
    )
    .toArray();
  const due = new Map<string, string>();
  for (const r of rows) if (BigInt(r.granted) > BigInt(r.spent) + BigInt(r.released)) due.set(r.child, r.object);
  return [...due].map(([child, object]) => ({ child, object }));
}

/** When the alarm next has lease work: placements and revocations to push now, lapsed leases to settle. */
export function leasesDueAt(sql: SqlStorage, now: number): number | null {
  const pushes = sql.exec<{ n: number }>("SELECT count(*) AS n FROM leases WHERE (placed = 0 AND state = 'open') OR state = 'revoking'").one().n;
  if (pushes > 0) return now + 1_000;
  const lapse = sql.exec<{ t: number | null }>("SELECT min(valid_until) AS t FROM leases WHERE state = 'open' AND placed = 1 AND valid_until > 0").one().t;
  return lapse === null ? null : Math.max(lapse + 1_000, now);
}

/** The lease as the principal sees it on the child's view in this object. */
export function leaseView(tree: Tree, child: string, now: number): LeaseView | null {
  const lease = leaseOf(tree.sql, child);
  const row = readSession(tree.sql, child);
  if (!lease || !row) return null;
  const counters = ancestorCounters(tree, readChain(tree.sql, row), undefined, now);
  return {
    object: "lease",
    tree: lease.object,
    state: lease.state,
    valid_until: lease.valid_until > 0 ? new Date(lease.valid_until).toISOString() : null,
    requests: lease.requests,
    slices: counters.map((c) => {
      const s = currentSlice(tree.sql, child, c);
      const outstanding = BigInt(s.granted) - BigInt(s.spent) - BigInt(s.released);
      return {
        session: c.session,
        asset: c.asset,
        period: c.period,
        window_start: c.windowStart === null ? null : new Date(c.windowStart).toISOString(),
        granted: s.granted,
        spent: s.spent,
        released: s.released,
        outstanding: formatAmount(outstanding),
      };
    }),
  };
}
