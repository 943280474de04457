/** How a session looks from outside: its status as of now (ancestors and the kill switch included) and its counters. */
import { formatAmount } from "../../src/core/policy/amounts";
import { rollover } from "../../src/core/policy/budgets";
import { windowEnd } from "../../src/core/policy/periods";
import { gcraPeek, type RateLimit } from "../../src/core/policy/rate";
import { frozenBy } from "./governance";
import { leasedChildren, leaseView } from "./lease-grants";
import { readTat } from "./rate";
import { readChain, readCounters, type SessionRow, type StoredCounter } from "./store";
import type { Tree } from "./tree";
import { tripsOf, type TripView } from "./tripwires";
import type { SessionView } from "../../src/contract/views";
export type { SessionView } from "../../src/contract/views";

const iso = (ms: number) => new Date(ms).toISOString();

/** The session's view as of `now`; `knownChain` saves reading the ancestors again inside a decision that has them. */
export function viewSession(tree: Tree, row: SessionRow, now: number, knownChain?: SessionRow[]): SessionView {
  const chain = knownChain ?? readChain(tree.sql, row);
  const tat = row.limits.rate ? readTat(tree.sql, row.id) : null;
  const by = frozenBy(tree, chain);
  const view = sessionView(
    row,
    { tree: tree.id, principal: tree.principal, frozen: by.length > 0, revokedAncestor: chain.some((s) => s.status === "revoked"), tripped: tripsOf(tree, row.path) },
    readCounters(tree.sql, [row.id]),
    tat,
    now,
  );
  const lease = leasedChildren(tree.sql).has(row.id) ? leaseView(tree, row.id, now) : null;
  const withLease = lease ? { ...view, lease } : view;
  return by.length > 0 ? { ...withLease, frozen_by: by } : withLease;
}

export function sessionView(
  s: SessionRow,
  ctx: { tree: string; principal: string; frozen: boolean; revokedAncestor: boolean; tripped?: TripView[] },
  counters: StoredCounter[],
  tat: number | null,
  now: number,
): SessionView {
  const status: SessionView["status"] =
    s.status === "revoked" || ctx.revokedAncestor
      ? "revoked"
      : now >= s.expiresAt
        ? "expired"
        : ctx.frozen || (ctx.tripped?.length ?? 0) > 0
          ? "frozen"
          : now < s.notBefore
            ? "pending"
            : "active";
  const calls = s.limits.calls;
  return {
    id: s.id,
    object: "session",
    tree: ctx.tree,
    principal: ctx.principal,
    parent: s.parent,
    depth: s.depth,
    label: s.label,
    status,
    scopes: s.scopes,
    not_before: iso(s.notBefore),
    expires_at: iso(s.expiresAt),
    max_depth: s.maxDepth,
    limits: s.limits,
    agent_jkt: s.jkt,
    created_at: iso(s.createdAt),
    revoked_at: s.revokedAt === null ? null : iso(s.revokedAt),
    counters: {
      calls: calls === undefined ? null : { limit: calls, used: s.callsUsed, remaining: Math.max(0, calls - s.callsUsed) },
      budgets: counters.map((raw) => {
        const c = rollover(raw, now);
        const remaining = c.limit - c.spent - c.held;
        return {
          asset: c.asset,
          period: c.period,
          limit: formatAmount(c.limit),
          spent: formatAmount(c.spent),
          held: formatAmount(c.held),
          remaining: formatAmount(remaining < 0n ? 0n : remaining),
          window_start: c.windowStart === null ? null : iso(c.windowStart),
          resets_at: c.period === null || c.windowStart === null ? null : iso(windowEnd(c.period, c.windowStart)),
        };
      }),
      rate: s.limits.rate ? { ...s.limits.rate, ...ratePeekFields(s.limits.rate, tat, now) } : null,
      rate_limited: s.rateRefused,
    },
    tripped: ctx.tripped ?? [],
  };
}

function ratePeekFields(limit: RateLimit, tat: number | null, now: number) {
  const { remaining, resetSeconds } = gcraPeek(tat, now, limit);
  return { remaining, reset_seconds: resetSeconds };
}
