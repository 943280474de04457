import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { treeKey } from "../../src/core/tree-ids";
import { agentCall, call, createPrincipal, delegate, grant, problemName, type Agent } from "../support/harness";

const SCOPE = "http:GET:api.example.com/v1/pay";
const RACE_RUNS = Number(env.TEST_RACE_RUNS ?? "12");
const SEED = Number(env.TEST_SEED ?? "1");
const spend = (a: Agent, value: string, asset = "USD", extra: Record<string, unknown> = {}) =>
  agentCall(a, "POST", "/v1/authorize", { scope: SCOPE, amount: { asset, value }, ...extra });
const bearer = (k: string) => ({ authorization: `Bearer ${k}` });

async function usd(p: { apiKey: string }, a: Agent) {
  const s = await call("GET", `/v1/sessions/${a.session.id}`, { headers: bearer(p.apiKey) });
  return s.json.counters.budgets.find((b: { asset: string; period: string | null }) => b.asset === "USD" && b.period === null);
}

/** root → middle → leaf, where `tight` names which level has the smallest budget. */
async function chain(budgets: { root: string; middle: string; leaf: string }, extra: Record<string, unknown> = {}) {
  const p = await createPrincipal();
  const root = await grant(p.apiKey, { scopes: ["http:GET:api.example.com/*"], limits: { budgets: [{ asset: "USD", amount: budgets.root }] }, ...extra });
  const middle = await delegate(root, { limits: { budgets: [{ asset: "USD", amount: budgets.middle }] } });
  const leaf = await delegate(middle, { limits: { budgets: [{ asset: "USD", amount: budgets.leaf }] } });
  return { p, root, middle, leaf };
}

describe("budgets: happy", () => {
  it("debits the session and every ancestor in one step", async () => {
    const { p, root, middle, leaf } = await chain({ root: "1000", middle: "800", leaf: "500" });
    const r = await spend(leaf, "120");
    expect(r.status, r.text).toBe(200);
    for (const [a, limit] of [
      [root, "1000"],
      [middle, "800"],
      [leaf, "500"],
    ] as const) {
      expect(await usd(p, a)).toMatchObject({ limit, spent: "120", held: "0" });
    }
    expect(r.json.receipt.receipt).toMatchObject({ kind: "authorize", amount: "120", asset: "USD", session: leaf.session.id });
    expect(r.json.receipt.receipt.path).toEqual([root.session.id, middle.session.id, leaf.session.id]);
  });

  it("keeps 38-digit amounts exact", async () => {
    const big = "9".repeat(38);
    const p = await createPrincipal();
    const a = await grant(p.apiKey, { limits: { budgets: [{ asset: "WEI", amount: big }] } });
    expect((await agentCall(a, "POST", "/v1/authorize", { scope: "http:GET:api.example.com/x", amount: { asset: "WEI", value: "9".repeat(37) } })).status).toBe(200);
    const s = await call("GET", `/v1/sessions/${a.session.id}`, { headers: bearer(p.apiKey) });
    expect(s.json.counters.budgets[0].remaining).toBe((BigInt(big) - BigInt("9".repeat(37))).toString());
  });

  it("checks every period of an asset: the day budget binds before the lifetime one", async () => {
    const p = await createPrincipal();
    const a = await grant(p.apiKey, {
      limits: {
        budgets: [
          { asset: "USD", amount: "1000" },
          { asset: "USD", amount: "100", period: "day" },
        ],
      },
    });
    expect((await spend(a, "100")).status).toBe(200);
    const r = await spend(a, "1");
    expect(problemName(r)).toBe("budget-exceeded");
    expect(r.json).toMatchObject({ asset: "USD", period: "day", limit: "100", remaining: "0", session: a.session.id });
    const s = await call("GET", `/v1/sessions/${a.session.id}`, { headers: bearer(p.apiKey) });
    const day = s.json.counters.budgets.find((b: { period: string | null }) => b.period === "day");
    expect(Date.parse(day.resets_at) - Date.parse(day.window_start)).toBe(86_400_000);
  });
});

describe("budgets: error — refusals name the budget and change nothing", () => {
  it("refuses a spend past an ancestor's remaining budget, naming that ancestor", async () => {
    const { p, root, middle, leaf } = await chain({ root: "1000", middle: "100", leaf: "100" });
    expect((await spend(middle, "60")).status).toBe(200);
    const r = await spend(leaf, "41");
    expect(r.status).toBe(403);
    expect(problemName(r)).toBe("budget-exceeded");
    expect(r.json).toMatchObject({ session: middle.session.id, asset: "USD", period: null, limit: "100", remaining: "40", requested: "41" });
    expect(r.json.receipt).toMatch(/^rcp_/);
    for (const a of [root, middle]) expect((await usd(p, a)).spent).toBe("60");
    expect((await usd(p, leaf)).spent).toBe("0");
  });

  const bad: [string, unknown, string, string][] = [
    ["a negative amount", { asset: "USD", value: "-5" }, "amount.value", "amount_format"],
    ["a fractional amount", { asset: "USD", value: "1.5" }, "amount.value", "amount_format"],
    ["a non-numeric amount", { asset: "USD", value: "ten" }, "amount.value", "amount_format"],
    ["a number instead of a string", { asset: "USD", value: 10 }, "amount.value", "amount_type"],
    ["an amount over 38 digits", { asset: "USD", value: "1".repeat(39) }, "amount.value", "amount_digits"],
    ["a zero amount", { asset: "USD", value: "0" }, "amount.value", "amount_positive"],
    ["an exponent", { asset: "USD", value: "1e3" }, "amount.value", "amount_format"],
    ["a malformed asset", { asset: "usd", value: "1" }, "amount.asset", "invalid_format"],
    ["an asset with no budget", { asset: "EUR", value: "1" }, "amount.asset", "unknown_asset"],
  ];
  for (const [name, amount, field, rule] of bad) {
    it(`refuses ${name} with validation-failed and changes nothing`, async () => {
      const p = await createPrincipal();
      const a = await grant(p.apiKey, { limits: { calls: 10, budgets: [{ asset: "USD", amount: "100" }] } });
      const r = await agentCall(a, "POST", "/v1/authorize", { scope: SCOPE, amount });
      expect(r.status, r.text).toBe(400);
      expect(problemName(r)).toBe("validation-failed");
      expect(r.json.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field, rule: expect.stringContaining(rule.replace("invalid_format", "")) })]));
      const s = await call("GET", `/v1/sessions/${a.session.id}`, { headers: bearer(p.apiKey) });
      expect(s.json.counters.budgets[0]).toMatchObject({ spent: "0", held: "0" });
      expect(s.json.counters.calls.used).toBe(0);
    });
  }
});

describe("budgets: security — exact under concurrency (invariant 1)", () => {
  it("N parallel spends at a leaf three deep succeed exactly ⌊B/a⌋ times when an ancestor is tightest, over many seeds", async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 9 }), // amount a
        fc.integer({ min: 0, max: 60 }), // what the tightest level has left: B
        fc.integer({ min: 10, max: 40 }), // parallel requests N
        fc.constantFrom<"root" | "middle" | "leaf">("root", "middle", "leaf"),
        async (amount, left, n, where) => {
          runs++;
          // A child can never be granted more than its parent, so an ancestor becomes the
          // tightest by having spent: the ancestor itself spends until `left` remains.
          const { p, root, middle, leaf } = await chain({ root: "200", middle: "150", leaf: "100" });
          const level = { root, middle, leaf }[where];
          const limit = { root: 200, middle: 150, leaf: 100 }[where];
          if (limit - left > 0) expect((await spend(level, String(limit - left))).status).toBe(200);
          const results = await Promise.all(Array.from({ length: n }, () => spend(leaf, String(amount))));
          const ok = results.filter((r) => r.status === 200).length;
          const tightest = Math.min(left, where === "leaf" ? left : 100);
          expect(ok).toBe(Math.min(n, Math.floor(tightest / amount)));
          expect(results.every((r) => r.status === 200 || problemName(r) === "budget-exceeded")).toBe(true);
          expect((await usd(p, leaf)).spent).toBe(String(ok * amount + (where === "leaf" ? 100 - left : 0)));
          const rootSpent = ok * amount + (limit - left);
          expect((await usd(p, root)).spent).toBe(String(rootSpent));
          expect(BigInt((await usd(p, middle)).spent)).toBeLessThanOrEqual(150n);
        },
      ),
      { numRuns: RACE_RUNS, seed: SEED },
    );
    expect(runs).toBe(RACE_RUNS);
  }, 600_000);

  it("the same at random depths up to 8, the tightest level anywhere in the chain, over many seeds", async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }), // depth of the spending leaf
        fc.nat(8), // which level is tightest (mod depth + 1)
        fc.integer({ min: 1, max: 9 }), // amount
        fc.integer({ min: 0, max: 50 }), // what the tightest level has left
        fc.integer({ min: 5, max: 30 }), // parallel requests
        async (depth, tightRaw, amount, left, n) => {
          runs++;
          const p = await createPrincipal();
          const levels = [await grant(p.apiKey, { scopes: ["http:GET:api.example.com/*"], max_depth: 8, limits: { budgets: [{ asset: "USD", amount: "1000" }] } })];
          for (let d = 1; d <= depth; d++) levels.push(await delegate(levels[d - 1]!, { limits: { budgets: [{ asset: "USD", amount: String(1000 - d * 10) }] } }));
          const tight = tightRaw % (depth + 1);
          const limit = 1000 - tight * 10;
          if (limit - left > 0) expect((await spend(levels[tight]!, String(limit - left))).status).toBe(200);
          const leaf = levels[depth]!;
          const results = await Promise.all(Array.from({ length: n }, () => spend(leaf, String(amount))));
          const ok = results.filter((r) => r.status === 200).length;
          // Every level above `tight` has more left than `tight`; below it, the leaf's own limit binds last.
          const leafLeft = tight === depth ? left : Math.min(left, 1000 - depth * 10);
          expect(ok).toBe(Math.min(n, Math.floor(leafLeft / amount)));
          for (const level of levels) {
            const c = await usd(p, level);
            expect(BigInt(c.spent) + BigInt(c.held)).toBeLessThanOrEqual(BigInt(c.limit));
          }
        },
      ),
      { numRuns: RACE_RUNS, seed: SEED + 1 },
    );
    expect(runs).toBe(RACE_RUNS);
  }, 600_000);

  it("parallel holds race captures and voids without ever passing the budget", async () => {
    const { p, root, leaf } = await chain({ root: "100", middle: "100", leaf: "100" });
    const holds = await Promise.all(Array.from({ length: 15 }, () => agentCall(leaf, "POST", "/v1/holds", { scope: SCOPE, amount: { asset: "USD", value: "10" } })));
    const open = holds.filter((h) => h.status === 201);
    expect(open).toHaveLength(10);
    const settled = await Promise.all(
      open.flatMap((h, i) => [
        agentCall(leaf, "POST", `/v1/holds/${h.json.id}/capture`, { amount: String(i % 10) }),
        agentCall(leaf, "POST", `/v1/holds/${h.json.id}/void`),
        spend(leaf, "5"),
      ]),
    );
    const counters = await usd(p, root);
    expect(BigInt(counters.spent) + BigInt(counters.held)).toBeLessThanOrEqual(100n);
    // Each hold closes exactly once: either its capture or its void won.
    for (let i = 0; i < open.length; i++) {
      const c = settled[i * 3]!;
      const v = settled[i * 3 + 1]!;
      expect([c.status, v.status].filter((s) => s === 200)).toHaveLength(1);
    }
  });
});

describe("holds", () => {
  it("reserve, capture part, and the rest is released", async () => {
    const { p, root, leaf } = await chain({ root: "100", middle: "100", leaf: "100" });
    const h = await agentCall(leaf, "POST", "/v1/holds", { scope: SCOPE, amount: { asset: "USD", value: "60" } });
    expect(h.status, h.text).toBe(201);
    expect(await usd(p, root)).toMatchObject({ held: "60", remaining: "40" });
    expect(problemName(await spend(leaf, "41"))).toBe("budget-exceeded");
    const c = await agentCall(leaf, "POST", `/v1/holds/${h.json.id}/capture`, { amount: "25" });
    expect(c.status, c.text).toBe(200);
    expect(c.json.hold).toMatchObject({ status: "captured", captured: "25" });
    expect(c.json.receipt.receipt).toMatchObject({ kind: "capture", amount: "25", hold: h.json.id });
    expect(await usd(p, root)).toMatchObject({ spent: "25", held: "0", remaining: "75" });
    const again = await agentCall(leaf, "POST", `/v1/holds/${h.json.id}/capture`, {});
    expect(problemName(again)).toBe("hold-closed");
    // The hold's state is its own member: the problem's `status` stays the HTTP status.
    expect(again.json).toMatchObject({ status: 409, hold: h.json.id, hold_status: "captured" });
  });

  it("refuses a capture above the held amount", async () => {
    const { leaf } = await chain({ root: "100", middle: "100", leaf: "100" });
    const h = await agentCall(leaf, "POST", "/v1/holds", { scope: SCOPE, amount: { asset: "USD", value: "10" } });
    const c = await agentCall(leaf, "POST", `/v1/holds/${h.json.id}/capture`, { amount: "11" });
    expect(c.status).toBe(400);
    expect(c.json.errors[0]).toMatchObject({ field: "amount", rule: "exceeds_hold", message: 'must be at most "10" ($0.10, in minor units)' });
    expect(c.json.detail).toBe("capturing $0.11 is more than the $0.10 held");
  });

  it("void releases everything and leaves a receipt", async () => {
    const { p, root, leaf } = await chain({ root: "100", middle: "100", leaf: "100" });
    const h = await agentCall(leaf, "POST", "/v1/holds", { scope: SCOPE, amount: { asset: "USD", value: "60" } });
    const v = await agentCall(leaf, "POST", `/v1/holds/${h.json.id}/void`);
    expect(v.status, v.text).toBe(200);
    expect(v.json.receipt.receipt.kind).toBe("void");
    expect(await usd(p, root)).toMatchObject({ spent: "0", held: "0" });
  });

  it("after revocation a capture is refused but a void is allowed", async () => {
    const { p, root, leaf } = await chain({ root: "100", middle: "100", leaf: "100" });
    const h1 = await agentCall(leaf, "POST", "/v1/holds", { scope: SCOPE, amount: { asset: "USD", value: "30" } });
    const h2 = await agentCall(leaf, "POST", "/v1/holds", { scope: SCOPE, amount: { asset: "USD", value: "30" } });
    await call("POST", `/v1/sessions/${root.session.id}/revoke`, { headers: bearer(p.apiKey) });
    expect(problemName(await agentCall(leaf, "POST", `/v1/holds/${h1.json.id}/capture`, {}))).toBe("session-revoked");
    expect((await agentCall(leaf, "POST", `/v1/holds/${h2.json.id}/void`)).status).toBe(200);
    expect(await usd(p, root)).toMatchObject({ spent: "0", held: "30" });
  });

  it("an expired hold is released by the tree's alarm, never left stuck", async () => {
    const { p, root, leaf } = await chain({ root: "100", middle: "100", leaf: "100" });
    const h = await agentCall(leaf, "POST", "/v1/holds", { scope: SCOPE, amount: { asset: "USD", value: "70" }, expires_in: 1 });
    expect(h.status).toBe(201);
    await new Promise((r) => setTimeout(r, 1100));
    const stub = env.SESSION_TREE.get(env.SESSION_TREE.idFromName(treeKey(root.session.id)));
    await runDurableObjectAlarm(stub);
    expect(await usd(p, root)).toMatchObject({ held: "0", spent: "0" });
    expect(problemName(await agentCall(leaf, "POST", `/v1/holds/${h.json.id}/capture`, {}))).toBe("hold-closed");
    // Running the alarm again changes nothing (alarms are at-least-once).
    await runDurableObjectAlarm(stub);
    expect(await usd(p, root)).toMatchObject({ held: "0", spent: "0" });
  });

  it("a hold cannot outlive its session", async () => {
    const p = await createPrincipal();
    const a = await grant(p.apiKey, { expires_at: new Date(Date.now() + 120_000).toISOString(), limits: { budgets: [{ asset: "USD", amount: "10" }] } });
    const h = await agentCall(a, "POST", "/v1/holds", { scope: SCOPE, amount: { asset: "USD", value: "1" }, expires_in: 3600 });
    expect(Date.parse(h.json.expires_at)).toBeLessThanOrEqual(Date.parse(a.session.expires_at));
  });
});

describe("rate limits", () => {
  it("answers a burst past the policy with 429 and a correct Retry-After; successes carry the headers", async () => {
    const p = await createPrincipal();
    const a = await grant(p.apiKey, { limits: { rate: { requests: 3, per_seconds: 60 } } });
    for (let i = 0; i < 3; i++) {
      const r = await agentCall(a, "POST", "/v1/authorize", { scope: SCOPE });
      expect(r.status).toBe(200);
      expect(r.headers.get("ratelimit-policy")).toBe('"session";q=3;w=60');
      expect(r.headers.get("ratelimit")).toMatch(new RegExp(`^"session";r=${2 - i};t=\\d+$`));
    }
    const limited = await agentCall(a, "POST", "/v1/authorize", { scope: SCOPE });
    expect(limited.status).toBe(429);
    expect(problemName(limited)).toBe("rate-limited");
    const retry = Number(limited.headers.get("retry-after"));
    expect(retry).toBeGreaterThanOrEqual(19);
    expect(retry).toBeLessThanOrEqual(20);
    expect(limited.headers.get("ratelimit")).toMatch(/r=0/);
  });

  it("an ancestor's rate binds its descendants", async () => {
    const p = await createPrincipal();
    // Delegating is itself a request of the root: it uses one of the root's three.
    const root = await grant(p.apiKey, { limits: { rate: { requests: 3, per_seconds: 60 } } });
    const child = await delegate(root, { limits: { rate: { requests: 3, per_seconds: 60 } } });
    expect((await agentCall(child, "POST", "/v1/authorize", { scope: SCOPE })).status).toBe(200);
    expect((await agentCall(root, "POST", "/v1/authorize", { scope: SCOPE })).status).toBe(200);
    expect((await agentCall(child, "POST", "/v1/authorize", { scope: SCOPE })).status).toBe(429);
  });

  it("counts rate-limited refusals instead of receipting them", async () => {
    const p = await createPrincipal();
    const a = await grant(p.apiKey, { limits: { rate: { requests: 1, per_seconds: 60 } } });
    await agentCall(a, "POST", "/v1/authorize", { scope: SCOPE });
    for (let i = 0; i < 3; i++) await agentCall(a, "POST", "/v1/authorize", { scope: SCOPE });
    const s = await call("GET", `/v1/sessions/${a.session.id}`, { headers: bearer(p.apiKey) });
    expect(s.json.counters.rate_limited).toBe(3);
  });
});

describe("idempotency (invariant 4)", () => {
  it("a retried spend with the same key after a dropped response is charged once", async () => {
    const { p, root, leaf } = await chain({ root: "100", middle: "100", leaf: "100" });
    const headers = { "idempotency-key": "pay-42" };
    const first = await agentCall(leaf, "POST", "/v1/authorize", { scope: SCOPE, amount: { asset: "USD", value: "30" } }, { headers });
    const retry = await agentCall(leaf, "POST", "/v1/authorize", { scope: SCOPE, amount: { asset: "USD", value: "30" } }, { headers });
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.json.receipt.receipt.id).toBe(first.json.receipt.receipt.id);
    expect((await usd(p, root)).spent).toBe("30");
  });

  it("a retried spend is answered with the first answer's bytes and headers", async () => {
    const { leaf } = await chain({ root: "100", middle: "100", leaf: "100" });
    const headers = { "idempotency-key": "pay-43" };
    const first = await agentCall(leaf, "POST", "/v1/authorize", { scope: SCOPE, amount: { asset: "USD", value: "5" } }, { headers });
    const retry = await agentCall(leaf, "POST", "/v1/authorize", { scope: SCOPE, amount: { asset: "USD", value: "5" } }, { headers });
    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    expect(retry.text).toBe(first.text);
    expect(retry.headers.get("content-type")).toBe("application/json");
    expect(first.headers.get("content-type")).toBe("application/json");
  });

  it("a replay after revocation is refused, not handed the stored success (invariant 3)", async () => {
    const { p, root, leaf } = await chain({ root: "100", middle: "100", leaf: "100" });
    const headers = { "idempotency-key": "pay-after-revoke" };
    const body = { scope: SCOPE, amount: { asset: "USD", value: "30" } };
    expect((await agentCall(leaf, "POST", "/v1/authorize", body, { headers })).status).toBe(200);
    await call("POST", `/v1/sessions/${root.session.id}/revoke`, { headers: bearer(p.apiKey) });
    const replay = await agentCall(leaf, "POST", "/v1/authorize", body, { headers });
    expect(replay.status).toBe(401);
    expect(problemName(replay)).toBe("session-revoked");
    expect(replay.headers.get("idempotent-replayed")).toBeNull();
    expect((await usd(p, root)).spent).toBe("30");
  });

  it("the same key with a different body is refused with 422 and charges nothing", async () => {
    const { p, root, leaf } = await chain({ root: "100", middle: "100", leaf: "100" });
    const headers = { "idempotency-key": "pay-43" };
    await agentCall(leaf, "POST", "/v1/authorize", { scope: SCOPE, amount: { asset: "USD", value: "30" } }, { headers });
    const other = await agentCall(leaf, "POST", "/v1/authorize", { scope: SCOPE, amount: { asset: "USD", value: "31" } }, { headers });
    expect(other.status).toBe(422);
    expect(problemName(other)).toBe("idempotency-key-reused");
    expect((await usd(p, root)).spent).toBe("30");
  });

  it("concurrent duplicates of an agent spend are charged once", async () => {
    const { p, root, leaf } = await chain({ root: "100", middle: "100", leaf: "100" });
    const headers = { "idempotency-key": "pay-44" };
    // Eight duplicates race eight unrelated spends of 10: only one 7 may be charged.
    const all = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        i % 2 ? spend(leaf, "10") : agentCall(leaf, "POST", "/v1/authorize", { scope: SCOPE, amount: { asset: "USD", value: "7" } }, { headers }),
      ),
    );
    const duplicates = all.filter((_, i) => i % 2 === 0);
    expect(duplicates.every((r) => r.status === 200)).toBe(true);
    expect(new Set(duplicates.map((r) => r.json.receipt.receipt.id)).size).toBe(1);
    expect((await usd(p, root)).spent).toBe(String(7 + 4 * 10));
  });

  it("a concurrent duplicate of a grant in flight gets 409, and only one tree is created", async () => {
    const p = await createPrincipal();
    const { generateAgentKey } = await import("@remit/sdk/keys");
    const body = { agent_jwk: generateAgentKey().publicJwk, scopes: ["a:b:c"], expires_at: new Date(Date.now() + 3600_000).toISOString() };
    const all = await Promise.all(
      Array.from({ length: 6 }, () => call("POST", "/v1/sessions", { headers: { ...bearer(p.apiKey), "idempotency-key": "grant-1" }, body })),
    );
    const statuses = all.map((r) => r.status);
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    expect(all.filter((r) => r.status === 409).every((r) => problemName(r) === "idempotency-in-flight")).toBe(true);
    expect(new Set(all.filter((r) => r.status === 201).map((r) => r.json.session.id)).size).toBe(1);
    const frozen = await call("POST", "/v1/freeze", { headers: bearer(p.apiKey) });
    expect(frozen.json.trees).toBe(1);
  });

  it("refuses a malformed Idempotency-Key", async () => {
    const p = await createPrincipal();
    const a = await grant(p.apiKey);
    const r = await agentCall(a, "POST", "/v1/authorize", { scope: SCOPE }, { headers: { "idempotency-key": "has space" } });
    expect(r.status).toBe(400);
    expect(r.json.errors[0].field).toBe("Idempotency-Key");
  });
});

describe("calls", () => {
  it("counts calls on the session and every ancestor", async () => {
    const p = await createPrincipal();
    const root = await grant(p.apiKey, { limits: { calls: 3 } });
    const child = await delegate(root, { limits: { calls: 3 } });
    await agentCall(child, "POST", "/v1/authorize", { scope: SCOPE });
    await agentCall(root, "POST", "/v1/authorize", { scope: SCOPE });
    await agentCall(child, "POST", "/v1/authorize", { scope: SCOPE });
    const r = await agentCall(child, "POST", "/v1/authorize", { scope: SCOPE });
    expect(problemName(r)).toBe("calls-exhausted");
    expect(r.json.session).toBe(root.session.id);
  });
});
