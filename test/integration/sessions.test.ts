import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { serviceKeys } from "../../src/core/auth/service-keys";
import { issueSessionTokenSync } from "../../src/core/auth/session-token";
import { b64urlDecode } from "../../src/core/encoding";
import { agentCall, call, createPrincipal, grant, problemName } from "../support/harness";

const SCOPE = { scope: "http:GET:api.example.com/x" };

describe("session windows: error", () => {
  it("refuses a session after its expires_at with session-expired", async () => {
    const p = await createPrincipal();
    const a = await grant(p.apiKey, { expires_at: new Date(Date.now() + 1500).toISOString() });
    expect((await agentCall(a, "POST", "/v1/authorize", SCOPE)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1600));
    const r = await agentCall(a, "POST", "/v1/authorize", SCOPE);
    expect(r.status).toBe(401);
    expect(problemName(r)).toBe("session-expired");
    const s = await call("GET", `/v1/sessions/${a.session.id}`, { headers: { authorization: `Bearer ${p.apiKey}` } });
    expect(s.json.status).toBe("expired");
  });

  it("refuses a session before its not_before with session-not-yet-valid", async () => {
    const p = await createPrincipal();
    const a = await grant(p.apiKey, { not_before: new Date(Date.now() + 600_000).toISOString() });
    expect(a.session.status).toBe("pending");
    const r = await agentCall(a, "POST", "/v1/authorize", SCOPE);
    expect(r.status).toBe(401);
    expect(problemName(r)).toBe("session-not-yet-valid");
  });

  it("refuses an expires_at in the past", async () => {
    const p = await createPrincipal();
    await expect(grant(p.apiKey, { expires_at: new Date(Date.now() - 1000).toISOString() })).rejects.toThrow(/expires_at/);
  });
});

describe("service key rotation: security", () => {
  it("a live token signed by the previous key still verifies, and its kid is in the JWKS", async () => {
    const p = await createPrincipal();
    const a = await grant(p.apiKey);
    const claims = JSON.parse(new TextDecoder().decode(b64urlDecode(a.token.split(".")[1]!)));
    const keys = await serviceKeys(env);
    const previous = keys.previous!;
    const { iat: _iat, jti: _jti, ...rest } = claims;
    const oldToken = issueSessionTokenSync(previous, rest, Date.now());
    expect(JSON.parse(atob(oldToken.split(".")[0]!)).kid).toBe(previous.kid);
    const r = await agentCall({ key: a.key, token: oldToken }, "POST", "/v1/authorize", SCOPE);
    expect(r.status, r.text).toBe(200);
    const jwks = await call("GET", "/.well-known/jwks.json");
    expect(jwks.json.keys.map((k: { kid: string }) => k.kid)).toContain(previous.kid);
  });
});

describe("a token naming an object that holds nothing: security", () => {
  it("is refused with invalid-token (not a 500 from an object without tables)", async () => {
    const p = await createPrincipal();
    const a = await grant(p.apiKey);
    const claims = JSON.parse(new TextDecoder().decode(b64urlDecode(a.token.split(".")[1]!)));
    const { iat: _iat, jti: _jti, ...rest } = claims;
    // Validly signed (as only a bug could mint it), for a tree and session that were never created.
    const nowhere = { ...rest, tree: `tre_${"z".repeat(13)}${"0".repeat(13)}`, sub: `ses_${"z".repeat(13)}${"1".repeat(13)}` };
    const token = issueSessionTokenSync((await serviceKeys(env)).current, nowhere, Date.now());
    const r = await agentCall({ key: a.key, token }, "POST", "/v1/authorize", SCOPE);
    expect(r.status, r.text).toBe(401);
    expect(problemName(r)).toBe("invalid-token");
  });
});

describe("introspection: happy", () => {
  it("shows the agent its own session and what remains", async () => {
    const p = await createPrincipal();
    const a = await grant(p.apiKey, { limits: { calls: 4, budgets: [{ asset: "USD", amount: "50" }] } });
    await agentCall(a, "POST", "/v1/authorize", { ...SCOPE, amount: { asset: "USD", value: "20" } });
    const r = await agentCall(a, "GET", "/v1/session");
    expect(r.status).toBe(200);
    expect(r.json.counters.calls).toEqual({ limit: 4, used: 1, remaining: 3 });
    expect(r.json.counters.budgets[0]).toMatchObject({ asset: "USD", limit: "50", spent: "20", held: "0", remaining: "30" });
  });
});

describe("receipts: security", () => {
  it("a principal reads its receipts; another principal gets 404", async () => {
    const p = await createPrincipal();
    const q = await createPrincipal();
    const a = await grant(p.apiKey);
    const r = await agentCall(a, "POST", "/v1/authorize", SCOPE);
    const id = r.json.receipt.receipt.id;
    expect((await call("GET", `/v1/receipts/${id}`, { headers: { authorization: `Bearer ${p.apiKey}` } })).json.receipt.id).toBe(id);
    expect((await call("GET", `/v1/receipts/${id}`, { headers: { authorization: `Bearer ${q.apiKey}` } })).status).toBe(404);
    expect((await agentCall(a, "GET", `/v1/receipts/${id}`)).status).toBe(200);
    const other = await grant(p.apiKey);
    expect((await agentCall(other, "GET", `/v1/receipts/${id}`)).status).toBe(404);
  });
});
