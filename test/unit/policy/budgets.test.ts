import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  capture,
  checkDebit,
  debit,
  release,
  remaining,
  reserve,
  rollover,
  sameWindow,
  windowEnd,
  windowStart,
  type BudgetCounter,
  type Period,
} from "../../../src/core/policy";

const DAY0 = Date.parse("2026-03-02T00:00:00Z");

function counter(over: Partial<BudgetCounter> = {}): BudgetCounter {
  return { asset: "USD", period: "day", limit: 100n, spent: 0n, held: 0n, windowStart: DAY0, ...over };
}

describe("budgets: happy path", () => {
  it("remaining is the limit less spent and held", () => {
    expect(remaining(counter({ spent: 30n, held: 20n }))).toBe(50n);
  });

  it("debit adds to spent and reserve adds to held, returning new counters", () => {
    const c = counter();
    expect(debit(c, 40n)).toMatchObject({ spent: 40n, held: 0n });
    expect(reserve(c, 40n)).toMatchObject({ spent: 0n, held: 40n });
    expect(c).toEqual(counter());
  });

  it("a debit may use up exactly what remains", () => {
    expect(remaining(debit(counter({ spent: 60n }), 40n))).toBe(0n);
  });

  it("capture spends part of a hold and releases the rest", () => {
    const c = capture(counter({ held: 70n, spent: 10n }), 50n, 30n);
    expect(c).toMatchObject({ held: 20n, spent: 40n });
  });

  it("release gives a reservation back and clamps at 0", () => {
    expect(release(counter({ held: 50n }), 20n).held).toBe(30n);
    expect(release(counter({ held: 10n }), 20n).held).toBe(0n);
  });

  it("checkDebit allows an amount every counter can take, and 0 always", () => {
    const counters = [counter(), counter({ period: null, windowStart: null, limit: 500n, spent: 400n })];
    expect(checkDebit(counters, 100n)).toEqual({ ok: true });
    expect(checkDebit([counter({ spent: 100n })], 0n)).toEqual({ ok: true });
    expect(checkDebit([], 10n)).toEqual({ ok: true });
  });

  it("checkDebit names the tightest counter that cannot take the amount", () => {
    const life = counter({ period: null, windowStart: null, limit: 1000n, spent: 990n });
    const day = counter({ spent: 95n });
    const hour = counter({ period: "hour", limit: 50n });
    expect(checkDebit([day, life, hour], 20n)).toEqual({ ok: false, counter: day, remaining: 5n });
  });

  it("checkDebit breaks a tie by taking the first counter", () => {
    const a = counter({ asset: "USD", spent: 95n });
    const b = counter({ asset: "USD", period: "week", spent: 95n });
    expect(checkDebit([a, b], 10n)).toMatchObject({ ok: false, counter: a, remaining: 5n });
  });

  it("rollover resets a periodic counter exactly at the window edge, not 1 ms before", () => {
    const c = counter({ spent: 60n, held: 30n });
    const next = DAY0 + 86_400_000;
    expect(rollover(c, next - 1)).toBe(c);
    expect(rollover(c, next)).toEqual({ ...c, spent: 0n, held: 0n, windowStart: next });
  });

  it("rollover starts a periodic counter that has no window yet", () => {
    expect(rollover(counter({ windowStart: null }), DAY0 + 5)).toMatchObject({ windowStart: DAY0 });
  });

  it("rollover never touches a life budget", () => {
    const life = counter({ period: null, windowStart: null, spent: 99n });
    expect(rollover(life, DAY0 + 10 * 86_400_000)).toBe(life);
  });

  it("sameWindow tells whether a hold's recorded window is still the counter's", () => {
    expect(sameWindow(counter(), DAY0)).toBe(true);
    expect(sameWindow(counter(), DAY0 - 86_400_000)).toBe(false);
    expect(sameWindow(counter({ period: null, windowStart: null }), null)).toBe(true);
  });
});

describe("budgets: refusals", () => {
  it("refuses negative amounts everywhere", () => {
    const c = counter({ held: 10n });
    expect(() => debit(c, -1n)).toThrow(RangeError);
    expect(() => reserve(c, -1n)).toThrow(RangeError);
    expect(() => release(c, -1n)).toThrow(RangeError);
    expect(() => capture(c, -1n, 0n)).toThrow(RangeError);
    expect(() => capture(c, 5n, -1n)).toThrow(RangeError);
    expect(() => checkDebit([c], -1n)).toThrow(RangeError);
  });

  it("refuses to debit or reserve past the limit, even without checkDebit", () => {
    const c = counter({ spent: 60n, held: 30n });
    expect(() => debit(c, 11n)).toThrow(RangeError);
    expect(() => reserve(c, 11n)).toThrow(RangeError);
  });

  it("refuses to capture more than the hold", () => {
    expect(() => capture(counter({ held: 50n }), 20n, 21n)).toThrow(RangeError);
  });

  it("refuses to close a hold larger than what the counter holds", () => {
    expect(() => capture(counter({ held: 10n }), 20n, 5n)).toThrow(RangeError);
  });

  it("does not roll a window back when the clock steps back across an edge", () => {
    const c = counter({ windowStart: DAY0 + 86_400_000, spent: 70n });
    expect(rollover(c, DAY0 + 86_400_000 - 1)).toBe(c);
  });
});

// ---- property: a random life of several counters of one asset ----

const PERIOD_CHOICES: (Period | null)[] = [null, "hour", "day", "week", "month"];

type Op =
  | { kind: "advance"; ms: number }
  | { kind: "toEdge"; period: Period; offset: -1 | 0 }
  | { kind: "debit"; amount: bigint }
  | { kind: "reserve"; amount: bigint }
  | { kind: "capture"; hold: number; per1000: number }
  | { kind: "void"; hold: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 2 * 86_400_000 }) }),
  fc.record({
    kind: fc.constant("toEdge" as const),
    period: fc.constantFrom<Period>("hour", "day", "week", "month"),
    offset: fc.constantFrom<-1 | 0>(-1, 0),
  }),
  fc.record({ kind: fc.constant("debit" as const), amount: fc.bigInt({ min: 0n, max: 400n }) }),
  fc.record({ kind: fc.constant("reserve" as const), amount: fc.bigInt({ min: 0n, max: 400n }) }),
  fc.record({ kind: fc.constant("capture" as const), hold: fc.nat(), per1000: fc.integer({ min: 0, max: 1000 }) }),
  fc.record({ kind: fc.constant("void" as const), hold: fc.nat() }),
);

interface Hold {
  amount: bigint;
  /** Each counter's windowStart when the hold was made. */
  windows: (number | null)[];
}

describe("budgets: properties", () => {
  it("no sequence of checked debits, reserves, captures, voids and clock moves takes a counter past its limit", () => {
    const setup = fc.record({
      start: fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2030, 0, 1) }),
      counters: fc.array(fc.record({ period: fc.constantFrom(...PERIOD_CHOICES), limit: fc.bigInt({ min: 0n, max: 1000n }) }), { minLength: 1, maxLength: 4 }),
      ops: fc.array(opArb, { maxLength: 60 }),
    });
    fc.assert(
      fc.property(setup, ({ start, counters: specs, ops }) => {
        let now = start;
        let counters: BudgetCounter[] = specs.map((s) => ({
          asset: "USD",
          period: s.period,
          limit: s.limit,
          spent: 0n,
          held: 0n,
          windowStart: null,
        }));
        let holds: Hold[] = [];

        const check = (): void => {
          counters.forEach((c, i) => {
            expect(c.spent >= 0n && c.held >= 0n).toBe(true);
            expect(c.spent + c.held <= c.limit).toBe(true);
            // held is exactly the open holds made in this counter's current window.
            const open = holds.filter((h) => sameWindow(c, h.windows[i] ?? null)).reduce((s, h) => s + h.amount, 0n);
            expect(c.held).toBe(open);
          });
        };

        for (const op of ops) {
          if (op.kind === "advance") now += op.ms;
          if (op.kind === "toEdge") now = windowEnd(op.period, now) + op.offset;
          const before = counters;
          counters = counters.map((c) => rollover(c, now));
          counters.forEach((c, i) => {
            const prev = before[i];
            if (c.period === null || prev === undefined) return;
            const edge = windowStart(c.period, now);
            expect(c.windowStart).toBe(edge);
            // Entering a new window, exactly at its edge or later, starts from nothing.
            if (prev.windowStart !== edge) expect([c.spent, c.held]).toEqual([0n, 0n]);
            else expect(c).toBe(prev);
          });

          if (op.kind === "debit" || op.kind === "reserve") {
            if (checkDebit(counters, op.amount).ok) {
              const apply = op.kind === "debit" ? debit : reserve;
              counters = counters.map((c) => apply(c, op.amount));
              if (op.kind === "reserve") holds.push({ amount: op.amount, windows: counters.map((c) => c.windowStart) });
            } else {
              // Refused: some counter really could not take it.
              expect(counters.some((c) => remaining(c) < op.amount)).toBe(true);
            }
          }
          if ((op.kind === "capture" || op.kind === "void") && holds.length > 0) {
            const index = op.hold % holds.length;
            const hold = holds[index];
            if (hold === undefined) continue;
            const taken = op.kind === "capture" ? (hold.amount * BigInt(op.per1000)) / 1000n : 0n;
            // Only counters still in the hold's window carry its reservation.
            counters = counters.map((c, i) => {
              if (!sameWindow(c, hold.windows[i] ?? null)) return c;
              return op.kind === "capture" ? capture(c, hold.amount, taken) : release(c, hold.amount);
            });
            holds = holds.filter((_, i) => i !== index);
          }
          check();
        }
      }),
      { numRuns: 300 },
    );
  });

  it("a counter rolls over exactly at the end of its window", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Period>("hour", "day", "week", "month"),
        fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2200, 0, 1) }),
        fc.bigInt({ min: 0n, max: 50n }),
        fc.bigInt({ min: 0n, max: 50n }),
        (period, t, spent, held) => {
          const c = rollover(counter({ period, windowStart: null, spent, held }), t);
          const used = { ...c, spent, held };
          const end = windowEnd(period, t);
          expect(rollover(used, end - 1)).toBe(used);
          expect(rollover(used, end)).toEqual({ ...used, spent: 0n, held: 0n, windowStart: end });
        },
      ),
    );
  });
});
