import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { attenuate, coveredByAny, type AttenuateResult, type Bounds, type Widening } from "../../../src/core/policy";
import { boundsArb, budgetKey, narrowArb, widenOneArb } from "./arbitraries";

const DAY = 86_400_000;
const T0 = Date.parse("2026-03-02T00:00:00Z");

const parent: Bounds = {
  scopes: ["http:GET:api.example.com/v1/*", "http:*:pay.example.com/*"],
  notBefore: T0,
  expiresAt: T0 + 30 * DAY,
  limits: {
    calls: 1000,
    rate: { requests: 10, per_seconds: 60 },
    budgets: [
      { asset: "USD", amount: "10000" },
      { asset: "USD", amount: "2000", period: "day" },
    ],
  },
  maxDepth: 2,
};

/** The parent itself with one less depth: the widest child that is allowed. */
const same = (over: Partial<Bounds> = {}): Bounds => ({ ...structuredClone(parent), maxDepth: 1, ...over });

function widens(r: AttenuateResult): Widening[] {
  if (r.ok || r.kind !== "delegation-widens") throw new Error(`expected delegation-widens, got ${JSON.stringify(r)}`);
  return r.widens;
}

const fields = (r: AttenuateResult): string[] => widens(r).map((w) => `${w.field}:${w.rule}`);

describe("attenuate: happy path", () => {
  it("allows a child equal to its parent in everything but depth", () => {
    expect(attenuate(parent, same())).toEqual({ ok: true });
  });

  it("allows a child narrower in every respect", () => {
    const child: Bounds = {
      scopes: ["http:GET:api.example.com/v1/users/*", "http:POST:pay.example.com/charge"],
      notBefore: T0 + DAY,
      expiresAt: T0 + 2 * DAY,
      limits: {
        calls: 10,
        rate: { requests: 5, per_seconds: 60 },
        budgets: [
          { asset: "USD", amount: "500" },
          { asset: "USD", amount: "100", period: "day" },
        ],
      },
      maxDepth: 0,
    };
    expect(attenuate(parent, child)).toEqual({ ok: true });
  });

  it("allows a child with no scopes at all", () => {
    expect(attenuate(parent, same({ scopes: [] }))).toEqual({ ok: true });
  });

  it("allows a child to add a period budget for an asset the parent limits", () => {
    const child = same();
    child.limits.budgets?.push({ asset: "USD", amount: "999999", period: "hour" });
    expect(attenuate(parent, child)).toEqual({ ok: true });
  });

  it("allows a child to add limits its parent does not have", () => {
    const open: Bounds = { ...structuredClone(parent), limits: {} };
    const child: Bounds = { ...structuredClone(parent), maxDepth: 0, limits: { calls: 5, rate: { requests: 1, per_seconds: 1 } } };
    expect(attenuate(open, child)).toEqual({ ok: true });
  });

  it("compares rates by cross-multiplying: the same ratio is not wider", () => {
    expect(attenuate(parent, same({ limits: { ...same().limits, rate: { requests: 5, per_seconds: 30 } } }))).toEqual({ ok: true });
    expect(attenuate(parent, same({ limits: { ...same().limits, rate: { requests: 10, per_seconds: 61 } } }))).toEqual({ ok: true });
  });
});

describe("attenuate: refusals", () => {
  it("names budgets in the units people read, with the exact minor units beside them", () => {
    const missing = widens(attenuate(parent, same({ limits: { ...parent.limits, budgets: [{ asset: "USD", amount: "2000", period: "day" }] } })));
    expect(missing.map((w) => w.message)).toEqual(['the parent\'s budget of $100.00 for life must be set (USD per life, "10000" in minor units)']);
    const over = widens(
      attenuate(
        parent,
        same({
          limits: {
            ...parent.limits,
            budgets: [
              { asset: "USD", amount: "10000" },
              { asset: "USD", amount: "2500", period: "day" },
            ],
          },
        }),
      ),
    );
    expect(over.map((w) => w.message)).toEqual(['$25.00 a day exceeds the parent\'s $20.00 (USD per day: "2500" > "2000" in minor units)']);
    // An asset of the service's table (ASSET_DECIMALS) is shown with its decimals.
    const usdc = { ...parent, limits: { budgets: [{ asset: "USDC", amount: "1500000" }] } };
    const words = widens(attenuate(usdc, same({ limits: { budgets: [{ asset: "USDC", amount: "2000000" }] } }), { USDC: 6 }));
    expect(words[0]!.message).toMatch(/^2\.000000 USDC for life exceeds the parent's 1\.500000 USDC/);
  });

  it("refuses any delegation from a parent with max_depth 0, whatever the child", () => {
    expect(attenuate({ ...parent, maxDepth: 0 }, same({ maxDepth: 0 }))).toMatchObject({ ok: false, kind: "depth-exceeded" });
  });

  it("refuses a child whose max_depth is not below its parent's", () => {
    expect(fields(attenuate(parent, same({ maxDepth: 2 })))).toEqual(["max_depth:exceeds_parent"]);
    expect(fields(attenuate(parent, same({ maxDepth: NaN })))).toEqual(["max_depth:invalid"]);
  });

  it("refuses a scope no parent scope covers, naming its index", () => {
    const r = attenuate(parent, same({ scopes: ["http:GET:api.example.com/v1/x", "http:GET:api.example.com/v2/x", "http:*:api.example.com/v1/*"] }));
    expect(fields(r)).toEqual(["scopes.1:scope_not_covered", "scopes.2:scope_not_covered"]);
  });

  it("refuses a malformed child scope as not covered", () => {
    expect(fields(attenuate(parent, same({ scopes: ["http:GET:api.example.com/v1/ü"] })))).toEqual(["scopes.0:scope_not_covered"]);
  });

  it("refuses a window that starts earlier or ends later, by 1 ms", () => {
    expect(fields(attenuate(parent, same({ notBefore: T0 - 1 })))).toEqual(["not_before:before_parent"]);
    expect(fields(attenuate(parent, same({ expiresAt: T0 + 30 * DAY + 1 })))).toEqual(["expires_at:after_parent"]);
  });

  it("refuses a child that drops or raises the parent's call count", () => {
    expect(fields(attenuate(parent, same({ limits: { ...same().limits, calls: 1001 } })))).toEqual(["limits.calls:exceeds_parent"]);
    const { calls: _dropped, ...noCalls } = same().limits;
    expect(fields(attenuate(parent, same({ limits: noCalls })))).toEqual(["limits.calls:missing"]);
  });

  it("refuses a larger burst, a faster rate, or no rate under a rate-limited parent", () => {
    const rate = (requests: number, per_seconds: number) => same({ limits: { ...same().limits, rate: { requests, per_seconds } } });
    expect(fields(attenuate(parent, rate(11, 600)))).toEqual(["limits.rate:exceeds_parent"]);
    expect(fields(attenuate(parent, rate(1, 5)))).toEqual(["limits.rate:exceeds_parent"]);
    expect(fields(attenuate(parent, rate(10, 59)))).toEqual(["limits.rate:exceeds_parent"]);
    expect(fields(attenuate(parent, rate(0, 60)))).toEqual(["limits.rate:invalid"]);
    const { rate: _dropped, ...noRate } = same().limits;
    expect(fields(attenuate(parent, same({ limits: noRate })))).toEqual(["limits.rate:missing"]);
  });

  it("refuses a missing or larger budget, naming asset and period", () => {
    const missing = widens(attenuate(parent, same({ limits: { ...same().limits, budgets: [{ asset: "USD", amount: "10000" }] } })));
    expect(missing).toEqual([{ field: "limits.budgets", rule: "missing", message: expect.stringContaining("USD per day") }]);
    const larger = widens(
      attenuate(
        parent,
        same({
          limits: {
            ...same().limits,
            budgets: [
              { asset: "USD", amount: "10001" },
              { asset: "USD", amount: "2000", period: "day" },
            ],
          },
        }),
      ),
    );
    expect(larger).toEqual([{ field: "limits.budgets", rule: "exceeds_parent", message: expect.stringContaining("USD per life") }]);
  });

  it("refuses a budget in an asset the parent does not limit, naming its index", () => {
    const child = same();
    child.limits.budgets?.push({ asset: "EUR", amount: "1", period: "day" });
    expect(fields(attenuate(parent, child))).toEqual(["limits.budgets.2.asset:asset_not_in_parent"]);
  });

  it("refuses a duplicated budget when any copy is larger", () => {
    const child = same();
    child.limits.budgets?.push({ asset: "USD", amount: "2001", period: "day" });
    expect(fields(attenuate(parent, child))).toEqual(["limits.budgets:exceeds_parent"]);
  });

  it("refuses a malformed child amount with the amount rule", () => {
    const child = same({
      limits: {
        ...same().limits,
        budgets: [
          { asset: "USD", amount: "01" },
          { asset: "USD", amount: "1", period: "day" },
        ],
      },
    });
    expect(fields(attenuate(parent, child))).toEqual(["limits.budgets.0.amount:amount_format", "limits.budgets:missing"]);
  });

  it("reports every widening field, not just the first", () => {
    const child: Bounds = {
      scopes: ["kv:GET:x"],
      notBefore: T0 - 1,
      expiresAt: T0 + 31 * DAY,
      limits: { calls: 5000, rate: { requests: 100, per_seconds: 60 }, budgets: [{ asset: "GPU_SECONDS", amount: "1" }] },
      maxDepth: 5,
    };
    expect(fields(attenuate(parent, child))).toEqual([
      "max_depth:exceeds_parent",
      "scopes.0:scope_not_covered",
      "not_before:before_parent",
      "expires_at:after_parent",
      "limits.calls:exceeds_parent",
      "limits.rate:exceeds_parent",
      "limits.budgets.0.asset:asset_not_in_parent",
      "limits.budgets:missing",
      "limits.budgets:missing",
    ]);
  });

  it("throws on a parent whose stored budget is malformed, rather than guessing", () => {
    const broken: Bounds = { ...parent, limits: { budgets: [{ asset: "USD", amount: "1.5" }] } };
    expect(() => attenuate(broken, same({ limits: { budgets: [{ asset: "USD", amount: "1" }] } }))).toThrow(RangeError);
  });
});

describe("attenuate: properties", () => {
  it("a narrowed child is always allowed", () => {
    fc.assert(
      fc.property(
        boundsArb.chain((p) => narrowArb(p).map((c) => [p, c] as const)),
        ([p, c]) => {
          expect(attenuate(p, c)).toEqual({ ok: true });
        },
      ),
      { numRuns: 500 },
    );
  });

  it("a child widened in exactly one field is refused, naming exactly that field", () => {
    fc.assert(
      fc.property(
        boundsArb.chain((p) => widenOneArb(p).map((w) => [p, w] as const)),
        ([p, { child, field }]) => {
          expect(widens(attenuate(p, child)).map((w) => w.field)).toEqual([field]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("is transitive: whatever a grandchild passes through its parent, it is within its grandparent", () => {
    const step = (b: Bounds): fc.Arbitrary<Bounds> => fc.oneof({ weight: 4, arbitrary: narrowArb(b) }, { weight: 1, arbitrary: widenOneArb(b).map((w) => w.child) });
    const chain = boundsArb.chain((a) => step(a).chain((b) => step(b).map((c) => [a, b, c] as const)));
    let checked = 0;
    fc.assert(
      fc.property(chain, ([a, b, c]) => {
        if (!attenuate(a, b).ok || !attenuate(b, c).ok) return;
        checked++;
        expect(attenuate(a, c)).toEqual({ ok: true });
        expect(c.notBefore).toBeGreaterThanOrEqual(a.notBefore);
        expect(c.expiresAt).toBeLessThanOrEqual(a.expiresAt);
        expect(c.maxDepth).toBeLessThan(a.maxDepth);
        for (const s of c.scopes) expect(coveredByAny(a.scopes, s)).toBe(true);
        if (a.limits.calls !== undefined) expect(c.limits.calls).toBeLessThanOrEqual(a.limits.calls);
        for (const ab of a.limits.budgets ?? []) {
          const cb = (c.limits.budgets ?? []).filter((x) => budgetKey(x) === budgetKey(ab));
          expect(cb.length).toBeGreaterThan(0);
          for (const x of cb) expect(BigInt(x.amount) <= BigInt(ab.amount)).toBe(true);
        }
        const ar = a.limits.rate;
        const cr = c.limits.rate;
        if (ar !== undefined) {
          expect(cr).toBeDefined();
          if (cr) expect(cr.requests * ar.per_seconds <= ar.requests * cr.per_seconds && cr.requests <= ar.requests).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
    // The premise must hold often enough for the property to mean something.
    expect(checked).toBeGreaterThan(100);
  });
});
