/**
 * Human approval (DESIGN invariant 9): an action over a session's approval line waits for
 * people with its amount reserved up the tree; it ends exactly once — approved (the spend
 * committed with its receipt), denied, expired (never a yes) or canceled — and every end
 * but approval releases the reservation. Against the real worker and objects.
 */
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { receiptProblem, verifyReceiptSignature } from "../../src/core/receipts/receipt";
import { agentCall, call, createPrincipal, delegate, grant, problemName, type Agent } from "../support/harness";
import { bearer, deliveriesOf, endpointOnReceiver, received, treeStub } from "../support/webhooks";

const PAY = "http:POST:payments.example.com/charge";
const RACE_RUNS = Number((env as unknown as { TEST_RACE_RUNS?: string }).TEST_RACE_RUNS ?? "12");
const approval = (extra: Record<string, unknown> = {}) => ({ over: [{ asset: "USD", amount: "10000" }], ...extra });

async function setup(policy: Record<string, unknown> = approval(), budget = "100000") {
  const p = await createPrincipal();
  const a = await grant(p.apiKey, {
    scopes: ["http:POST:payments.example.com/*", "http:GET:api.example.com/*"],
    label: "buyer",
    limits: { budgets: [{ asset: "USD", amount: budget }], approval: policy },
  });
  return { p, a };
}

const pay = (a: Agent, value: string, headers: Record<string, string> = {}) =>
  agentCall(a, "POST", "/v1/authorize", { scope: PAY, amount: { asset: "USD", value } }, { headers });

async function usd(apiKey: string, a: Agent) {
  const s = await call("GET", `/v1/sessions/${a.session.id}`, { headers: bearer(apiKey) });
  return s.json.counters.budgets.find((b: { asset: string; period: string | null }) => b.asset === "USD" && b.period === null);
}

async function newKey(apiKey: string, role?: string) {
  const r = await call("POST", "/v1/api-keys", { headers: bearer(apiKey), body: role ? { role } : {} });
  expect(r.status, r.text).toBe(201);
  return { id: r.json.id as string, key: r.json.api_key as string, role: r.json.role as string };
}

const decide = (apiKey: string, id: string, verdict: "approve" | "deny", body: Record<string, unknown> = {}) =>
  call("POST", `/v1/approvals/${id}/${verdict}`, { headers: bearer(apiKey), body });

async function jwk() {
  const r = await call("GET", "/.well-known/jwks.json");
  return r.json.keys[0];
}

afterEach(() => vi.useRealTimers());

describe("approvals: happy", () => {
  it("a spend over the line answers 202 with the pending approval, and reserves its amount up the tree", async () => {
    const { p, a } = await setup();
    const child = await delegate(a, { limits: { budgets: [{ asset: "USD", amount: "50000" }] } });
    const r = await pay(child, "20000");
    expect(r.status, r.text).toBe(202);
    expect(r.headers.get("retry-after")).toBe("2");
    expect(r.headers.get("location")).toBe(`/v1/approvals/${r.json.approval.id}`);
    expect(r.json.approval).toMatchObject({
      object: "approval",
      status: "pending",
      kind: "authorize",
      scope: PAY,
      asset: "USD",
      amount: "20000",
      session: child.session.id,
      path: [a.session.id, child.session.id],
      approvers_needed: 1,
      approved_by: [],
      receipt: null,
    });
    expect(r.json.approval.id).toMatch(/^apr_/);
    // The approval id carries the tree key, like every other tree id.
    expect(r.json.approval.id.slice(4, 17)).toBe(a.session.id.slice(4, 17));
    expect(Date.parse(r.json.approval.expires_at) - Date.now()).toBeGreaterThan(590_000);
    expect(await usd(p.apiKey, a)).toMatchObject({ spent: "0", held: "20000" });
    expect(await usd(p.apiKey, child)).toMatchObject({ spent: "0", held: "20000" });
  });

  it("the line is strict: a spend exactly on it goes through at once", async () => {
    const { a } = await setup();
    expect((await pay(a, "10000")).status).toBe(200);
    expect((await pay(a, "10001")).status).toBe(202);
  });

  it("approval.scopes ask for approval of any action they cover, amount or not", async () => {
    const { a } = await setup({ over: [], scopes: ["http:POST:payments.example.com/*"] });
    const r = await agentCall(a, "POST", "/v1/authorize", { scope: PAY });
    expect(r.status, r.text).toBe(202);
    expect(r.json.approval).toMatchObject({ amount: null, asset: null, scope: PAY });
    expect((await agentCall(a, "POST", "/v1/authorize", { scope: "http:GET:api.example.com/x" })).status).toBe(200);
  });

  it("approved: the spend is committed with a signed receipt naming the approval, and the agent's next read carries it", async () => {
    const { p, a } = await setup();
    const admin = (await call("GET", "/v1/api-keys", { headers: bearer(p.apiKey) })).json.data[0].id;
    const pending = (await pay(a, "25000")).json.approval;
    const d = await decide(p.apiKey, pending.id, "approve", { note: "ok for the invoice" });
    expect(d.status, d.text).toBe(200);
    expect(d.json).toMatchObject({ status: "approved", approved_by: [admin], note: "ok for the invoice" });
    const receipt = d.json.receipt;
    expect(receipt.receipt).toMatchObject({ kind: "authorize", amount: "25000", asset: "USD", scope: PAY, session: a.session.id, reason: null });
    expect(receipt.receipt.approval).toEqual({ id: pending.id, decided_by: [admin], decided_at: d.json.decided_at, note: "ok for the invoice" });
    expect(receiptProblem(receipt.receipt)).toBeNull();
    expect(verifyReceiptSignature(receipt, await jwk())).toBe(true);
    expect(await usd(p.apiKey, a)).toMatchObject({ spent: "25000", held: "0" });
    const read = await agentCall(a, "GET", `/v1/approvals/${pending.id}`);
    expect(read.status).toBe(200);
    expect(read.json).toMatchObject({ status: "approved", receipt: { receipt: { id: receipt.receipt.id } } });
    expect((await call("GET", `/v1/receipts/${receipt.receipt.id}`, { headers: bearer(p.apiKey) })).json.receipt.approval.id).toBe(pending.id);
  });

  it("a hold over the line opens once approved, holding the reservation made at the request", async () => {
    const { p, a } = await setup();
    const r = await agentCall(a, "POST", "/v1/holds", { scope: PAY, amount: { asset: "USD", value: "30000" } });
    expect(r.status, r.text).toBe(202);
    expect(r.json.approval.kind).toBe("hold");
    expect(await usd(p.apiKey, a)).toMatchObject({ held: "30000" });
    const d = await decide(p.apiKey, r.json.approval.id, "approve");
    expect(d.json).toMatchObject({ status: "approved", receipt: null });
    expect(d.json.hold).toMatch(/^hld_/);
    expect(await usd(p.apiKey, a)).toMatchObject({ spent: "0", held: "30000" });
    const cap = await agentCall(a, "POST", `/v1/holds/${d.json.hold}/capture`, { amount: "12000" });
    expect(cap.status, cap.text).toBe(200);
    expect(await usd(p.apiKey, a)).toMatchObject({ spent: "12000", held: "0" });
  });

  it("the same Idempotency-Key returns the same approval, reserving once", async () => {
    const { p, a } = await setup();
    const first = await pay(a, "20000", { "idempotency-key": "k-1" });
    const again = await pay(a, "20000", { "idempotency-key": "k-1" });
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.json.approval.id).toBe(first.json.approval.id);
    expect(await usd(p.apiKey, a)).toMatchObject({ held: "20000" });
  });

  it("a quorum of two: the first yes leaves it pending, the same key cannot vote twice, a second key commits it", async () => {
    const { p, a } = await setup(approval({ approvers: 2 }));
    const second = await newKey(p.apiKey, "approver");
    const admin = (await call("GET", "/v1/api-keys", { headers: bearer(p.apiKey) })).json.data[0].id;
    const id = (await pay(a, "20000")).json.approval.id;
    const one = await decide(p.apiKey, id, "approve");
    expect(one.json).toMatchObject({ status: "pending", approved_by: [admin], approvers_needed: 2, receipt: null });
    const twice = await decide(p.apiKey, id, "approve");
    expect(twice.status).toBe(409);
    expect(problemName(twice)).toBe("approval-already-voted");
    const two = await decide(second.key, id, "approve");
    expect(two.json).toMatchObject({ status: "approved", approved_by: [admin, second.id] });
    expect(two.json.receipt.receipt.approval.decided_by).toEqual([admin, second.id]);
    expect(await usd(p.apiKey, a)).toMatchObject({ spent: "20000", held: "0" });
  });

  it("denied: a denial receipt with reason approval-denied, and the reservation released", async () => {
    const { p, a } = await setup(approval({ approvers: 3 }));
    const id = (await pay(a, "20000")).json.approval.id;
    await decide(p.apiKey, id, "approve");
    const d = await decide(p.apiKey, id, "deny", { reason: "not this vendor" });
    expect(d.status, d.text).toBe(200);
    expect(d.json).toMatchObject({ status: "denied", reason: "not this vendor" });
    expect(d.json.receipt.receipt).toMatchObject({ kind: "denial", reason: "approval-denied", amount: "20000", approval: { id, note: "not this vendor" } });
    expect(verifyReceiptSignature(d.json.receipt, await jwk())).toBe(true);
    expect(await usd(p.apiKey, a)).toMatchObject({ spent: "0", held: "0" });
  });

  it("expired by the alarm (at-least-once): reason approval-expired, released, and never approved afterwards", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    const { p, a } = await setup(approval({ expires_in: 30 }));
    const id = (await pay(a, "20000")).json.approval.id;
    vi.setSystemTime(Date.now() + 31_000);
    await runDurableObjectAlarm(treeStub(id));
    await runDurableObjectAlarm(treeStub(id)); // again: nothing more happens
    const read = await call("GET", `/v1/approvals/${id}`, { headers: bearer(p.apiKey) });
    expect(read.json).toMatchObject({ status: "expired", approved_by: [] });
    expect(read.json.receipt.receipt).toMatchObject({ kind: "denial", reason: "approval-expired", approval: { id, decided_by: [] } });
    const receipts = (await call("GET", `/v1/sessions/${a.session.id}/receipts`, { headers: bearer(p.apiKey) })).json.data;
    expect(receipts.filter((r: any) => r.receipt.approval?.id === id)).toHaveLength(1);
    expect(await usd(p.apiKey, a)).toMatchObject({ spent: "0", held: "0" });
    const late = await decide(p.apiKey, id, "approve");
    expect(late.status).toBe(409);
    expect(problemName(late)).toBe("approval-closed");
    expect(await usd(p.apiKey, a)).toMatchObject({ spent: "0", held: "0" });
  });

  it("a timeout is never a yes: an approval past its expiry is expired by the vote that finds it, before any alarm", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    const { p, a } = await setup(approval({ expires_in: 10 }));
    const id = (await pay(a, "20000")).json.approval.id;
    vi.setSystemTime(Date.now() + 10_000);
    const late = await decide(p.apiKey, id, "approve");
    expect(late.status).toBe(409);
    expect(late.json).toMatchObject({ status: 409, approval_status: "expired" });
    expect((await call("GET", `/v1/approvals/${id}`, { headers: bearer(p.apiKey) })).json.status).toBe("expired");
    expect(await usd(p.apiKey, a)).toMatchObject({ spent: "0", held: "0" });
  });

  it("the wait never outlives the session", async () => {
    const p = await createPrincipal();
    const a = await grant(p.apiKey, {
      scopes: [PAY],
      expires_at: new Date(Date.now() + 60_000).toISOString(),
      limits: { budgets: [{ asset: "USD", amount: "100000" }], approval: approval({ expires_in: 3600 }) },
    });
    const r = await pay(a, "20000");
    expect(Date.parse(r.json.approval.expires_at)).toBe(Date.parse(a.session.expires_at));
  });

  it("canceled by the agent: released, and closed to approvers", async () => {
    const { p, a } = await setup();
    const id = (await pay(a, "20000")).json.approval.id;
    const c = await agentCall(a, "POST", `/v1/approvals/${id}/cancel`, {});
    expect(c.status, c.text).toBe(200);
    expect(c.json).toMatchObject({ status: "canceled", reason: "agent" });
    expect(c.json.receipt.receipt).toMatchObject({ kind: "void", reason: "approval-canceled", approval: { id } });
    expect(await usd(p.apiKey, a)).toMatchObject({ held: "0", spent: "0" });
    expect(problemName(await decide(p.apiKey, id, "approve"))).toBe("approval-closed");
    expect(problemName(await agentCall(a, "POST", `/v1/approvals/${id}/cancel`, {}))).toBe("approval-closed");
  });

  it("?wait=N answers as soon as the state changes", async () => {
    const { p, a } = await setup();
    const id = (await pay(a, "20000")).json.approval.id;
    const started = Date.now();
    const waiting = agentCall(a, "GET", `/v1/approvals/${id}?wait=10`);
    await new Promise((r) => setTimeout(r, 400));
    await decide(p.apiKey, id, "approve");
    const r = await waiting;
    expect(r.status).toBe(200);
    expect(r.json.status).toBe("approved");
    expect(r.json.receipt.receipt.kind).toBe("authorize");
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("?wait=N with no change answers pending after N seconds", async () => {
    const { a } = await setup();
    const id = (await pay(a, "20000")).json.approval.id;
    const r = await agentCall(a, "GET", `/v1/approvals/${id}?wait=1`);
    expect(r.json.status).toBe("pending");
  });

  it("the queue lists pending approvals newest first, with the session's label, path and the reserved amount, paginated", async () => {
    const { p, a } = await setup();
    const other = await grant(p.apiKey, { scopes: [PAY], label: "second", limits: { budgets: [{ asset: "USD", amount: "99999" }], approval: approval() } });
    const ids: string[] = [];
    ids.push((await pay(a, "20000")).json.approval.id);
    ids.push((await pay(other, "20001")).json.approval.id);
    ids.push((await pay(a, "20002")).json.approval.id);
    await decide(p.apiKey, ids[0]!, "deny");
    const page1 = await call("GET", "/v1/approvals?status=pending&limit=1", { headers: bearer(p.apiKey) });
    expect(page1.status, page1.text).toBe(200);
    expect(page1.json).toMatchObject({ has_more: true, data: [{ id: ids[2], label: "buyer", path: [a.session.id], amount: "20002", status: "pending" }] });
    const page2 = await call("GET", `/v1/approvals?status=pending&limit=5&starting_after=${ids[2]}`, { headers: bearer(p.apiKey) });
    expect(page2.json).toMatchObject({ has_more: false, data: [{ id: ids[1], label: "second" }] });
    const all = await call("GET", "/v1/approvals", { headers: bearer(p.apiKey) });
    expect(all.json.data.map((x: any) => x.id)).toEqual([ids[2], ids[1], ids[0]]);
  });
});

describe("approvals: delegation", () => {
  it("a child inherits its parent's approval and may tighten it", async () => {
    const { a } = await setup(approval({ scopes: ["http:POST:payments.example.com/refund"], approvers: 1, expires_in: 600 }));
    const inherited = await delegate(a, { limits: { budgets: [{ asset: "USD", amount: "50000" }] } });
    expect(inherited.session.limits.approval).toEqual(a.session.limits.approval);
    const tight = await delegate(a, {
      limits: {
        budgets: [{ asset: "USD", amount: "50000" }],
        approval: { over: [{ asset: "USD", amount: "5000" }], scopes: ["http:POST:payments.example.com/*"], approvers: 2, expires_in: 60 },
      },
    });
    expect(tight.session.limits.approval.approvers).toBe(2);
    expect((await pay(tight, "6000")).json.approval).toMatchObject({ approvers_needed: 2 });
  });

  it("widening the approval is refused with delegation-widens naming each field", async () => {
    const { a } = await setup(approval({ scopes: ["http:POST:payments.example.com/refund"], approvers: 2, expires_in: 600 }));
    const key = (await import("@remit/sdk/keys")).generateAgentKey();
    const r = await agentCall(a, "POST", "/v1/delegations", {
      agent_jwk: key.publicJwk,
      scopes: [PAY],
      limits: { budgets: [{ asset: "USD", amount: "50000" }], approval: { over: [{ asset: "USD", amount: "20000" }], approvers: 1, expires_in: 900 } },
    });
    expect(r.status).toBe(422);
    expect(problemName(r)).toBe("delegation-widens");
    expect(r.json.errors.map((e: any) => [e.field, e.rule])).toEqual([
      ["limits.approval.over.0.amount", "exceeds_parent"],
      ["limits.approval.scopes", "scope_not_kept"],
      ["limits.approval.approvers", "below_parent"],
      ["limits.approval.expires_in", "exceeds_parent"],
    ]);
    const dropped = await agentCall(a, "POST", "/v1/delegations", {
      agent_jwk: key.publicJwk,
      scopes: [PAY],
      limits: { budgets: [{ asset: "USD", amount: "50000" }], approval: { over: [], scopes: ["http:GET:api.example.com/*"], approvers: 2 } },
    });
    expect(dropped.json.errors.map((e: any) => [e.field, e.rule])).toContainEqual(["limits.approval.over", "missing"]);
  });

  it("every level's line applies: a grandchild cannot escape the root's line", async () => {
    const { p, a } = await setup();
    const child = await delegate(a, { limits: { budgets: [{ asset: "USD", amount: "50000" }], approval: approval({ scopes: ["http:GET:api.example.com/none"] }) } });
    const grandchild = await delegate(child, { limits: { budgets: [{ asset: "USD", amount: "40000" }] } });
    const r = await pay(grandchild, "10001");
    expect(r.status).toBe(202);
    expect(r.json.approval.path).toEqual([a.session.id, child.session.id, grandchild.session.id]);
    expect(await usd(p.apiKey, a)).toMatchObject({ held: "10001" });
  });
});

describe("approvals: revocation and freeze while pending", () => {
  it("revoking the session cancels its pending approvals in the same step; they cannot be approved afterwards", async () => {
    const { p, a } = await setup();
    const id = (await pay(a, "20000")).json.approval.id;
    expect((await call("POST", `/v1/sessions/${a.session.id}/revoke`, { headers: bearer(p.apiKey) })).status).toBe(200);
    const read = await call("GET", `/v1/approvals/${id}`, { headers: bearer(p.apiKey) });
    expect(read.json).toMatchObject({ status: "canceled", reason: "session-revoked" });
    expect(await usd(p.apiKey, a)).toMatchObject({ held: "0", spent: "0" });
    const late = await decide(p.apiKey, id, "approve");
    expect(late.status).toBe(409);
    expect(problemName(late)).toBe("approval-closed");
  });

  it("revoking an ancestor cancels the descendants' approvals", async () => {
    const { p, a } = await setup();
    const child = await delegate(a, { limits: { budgets: [{ asset: "USD", amount: "50000" }] } });
    const id = (await pay(child, "20000")).json.approval.id;
    await call("POST", `/v1/sessions/${a.session.id}/revoke`, { headers: bearer(p.apiKey) });
    expect((await call("GET", `/v1/approvals/${id}`, { headers: bearer(p.apiKey) })).json.status).toBe("canceled");
    expect(problemName(await decide(p.apiKey, id, "approve"))).toBe("approval-closed");
  });

  it("freezing the principal cancels every pending approval at once", async () => {
    const { p, a } = await setup();
    const id = (await pay(a, "20000")).json.approval.id;
    expect((await call("POST", "/v1/freeze", { headers: bearer(p.apiKey), body: {} })).status).toBe(200);
    expect((await call("GET", `/v1/approvals/${id}`, { headers: bearer(p.apiKey) })).json).toMatchObject({ status: "canceled", reason: "principal-frozen" });
    await call("POST", "/v1/unfreeze", { headers: bearer(p.apiKey), body: {} });
    expect(problemName(await decide(p.apiKey, id, "approve"))).toBe("approval-closed");
    expect(await usd(p.apiKey, a)).toMatchObject({ held: "0", spent: "0" });
  });
});

describe("approvals: roles", () => {
  it("API keys carry a role; today's keys are admins", async () => {
    const p = await createPrincipal();
    expect((await call("GET", "/v1/api-keys", { headers: bearer(p.apiKey) })).json.data[0].role).toBe("admin");
    expect((await newKey(p.apiKey)).role).toBe("admin");
    expect((await newKey(p.apiKey, "approver")).role).toBe("approver");
    expect((await newKey(p.apiKey, "read_only")).role).toBe("read_only");
  });

  it("an approver reads and decides approvals, and nothing else", async () => {
    const { p, a } = await setup();
    const approver = await newKey(p.apiKey, "approver");
    const id = (await pay(a, "20000")).json.approval.id;
    expect((await call("GET", "/v1/approvals?status=pending", { headers: bearer(approver.key) })).json.data).toHaveLength(1);
    expect((await call("GET", `/v1/sessions/${a.session.id}`, { headers: bearer(approver.key) })).status).toBe(200);
    for (const [method, path, body] of [
      ["POST", "/v1/sessions", { agent_jwk: a.key.publicJwk, scopes: [PAY], expires_at: new Date(Date.now() + 3600_000).toISOString() }],
      ["POST", "/v1/api-keys", {}],
      ["POST", `/v1/sessions/${a.session.id}/revoke`, undefined],
      ["POST", "/v1/freeze", {}],
    ] as const) {
      const r = await call(method, path, { headers: bearer(approver.key), ...(body ? { body } : {}) });
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(problemName(r)).toBe("forbidden");
    }
    expect((await decide(approver.key, id, "approve")).json.status).toBe("approved");
  });

  it("a read_only key reads the queue but cannot decide, and its refusal changes nothing", async () => {
    const { p, a } = await setup();
    const reader = await newKey(p.apiKey, "read_only");
    const id = (await pay(a, "20000")).json.approval.id;
    expect((await call("GET", `/v1/approvals/${id}`, { headers: bearer(reader.key) })).status).toBe(200);
    for (const verdict of ["approve", "deny"] as const) {
      const r = await decide(reader.key, id, verdict);
      expect(r.status).toBe(403);
      expect(problemName(r)).toBe("forbidden");
    }
    expect((await call("GET", `/v1/approvals/${id}`, { headers: bearer(p.apiKey) })).json).toMatchObject({ status: "pending", approved_by: [] });
  });

  it("an unknown role is refused naming the field", async () => {
    const p = await createPrincipal();
    const r = await call("POST", "/v1/api-keys", { headers: bearer(p.apiKey), body: { role: "owner" } });
    expect(r.status).toBe(400);
    expect(r.json.errors[0].field).toBe("role");
  });
});

describe("approvals: error", () => {
  it("a malformed approval policy is refused naming field and rule, and grants nothing", async () => {
    const p = await createPrincipal();
    for (const [policy, field, rule] of [
      [{ over: [{ asset: "USD", amount: "1" }], approvers: 6 }, "limits.approval.approvers", "too_big"],
      [{ over: [{ asset: "USD", amount: "1" }], expires_in: 5 }, "limits.approval.expires_in", "too_small"],
      [{ over: [] }, "limits.approval.over", "empty_approval"],
      [
        {
          over: [
            { asset: "USD", amount: "1" },
            { asset: "USD", amount: "2" },
          ],
        },
        "limits.approval.over.1.asset",
        "duplicate_line",
      ],
      [{ over: [{ asset: "USD", amount: "1.5" }] }, "limits.approval.over.0.amount", undefined],
    ] as const) {
      const r = await call("POST", "/v1/sessions", {
        headers: bearer(p.apiKey),
        body: {
          agent_jwk: (await import("@remit/sdk/keys")).generateAgentKey().publicJwk,
          scopes: [PAY],
          expires_at: new Date(Date.now() + 3600_000).toISOString(),
          limits: { approval: policy },
        },
      });
      expect(r.status, JSON.stringify(policy)).toBe(400);
      const e = r.json.errors.find((x: any) => x.field === field);
      expect(e, `${field} in ${r.text}`).toBeDefined();
      if (rule) expect(e.rule).toBe(rule);
    }
  });

  it("approving a denied approval is approval-closed and nothing moves", async () => {
    const { p, a } = await setup();
    const id = (await pay(a, "20000")).json.approval.id;
    await decide(p.apiKey, id, "deny");
    const before = await usd(p.apiKey, a);
    for (const verdict of ["approve", "deny"] as const) {
      const r = await decide(p.apiKey, id, verdict);
      expect(r.status).toBe(409);
      expect(r.json).toMatchObject({ status: 409, approval_status: "denied", approval: id });
    }
    expect(await usd(p.apiKey, a)).toEqual(before);
  });

  it("a malformed approval id is refused naming the parameter", async () => {
    const p = await createPrincipal();
    const r = await call("POST", "/v1/approvals/apr_nope/approve", { headers: bearer(p.apiKey), body: {} });
    expect(r.status).toBe(400);
    expect(r.json.errors[0]).toMatchObject({ field: "id", rule: "format_regex" });
  });
});

describe("approvals: security", () => {
  it("another principal's approval is not found, to read or to decide", async () => {
    const { a } = await setup();
    const id = (await pay(a, "20000")).json.approval.id;
    const stranger = await createPrincipal("Mallory");
    expect((await call("GET", `/v1/approvals/${id}`, { headers: bearer(stranger.apiKey) })).status).toBe(404);
    expect((await decide(stranger.apiKey, id, "approve")).status).toBe(404);
    expect((await call("GET", "/v1/approvals", { headers: bearer(stranger.apiKey) })).json.data).toEqual([]);
  });

  it("an agent of another tree, or a child of the asking session, cannot read or cancel it", async () => {
    const { p, a } = await setup();
    const id = (await pay(a, "20000")).json.approval.id;
    const child = await delegate(a, { limits: { budgets: [{ asset: "USD", amount: "1000" }] } });
    const otherTree = await grant(p.apiKey, { scopes: [PAY] });
    for (const agent of [child, otherTree]) {
      expect((await agentCall(agent, "GET", `/v1/approvals/${id}`)).status).toBe(404);
      expect((await agentCall(agent, "POST", `/v1/approvals/${id}/cancel`, {})).status).toBe(404);
    }
    expect((await call("GET", `/v1/approvals/${id}`, { headers: bearer(p.apiKey) })).json.status).toBe("pending");
  });

  it("an ancestor may read and cancel its descendant's approval", async () => {
    const { a } = await setup();
    const child = await delegate(a, { limits: { budgets: [{ asset: "USD", amount: "50000" }] } });
    const id = (await pay(child, "20000")).json.approval.id;
    expect((await agentCall(a, "GET", `/v1/approvals/${id}`)).status).toBe(200);
    expect((await agentCall(a, "POST", `/v1/approvals/${id}/cancel`, {})).json.status).toBe("canceled");
  });

  it("the reservation blocks concurrent spending: what is waiting cannot be spent twice", async () => {
    const { p, a } = await setup(approval(), "30000");
    expect((await pay(a, "20000")).status).toBe(202);
    const r = await agentCall(a, "POST", "/v1/authorize", { scope: PAY, amount: { asset: "USD", value: "10001" } });
    expect(problemName(r)).toBe("budget-exceeded");
    expect((await pay(a, "10000")).status).toBe(200);
    expect(await usd(p.apiKey, a)).toMatchObject({ spent: "10000", held: "20000" });
  });
});

describe("approvals: races", () => {
  /** One closing receipt, counters that add up, for each run. */
  async function settled(apiKey: string, a: Agent, id: string) {
    const receipts = (await call("GET", `/v1/sessions/${a.session.id}/receipts?limit=100`, { headers: bearer(apiKey) })).json.data;
    return { closing: receipts.filter((r: any) => r.receipt.approval?.id === id), counter: await usd(apiKey, a) };
  }

  it(`approve racing deny ends in exactly one outcome and one receipt (${RACE_RUNS} runs)`, async () => {
    for (let run = 0; run < RACE_RUNS; run++) {
      const { p, a } = await setup();
      const other = await newKey(p.apiKey, "approver");
      const id = (await pay(a, "20000")).json.approval.id;
      const [yes, no] = await Promise.all([decide(p.apiKey, id, "approve"), decide(other.key, id, "deny")]);
      expect([yes.status, no.status].sort()).toEqual([200, 409]);
      const { closing, counter } = await settled(p.apiKey, a, id);
      expect(closing).toHaveLength(1);
      // The one receipt says which side won, and the counters agree with it.
      const winner = yes.status === 200 ? "authorize" : "denial";
      expect(closing[0].receipt.kind).toBe(winner);
      expect(counter).toMatchObject(winner === "authorize" ? { spent: "20000", held: "0" } : { spent: "0", held: "0" });
    }
  });

  it(`two approvers racing the last vote commit once (${RACE_RUNS} runs)`, async () => {
    for (let run = 0; run < RACE_RUNS; run++) {
      const { p, a } = await setup(approval({ approvers: 2 }));
      const [k1, k2] = [await newKey(p.apiKey, "approver"), await newKey(p.apiKey, "approver")];
      const id = (await pay(a, "20000")).json.approval.id;
      await decide(p.apiKey, id, "approve");
      const answers = await Promise.all([decide(k1.key, id, "approve"), decide(k2.key, id, "approve")]);
      expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
      const { closing, counter } = await settled(p.apiKey, a, id);
      expect(closing).toHaveLength(1);
      expect(closing[0].receipt.approval.decided_by).toHaveLength(2);
      expect(counter).toMatchObject({ spent: "20000", held: "0" });
    }
  });

  it(`approve racing expiry: exactly one wins (${RACE_RUNS} runs)`, async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    for (let run = 0; run < RACE_RUNS; run++) {
      const { p, a } = await setup(approval({ expires_in: 10 }));
      const id = (await pay(a, "20000")).json.approval.id;
      vi.setSystemTime(Date.now() + 9_999 + (run % 2));
      const [vote] = await Promise.all([decide(p.apiKey, id, "approve"), runDurableObjectAlarm(treeStub(id))]);
      const state = (await call("GET", `/v1/approvals/${id}`, { headers: bearer(p.apiKey) })).json.status;
      expect(["approved", "expired"]).toContain(state);
      expect(vote.status).toBe(state === "approved" ? 200 : 409);
      const { closing, counter } = await settled(p.apiKey, a, id);
      expect(closing).toHaveLength(1);
      expect(counter).toMatchObject(state === "approved" ? { spent: "20000", held: "0" } : { spent: "0", held: "0" });
    }
  });

  it(`agent cancel racing approve, and concurrent requests over the line: the reservation is never left behind (${RACE_RUNS} runs)`, async () => {
    for (let run = 0; run < RACE_RUNS; run++) {
      const { p, a } = await setup(approval(), "60000");
      const ids = (await Promise.all([pay(a, "20000"), pay(a, "20000"), pay(a, "20000"), pay(a, "20000")]))
        .filter((r) => r.status === 202)
        .map((r) => r.json.approval.id);
      expect(ids).toHaveLength(3); // the fourth would exceed the budget with three reserved
      await Promise.all(ids.map((id, i) => (i % 2 === run % 2 ? decide(p.apiKey, id, "approve") : agentCall(a, "POST", `/v1/approvals/${id}/cancel`, {}))));
      await Promise.all(ids.map((id) => agentCall(a, "POST", `/v1/approvals/${id}/cancel`, {})));
      const states = await Promise.all(ids.map(async (id) => (await call("GET", `/v1/approvals/${id}`, { headers: bearer(p.apiKey) })).json.status));
      const approved = states.filter((s) => s === "approved").length;
      expect(await usd(p.apiKey, a)).toMatchObject({ spent: String(20000 * approved), held: "0" });
    }
  });
});

describe("approvals: webhooks", () => {
  it("each state is announced, signed with Standard Webhooks", async () => {
    const { p, a } = await setup(approval({ approvers: 1 }));
    const e = await endpointOnReceiver(p.apiKey, ["approval.requested", "approval.approved", "approval.denied", "approval.expired", "approval.canceled"]);
    const approvedId = (await pay(a, "20000")).json.approval.id;
    const deniedId = (await pay(a, "20001")).json.approval.id;
    const canceledId = (await pay(a, "20002")).json.approval.id;
    await decide(p.apiKey, approvedId, "approve");
    await decide(p.apiKey, deniedId, "deny", { reason: "no" });
    await agentCall(a, "POST", `/v1/approvals/${canceledId}/cancel`, {});
    const trees = [a.session.id];
    const requested = await deliveriesOf(p.apiKey, e.id, "approval.requested", { trees, count: 3 });
    expect(requested.map((d) => d.payload?.data?.approval ?? d.event_id)).toHaveLength(3);
    await deliveriesOf(p.apiKey, e.id, "approval.approved", { trees });
    await deliveriesOf(p.apiKey, e.id, "approval.denied", { trees });
    await deliveriesOf(p.apiKey, e.id, "approval.canceled", { trees });
    const got = await vi.waitUntil(
      async () => {
        const r = await received(e.name);
        return r.length >= 6 ? r : null;
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(got.every((r) => r.verified)).toBe(true);
    const bodies = got.map((r) => JSON.parse(r.body));
    const req = bodies.find((b) => b.type === "approval.requested" && b.data.approval === approvedId);
    expect(req.data).toMatchObject({ session: a.session.id, label: "buyer", path: [a.session.id], scope: PAY, asset: "USD", amount: "20000", approvers_needed: 1 });
    expect(req.data.remaining).toEqual([{ session: a.session.id, asset: "USD", period: null, remaining: "80000" }]);
    expect(bodies.find((b) => b.type === "approval.approved").data).toMatchObject({ approval: approvedId, hold: null });
    expect(bodies.find((b) => b.type === "approval.denied").data).toMatchObject({ approval: deniedId, reason: "no" });
    expect(bodies.find((b) => b.type === "approval.canceled").data).toMatchObject({ approval: canceledId, cause: "agent" });
  });

  it("expiry is announced", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    const { p, a } = await setup(approval({ expires_in: 10 }));
    const e = await endpointOnReceiver(p.apiKey, ["approval.expired"]);
    const id = (await pay(a, "20000")).json.approval.id;
    vi.setSystemTime(Date.now() + 11_000);
    await runDurableObjectAlarm(treeStub(id));
    const [d] = await deliveriesOf(p.apiKey, e.id, "approval.expired", { trees: [id] });
    expect(d).toBeDefined();
    const got = await vi.waitUntil(async () => ((await received(e.name)).length >= 1 ? received(e.name) : null), { timeout: 10_000, interval: 100 });
    expect(got[0]!.verified).toBe(true);
    expect(JSON.parse(got[0]!.body).data).toMatchObject({ approval: id, session: a.session.id });
  });
});
