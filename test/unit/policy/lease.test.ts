import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { remaining, rollover, type BudgetCounter } from "../../../src/core/policy";
import { LEASE_MIN_SPENDS, reportDelta, sliceGranted, sliceWanted, type SliceFigures } from "../../../src/core/policy/lease";

const amount = fc.bigInt({ min: 0n, max: 10n ** 30n });
const HOUR0 = Date.parse("2026-03-02T10:00:00Z");

describe("lease sizes: happy path", () => {
  it("a cold child asks for a few spends' worth, a busy one for its lookahead at the recent rate", () => {
    expect(sliceWanted({ need: 5n, spend: 5n, usedRecently: 0n, overMs: 1 })).toBe(5n * LEASE_MIN_SPENDS);
    // 100 per second over the last 2 s: 10 s ahead is 1,000.
    expect(sliceWanted({ need: 5n, spend: 5n, usedRecently: 200n, overMs: 2_000 })).toBe(1_000n);
  });

  it("the parent gives the ask while it has room, an even share when it has less, and the need near the end", () => {
    expect(sliceGranted({ want: 80n, need: 5n, available: 1_000_000n, openLeases: 8 })).toBe(80n);
    expect(sliceGranted({ want: 800n, need: 5n, available: 900n, openLeases: 8 })).toBe(100n);
    expect(sliceGranted({ want: 80n, need: 5n, available: 20n, openLeases: 8 })).toBe(5n);
    expect(sliceGranted({ want: 80n, need: 5n, available: 4n, openLeases: 8 })).toBeNull();
  });

  it("a report moves only what grew since the parent's record", () => {
    const recorded: SliceFigures = { granted: 100n, released: 10n, spent: 30n };
    expect(reportDelta(recorded, { granted: 100n, released: 15n, spent: 50n })).toEqual({ spent: 20n, released: 5n });
    expect(reportDelta(recorded, recorded)).toEqual({ spent: 0n, released: 0n });
  });
});

describe("lease sizes: errors", () => {
  it("refuses negative figures", () => {
    expect(() => sliceWanted({ need: -1n, spend: 1n, usedRecently: 0n, overMs: 1 })).toThrow(RangeError);
  });
});

describe("lease sizes: properties", () => {
  it("a grant is never below the need nor above what is left, and never more than an even share unless the need is", () => {
    fc.assert(
      fc.property(amount, amount, amount, fc.integer({ min: 0, max: 10_000 }), (want, need, available, openLeases) => {
        const g = sliceGranted({ want, need, available, openLeases });
        // Two cases, each asserted: no room for the need is null, else a grant within bounds.
        expect(g === null).toBe(need > available);
        if (g === null) return;
        expect(g!).toBeGreaterThanOrEqual(need);
        expect(g!).toBeLessThanOrEqual(available);
        const share = available / BigInt(Math.max(1, openLeases) + 1);
        expect(g! <= share || g === need).toBe(true);
      }),
    );
  });

  it("the ask always covers the need", () => {
    fc.assert(
      fc.property(amount, amount, amount, fc.integer({ min: 0, max: 10_000_000 }), (need, spend, used, overMs) => {
        expect(sliceWanted({ need, spend, usedRecently: used, overMs })).toBeGreaterThanOrEqual(need);
      }),
    );
  });

  it("reports are idempotent and order-free: applying any sequence of cumulative reports moves exactly the largest one", () => {
    const figures = fc.record({ granted: amount, released: amount, spent: amount });
    fc.assert(
      fc.property(fc.array(figures, { minLength: 1, maxLength: 8 }), (reports) => {
        let rec: SliceFigures = { granted: 0n, released: 0n, spent: 0n };
        let moved = { spent: 0n, released: 0n };
        for (const r of [...reports, ...reports.slice().reverse()]) {
          const d = reportDelta(rec, r);
          moved = { spent: moved.spent + d.spent, released: moved.released + d.released };
          rec = { granted: rec.granted, spent: rec.spent + d.spent, released: rec.released + d.released };
        }
        const max = (k: "spent" | "released") => reports.reduce((m, r) => (r[k] > m ? r[k] : m), 0n);
        expect(moved).toEqual({ spent: max("spent"), released: max("released") });
      }),
    );
  });

  it("a leased slice's new window starts with nothing granted, nothing given back", () => {
    fc.assert(
      fc.property(amount, amount, amount, (limit, spent, released) => {
        const c: BudgetCounter = { asset: "USD", period: "hour", limit, spent, held: 0n, windowStart: HOUR0, lease: true, released };
        const next = rollover(c, HOUR0 + 3600_000);
        expect(next).toMatchObject({ limit: 0n, spent: 0n, held: 0n, released: 0n });
        expect(remaining(next)).toBe(0n);
      }),
    );
  });
});
