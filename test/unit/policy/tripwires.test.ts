import { describe, expect, it } from "vitest";
import { increment, overThreshold, readRule, tripwireErrors, type TripwireRule } from "../../../src/core/policy/tripwires";

const rule = (over: Partial<TripwireRule> = {}): TripwireRule => ({
  id: "trw_01j9zq3x4m5n6p7r8s9t0v1w2x",
  metric: "count",
  asset: null,
  scope: null,
  window: 60,
  threshold: "5",
  per: "tree",
  action: "deny",
  mode: "enforce",
  ...over,
});
const action = (scope: string, asset: string | null = null, amount: bigint | null = null) => ({ kind: "action" as const, scope, asset, amount });

describe("trip-wire evaluation", () => {
  it("trips on the decision that takes the total strictly over the threshold", () => {
    expect(overThreshold(rule(), 4n, 1n)).toBe(false);
    expect(overThreshold(rule(), 5n, 1n)).toBe(true);
    expect(overThreshold(rule({ metric: "amount", asset: "USD", threshold: "100" }), 60n, 40n)).toBe(false);
    expect(overThreshold(rule({ metric: "amount", asset: "USD", threshold: "100" }), 60n, 41n)).toBe(true);
  });

  it("counts what its metric, asset and scope say, and nothing else", () => {
    expect(increment(rule(), action("http:GET:api.example.com/x"))).toBe(1n);
    expect(increment(rule(), { kind: "denial", scope: null, asset: null, amount: null })).toBeNull();
    expect(increment(rule({ metric: "denials" }), { kind: "denial", scope: null, asset: null, amount: null })).toBe(1n);
    expect(increment(rule({ metric: "amount", asset: "USD" }), action("http:GET:a.example/x", "USD", 250n))).toBe(250n);
    expect(increment(rule({ metric: "amount", asset: "USD" }), action("http:GET:a.example/x", "EUR", 250n))).toBeNull();
    expect(increment(rule({ metric: "amount", asset: "USD" }), action("http:GET:a.example/x"))).toBeNull();
    expect(increment(rule({ scope: "http:GET:api.example.com/v1/*" }), action("http:GET:api.example.com/v1/x"))).toBe(1n);
    expect(increment(rule({ scope: "http:GET:api.example.com/v1/*" }), action("http:GET:api.example.com/v2/x"))).toBeNull();
  });

  it("fails closed on a rule it cannot read or a threshold it cannot compare", () => {
    expect(readRule("{not json")).toBeNull();
    expect(readRule(JSON.stringify({ ...rule(), metric: "velocity" }))).toBeNull();
    expect(readRule(JSON.stringify({ ...rule(), metric: "amount", asset: undefined }))).toBeNull();
    expect(readRule(JSON.stringify(rule()))).toEqual(rule());
    expect(() => overThreshold(rule({ threshold: "lots" }), 1n, 1n)).toThrow(TypeError);
  });

  it("names each cross-field error", () => {
    const base = { metric: "count" as const, window: 60, threshold: "5", per: "tree" as const, action: "deny" as const, mode: "enforce" as const };
    expect(tripwireErrors(base)).toEqual([]);
    expect(tripwireErrors({ ...base, metric: "amount" }).map((e) => [e.field, e.rule])).toEqual([["asset", "required_for_amount"]]);
    expect(tripwireErrors({ ...base, threshold: "-1" }).map((e) => e.rule)).toEqual(["positive_integer"]);
    expect(tripwireErrors({ ...base, window: 9 }).map((e) => e.field)).toEqual(["window"]);
    expect(tripwireErrors({ ...base, scope: "bad" }).map((e) => e.field)).toEqual(["scope"]);
  });
});
