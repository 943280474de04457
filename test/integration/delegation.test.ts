import { describe, expect, it } from "vitest";
import { generateAgentKey } from "@remit/sdk/keys";
import { agentCall, call, createPrincipal, delegate, grant, inHours, problemName } from "../support/harness";

const ROOT = {
  scopes: ["http:GET:api.example.com/*", "llm:invoke:gpt-*"],
  expires_at: inHours(2),
  max_depth: 3,
  limits: {
    calls: 100,
    rate: { requests: 50, per_seconds: 1 },
    budgets: [
      { asset: "USD", amount: "10000" },
      { asset: "USD", amount: "2000", period: "day" },
    ],
  },
};

async function root() {
  const p = await createPrincipal();
  return { p, root: await grant(p.apiKey, ROOT) };
}

async function tryDelegate(parent: Awaited<ReturnType<typeof grant>>, body: Record<string, unknown>) {
  return agentCall(parent, "POST", "/v1/delegations", { agent_jwk: generateAgentKey().publicJwk, ...body });
}

describe("delegation: happy", () => {
  it("delegates a narrower child that inherits what it omits", async () => {
    const { root: r } = await root();
    const res = await tryDelegate(r, { scopes: ["http:GET:api.example.com/v1/*"] });
    expect(res.status, res.text).toBe(201);
    expect(res.json.session.parent).toBe(r.session.id);
    expect(res.json.session.depth).toBe(1);
    expect(res.json.session.max_depth).toBe(2);
    expect(res.json.session.expires_at).toBe(r.session.expires_at);
    expect(res.json.session.limits).toEqual(ROOT.limits);
    expect(res.json.session.tree).toBe(r.session.tree);
  });

  it("lets the child act within its own narrower bounds", async () => {
    const { root: r } = await root();
    const child = await delegate(r, { scopes: ["http:GET:api.example.com/v1/*"], limits: { ...ROOT.limits, calls: 1 } });
    expect((await agentCall(child, "POST", "/v1/authorize", { scope: "http:GET:api.example.com/v1/a" })).status).toBe(200);
    expect(problemName(await agentCall(child, "POST", "/v1/authorize", { scope: "http:GET:api.example.com/v1/a" }))).toBe("calls-exhausted");
    expect(problemName(await agentCall(child, "POST", "/v1/authorize", { scope: "http:GET:api.example.com/v2/a" }))).toBe("scope-denied");
  });
});

describe("delegation: error — anything wider is refused, never clamped", () => {
  const widenings: [string, Record<string, unknown>, string][] = [
    ["a scope the parent lacks", { scopes: ["http:POST:api.example.com/*"] }, "scopes.0"],
    ["a wider wildcard", { scopes: ["http:GET:api.example.*"] }, "scopes.0"],
    ["an earlier not_before", { scopes: ROOT.scopes, not_before: new Date(Date.now() - 3600_000).toISOString() }, "not_before"],
    ["a later expires_at", { scopes: ROOT.scopes, expires_at: inHours(3) }, "expires_at"],
    ["more calls", { scopes: ROOT.scopes, limits: { ...ROOT.limits, calls: 101 } }, "limits.calls"],
    ["no calls limit at all", { scopes: ROOT.scopes, limits: { rate: ROOT.limits.rate, budgets: ROOT.limits.budgets } }, "limits.calls"],
    ["a faster rate", { scopes: ROOT.scopes, limits: { ...ROOT.limits, rate: { requests: 100, per_seconds: 1 } } }, "limits.rate"],
    ["a larger budget", { scopes: ROOT.scopes, limits: { ...ROOT.limits, budgets: [{ asset: "USD", amount: "10001" }, ROOT.limits.budgets[1]] } }, "limits.budgets"],
    ["a missing period budget", { scopes: ROOT.scopes, limits: { ...ROOT.limits, budgets: [ROOT.limits.budgets[0]] } }, "limits.budgets"],
    [
      "an asset the parent has no budget in",
      { scopes: ROOT.scopes, limits: { ...ROOT.limits, budgets: [...ROOT.limits.budgets, { asset: "EUR", amount: "1" }] } },
      "limits.budgets.2.asset",
    ],
    ["an equal max_depth", { scopes: ROOT.scopes, max_depth: 3 }, "max_depth"],
  ];
  for (const [name, body, field] of widenings) {
    it(`refuses ${name} with delegation-widens naming ${field}`, async () => {
      const { root: r } = await root();
      const res = await tryDelegate(r, body);
      expect(res.status, res.text).toBe(422);
      expect(problemName(res)).toBe("delegation-widens");
      expect(res.json.errors.map((e: { field: string }) => e.field)).toContain(field);
    });
  }

  it("names every field that widens, not only the first", async () => {
    const { root: r } = await root();
    const res = await tryDelegate(r, { scopes: ["http:POST:x/*"], expires_at: inHours(5), limits: { ...ROOT.limits, calls: 1000 } });
    const fields = res.json.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(["scopes.0", "expires_at", "limits.calls"]));
  });

  it("refuses a delegation past max_depth with depth-exceeded", async () => {
    const p = await createPrincipal();
    const r = await grant(p.apiKey, { max_depth: 1 });
    const child = await delegate(r, {});
    expect(child.session.max_depth).toBe(0);
    const res = await tryDelegate(child, { scopes: child.session.scopes });
    expect(res.status).toBe(422);
    expect(problemName(res)).toBe("depth-exceeded");
  });

  it("changes nothing when it refuses", async () => {
    const { p, root: r } = await root();
    await tryDelegate(r, { scopes: ["http:POST:x/*"] });
    const tree = await call("GET", `/v1/sessions/${r.session.id}/tree`, { headers: { authorization: `Bearer ${p.apiKey}` } });
    expect(tree.json.descendants).toHaveLength(0);
  });
});

describe("revocation: security", () => {
  it("revoking the middle of a three-level tree stops it and its children but not the root", async () => {
    const { p, root: r } = await root();
    const middle = await delegate(r, { scopes: ["http:GET:api.example.com/*"] });
    const leaf = await delegate(middle, { scopes: ["http:GET:api.example.com/v1/*"] });
    const sibling = await delegate(r, { scopes: ["llm:invoke:gpt-*"] });
    const revoked = await call("POST", `/v1/sessions/${middle.session.id}/revoke`, { headers: { authorization: `Bearer ${p.apiKey}` } });
    expect(revoked.status, revoked.text).toBe(200);
    expect(revoked.json.revoked).toBe(2);

    for (const a of [middle, leaf]) {
      const res = await agentCall(a, "POST", "/v1/authorize", { scope: "http:GET:api.example.com/v1/x" });
      expect(res.status).toBe(401);
      expect(problemName(res)).toBe("session-revoked");
      expect(problemName(await agentCall(a, "GET", "/v1/session"))).toBe("session-revoked");
      expect(problemName(await tryDelegate(a, { scopes: ["http:GET:api.example.com/v1/*"] }))).toBe("session-revoked");
    }
    expect((await agentCall(r, "POST", "/v1/authorize", { scope: "http:GET:api.example.com/v1/x" })).status).toBe(200);
    expect((await agentCall(sibling, "POST", "/v1/authorize", { scope: "llm:invoke:gpt-5" })).status).toBe(200);

    const tree = await call("GET", `/v1/sessions/${r.session.id}/tree`, { headers: { authorization: `Bearer ${p.apiKey}` } });
    const status = Object.fromEntries([tree.json.session, ...tree.json.descendants].map((s: { id: string; status: string }) => [s.id, s.status]));
    expect(status).toEqual({ [r.session.id]: "active", [middle.session.id]: "revoked", [leaf.session.id]: "revoked", [sibling.session.id]: "active" });
  });

  it("revoking twice revokes nothing the second time", async () => {
    const { p, root: r } = await root();
    const auth = { authorization: `Bearer ${p.apiKey}` };
    expect((await call("POST", `/v1/sessions/${r.session.id}/revoke`, { headers: auth })).json.revoked).toBe(1);
    expect((await call("POST", `/v1/sessions/${r.session.id}/revoke`, { headers: auth })).json.revoked).toBe(0);
  });

  it("every concurrent request after revoke returns is refused", async () => {
    const { p, root: r } = await root();
    const leaf = await delegate(r, {});
    await call("POST", `/v1/sessions/${r.session.id}/revoke`, { headers: { authorization: `Bearer ${p.apiKey}` } });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => agentCall(i % 2 ? r : leaf, "POST", "/v1/authorize", { scope: "http:GET:api.example.com/x" })),
    );
    expect(results.every((x) => x.status === 401)).toBe(true);
  });
});

describe("freeze: security", () => {
  it("stops every session of the principal at once and restarts them on unfreeze", async () => {
    const p = await createPrincipal();
    const a = await grant(p.apiKey);
    const b = await grant(p.apiKey);
    const child = await delegate(b, {});
    const auth = { authorization: `Bearer ${p.apiKey}` };
    const frozen = await call("POST", "/v1/freeze", { headers: auth });
    expect(frozen.status, frozen.text).toBe(200);
    expect(frozen.json.trees).toBe(2);
    for (const x of [a, b, child]) {
      const res = await agentCall(x, "POST", "/v1/authorize", { scope: "http:GET:api.example.com/x" });
      expect(res.status).toBe(403);
      expect(problemName(res)).toBe("principal-frozen");
    }
    const g = await call("POST", "/v1/sessions", { headers: auth, body: { agent_jwk: generateAgentKey().publicJwk, scopes: ["a:b:c"], expires_at: inHours(1) } });
    expect(problemName(g)).toBe("principal-frozen");
    expect((await call("POST", "/v1/unfreeze", { headers: auth })).status).toBe(200);
    expect((await agentCall(child, "POST", "/v1/authorize", { scope: "http:GET:api.example.com/x" })).status).toBe(200);
  });
});
