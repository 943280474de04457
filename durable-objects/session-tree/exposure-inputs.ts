/**
 * The tree's part of the principal's exposure, computed here (src/core/policy/exposure.ts)
 * so a thousand trees compute in parallel and the principal only adds figures up: per
 * asset the root's reach now and over each horizon (the root's budgets bound the whole
 * tree: every spend debits the root too), what open holds and pending approvals reserve, the sessions that can
 * reach the most, and the findings about its live sessions.
 *
 * A tree's figure is 0 when it cannot act now or later without someone acting: revoked,
 * expired, frozen (the principal's switch or the root's own), or out of calls. A tree not
 * valid yet is 0 now and counts from its `not_before` over the horizons. Nothing here
 * assumes that only budgets can stop a spend: other rules (trip-wires) would only lower
 * what can be lost, so these figures stay upper bounds.
 */
import type { FindingKind, Holder, TreeExposure, TreeState } from "../../src/contract/governance";
import { figures, heldPart, reachable, topByReach, ZERO_FIGURES, type ExposureBudget } from "../../src/core/policy/exposure";
import { lastUsed, sessionsWithChains } from "./governance";
import { readCounters, type SessionRow, type StoredCounter } from "./store";
import type { Tree } from "./tree";
import { heldBySwitch } from "./tripwires";

const DAY = 86_400_000;
export const IDLE_MS = 7 * DAY;
export const LONG_LIVED_MS = 30 * DAY;

export interface ExposureOptions {
  /** Sessions to count as revoked (a bulk revocation's dry run). */
  assumeRevoked?: Set<string>;
  /** Holders kept per asset. */
  holders?: number;
  /** Session ids kept per finding. */
  findings?: number;
}

const toBudget = (c: StoredCounter): ExposureBudget => ({ period: c.period, limit: c.limit, spent: c.spent, held: c.held, windowStart: c.windowStart });

export function treeExposure(tree: Tree, principal: string, now: number, opts: ExposureOptions = {}): TreeExposure | null {
  const all = sessionsWithChains(tree, principal);
  if (all.length === 0) return null;
  const revoked = opts.assumeRevoked ?? new Set<string>();
  const root = all[0]!.row;
  const counters = readCounters(
    tree.sql,
    all.map((s) => s.row.id),
  );
  const bySession = new Map<string, StoredCounter[]>();
  for (const c of counters) (bySession.get(c.session) ?? bySession.set(c.session, []).get(c.session)!).push(c);
  // What is reserved: open holds and pending approvals (an approval reserves like a hold, ./approvals.ts).
  const holds = tree.sql
    .exec<{ session_id: string; asset: string; amount: string }>(
      `SELECT session_id, asset, amount FROM holds WHERE status = 'open' AND expires_at > ?
       UNION ALL SELECT session_id, asset, amount FROM approvals WHERE status = 'pending' AND amount IS NOT NULL AND expires_at > ?`,
      now,
      now,
    )
    .toArray();
  const used = lastUsed(tree.sql);

  /** Why the chain cannot act now; "pending" can act later. */
  const stateOf = (chain: SessionRow[]): TreeState => {
    if (chain.some((s) => s.status === "revoked" || revoked.has(s.id))) return "revoked";
    if (chain.some((s) => now >= s.expiresAt)) return "expired";
    if (heldBySwitch(tree, chain)) return "frozen"; // a trip-wire's freeze too
    if (chain.some((s) => s.limits.calls !== undefined && s.callsUsed >= s.limits.calls)) return "calls_exhausted";
    if (chain.some((s) => now < s.notBefore)) return "pending";
    return "live";
  };
  const spanOf = (chain: SessionRow[]) => ({ now, notBefore: Math.max(...chain.map((s) => s.notBefore)), expiresAt: Math.min(...chain.map((s) => s.expiresAt)) });
  const heldIn = (asset: string, sessions?: Set<string>) =>
    holds.filter((h) => h.asset === asset && (!sessions || sessions.has(h.session_id))).reduce((sum, h) => sum + BigInt(h.amount), 0n);

  const state = stateOf([root]);
  const canSpend = state === "live" || state === "pending";
  const assets = [...new Set(counters.map((c) => c.asset))].sort();
  const rootBudgets = bySession.get(root.id) ?? [];

  const assetFigures = assets.map((asset) => {
    const budgets = rootBudgets.filter((c) => c.asset === asset).map(toBudget);
    const openHeld = heldIn(asset);
    // No root budget in an asset a session below has one in: nothing bounds the tree in it.
    // (Attenuation refuses such a child today; the seam stays honest if that changes.)
    const f = canSpend ? figures(budgets, spanOf([root]), openHeld) : ZERO_FIGURES;
    return { asset, figures: f, held: f === null ? openHeld.toString() : heldPart(openHeld, BigInt(f.now)).toString() };
  });

  const holders: Holder[] = [];
  const findings = new Map<FindingKind, string[]>();
  const find = (kind: FindingKind, id: string) => (findings.get(kind) ?? findings.set(kind, []).get(kind)!).push(id);
  for (const { row, chain } of all) {
    const st = stateOf(chain);
    if (st === "revoked" || st === "expired") continue;
    // Findings: about standing authority, frozen or not.
    if (now - (used.get(row.id) ?? row.createdAt) >= IDLE_MS) find("idle", row.id);
    if (row.expiresAt - row.createdAt > LONG_LIVED_MS) find("long_lived", row.id);
    if (!chain.some((s) => s.limits.rate)) find("no_rate_limit", row.id);
    if (row.depth > 0 && row.depth >= root.maxDepth) find("depth_exhausted", row.id);
    const own = bySession.get(row.id) ?? [];
    if (own.length > 0 && own.every((c) => c.spent === 0n && c.held === 0n && (c.period === null || c.windowStart === null))) find("budgets_unused", row.id);
    if (st !== "live") continue;
    for (const asset of new Set(own.map((c) => c.asset))) {
      const chainBudgets = chain.flatMap((s) => (bySession.get(s.id) ?? []).filter((c) => c.asset === asset).map(toBudget));
      const reach = reachable(chainBudgets, spanOf(chain), now, heldIn(asset, new Set([row.id])))!;
      if (reach === 0n) continue;
      holders.push({
        asset,
        session: row.id,
        tree: tree.id,
        reach: reach.toString(),
        agent_jkt: row.jkt,
        label: row.label,
        depth: row.depth,
        expires_at: new Date(row.expiresAt).toISOString(),
        last_used_at: used.has(row.id) ? new Date(used.get(row.id)!).toISOString() : null,
      });
    }
  }
  return {
    tree: tree.id,
    root: root.id,
    state,
    assets: assetFigures,
    holders: topByReach(holders, opts.holders ?? 10),
    findings: [...findings].map(([kind, ids]) => ({ kind, sessions: ids.slice(0, opts.findings ?? 100), count: ids.length })),
  };
}
