/**
 * The weaknesses found by attacking the running service from outside (issue "Hardening"),
 * each reproduced as it was attacked and held closed.
 */
import { describe, expect, it } from "vitest";
import { generateAgentKey } from "../../sdk/src/keys";
import { hook } from "../support/webhooks";
import { ADMIN_TOKEN, agentCall, call, createPrincipal, grant, inHours, problemName } from "../support/harness";

describe("hardening: scope targets are canonical", () => {
  it("refuses an authorization that climbs out of its prefix with a dot-dot segment, showing the canonical form", async () => {
    const p = await createPrincipal();
    const agent = await grant(p.apiKey, { scopes: ["http:GET:api.example.com/v1/*"] });
    const res = await agentCall(agent, "POST", "/v1/authorize", { scope: "http:GET:api.example.com/v1/../admin/delete" });
    expect(res.status, res.text).toBe(400);
    expect(problemName(res)).toBe("validation-failed");
    expect(res.json.errors).toEqual([expect.objectContaining({ field: "scope", rule: "scope_canonical" })]);
    expect(res.json.errors[0].message).toContain("http:GET:api.example.com/admin/delete");
    // Nothing was decided: no receipt, no call counted.
    const view = await agentCall(agent, "GET", "/v1/session");
    expect(view.json.counters.calls).toBeNull();
    expect(view.json.counters.rate_limited).toBe(0);
  });

  for (const target of ["api.example.com/v1/../admin", "api.example.com/v1/%2e%2e/admin", "api.example.com/v1//admin", "api.example.com/v1/..\\admin"]) {
    it(`refuses a child delegated ${JSON.stringify(target)}`, async () => {
      const p = await createPrincipal();
      const agent = await grant(p.apiKey, { scopes: ["http:GET:api.example.com/v1/*"] });
      const res = await agentCall(agent, "POST", "/v1/delegations", { agent_jwk: generateAgentKey().publicJwk, scopes: [`http:GET:${target}`] });
      expect(res.status, res.text).toBe(400);
      expect(res.json.errors).toEqual([expect.objectContaining({ field: "scopes.0", rule: "scope_canonical" })]);
    });
  }

  it("refuses a grant with an upper-case host and says how to write it", async () => {
    const p = await createPrincipal();
    await expect(grant(p.apiKey, { scopes: ["http:GET:API.example.com/v1/*"] })).rejects.toThrow(/http:GET:api\.example\.com\/v1\/\*/);
  });

  it("still allows a canonical target under the prefix", async () => {
    const p = await createPrincipal();
    const agent = await grant(p.apiKey, { scopes: ["http:GET:api.example.com/v1/*"] });
    const res = await agentCall(agent, "POST", "/v1/authorize", { scope: "http:GET:api.example.com/v1/reports/2026" });
    expect(res.status, res.text).toBe(200);
  });
});

describe("hardening: response headers", () => {
  it("never lets a response that carries a secret be cached, and never lets it be sniffed", async () => {
    const made = await call("POST", "/v1/principals", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body: { name: "Headers" } });
    expect(made.status).toBe(201);
    const apiKey = made.json.api_key as string;
    const granted = await call("POST", "/v1/sessions", {
      headers: { authorization: `Bearer ${apiKey}` },
      body: { agent_jwk: generateAgentKey().publicJwk, scopes: ["http:GET:api.example.com/*"], expires_at: inHours(1) },
    });
    const endpoint = await call("POST", "/v1/webhook-endpoints", {
      headers: { authorization: `Bearer ${apiKey}` },
      body: { url: await hook("hardening-headers"), events: ["*"] },
    });
    for (const r of [made, granted, endpoint]) {
      expect(r.status, r.text).toBe(201);
      expect(r.headers.get("cache-control")).toBe("no-store");
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });

  it("marks refusals, not-found and every other API answer no-store and nosniff", async () => {
    for (const r of [
      await call("GET", "/v1/sessions/ses_nothing"),
      await call("GET", "/nowhere"),
      await call("POST", "/v1/principals", { headers: { authorization: "Bearer wrong" }, body: { name: "x" } }),
      await call("GET", "/healthz"),
      await call("GET", "/openapi.json"),
    ]) {
      expect(r.headers.get("cache-control")).toBe("no-store");
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });

  it("lets only public data (keys, anchors) be cached, still nosniff", async () => {
    const jwks = await call("GET", "/.well-known/jwks.json");
    expect(jwks.headers.get("cache-control")).toMatch(/^public/);
    expect(jwks.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("gives every HTML page a Content-Security-Policy that forbids framing", async () => {
    for (const path of ["/problems/budget-exceeded", "/docs"]) {
      const r = await call("GET", path);
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toMatch(/^text\/html/);
      expect(r.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(r.headers.get("x-frame-options")).toBe("DENY");
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    }
    const problemPage = await call("GET", "/problems/budget-exceeded");
    expect(problemPage.headers.get("content-security-policy")).toContain("default-src 'none'");
  });

  it("runs the API reference's scripts only by a per-response nonce", async () => {
    const a = await call("GET", "/docs");
    const b = await call("GET", "/docs");
    const nonceOf = (csp: string | null) => /'nonce-([^']+)'/.exec(csp ?? "")?.[1];
    const nonce = nonceOf(a.headers.get("content-security-policy"));
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(nonceOf(b.headers.get("content-security-policy"))).not.toBe(nonce);
    expect(a.headers.get("content-security-policy")).not.toContain("'unsafe-inline' ;");
    expect(a.headers.get("content-security-policy")).toMatch(/script-src 'nonce-[^']+' https:\/\/cdn\.jsdelivr\.net;/);
    const scripts = a.text.match(/<script[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
  });
});
