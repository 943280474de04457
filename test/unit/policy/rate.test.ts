import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { gcra, gcraPeek, rateLimitHeaders, tightest, type RateDecision, type RateLimit } from "../../../src/core/policy";

const NOW = Date.parse("2026-03-02T12:00:00Z");
const TEN_PER_MINUTE: RateLimit = { requests: 10, per_seconds: 60 };

/** Send `count` requests at `now`, threading the TAT; returns every decision. */
function burst(limit: RateLimit, count: number, now = NOW, tat: number | null = null): RateDecision[] {
  const out: RateDecision[] = [];
  for (let i = 0; i < count; i++) {
    const d = gcra(tat, now, limit);
    tat = d.tat;
    out.push(d);
  }
  return out;
}

describe("rate: happy path", () => {
  it("a fresh limit allows a burst of exactly `requests`, counting remaining down", () => {
    const ds = burst(TEN_PER_MINUTE, 11);
    expect(ds.map((d) => d.allowed)).toEqual([...Array(10).fill(true), false]);
    expect(ds.map((d) => d.remaining)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0]);
  });

  it("the first request stores TAT = now + T and resets after T", () => {
    expect(gcra(null, NOW, TEN_PER_MINUTE)).toEqual({
      allowed: true,
      tat: NOW + 6000,
      remaining: 9,
      resetSeconds: 6,
      retryAfterSeconds: 0,
    });
  });

  it("a refusal keeps the TAT and says when to retry", () => {
    const last = burst(TEN_PER_MINUTE, 10).at(-1);
    const refused = gcra(last?.tat ?? null, NOW, TEN_PER_MINUTE);
    expect(refused).toEqual({ allowed: false, tat: last?.tat, remaining: 0, resetSeconds: 60, retryAfterSeconds: 6 });
  });

  it("one emission interval after a full burst, exactly one more request is allowed", () => {
    const tat = burst(TEN_PER_MINUTE, 10).at(-1)?.tat ?? null;
    expect(gcra(tat, NOW + 5999, TEN_PER_MINUTE).allowed).toBe(false);
    const d = gcra(tat, NOW + 6000, TEN_PER_MINUTE);
    expect(d).toMatchObject({ allowed: true, remaining: 0 });
    expect(gcra(d.tat, NOW + 6000, TEN_PER_MINUTE).allowed).toBe(false);
  });

  it("an idle limit is back to full capacity", () => {
    const tat = burst(TEN_PER_MINUTE, 10).at(-1)?.tat ?? null;
    expect(burst(TEN_PER_MINUTE, 11, NOW + 60_000, tat).filter((d) => d.allowed)).toHaveLength(10);
  });

  it("allows a full burst when the interval is not a whole number of ms (7 per minute, 3 per second)", () => {
    expect(burst({ requests: 7, per_seconds: 60 }, 8).map((d) => d.allowed)).toEqual([...Array(7).fill(true), false]);
    expect(burst({ requests: 3, per_seconds: 1 }, 4).map((d) => d.allowed)).toEqual([true, true, true, false]);
  });

  it("allows one request per second at 1 per 1 s, at exact one-second steps", () => {
    let tat: number | null = null;
    for (let i = 0; i < 50; i++) {
      const d = gcra(tat, NOW + i * 1000, { requests: 1, per_seconds: 1 });
      expect(d.allowed).toBe(true);
      tat = d.tat;
    }
  });

  it("formats the draft RateLimit-Policy and RateLimit fields", () => {
    const d = burst(TEN_PER_MINUTE, 7).at(-1);
    if (!d) throw new Error("no decision");
    expect(rateLimitHeaders(TEN_PER_MINUTE, d)).toEqual({
      "RateLimit-Policy": '"session";q=10;w=60',
      RateLimit: '"session";r=3;t=42',
    });
    expect(rateLimitHeaders(TEN_PER_MINUTE, d, "tree").RateLimit).toBe('"tree";r=3;t=42');
  });

  it("escapes quotes and backslashes in the policy name", () => {
    const d = gcra(null, NOW, TEN_PER_MINUTE);
    expect(rateLimitHeaders(TEN_PER_MINUTE, d, 'a"b\\c')["RateLimit-Policy"]).toBe('"a\\"b\\\\c";q=10;w=60');
  });

  it("tightest picks the least remaining, then the longest reset, then the first", () => {
    const d = (remaining: number, resetSeconds: number): RateDecision => ({
      allowed: true,
      tat: 0,
      remaining,
      resetSeconds,
      retryAfterSeconds: 0,
    });
    const a = { name: "a", decision: d(3, 10) };
    const b = { name: "b", decision: d(1, 5) };
    const c = { name: "c", decision: d(1, 20) };
    const e = { name: "e", decision: d(1, 20) };
    expect(tightest([a, b, c, e])?.name).toBe("c");
    expect(tightest([a])?.name).toBe("a");
    expect(tightest([])).toBeUndefined();
  });
});

describe("rate: refusals", () => {
  it.each<[string, RateLimit]>([
    ["zero requests", { requests: 0, per_seconds: 60 }],
    ["negative requests", { requests: -1, per_seconds: 60 }],
    ["fractional requests", { requests: 1.5, per_seconds: 60 }],
    ["zero seconds", { requests: 10, per_seconds: 0 }],
    ["NaN seconds", { requests: 10, per_seconds: NaN }],
  ])("refuses a limit with %s", (_name, limit) => {
    expect(() => gcra(null, NOW, limit)).toThrow(RangeError);
  });

  it("refuses times that are not finite", () => {
    expect(() => gcra(null, NaN, TEN_PER_MINUTE)).toThrow(RangeError);
    expect(() => gcra(Infinity, NOW, TEN_PER_MINUTE)).toThrow(RangeError);
  });

  it("refuses a policy name that is not printable ASCII", () => {
    const d = gcra(null, NOW, TEN_PER_MINUTE);
    expect(() => rateLimitHeaders(TEN_PER_MINUTE, d, "séssion")).toThrow(RangeError);
    expect(() => rateLimitHeaders(TEN_PER_MINUTE, d, "a\nb")).toThrow(RangeError);
  });
});

// ---- properties ----

const limitArb = fc.record({
  requests: fc.integer({ min: 1, max: 20 }),
  per_seconds: fc.integer({ min: 1, max: 120 }),
});

/** Request times: a start and non-decreasing gaps, often zero, sometimes long. */
function timesArb(limit: RateLimit): fc.Arbitrary<number[]> {
  const window = limit.per_seconds * 1000;
  const gap = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: Math.ceil(window / limit.requests) * 2 }), fc.integer({ min: 0, max: window * 2 }));
  return fc.tuple(fc.integer({ min: NOW, max: NOW + 1e9 }), fc.array(gap, { maxLength: 120 })).map(([start, gaps]) => {
    let t = start;
    return gaps.map((g) => (t += g));
  });
}

interface Step {
  now: number;
  tatBefore: number | null;
  decision: RateDecision;
}

function run(limit: RateLimit, times: number[]): Step[] {
  let tat: number | null = null;
  return times.map((now) => {
    const decision = gcra(tat, now, limit);
    const step = { now, tatBefore: tat, decision };
    tat = decision.tat;
    return step;
  });
}

const scenario = limitArb.chain((limit) => timesArb(limit).map((times) => ({ limit, times })));

describe("rate: properties", () => {
  /*
   * The bound. Let requests be allowed at t1 ≤ … ≤ tk inside a half-open
   * interval of length W, τ = per_seconds·1000 and T ≥ τ/requests the
   * (rounded-up) interval. Each allowance sets TAT to max(TAT, now) + T and
   * refusals leave it alone, so after the k-th TAT ≥ t1 + k·T. Allowing the
   * k-th needs TAT − tk ≤ requests·T. Hence (k − requests)·T ≤ tk − t1 < W,
   * and with T ≥ τ/requests: k·τ < requests·(W + τ). For W = τ: k ≤ 2·requests − 1
   * (a full burst at the start of the window, then the refill across it).
   */
  it("in any interval of length W, allowed·τ < requests·(W + τ) (at most 2·requests − 1 per window)", () => {
    fc.assert(
      fc.property(scenario, fc.integer({ min: 1, max: 300_000 }), ({ limit, times }, w) => {
        const tau = limit.per_seconds * 1000;
        const allowed = run(limit, times)
          .filter((s) => s.decision.allowed)
          .map((s) => s.now);
        for (const W of [tau, w]) {
          for (const a of allowed) {
            const k = allowed.filter((t) => t >= a && t < a + W).length;
            expect(k * tau).toBeLessThan(limit.requests * (W + tau));
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it("the bound is reached: a burst then one request per interval gives 2·requests − 1 in one window", () => {
    fc.assert(
      fc.property(
        limitArb.filter((l) => (l.per_seconds * 1000) % l.requests === 0),
        (limit) => {
          const tau = limit.per_seconds * 1000;
          const t = tau / limit.requests;
          const times = [...Array(limit.requests).fill(NOW), ...Array.from({ length: limit.requests - 1 }, (_, i) => NOW + (i + 1) * t)];
          expect(run(limit, times).every((s) => s.decision.allowed)).toBe(true);
        },
      ),
    );
  });

  it("a fresh limit allows exactly `requests` at one instant, whatever the interval", () => {
    fc.assert(
      fc.property(fc.record({ requests: fc.integer({ min: 1, max: 5000 }), per_seconds: fc.integer({ min: 1, max: 86_400 }) }), (limit) => {
        const ds = burst(limit, limit.requests + 1);
        expect(ds.filter((d) => d.allowed)).toHaveLength(limit.requests);
        expect(ds.at(-1)?.allowed).toBe(false);
      }),
      { numRuns: 50 },
    );
  });

  it("a refused request's retryAfter is honoured, and is the least whole number of seconds", () => {
    fc.assert(
      fc.property(scenario, ({ limit, times }) => {
        for (const { now, tatBefore, decision } of run(limit, times)) {
          if (decision.allowed) {
            expect(decision.retryAfterSeconds).toBe(0);
            continue;
          }
          expect(decision.tat).toBe(tatBefore);
          expect(Number.isInteger(decision.retryAfterSeconds) && decision.retryAfterSeconds >= 1).toBe(true);
          expect(gcra(tatBefore, now + decision.retryAfterSeconds * 1000, limit).allowed).toBe(true);
          expect(gcra(tatBefore, now + (decision.retryAfterSeconds - 1) * 1000, limit).allowed).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("remaining is exact: that many more are allowed at the same instant, then one is refused", () => {
    fc.assert(
      fc.property(scenario, ({ limit, times }) => {
        for (const { now, decision } of run(limit, times).slice(-5)) {
          const more = burst(limit, decision.remaining + 1, now, decision.tat);
          expect(more.map((d) => d.allowed)).toEqual([...Array(decision.remaining).fill(true), false]);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("stored TATs are exact multiples of 1/1024 ms and never move back", () => {
    fc.assert(
      fc.property(scenario, ({ limit, times }) => {
        let last = -Infinity;
        for (const { decision } of run(limit, times)) {
          expect(Number.isSafeInteger(decision.tat * 1024)).toBe(true);
          expect(decision.tat).toBeGreaterThanOrEqual(last);
          last = decision.tat;
        }
      }),
    );
  });
});

describe("rate: peeking", () => {
  it("gcraPeek's remaining is exactly how many requests gcra allows right now, and its reset matches", () => {
    fc.assert(
      fc.property(
        limitArb.chain((limit) => fc.tuple(fc.constant(limit), timesArb(limit))),
        fc.integer({ min: 0, max: 5000 }),
        ([limit, times], later) => {
          const history = run(limit, times);
          let tat = history.length ? history[history.length - 1]!.decision.tat : null;
          const now = (times[times.length - 1] ?? NOW) + later;
          const peek = gcraPeek(tat, now, limit);
          let allowed = 0;
          for (let i = 0; i <= limit.requests; i++) {
            const d = gcra(tat, now, limit);
            if (!d.allowed) break;
            if (i === 0) expect(d.remaining).toBe(Math.max(0, peek.remaining - 1));
            allowed++;
            tat = d.tat;
          }
          expect(allowed).toBe(peek.remaining);
        },
      ),
    );
  });

  it("a session never used has its whole burst", () => {
    expect(gcraPeek(null, NOW, TEN_PER_MINUTE)).toEqual({ remaining: 10, resetSeconds: 0 });
  });
});
