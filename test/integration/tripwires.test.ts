/**
 * Trip-wires: the principal's velocity rules, checked inside each tree's decision
 * transaction. A trip is a signed denial receipt (reason `tripwire`, member `tripwire` =
 * the rule) and a `tripwire.tripped` webhook; the freezes are a switch of their own,
 * cleared by the rule's reset and not by the principal's unfreeze.
 */
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { agentCall, call, createPrincipal, delegate, grant, type Agent } from "../support/harness";
import { bearer, deliveriesOf, endpointOnReceiver, eventually, received, treeStub } from "../support/webhooks";

const SCOPE = "http:GET:api.example.com/v1/x";
const USD = { budgets: [{ asset: "USD", amount: "100000" }] };

async function tripwire(apiKey: string, body: Record<string, unknown>) {
  return call("POST", "/v1/tripwires", { headers: bearer(apiKey), body });
}

async function spend(agent: Agent, value?: string) {
  return agentCall(agent, "POST", "/v1/authorize", { scope: SCOPE, ...(value ? { amount: { asset: "USD", value } } : {}) });
}

async function receipt(apiKey: string, id: string) {
  const r = await call("GET", `/v1/receipts/${id}`, { headers: bearer(apiKey) });
  expect(r.status, r.text).toBe(200);
  return r.json.receipt;
}

afterEach(() => {
  vi.useRealTimers();
});

describe("trip-wires", () => {
  it("a count trip-wire freezes the tree on the sixth spend in a minute; the principal's unfreeze leaves it frozen, the reset clears it", async () => {
    const p = await createPrincipal();
    const e = await endpointOnReceiver(p.apiKey, ["tripwire.tripped"]);
    const rule = await tripwire(p.apiKey, { metric: "count", window: 60, threshold: "5", per: "tree", action: "freeze_tree", mode: "enforce" });
    expect(rule.status, rule.text).toBe(201);
    expect(rule.json.pending_trees).toEqual([]);
    const id = rule.json.tripwire.id;
    expect(id).toMatch(/^trw_/);

    const a = await grant(p.apiKey, { limits: USD });
    const child = await delegate(a);
    for (let i = 0; i < 5; i++) expect((await spend(i % 2 ? child : a, "10")).status).toBe(200);
    const sixth = await spend(child, "10");
    expect(sixth.status, sixth.text).toBe(403);
    expect(sixth.json.type).toMatch(/\/problems\/tripwire$/);
    expect(sixth.json.rule).toBe(id);
    expect(sixth.json.action).toBe("freeze_tree");
    expect(sixth.json.total).toBe("6");
    const denial = await receipt(p.apiKey, sixth.json.receipt);
    expect(denial).toMatchObject({ kind: "denial", reason: "tripwire", tripwire: id, scope: SCOPE, asset: "USD", amount: "10", session: child.session.id });

    // The whole tree is frozen, the root too, and nothing was charged for the refused spend.
    const after = await spend(a, "10");
    expect(after.status).toBe(403);
    expect(after.json.type).toMatch(/\/problems\/tripwire$/);
    const view = await call("GET", `/v1/sessions/${a.session.id}`, { headers: bearer(p.apiKey) });
    expect(view.json.status).toBe("frozen");
    expect(view.json.tripped).toEqual([{ rule: id, action: "freeze_tree", session: null, at: expect.any(String) }]);
    expect(view.json.counters.budgets[0].spent).toBe("50"); // the five that went through, up the chain; not the sixth

    // The webhook, signed so that standardwebhooks verifies it.
    const [delivery] = await deliveriesOf(p.apiKey, e.id, "tripwire.tripped", { trees: [a.session.id] });
    expect(delivery.payload.data).toMatchObject({
      rule: id,
      tree: a.session.tree,
      session: child.session.id,
      action: "freeze_tree",
      threshold: "5",
      total: "6",
      receipt: sixth.json.receipt,
    });
    const got = await eventually(async () => (await received(e.name)).find((r) => r.status === 200));
    expect(got.verified).toBe(true);
    const verified = new Webhook(e.secret).verify(got.body, { ...got.headers }) as { type: string; data: { rule: string } };
    expect(verified.type).toBe("tripwire.tripped");
    expect(verified.data.rule).toBe(id);

    // The principal's own switch is a separate one.
    expect((await call("POST", "/v1/freeze", { headers: bearer(p.apiKey) })).status).toBe(200);
    expect((await call("POST", "/v1/unfreeze", { headers: bearer(p.apiKey) })).status).toBe(200);
    const stillFrozen = await spend(a, "10");
    expect(stillFrozen.status).toBe(403);
    expect(stillFrozen.json.type).toMatch(/\/problems\/tripwire$/);

    const reset = await call("POST", `/v1/tripwires/${id}/reset`, { headers: bearer(p.apiKey) });
    expect(reset.status, reset.text).toBe(200);
    expect(reset.json).toEqual({ id, object: "tripwire_reset", cleared: 1, pending_trees: [] });
    expect((await spend(a, "10")).status).toBe(200);
    const cleared = await call("GET", `/v1/sessions/${a.session.id}`, { headers: bearer(p.apiKey) });
    expect(cleared.json.status).toBe("active");
    expect(cleared.json.tripped).toEqual([]);
  });

  it("a tree frozen by a trip-wire works again after the root's own unfreeze, and its rule counts afresh", async () => {
    const p = await createPrincipal();
    const rule = await tripwire(p.apiKey, { metric: "count", window: 60, threshold: "2", per: "tree", action: "freeze_tree", mode: "enforce" });
    expect(rule.status, rule.text).toBe(201);
    const a = await grant(p.apiKey, { limits: USD });
    const child = await delegate(a);
    expect((await spend(a, "1")).status).toBe(200);
    expect((await spend(child, "1")).status).toBe(200);
    expect((await spend(child, "1")).json.type).toMatch(/\/problems\/tripwire$/);
    // Governance sees the trip as a freeze: the listing's status and exposure (nothing can be spent until someone acts).
    const frozenList = await call("GET", "/v1/sessions?status=frozen", { headers: bearer(p.apiKey) });
    expect(new Set(frozenList.json.data.map((x: { id: string }) => x.id))).toEqual(new Set([a.session.id, child.session.id]));
    expect((await call("GET", "/v1/sessions?status=active", { headers: bearer(p.apiKey) })).json.data).toEqual([]);
    const exposure = await call("GET", "/v1/exposure", { headers: bearer(p.apiKey) });
    expect(exposure.json.assets.find((x: { asset: string }) => x.asset === "USD")).toMatchObject({ now: "0", until_expiry: "0" });
    expect(exposure.json.holders).toEqual([]);
    // The child's unfreeze is not the tree's: the tree stays frozen.
    expect((await call("POST", `/v1/sessions/${child.session.id}/unfreeze`, { headers: bearer(p.apiKey) })).status).toBe(200);
    expect((await spend(child, "1")).json.type).toMatch(/\/problems\/tripwire$/);
    // The root's unfreeze is.
    const unfrozen = await call("POST", `/v1/sessions/${a.session.id}/unfreeze`, { headers: bearer(p.apiKey) });
    expect(unfrozen.status, unfrozen.text).toBe(200);
    expect(unfrozen.json.tripped).toEqual([]);
    expect((await spend(child, "1")).status).toBe(200);
    expect((await spend(a, "1")).status).toBe(200);
    expect((await spend(a, "1")).json.type).toMatch(/\/problems\/tripwire$/);
  });

  it("a denials trip-wire freezes the refused session and its subtree, not its parent", async () => {
    const p = await createPrincipal();
    const rule = await tripwire(p.apiKey, { metric: "denials", window: 60, threshold: "2", per: "session", action: "freeze_session", mode: "enforce" });
    expect(rule.status, rule.text).toBe(201);
    const id = rule.json.tripwire.id;
    const a = await grant(p.apiKey, { limits: USD });
    const child = await delegate(a);
    const grandchild = await delegate(child);
    const outside = { scope: "http:POST:evil.example.com/x" };
    for (let i = 0; i < 2; i++) {
      const r = await agentCall(child, "POST", "/v1/authorize", outside);
      expect(r.status).toBe(403);
      expect(r.json.type).toMatch(/\/problems\/scope-denied$/);
    }
    const third = await agentCall(child, "POST", "/v1/authorize", outside);
    expect(third.status, third.text).toBe(403);
    expect(third.json.type).toMatch(/\/problems\/tripwire$/);
    expect(third.json).toMatchObject({ rule: id, action: "freeze_session", total: "3", refusal: { name: "scope-denied" } });
    expect(await receipt(p.apiKey, third.json.receipt)).toMatchObject({ kind: "denial", reason: "tripwire", tripwire: id, session: child.session.id });

    expect((await spend(child)).json.type).toMatch(/\/problems\/tripwire$/);
    expect((await spend(grandchild)).json.type).toMatch(/\/problems\/tripwire$/);
    expect((await spend(a)).status).toBe(200);
    const view = await call("GET", `/v1/sessions/${grandchild.session.id}`, { headers: bearer(p.apiKey) });
    expect(view.json.tripped).toEqual([{ rule: id, action: "freeze_session", session: child.session.id, at: expect.any(String) }]);
  });

  it("an amount trip-wire per session denies the spend that would take the window over, and only that one", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const p = await createPrincipal();
    const rule = await tripwire(p.apiKey, { metric: "amount", asset: "USD", window: 60, threshold: "100", per: "session", action: "deny", mode: "enforce" });
    expect(rule.status, rule.text).toBe(201);
    const id = rule.json.tripwire.id;
    const a = await grant(p.apiKey, { limits: USD });
    const b = await grant(p.apiKey, { limits: USD });
    expect((await spend(a, "60")).status).toBe(200);
    const over = await spend(a, "50");
    expect(over.status, over.text).toBe(403);
    expect(over.json).toMatchObject({ rule: id, action: "deny", total: "110", threshold: "100" });
    expect(over.json.detail).toContain("would reach $1.10 in"); // the words in dollars; the members in minor units
    expect(over.json.detail).toContain("over its threshold of $1.00");
    expect(await receipt(p.apiKey, over.json.receipt)).toMatchObject({ reason: "tripwire", tripwire: id, amount: "50" });
    expect((await spend(a, "40")).status).toBe(200); // exactly 100: not over
    expect((await spend(a, "1")).status).toBe(403);
    expect((await spend(b, "60")).status).toBe(200); // another session counts apart
    const view = await call("GET", `/v1/sessions/${a.session.id}`, { headers: bearer(p.apiKey) });
    expect(view.json.status).toBe("active"); // deny freezes nothing
    expect(view.json.tripped).toEqual([]);
    expect(view.json.counters.budgets[0].spent).toBe("100");

    vi.setSystemTime(Date.now() + 61_000); // the trailing window moved past the first spends
    expect((await spend(a, "90")).status).toBe(200);
  });

  it("a shadow trip-wire refuses nothing and emits tripwire.shadow", async () => {
    const p = await createPrincipal();
    const e = await endpointOnReceiver(p.apiKey, ["tripwire.shadow", "tripwire.tripped"]);
    const rule = await tripwire(p.apiKey, { metric: "count", window: 60, threshold: "1", per: "tree", action: "freeze_tree", mode: "shadow" });
    expect(rule.status, rule.text).toBe(201);
    const a = await grant(p.apiKey, { limits: USD });
    for (let i = 0; i < 3; i++) expect((await spend(a, "5")).status).toBe(200);
    const shadows = await deliveriesOf(p.apiKey, e.id, "tripwire.shadow", { trees: [a.session.id], count: 2 });
    expect(shadows).toHaveLength(2);
    expect(shadows.map((d) => d.payload.data.total).sort()).toEqual(["2", "3"]);
    expect(shadows[0].payload.data).toMatchObject({ rule: rule.json.tripwire.id, action: "freeze_tree", session: a.session.id });
    const view = await call("GET", `/v1/sessions/${a.session.id}`, { headers: bearer(p.apiKey) });
    expect(view.json.status).toBe("active");
    expect(view.json.tripped).toEqual([]);
    expect(
      (await call("GET", `/v1/webhook-endpoints/${e.id}/deliveries`, { headers: bearer(p.apiKey) })).json.data.filter((d: any) => d.event_type === "tripwire.tripped"),
    ).toEqual([]);
  });

  it("a rule created after a tree exists reaches it before the call returns; a change and a delete do too", async () => {
    const p = await createPrincipal();
    const a = await grant(p.apiKey, { limits: USD });
    expect((await spend(a)).status).toBe(200);
    const rule = await tripwire(p.apiKey, { metric: "count", window: 60, threshold: "1", per: "session", action: "deny", mode: "enforce" });
    expect(rule.status, rule.text).toBe(201);
    expect(rule.json.pending_trees).toEqual([]);
    const id = rule.json.tripwire.id;
    expect((await spend(a)).status).toBe(200); // the first the rule sees
    expect((await spend(a)).json.type).toMatch(/\/problems\/tripwire$/);

    const patched = await call("PATCH", `/v1/tripwires/${id}`, { headers: bearer(p.apiKey), body: { threshold: "3" } });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json.tripwire).toMatchObject({ id, threshold: "3", metric: "count" });
    expect(patched.json.pending_trees).toEqual([]);
    expect((await spend(a)).status).toBe(200);

    const listed = await call("GET", "/v1/tripwires", { headers: bearer(p.apiKey) });
    expect(listed.json.data.map((r: any) => r.id)).toEqual([id]);
    expect((await call("GET", `/v1/tripwires/${id}`, { headers: bearer(p.apiKey) })).json.threshold).toBe("3");

    const deleted = await call("DELETE", `/v1/tripwires/${id}`, { headers: bearer(p.apiKey) });
    expect(deleted.json).toEqual({ id, object: "tripwire", deleted: true, pending_trees: [] });
    for (let i = 0; i < 3; i++) expect((await spend(a)).status).toBe(200);
    expect((await call("GET", `/v1/tripwires/${id}`, { headers: bearer(p.apiKey) })).status).toBe(404);
  });

  it("a freeze_principal trip-wire stops the tree at once and freezes the principal through the outbox", async () => {
    const p = await createPrincipal();
    const rule = await tripwire(p.apiKey, { metric: "count", window: 60, threshold: "1", per: "tree", action: "freeze_principal", mode: "enforce" });
    const a = await grant(p.apiKey, { limits: USD });
    expect((await spend(a)).status).toBe(200);
    const tripped = await spend(a);
    expect(tripped.json).toMatchObject({ rule: rule.json.tripwire.id, action: "freeze_principal" });
    expect((await spend(a)).json.type).toMatch(/\/problems\/(tripwire|principal-frozen)$/);
    await eventually(async () => (await grant(p.apiKey).catch((e: Error) => e)) instanceof Error, { trees: [a.session.id] });
    const refusedGrant = await call("POST", "/v1/sessions", {
      headers: bearer(p.apiKey),
      body: { agent_jwk: a.key.publicJwk, scopes: [SCOPE], expires_at: new Date(Date.now() + 3600_000).toISOString() },
    });
    expect(refusedGrant.json.type).toMatch(/\/problems\/principal-frozen$/);
    // The principal's switch now holds it: its unfreeze lets the tree act again.
    expect((await call("POST", "/v1/unfreeze", { headers: bearer(p.apiKey) })).status).toBe(200);
    expect((await call("POST", `/v1/tripwires/${rule.json.tripwire.id}/reset`, { headers: bearer(p.apiKey) })).status).toBe(200);
    expect((await spend(a)).status).toBe(200);
  });

  it("fails closed: a rule the tree cannot evaluate refuses, with a tripwire receipt naming it", async () => {
    const p = await createPrincipal();
    const a = await grant(p.apiKey, { limits: USD });
    const broken = {
      id: "trw_01j9zq3x4m5n6p7r8s9t0v1w2x",
      metric: "velocity",
      asset: null,
      scope: null,
      window: 60,
      threshold: "5",
      per: "tree",
      action: "deny",
      mode: "enforce",
    };
    await (treeStub(a.session.id) as any).setTripwires({ rules: [broken], version: Number.MAX_SAFE_INTEGER });
    const r = await spend(a, "1");
    expect(r.status, r.text).toBe(403);
    expect(r.json).toMatchObject({ rule: broken.id, action: "deny" });
    expect(r.json.type).toMatch(/\/problems\/tripwire$/);
    expect(await receipt(p.apiKey, r.json.receipt)).toMatchObject({ reason: "tripwire", tripwire: broken.id });
    const view = await call("GET", `/v1/sessions/${a.session.id}`, { headers: bearer(p.apiKey) });
    expect(view.json.counters.budgets[0].spent).toBe("0");
    // One decision, one denial receipt: the refusal is not counted again through the broken rule.
    const receipts = await call("GET", `/v1/sessions/${a.session.id}/receipts`, { headers: bearer(p.apiKey) });
    expect(receipts.json.data.map((r: any) => r.receipt.id)).toEqual([r.json.receipt]);
  });

  it("refuses invalid rules, naming the field, the rule and the fix", async () => {
    const p = await createPrincipal();
    const base = { metric: "count", window: 60, threshold: "5", per: "tree", action: "deny", mode: "enforce" };
    const cases: [Record<string, unknown>, string, string][] = [
      [{ ...base, metric: "amount" }, "asset", "required_for_amount"],
      [{ ...base, threshold: "1.5" }, "threshold", "positive_integer"],
      [{ ...base, threshold: "0" }, "threshold", "positive_integer"],
      [{ ...base, metric: "amount", asset: "USD", threshold: "01" }, "threshold", "amount_format"],
      [{ ...base, window: 5 }, "window", "too_small"],
      [{ ...base, window: 2_678_401 }, "window", "too_big"],
      [{ ...base, metric: "speed" }, "metric", "invalid_value"],
      [{ ...base, action: "explode" }, "action", "invalid_value"],
      [{ ...base, per: "session", scope: "not a scope" }, "scope", "scope_charset"],
      [{ ...base, metric: "denials", asset: "USD" }, "asset", "asset_not_for_denials"],
      [{ ...base, action: "freeze_session" }, "action", "freeze_session_per_tree"],
      [{ ...base, colour: "red" }, "colour", "unknown_field"],
    ];
    for (const [body, field, rule] of cases) {
      const r = await tripwire(p.apiKey, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.type).toMatch(/\/problems\/validation-failed$/);
      // A scope refusal also carries an `example` to write by.
      expect(r.json.errors).toContainEqual(expect.objectContaining({ field, rule, message: expect.any(String) }));
    }
    const ok = await tripwire(p.apiKey, base);
    expect(ok.status).toBe(201);
    const bad = await call("PATCH", `/v1/tripwires/${ok.json.tripwire.id}`, { headers: bearer(p.apiKey), body: { metric: "amount" } });
    expect(bad.status).toBe(400);
    expect(bad.json.errors).toContainEqual({ field: "asset", rule: "required_for_amount", message: expect.any(String) });
  });

  it("another principal's rule id is not found", async () => {
    const owner = await createPrincipal();
    const other = await createPrincipal();
    const rule = await tripwire(owner.apiKey, { metric: "count", window: 60, threshold: "5", per: "tree", action: "deny", mode: "enforce" });
    const id = rule.json.tripwire.id;
    const h = bearer(other.apiKey);
    for (const [method, path, body] of [
      ["GET", `/v1/tripwires/${id}`, undefined],
      ["PATCH", `/v1/tripwires/${id}`, { threshold: "1" }],
      ["DELETE", `/v1/tripwires/${id}`, undefined],
      ["POST", `/v1/tripwires/${id}/reset`, undefined],
    ] as const) {
      const r = await call(method, path, { headers: h, ...(body ? { body } : {}) });
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.json.type).toMatch(/\/problems\/not-found$/);
    }
    expect((await call("GET", "/v1/tripwires", { headers: h })).json.data).toEqual([]);
    expect((await call("GET", `/v1/tripwires/${id}`, { headers: bearer(owner.apiKey) })).json.threshold).toBe("5");
  });
});
