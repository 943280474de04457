/**
 * The money arithmetic of one budget counter, exactly as the SessionTree runs
 * it inside one SQLite transaction. Every function returns a new counter; the
 * caller writes them all or none. Functions throw RangeError on misuse, which
 * aborts the transaction rather than storing a counter past its limit
 * (invariant 1 is defended twice: by checkDebit, and again here).
 */
import { windowStart, type Period } from "./periods";

export interface BudgetCounter {
  asset: string;
  /** null: a budget for the session's whole life. */
  period: Period | null;
  limit: bigint;
  /** Captured and directly debited amounts in this window. */
  spent: bigint;
  /** Reserved by open holds made in this window. */
  held: bigint;
  /** Start of the current window (epoch ms); null for life budgets. */
  windowStart: number | null;
  /**
   * A leased slice of an ancestor's budget (src/core/policy/lease.ts): its limit is what
   * the parent granted for this one window, so a new window starts with nothing granted.
   */
  lease?: boolean;
  /** A leased slice only: what of `limit` was given back to the parent in this window (no longer spendable here). */
  released?: bigint;
}

export type CheckDebitResult = { ok: true } | { ok: false; counter: BudgetCounter; remaining: bigint };

/**
 * Move a periodic counter into the window containing `nowMs`, resetting it.
 * Windows only move forward: if the clock reads earlier than the stored window
 * (a clock step back across an edge), the counter is kept as it is — resetting
 * it there and again on the way forward would let the same window be spent twice.
 */
export function rollover(c: BudgetCounter, nowMs: number): BudgetCounter {
  if (c.period === null) return c;
  const start = windowStart(c.period, nowMs);
  if (c.windowStart !== null && start <= c.windowStart) return c;
  // A slice granted for the last window is not a grant for this one (it was that window's reservation at the parent).
  return c.lease ? { ...c, spent: 0n, held: 0n, windowStart: start, limit: 0n, released: 0n } : { ...c, spent: 0n, held: 0n, windowStart: start };
}

export function remaining(c: BudgetCounter): bigint {
  return c.limit - c.spent - c.held - (c.released ?? 0n);
}

function checkAmount(amount: bigint): void {
  if (typeof amount !== "bigint" || amount < 0n) throw new RangeError(`invalid amount: ${String(amount)}`);
}

/**
 * Can every counter take `amount`? If not, names the tightest one that cannot
 * (smallest remaining; on a tie the first), for the `budget-exceeded` problem.
 * Counters must already be rolled over to now and be of the spend's asset.
 */
export function checkDebit(counters: readonly BudgetCounter[], amount: bigint): CheckDebitResult {
  checkAmount(amount);
  let worst: { counter: BudgetCounter; remaining: bigint } | undefined;
  for (const counter of counters) {
    const left = remaining(counter);
    if (left >= amount) continue;
    if (worst === undefined || left < worst.remaining) worst = { counter, remaining: left };
  }
  return worst === undefined ? { ok: true } : { ok: false, ...worst };
}

function checkFits(c: BudgetCounter, amount: bigint): void {
  checkAmount(amount);
  if (amount > remaining(c)) {
    throw new RangeError(`${c.asset}/${c.period ?? "life"}: ${amount} exceeds remaining ${remaining(c)}`);
  }
}

export function debit(c: BudgetCounter, amount: bigint): BudgetCounter {
  checkFits(c, amount);
  return { ...c, spent: c.spent + amount };
}

export function reserve(c: BudgetCounter, amount: bigint): BudgetCounter {
  checkFits(c, amount);
  return { ...c, held: c.held + amount };
}

/**
 * Give back a reservation. Clamped at 0 so a void can never drive `held`
 * negative and free capacity that was never reserved.
 */
export function release(c: BudgetCounter, amount: bigint): BudgetCounter {
  checkAmount(amount);
  const held = c.held > amount ? c.held - amount : 0n;
  return { ...c, held };
}

/**
 * Close a hold of `heldAmount`, spending `captureAmount` of it (≤ heldAmount)
 * and releasing the rest. Never raises spent + held, so it needs no check.
 */
export function capture(c: BudgetCounter, heldAmount: bigint, captureAmount: bigint): BudgetCounter {
  checkAmount(heldAmount);
  checkAmount(captureAmount);
  if (captureAmount > heldAmount) {
    throw new RangeError(`capture ${captureAmount} exceeds the hold of ${heldAmount}`);
  }
  if (heldAmount > c.held) {
    throw new RangeError(`hold of ${heldAmount} exceeds what the counter holds (${c.held})`);
  }
  return { ...c, held: c.held - heldAmount, spent: c.spent + captureAmount };
}

/**
 * The window an amount committed on `c` is charged to, for receipts (`charged_to`):
 * the counter's current window (after rollover) for a direct debit, and for a hold the
 * window it reserved in — record this at `reserve` and charge the capture there, never
 * to the window current at capture. Null for a lifetime budget (it has no window).
 *
 * Why this keeps every window within its limit: while a window is current, its counter
 * holds spent + held ≤ limit, where spent counts its direct debits and captures of its
 * own holds, and held the open reservations made in it. A capture moves at most the held
 * amount into spent, in that same window; a capture after rollover spends what that
 * window had already reserved. So Σ amounts charged to a window ≤ its spent + held ≤ limit,
 * and each committed amount is charged to exactly one window per periodic budget.
 */
export function chargedWindow(c: BudgetCounter): number | null {
  return c.period === null ? null : c.windowStart;
}

/**
 * A hold's reservation belongs to the window it was made in. Release or
 * capture it only on counters still in that window (record each counter's
 * windowStart with the hold); in a later window the reservation was already
 * wiped by rollover.
 */
export function sameWindow(c: BudgetCounter, windowStart: number | null): boolean {
  return c.windowStart === windowStart;
}
