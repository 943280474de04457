/**
 * Exposure: the most a chain of budgets can still spend, now and over a horizon, in
 * exact BigInt arithmetic. Pure: the tree computes its own figures with it (in
 * parallel with every other tree), the principal only adds them up (`sumFigures`).
 *
 * The spending model is the tree's own (budgets.ts): every spend debits each budget of
 * its asset in its current UTC window; a periodic budget refills at each window start;
 * a lifetime budget never does; open holds can still be captured, so they count as
 * spendable. Between two consecutive window starts of any of the budgets nothing
 * refills, so the most that can be spent is found by walking those segments, spending
 * in each the least of what every budget has left (`reachable`). That figure is never
 * more than the least over the budgets of each one's own reachable total
 * (`leastOverBudgets`, the bound the API documents) and is usually equal to it; it is
 * smaller when a short window straddles a longer one's edge (hour 10 + day 15 over two
 * hours of one day and one of the next: 25, not 30).
 *
 * Trip-wires or other rules that could stop spending earlier are not modelled: every
 * figure is an upper bound on what the budgets allow, which is what a worst case is.
 */
import { windowEnd, windowStart, type Period } from "./periods";

export interface ExposureBudget {
  period: Period | null;
  limit: bigint;
  /** Spent in the stored window (life: ever). */
  spent: bigint;
  /** Reserved by open holds made in the stored window. */
  held: bigint;
  /** The stored window's start; null for a lifetime budget or a window never used. */
  windowStart: number | null;
}

/** When the chain can spend at all: from `notBefore` (or now) until `expiresAt`. */
export interface SpendWindow {
  now: number;
  notBefore: number;
  expiresAt: number;
}

export const HORIZONS = ["now", "next_hour", "next_day", "next_week", "until_expiry"] as const;
export type Horizon = (typeof HORIZONS)[number];

const HOUR = 3_600_000;
const HORIZON_MS: Record<Exclude<Horizon, "until_expiry">, number> = { now: 0, next_hour: HOUR, next_day: 24 * HOUR, next_week: 7 * 24 * HOUR };

/** The end (exclusive) of a horizon for a chain that expires at `expiresAt`; `now` ends where it starts. */
export function horizonEnd(h: Horizon, now: number, expiresAt: number): number {
  return h === "until_expiry" ? expiresAt : Math.min(now + HORIZON_MS[h], expiresAt);
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);
const pos = (a: bigint) => (a > 0n ? a : 0n);

/**
 * What budget `b` leaves to spend in the window containing `t`, once every open hold is
 * captured: a lifetime budget its remainder; a periodic budget in its stored window its
 * limit less what that window spent and holds; in a later window its full limit (holds
 * of a past window are captured into that window, never into a later one).
 */
function available(b: ExposureBudget, t: number): bigint {
  if (b.period === null) return pos(b.limit - b.spent - b.held);
  const start = windowStart(b.period, t);
  if (b.windowStart !== null && start <= b.windowStart) return pos(b.limit - b.spent - b.held);
  return b.limit;
}

/**
 * The most the budgets together let be spent from `max(now, notBefore)` until `end`
 * (for `end <= now`: in the current window only — the `now` figure), counting the open
 * holds `openHeld` that can still be captured. Null when there are no budgets (nothing
 * bounds the amount); zero when the chain cannot act in the span.
 */
export function reachable(budgets: readonly ExposureBudget[], span: SpendWindow, end: number, openHeld = 0n): bigint | null {
  if (budgets.length === 0) return null;
  const start = Math.max(span.now, span.notBefore);
  if (start >= span.expiresAt) return 0n;
  const instant = end <= span.now;
  if (instant && span.now < span.notBefore) return 0n;
  if (!instant && start >= end) return 0n;
  const caps = budgets.map((b) => available(b, start));
  let total = openHeld;
  let t = start;
  for (;;) {
    let spend = caps[0]!;
    for (const c of caps) spend = min(spend, c);
    total += spend;
    for (let i = 0; i < caps.length; i++) caps[i]! -= spend;
    if (instant) return total;
    // A lifetime budget that is used up ends the walk: nothing refills it.
    if (budgets.some((b, i) => b.period === null && caps[i] === 0n)) return total;
    let next = Number.POSITIVE_INFINITY;
    for (const b of budgets) if (b.period !== null) next = Math.min(next, windowEnd(b.period, t));
    if (next >= end) return total;
    t = next;
    budgets.forEach((b, i) => {
      if (b.period !== null && windowStart(b.period, t) === t) caps[i] = b.limit;
    });
  }
}

/** One budget's own reachable total over the span (its refills counted, no other budget's). */
export function budgetReach(b: ExposureBudget, span: SpendWindow, end: number, openHeld = 0n): bigint {
  return reachable([b], span, end, openHeld)!;
}

/** The bound the API documents: the least over the budgets of each one's reachable total; `reachable` never exceeds it. */
export function leastOverBudgets(budgets: readonly ExposureBudget[], span: SpendWindow, end: number, openHeld = 0n): bigint | null {
  if (budgets.length === 0) return null;
  return budgets.map((b) => budgetReach(b, span, end, openHeld)).reduce(min);
}

/** A figure per horizon, as decimal strings (they cross RPC and JSON). */
export type Figures = Record<Horizon, string>;

export function figures(budgets: readonly ExposureBudget[], span: SpendWindow, openHeld = 0n): Figures | null {
  if (budgets.length === 0) return null;
  const out = {} as Figures;
  for (const h of HORIZONS) out[h] = reachable(budgets, span, horizonEnd(h, span.now, span.expiresAt), openHeld)!.toString();
  return out;
}

export const ZERO_FIGURES: Figures = { now: "0", next_hour: "0", next_day: "0", next_week: "0", until_expiry: "0" };

export function sumFigures(a: Figures, b: Figures): Figures {
  const out = {} as Figures;
  for (const h of HORIZONS) out[h] = (BigInt(a[h]) + BigInt(b[h])).toString();
  return out;
}

/** The part of `now` that open holds reserve: never more than `now` itself. */
export function heldPart(openHeld: bigint, now: bigint): bigint {
  return min(openHeld, now);
}

/** The `n` entries reaching the most in each asset (ties: the smaller session id first), assets in order. */
export function topByReach<T extends { asset: string; reach: string; session: string }>(items: readonly T[], n: number): T[] {
  const byAsset = new Map<string, T[]>();
  for (const h of items) (byAsset.get(h.asset) ?? byAsset.set(h.asset, []).get(h.asset)!).push(h);
  const order = (a: T, b: T) => {
    const d = BigInt(b.reach) - BigInt(a.reach);
    return d > 0n ? 1 : d < 0n ? -1 : a.session < b.session ? -1 : a.session > b.session ? 1 : 0;
  };
  return [...byAsset.keys()].sort().flatMap((asset) => byAsset.get(asset)!.sort(order).slice(0, n));
}

/** ISO 8601 durations of days, hours, minutes, seconds (`P7D`, `PT1H`, `P1DT12H`), in ms; null when not one. */
export function parseDuration(text: string): number | null {
  const m = /^P(?:(\d{1,5})W)?(?:(\d{1,5})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,8})M)?(?:(\d{1,9})S)?)?$/.exec(text);
  if (!m || text === "P" || text.endsWith("T")) return null;
  const [, w, d, h, mi, s] = m.map((x) => (x === undefined ? 0 : Number(x)));
  return ((((w! * 7 + d!) * 24 + h!) * 60 + mi!) * 60 + s!) * 1000;
}
