/**
 * Budget leases: how big a slice of its ancestors' budgets a leased object asks for, and
 * how much of it the parent gives. Pure: the parent's object (durable-objects/session-tree/
 * lease-grants.ts) and the leased object (lease-holder.ts) both call these inside their
 * transactions.
 *
 * Why the sizes matter: every refill is a request to the parent's object, and the parent
 * is the one object all leased children share. The child asks for what it expects to
 * spend over the next few seconds at its recent rate (at least a few spends' worth, so a
 * cold child does not refill on every call); the parent never gives more than an even
 * share of what it has left, so near the end of a budget the slices shrink to exactly
 * the spend that asked, and nothing of the budget sits stranded in an idle child.
 */

import type { Limits } from "./attenuate";

/** A lease that is not renewed within this long stops by itself (the child refuses to spend from it). */
export const LEASE_TTL_MS = 30_000;
/** The child renews this long before the lease lapses, so a busy child never waits on a lapse. */
export const LEASE_RENEW_BEFORE_MS = 5_000;
/** A child that spent nothing for this long gives back what it holds unused. */
export const LEASE_IDLE_MS = 10_000;
/** How far ahead a refill provisions, at the recent rate. */
export const LEASE_LOOKAHEAD_MS = 10_000;
/** A refill asks for at least this many spends of the size that asked. */
export const LEASE_MIN_SPENDS = 16n;

/** What the child asks for: at least `need`, and enough for the lookahead at its recent rate. */
export function sliceWanted(input: {
  /** What the spend that asked still lacks. */
  need: bigint;
  /** The amount that asked (one spend). */
  spend: bigint;
  /** What the child spent of this asset over the last `overMs` milliseconds. */
  usedRecently: bigint;
  overMs: number;
}): bigint {
  if (input.need < 0n || input.spend < 0n || input.usedRecently < 0n) throw new RangeError("lease amounts are never negative");
  const floor = input.spend * LEASE_MIN_SPENDS;
  const overMs = Math.max(1, Math.round(input.overMs));
  const atRate = (input.usedRecently * BigInt(LEASE_LOOKAHEAD_MS)) / BigInt(overMs);
  return max(input.need, floor, atRate);
}

/**
 * What the parent gives: the child's ask, capped at an even share of what every counter
 * up the chain has left among the open leases (the asker included), and never below
 * `need` while `need` fits. Null when `need` does not fit: the parent must first take
 * back what its other children hold unused, or refuse.
 */
export function sliceGranted(input: { want: bigint; need: bigint; available: bigint; openLeases: number }): bigint | null {
  const { want, need, available } = input;
  if (need > available) return null;
  const share = available / BigInt(Math.max(1, input.openLeases) + 1);
  const capped = min(want, share, available);
  return capped < need ? need : capped;
}

/**
 * A child's cumulative figures for one slice in one window, as it reports them. The
 * parent applies only what grew since its last record, so a report sent twice, or late,
 * or out of order, changes nothing the first did not.
 */
export interface SliceFigures {
  /** Granted to the child in this window, in total (the parent's record is the truth). */
  granted: bigint;
  /** Given back, in total. */
  released: bigint;
  /** Spent (debited or captured), in total. */
  spent: bigint;
}

/** What a report moves in the parent's counter: from held to spent, and from held back to free. */
export function reportDelta(recorded: SliceFigures, reported: SliceFigures): { spent: bigint; released: bigint } {
  return {
    spent: reported.spent > recorded.spent ? reported.spent - recorded.spent : 0n,
    released: reported.released > recorded.released ? reported.released - recorded.released : 0n,
  };
}

/**
 * The limit of `limits` a lease cannot divide between objects, if any: `calls` and `rate`
 * are counted on every ancestor at every call, so a session holding one cannot have
 * children placed in objects of their own.
 */
export function unleasedLimit(limits: Limits): "calls" | "rate" | null {
  return limits.calls !== undefined ? "calls" : limits.rate !== undefined ? "rate" : null;
}

function max(...xs: bigint[]): bigint {
  return xs.reduce((a, b) => (b > a ? b : a));
}

function min(...xs: bigint[]): bigint {
  return xs.reduce((a, b) => (b < a ? b : a));
}
