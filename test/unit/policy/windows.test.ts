/**
 * Which window a committed amount belongs to (issue "Hardening": a hold made in one
 * window and captured after rollover was charged to no window). The rule, `chargedWindow`:
 * a direct debit is charged to its counter's current window, a capture to the window its
 * hold reserved in. These properties drive the pure counter code through random spends,
 * holds, captures, voids and clock moves across window edges, attribute every committed
 * amount by the rule, and check that no window is attributed more than its limit and that
 * every committed amount is attributed exactly once per periodic budget.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { capture, chargedWindow, checkDebit, debit, release, reserve, rollover, sameWindow, windowEnd, type BudgetCounter, type Period } from "../../../src/core/policy";

type Rule = "hold-window" | "capture-time";

type Op =
  | { kind: "spend" | "hold"; amount: bigint }
  | { kind: "capture"; hold: number; per4: number }
  | { kind: "void"; hold: number }
  | { kind: "advance"; ms: number }
  | { kind: "toEdge"; period: Period; offset: number };

const PERIODS: Period[] = ["hour", "day", "week", "month"];

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom("spend" as const, "hold" as const), amount: fc.bigInt({ min: 0n, max: 120n }) }),
  fc.record({ kind: fc.constant("capture" as const), hold: fc.nat(20), per4: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ kind: fc.constant("void" as const), hold: fc.nat(20) }),
  // Mostly forward, sometimes a small step back (a clock correction across an edge).
  fc.record({
    kind: fc.constant("advance" as const),
    ms: fc.oneof(fc.integer({ min: 0, max: 120_000 }), fc.integer({ min: 0, max: 3 * 3600_000 }), fc.integer({ min: -5_000, max: 0 })),
  }),
  fc.record({ kind: fc.constant("toEdge" as const), period: fc.constantFrom(...PERIODS), offset: fc.constantFrom(-1_000, -1, 0, 1, 2_000) }),
);

const setupArb: fc.Arbitrary<Setup> = fc.record({
  start: fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2030, 0, 1) }),
  budgets: fc.array(fc.record({ period: fc.constantFrom<Period | null>(...PERIODS, null), limit: fc.bigInt({ min: 0n, max: 200n }) }), { minLength: 1, maxLength: 4 }),
  ops: fc.array(opArb, { maxLength: 80, size: "max" }),
});

interface Hold {
  amount: bigint;
  /** chargedWindow of each counter when it reserved. */
  windows: (number | null)[];
}

interface Run {
  limits: bigint[];
  periods: (Period | null)[];
  /** Per budget index: window start → Σ committed amounts charged there. */
  attributed: Map<number, bigint>[];
  /** Each committed amount with, per budget index, the windows it was charged to. */
  committed: { amount: bigint; windows: (number | null)[][] }[];
}

/** Runs `ops` on the counters exactly as the SessionTree does, attributing each committed amount by `rule`. */
interface Setup {
  start: number;
  budgets: { period: Period | null; limit: bigint }[];
  ops: Op[];
}

function run(setup: Setup, rule: Rule): Run {
  let now = setup.start;
  let counters: BudgetCounter[] = setup.budgets.map((b) => ({ asset: "USD", period: b.period, limit: b.limit, spent: 0n, held: 0n, windowStart: null }));
  let holds: Hold[] = [];
  const out: Run = {
    limits: setup.budgets.map((b) => b.limit),
    periods: setup.budgets.map((b) => b.period),
    attributed: setup.budgets.map(() => new Map()),
    committed: [],
  };
  const charge = (amount: bigint, windows: (number | null)[]) => {
    out.committed.push({ amount, windows: windows.map((w) => (w === null ? [] : [w])) });
    windows.forEach((w, i) => {
      if (w !== null) out.attributed[i]!.set(w, (out.attributed[i]!.get(w) ?? 0n) + amount);
    });
  };
  for (const op of setup.ops) {
    if (op.kind === "advance") now += op.ms;
    if (op.kind === "toEdge")
      now = windowEnd(op.period, rollover({ asset: "USD", period: op.period, limit: 0n, spent: 0n, held: 0n, windowStart: null }, now).windowStart!) + op.offset;
    if (op.kind === "spend" || op.kind === "hold") {
      const rolled = counters.map((c) => rollover(c, now));
      if (!checkDebit(rolled, op.amount).ok) continue;
      counters = rolled.map((c) => (op.kind === "spend" ? debit(c, op.amount) : reserve(c, op.amount)));
      if (op.kind === "spend") charge(op.amount, counters.map(chargedWindow));
      else holds.push({ amount: op.amount, windows: counters.map(chargedWindow) });
    }
    if ((op.kind === "capture" || op.kind === "void") && holds.length > 0) {
      const index = op.hold % holds.length;
      const hold = holds[index]!;
      const take = op.kind === "capture" ? (hold.amount * BigInt(op.per4)) / 4n : 0n;
      // As settleHoldCounters: only a counter still in the hold's window carries its reservation.
      counters = counters.map((c, i) => {
        if (!sameWindow(c, hold.windows[i] ?? null)) return c;
        return op.kind === "capture" ? capture(c, hold.amount, take) : release(c, hold.amount);
      });
      holds = holds.filter((_, i) => i !== index);
      if (op.kind === "capture") {
        const windows = rule === "hold-window" ? hold.windows : counters.map((c) => chargedWindow(rollover(c, now)));
        charge(take, windows);
      }
    }
  }
  return out;
}

/** The rule's promise, for one run: each window within its limit, each committed amount charged exactly once per periodic budget. */
function checkAttribution(r: Run): void {
  r.attributed.forEach((windows, i) => {
    for (const [start, sum] of windows) expect(sum, `budget ${i} (${r.periods[i]}) window ${new Date(start).toISOString()}`).toBeLessThanOrEqual(r.limits[i]!);
  });
  r.periods.forEach((period, i) => {
    for (const c of r.committed) expect(c.windows[i]).toHaveLength(period === null ? 0 : 1);
    const total = r.committed.reduce((s, c) => s + c.amount, 0n);
    const attributed = [...r.attributed[i]!.values()].reduce((s, x) => s + x, 0n);
    expect(attributed).toBe(period === null ? 0n : total);
    // A lifetime budget has one window, its life.
    if (period === null) expect(total).toBeLessThanOrEqual(r.limits[i]!);
  });
}

const H08_59 = Date.parse("2027-03-01T08:59:00.000Z");
const ATTACK = {
  start: H08_59,
  budgets: [
    { period: "hour" as Period | null, limit: 100n },
    { period: null, limit: 1000n },
  ],
  ops: [
    { kind: "hold", amount: 60n },
    { kind: "spend", amount: 40n },
    { kind: "advance", ms: 62_000 },
    { kind: "spend", amount: 100n },
    { kind: "capture", hold: 0, per4: 4 },
  ] as Op[],
};

describe("charged windows: happy", () => {
  it("charges the issue's attack to 08:00 (40 spent + 60 captured) and 09:00 (100 spent)", () => {
    const r = run(ATTACK, "hold-window");
    expect(Object.fromEntries([...r.attributed[0]!].map(([w, s]) => [new Date(w).toISOString(), s]))).toEqual({
      "2027-03-01T08:00:00.000Z": 100n,
      "2027-03-01T09:00:00.000Z": 100n,
    });
    checkAttribution(r);
  });

  it("a direct debit is charged to the counter's window after rollover; a lifetime budget to none", () => {
    const c = rollover({ asset: "USD", period: "hour", limit: 10n, spent: 0n, held: 0n, windowStart: null }, Date.parse("2027-03-01T09:00:00.000Z"));
    expect(chargedWindow(debit(c, 1n))).toBe(Date.parse("2027-03-01T09:00:00.000Z"));
    expect(chargedWindow({ asset: "USD", period: null, limit: 10n, spent: 0n, held: 0n, windowStart: null })).toBeNull();
  });
});

describe("charged windows: properties", () => {
  it("under the rule, no window is attributed more than its limit and every committed amount exactly once", () => {
    fc.assert(
      fc.property(setupArb, (setup) => checkAttribution(run(setup, "hold-window"))),
      { numRuns: 400 },
    );
  });
});

describe("charged windows: security", () => {
  it("charging a capture to the window current at capture (the old receipts' reading) lets the 09:00 window take 160", () => {
    const r = run(ATTACK, "capture-time");
    expect(r.attributed[0]!.get(Date.parse("2027-03-01T09:00:00.000Z"))).toBe(160n);
    expect(() => checkAttribution(r)).toThrow();
  });

  it("the property finds that counterexample by itself when captures are charged at capture time", () => {
    expect(() =>
      fc.assert(
        fc.property(setupArb, (setup) => checkAttribution(run(setup, "capture-time"))),
        { numRuns: 400, seed: 1 },
      ),
    ).toThrow();
  });
});
