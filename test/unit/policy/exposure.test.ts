/**
 * Exposure against a brute-force simulator: random budgets get a random history of spends
 * and holds through the tree's own counter arithmetic (budgets.ts), at times near UTC
 * window edges; then the simulator spends greedily hour by hour (every window edge is an
 * hour edge) after capturing every open hold, and `reachable` must equal what it spent.
 * No random schedule of allowed spends may exceed it, and it never exceeds the
 * documented least-over-budgets bound.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkDebit, debit, reserve, rollover, type BudgetCounter } from "../../../src/core/policy/budgets";
import { HORIZONS, horizonEnd, leastOverBudgets, parseDuration, reachable, type ExposureBudget, type SpendWindow } from "../../../src/core/policy/exposure";
import { PERIODS, type Period } from "../../../src/core/policy/periods";

const HOUR = 3_600_000;
const RUNS = Number((globalThis as { process?: { env?: Record<string, string> } }).process?.env?.TEST_FUZZ_RUNS ?? 60);

interface Hold {
  amount: bigint;
  windows: (number | null)[];
}

/** Budgets in one asset, at most one per period. */
const budgetsArb = fc
  .uniqueArray(fc.constantFrom<Period | null>(null, ...PERIODS), { minLength: 1, maxLength: 4 })
  .chain((periods) => fc.tuple(...periods.map((period) => fc.bigInt({ min: 0n, max: 60n }).map((limit) => ({ period, limit })))));

/** Instants close to a window edge: the start of a month, a Monday, a day or an hour, ± a little. */
const edgeArb = fc
  .record({
    base: fc.constantFrom(Date.UTC(2026, 0, 31, 23), Date.UTC(2026, 1, 28, 22), Date.UTC(2026, 10, 29, 23), Date.UTC(2026, 11, 31, 20), Date.UTC(2027, 5, 14, 5)),
    offsetMin: fc.integer({ min: -180, max: 180 }),
  })
  .map(({ base, offsetMin }) => base + offsetMin * 60_000 + 17_000);

const historyArb = fc.array(fc.record({ dtMin: fc.integer({ min: 0, max: 150 }), kind: fc.constantFrom("debit", "reserve"), amount: fc.bigInt({ min: 1n, max: 25n }) }), {
  maxLength: 12,
});

/** Plays a history through the tree's arithmetic: every spend or hold on every budget, only when all allow it. */
function play(limits: { period: Period | null; limit: bigint }[], start: number, history: { dtMin: number; kind: string; amount: bigint }[]) {
  let counters: BudgetCounter[] = limits.map((l) => ({ asset: "USD", period: l.period, limit: l.limit, spent: 0n, held: 0n, windowStart: null }));
  const holds: Hold[] = [];
  let t = start;
  for (const step of history) {
    t += step.dtMin * 60_000;
    const rolled = counters.map((c) => rollover(c, t));
    if (!checkDebit(rolled, step.amount).ok) continue;
    if (step.kind === "debit") counters = rolled.map((c) => debit(c, step.amount));
    else {
      counters = rolled.map((c) => reserve(c, step.amount));
      holds.push({ amount: step.amount, windows: counters.map((c) => (c.period === null ? null : c.windowStart)) });
    }
  }
  return { counters, holds, at: t };
}

const asExposure = (counters: BudgetCounter[]): ExposureBudget[] =>
  counters.map((c) => ({ period: c.period, limit: c.limit, spent: c.spent, held: c.held, windowStart: c.windowStart }));

/** Captures every open hold (into the window it reserved in), then spends the most allowed at every hour edge. */
function greedy(counters0: BudgetCounter[], holds: Hold[], span: SpendWindow, end: number): bigint {
  let counters = counters0.map((c) => ({ ...c }));
  let total = 0n;
  const start = Math.max(span.now, span.notBefore);
  const instant = end <= span.now;
  if (start >= span.expiresAt || (instant && span.now < span.notBefore) || (!instant && start >= end)) return 0n;
  for (const h of holds) {
    counters = counters.map((c, i) => (c.windowStart === h.windows[i] ? { ...c, held: c.held - h.amount, spent: c.spent + h.amount } : c));
    total += h.amount;
  }
  for (let t = start; instant ? t === start : t < end; t = Math.floor(t / HOUR) * HOUR + HOUR) {
    counters = counters.map((c) => rollover(c, t));
    let most = counters[0]!.limit - counters[0]!.spent - counters[0]!.held;
    for (const c of counters) if (c.limit - c.spent - c.held < most) most = c.limit - c.spent - c.held;
    if (most > 0n) counters = counters.map((c) => debit(c, most));
    total += most;
    if (instant) break;
  }
  return total;
}

const spanArb = fc.record({ lateStartH: fc.integer({ min: -3, max: 3 }), lifeH: fc.integer({ min: 1, max: 24 * 40 }) });

describe("exposure: reachable", () => {
  it("equals a greedy spender, hour by hour, on random budgets and histories at window edges", () => {
    fc.assert(
      fc.property(budgetsArb, edgeArb, historyArb, spanArb, fc.integer({ min: 0, max: 240 }), (limits, edge, history, s, gapMin) => {
        const played = play(limits, edge - 6 * HOUR, history);
        const now = played.at + gapMin * 60_000;
        const span = { now, notBefore: s.lateStartH > 0 ? now + s.lateStartH * HOUR : edge - 6 * HOUR, expiresAt: now + s.lifeH * HOUR };
        const openHeld = played.holds.reduce((a, h) => a + h.amount, 0n);
        for (const h of HORIZONS) {
          const end = horizonEnd(h, now, span.expiresAt);
          const exact = reachable(asExposure(played.counters), span, end, openHeld);
          expect(exact, h).toBe(greedy(played.counters, played.holds, span, end));
          expect(exact! <= leastOverBudgets(asExposure(played.counters), span, end, openHeld)!, h).toBe(true);
        }
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it("no random schedule of allowed spends after now exceeds it", () => {
    fc.assert(
      fc.property(
        budgetsArb,
        edgeArb,
        fc.array(fc.record({ dtMin: fc.integer({ min: 0, max: 400 }), amount: fc.bigInt({ min: 1n, max: 30n }) }), { maxLength: 30 }),
        fc.integer({ min: 1, max: 24 * 9 }),
        (limits, now, spends, lifeH) => {
          const span = { now, notBefore: now, expiresAt: now + lifeH * HOUR };
          let counters: BudgetCounter[] = limits.map((l) => ({ asset: "USD", period: l.period, limit: l.limit, spent: 0n, held: 0n, windowStart: null }));
          const bound = reachable(asExposure(counters), span, span.expiresAt)!;
          let spent = 0n;
          let t = now;
          for (const s of spends) {
            t += s.dtMin * 60_000;
            if (t >= span.expiresAt) break;
            const rolled = counters.map((c) => rollover(c, t));
            if (!checkDebit(rolled, s.amount).ok) continue;
            counters = rolled.map((c) => debit(c, s.amount));
            spent += s.amount;
          }
          expect(spent <= bound).toBe(true);
        },
      ),
      { numRuns: RUNS * 3 },
    );
  });

  it("hand-computed figures: lifetime, a day budget's refills, holds, a straddled day edge", () => {
    const now = Date.UTC(2026, 0, 1, 22, 30);
    const span = { now, notBefore: now - HOUR, expiresAt: now + 3 * 24 * HOUR };
    const life: ExposureBudget = { period: null, limit: 1000n, spent: 100n, held: 50n, windowStart: null };
    const day: ExposureBudget = { period: "day", limit: 200n, spent: 20n, held: 50n, windowStart: Date.UTC(2026, 0, 1) };
    // Now: the day has 200 − 20 = 180 (its 50 held included), the lifetime 850 + 50 held.
    expect(reachable([life, day], span, now, 50n)).toBe(180n);
    // The next hour stays in the day; the next day adds one refill (Jan 2) of 200.
    expect(reachable([life, day], span, horizonEnd("next_hour", now, span.expiresAt), 50n)).toBe(180n);
    expect(reachable([life, day], span, horizonEnd("next_day", now, span.expiresAt), 50n)).toBe(380n);
    // Until expiry (Jan 4 22:30): refills on Jan 2, 3, 4: 180 + 600 = 780 ≤ 900 the lifetime leaves.
    expect(reachable([life, day], span, span.expiresAt, 50n)).toBe(780n);
    expect(reachable([life, day], { ...span, expiresAt: now + 30 * 24 * HOUR }, now + 30 * 24 * HOUR, 50n)).toBe(900n);
    // Hour 10 + day 15 over 22:30 → 00:30: 10 + 5 before midnight, 10 after: 25, while the least-over-budgets bound says 30.
    const hour: ExposureBudget = { period: "hour", limit: 10n, spent: 0n, held: 0n, windowStart: null };
    const day15: ExposureBudget = { period: "day", limit: 15n, spent: 0n, held: 0n, windowStart: null };
    const tight = { now, notBefore: now, expiresAt: now + 2 * HOUR };
    expect(reachable([hour, day15], tight, tight.expiresAt)).toBe(25n);
    expect(leastOverBudgets([hour, day15], tight, tight.expiresAt)).toBe(30n);
    // No budget: nothing bounds it. Not yet valid: nothing now, but the horizon counts from not_before.
    expect(reachable([], span, now)).toBeNull();
    const later = { now, notBefore: now + 2 * HOUR, expiresAt: now + 10 * HOUR };
    expect(reachable([life], later, now)).toBe(0n);
    expect(reachable([life], later, horizonEnd("next_day", now, later.expiresAt))).toBe(850n);
  });

  it("parses ISO 8601 durations and refuses anything else", () => {
    expect(parseDuration("P7D")).toBe(7 * 24 * HOUR);
    expect(parseDuration("PT1H")).toBe(HOUR);
    expect(parseDuration("P1DT12H30M5S")).toBe(36 * HOUR + 30 * 60_000 + 5000);
    expect(parseDuration("P2W")).toBe(14 * 24 * HOUR);
    for (const bad of ["", "P", "PT", "7d", "P1Y", "-P1D", "P1.5D"]) expect(parseDuration(bad), bad).toBeNull();
  });
});
