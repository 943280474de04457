/**
 * How actions change the counters up the chain: calls counted on every ancestor, budget
 * changes applied in each counter's current window (announcing thresholds newly
 * crossed), and a hold's reservation settled only in the window it was made in.
 */
import { formatAmount } from "../../src/core/policy/amounts";
import { chargedWindow, rollover, sameWindow, type BudgetCounter } from "../../src/core/policy/budgets";
import type { Period } from "../../src/core/policy/periods";
import type { ChargedWindow } from "../../src/core/receipts/receipt";
import type { DecisionContext } from "./decision-context";
import { emitEvent } from "./event-outbox";
import { countCalls, getMeta, readCounters, writeCounter, writeCounters, type SessionRow, type StoredCounter } from "./store";
import type { Tree } from "./tree";

/** Percentages of a budget at which `budget.threshold` is announced, once per window. */
const THRESHOLDS = [50, 80, 100] as const;

/** One call more up the chain; with `usedBy`, also that session's last use (an authorization or a hold, ./governance.ts). */
export function countCall(sql: SqlStorage, chain: SessionRow[], usedBy?: { id: string; at: number }): void {
  countCalls(
    sql,
    chain.map((s) => s.id),
    usedBy,
  );
}

/** Applies `change` to every counter of `asset` up the chain (already checked), returning what was written. */
export function applyToCounters(tree: Tree, ctx: DecisionContext, asset: string, change: (c: BudgetCounter) => BudgetCounter): StoredCounter[] {
  const written: StoredCounter[] = [];
  for (const raw of readCounters(
    tree.sql,
    ctx.chain.map((s) => s.id),
    asset,
  )) {
    const rolled = rolledCounter(raw, ctx.now);
    const next: StoredCounter = { ...change(rolled), session: raw.session, thresholds: rolled.thresholds };
    next.thresholds = budgetThresholdEvents(tree.sql, tree.principal, next, ctx.now);
    written.push(next);
  }
  writeCounters(tree.sql, written);
  return written;
}

/** A stored counter moved into the window containing `now`; a new window starts with no threshold crossed. */
export function rolledCounter(c: StoredCounter, now: number): StoredCounter {
  const rolled = rollover(c, now);
  return rolled === c ? c : { ...rolled, session: c.session, thresholds: [] };
}

/** Emits `budget.threshold` for each threshold newly crossed in this window; returns the thresholds now crossed. */
export function budgetThresholdEvents(sql: SqlStorage, principal: string, c: StoredCounter, now: number): number[] {
  const crossed = new Set(c.thresholds);
  // A leased slice is not the ancestor's budget: the parent announces its own thresholds as it grants slices.
  if (c.limit === 0n || c.lease) return [...crossed];
  const used = c.spent + c.held;
  for (const t of THRESHOLDS) {
    if (crossed.has(t) || used * 100n < c.limit * BigInt(t)) continue;
    crossed.add(t);
    emitEvent(
      sql,
      "budget.threshold",
      principal,
      {
        session: c.session,
        tree: getMeta(sql, "tree")!,
        asset: c.asset,
        period: c.period,
        threshold: t,
        limit: formatAmount(c.limit),
        spent: formatAmount(c.spent),
        held: formatAmount(c.held),
        window_start: c.windowStart === null ? null : new Date(c.windowStart).toISOString(),
      },
      now,
    );
  }
  return [...crossed].sort((a, b) => a - b);
}

/** A hold's record of the counters it reserved on: each counter's window then ("life" has none). */
export interface HoldWindow {
  session: string;
  period: Period | "life";
  window_start: number | null;
}

/** What a hold records at `reserve`: the window each counter it reserved on was in. */
export function holdWindows(written: StoredCounter[]): HoldWindow[] {
  return written.map((c) => ({ session: c.session, period: c.period ?? "life", window_start: chargedWindow(c) }));
}

/**
 * The receipt's `charged_to`: the periodic windows a committed amount was charged to —
 * a debit's counters as written (their current window), a capture's hold's windows
 * (the window it was made in; see `chargedWindow`).
 */
export function chargedTo(asset: string, windows: HoldWindow[]): ChargedWindow[] {
  const out: ChargedWindow[] = [];
  for (const w of windows) {
    if (w.period === "life" || w.window_start === null) continue;
    out.push({ session: w.session, asset, period: w.period, window_start: new Date(w.window_start).toISOString() });
  }
  return out;
}

/**
 * Releases or captures a hold on the counters it reserved, only where a counter's window
 * is still the one the hold reserved in (an earlier window's reservation is already gone).
 */
export function settleHoldCounters(sql: SqlStorage, hold: { asset: string; windows: string }, change: (c: BudgetCounter) => BudgetCounter): void {
  const windows = JSON.parse(hold.windows) as HoldWindow[];
  const sessions = [...new Set(windows.map((w) => w.session))];
  for (const c of readCounters(sql, sessions, hold.asset)) {
    const w = windows.find((x) => x.session === c.session && x.period === (c.period ?? "life"));
    if (!w || !sameWindow(c, w.window_start)) continue;
    writeCounter(sql, { ...change(c), session: c.session, thresholds: c.thresholds });
  }
}
