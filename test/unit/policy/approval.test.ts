import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  approvalNeeded,
  approvalWidenings,
  attenuate,
  capture,
  checkDebit,
  debit,
  release,
  remaining,
  reserve,
  type ApprovalPolicy,
  type Bounds,
  type BudgetCounter,
} from "../../../src/core/policy";

const T0 = Date.parse("2026-03-02T00:00:00Z");
const PAY = "http:POST:payments.example.com/charge";

const policy = (over: Partial<ApprovalPolicy> = {}): ApprovalPolicy => ({ over: [{ asset: "USD", amount: "10000" }], ...over });
const chainOf = (...policies: (ApprovalPolicy | undefined)[]) => policies.map((approval, i) => ({ id: `ses_${i}`, limits: approval ? { approval } : {} }));

describe("approvalNeeded: happy", () => {
  it("asks when the amount is strictly over the line for its asset", () => {
    const chain = chainOf(policy());
    expect(approvalNeeded(chain, PAY, { asset: "USD", value: 10_000n })).toBeNull();
    expect(approvalNeeded(chain, PAY, { asset: "USD", value: 10_001n })).toMatchObject({ approvers: 1, expiresIn: 600 });
    expect(approvalNeeded(chain, PAY, { asset: "EUR", value: 10_001n })).toBeNull();
  });

  it("asks when a scope of approval.scopes covers the action, with or without an amount", () => {
    const chain = chainOf(policy({ over: [], scopes: ["http:POST:payments.example.com/*"] }));
    expect(approvalNeeded(chain, PAY)).toMatchObject({ because: [{ session: "ses_0", rule: "scope" }] });
    expect(approvalNeeded(chain, "http:GET:api.example.com/x")).toBeNull();
  });

  it("takes the strictest of every level: most approvers, shortest wait; any level's line binds", () => {
    const chain = chainOf(policy({ approvers: 3, expires_in: 900 }), undefined, policy({ over: [{ asset: "USD", amount: "500" }], approvers: 1, expires_in: 60 }));
    expect(approvalNeeded(chain, PAY, { asset: "USD", value: 600n })).toMatchObject({ approvers: 1, expiresIn: 60 });
    expect(approvalNeeded(chain, PAY, { asset: "USD", value: 20_000n })).toMatchObject({ approvers: 3, expiresIn: 60 });
  });
});

const base: Bounds = {
  scopes: ["http:*:payments.example.com/*"],
  notBefore: T0,
  expiresAt: T0 + 86_400_000,
  limits: { budgets: [{ asset: "USD", amount: "100000" }], approval: policy({ scopes: ["http:POST:payments.example.com/refund"], approvers: 2, expires_in: 600 }) },
  maxDepth: 2,
};
const withApproval = (approval: ApprovalPolicy | undefined): Bounds => ({
  ...base,
  maxDepth: 1,
  limits: { budgets: base.limits.budgets!, ...(approval ? { approval } : {}) },
});
const parentApproval = base.limits.approval!;

const tighterArb = fc.record({
  line: fc.bigInt({ min: 0n, max: 10_000n }),
  extraLine: fc.option(fc.bigInt({ min: 0n, max: 10n ** 20n }), { nil: undefined }),
  extraScopes: fc.subarray(["http:POST:payments.example.com/*", "http:GET:payments.example.com/x"]),
  approvers: fc.integer({ min: 2, max: 5 }),
  wait: fc.integer({ min: 10, max: 600 }),
});

describe("attenuate: approval narrowing (property)", () => {
  it("any tightening is allowed: a lower line, lines in more assets, more scopes, more approvers, a shorter wait", () => {
    fc.assert(
      fc.property(tighterArb, (t) => {
        const child: ApprovalPolicy = {
          over: [{ asset: "USD", amount: t.line.toString() }, ...(t.extraLine !== undefined ? [{ asset: "EUR", amount: t.extraLine.toString() }] : [])],
          scopes: [...parentApproval.scopes!, ...t.extraScopes],
          approvers: t.approvers,
          expires_in: t.wait,
        };
        expect(attenuate(base, withApproval(child))).toEqual({ ok: true });
      }),
    );
  });

  it("any one widening is refused, naming its field", () => {
    const widenings: [string, (p: ApprovalPolicy, n: number) => ApprovalPolicy | undefined][] = [
      ["limits.approval.over.0.amount:exceeds_parent", (p, n) => ({ ...p, over: [{ asset: "USD", amount: String(10_000 + n) }] })],
      ["limits.approval.over:missing", (p) => ({ ...p, over: [{ asset: "EUR", amount: "1" }] })],
      ["limits.approval.scopes:scope_not_kept", (p) => ({ ...p, scopes: [] })],
      ["limits.approval.approvers:below_parent", (p) => ({ ...p, approvers: 1 })],
      ["limits.approval.expires_in:exceeds_parent", (p, n) => ({ ...p, expires_in: 600 + n })],
      ["limits.approval:missing", () => undefined],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...widenings), fc.integer({ min: 1, max: 80_000 }), ([expected, widen], n) => {
        const r = attenuate(base, withApproval(widen(structuredClone(parentApproval), n)));
        expect(r.ok).toBe(false);
        expect(!r.ok && r.kind === "delegation-widens" ? r.widens.map((w) => `${w.field}:${w.rule}`) : []).toEqual([expected]);
      }),
    );
  });

  it("a child may set an approval where its parent has none; out-of-range values are invalid", () => {
    expect(approvalWidenings(undefined, policy())).toEqual([]);
    expect(approvalWidenings(undefined, policy({ approvers: 9 })).map((w) => w.field)).toEqual(["limits.approval.approvers"]);
    expect(approvalWidenings(undefined, policy({ expires_in: 5 })).map((w) => w.field)).toEqual(["limits.approval.expires_in"]);
  });
});

describe("reservation: never left behind (property, pure budget code)", () => {
  type Step = { kind: "ask"; amount: bigint } | { kind: "spend"; amount: bigint } | { kind: "end"; pick: number; how: "approve" | "deny" | "expire" | "cancel" };
  const stepArb: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ kind: fc.constant("ask" as const), amount: fc.bigInt({ min: 1n, max: 400n }) }),
    fc.record({ kind: fc.constant("spend" as const), amount: fc.bigInt({ min: 1n, max: 200n }) }),
    fc.record({ kind: fc.constant("end" as const), pick: fc.nat(), how: fc.constantFrom("approve" as const, "deny" as const, "expire" as const, "cancel" as const) }),
  );

  it("every approval ends exactly once; only approval spends; at the end nothing is held and spent is the approved plus the direct", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 100n, max: 2000n }), fc.array(stepArb, { maxLength: 60 }), (limit, steps) => {
        let c: BudgetCounter = { asset: "USD", period: null, limit, spent: 0n, held: 0n, windowStart: null };
        const pending: bigint[] = [];
        let approved = 0n;
        let direct = 0n;
        for (const s of steps) {
          if (s.kind === "ask" && checkDebit([c], s.amount).ok) {
            c = reserve(c, s.amount);
            pending.push(s.amount);
          } else if (s.kind === "spend" && checkDebit([c], s.amount).ok) {
            c = debit(c, s.amount);
            direct += s.amount;
          } else if (s.kind === "end" && pending.length > 0) {
            const [amount] = pending.splice(s.pick % pending.length, 1) as [bigint];
            if (s.how === "approve") {
              c = capture(c, amount, amount);
              approved += amount;
            } else c = release(c, amount);
          }
          expect(remaining(c) >= 0n).toBe(true); // invariant 1 counts what waits
          expect(c.held).toBe(pending.reduce((a, b) => a + b, 0n));
        }
        // Whatever is still pending ends by expiry (a timeout is never a yes).
        for (const amount of pending.splice(0)) c = release(c, amount);
        expect(c.held).toBe(0n);
        expect(c.spent).toBe(approved + direct);
      }),
    );
  });
});
