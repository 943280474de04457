import { describe, expect, it } from "vitest";
import { generateAgentKey } from "@remit/sdk/keys";
import { ADMIN_TOKEN, call, createPrincipal, grant, inHours, problemName } from "../support/harness";

const bearer = (k: string) => ({ authorization: `Bearer ${k}` });

describe("principals and API keys: happy", () => {
  it("creates a principal with a first key shown once, named for its principal", async () => {
    const r = await call("POST", "/v1/principals", { headers: bearer(ADMIN_TOKEN), body: { name: "Acme" } });
    expect(r.status).toBe(201);
    expect(r.json.principal).toMatchObject({ object: "principal", name: "Acme", max_session_seconds: 86400, frozen: false });
    expect(r.json.api_key).toMatch(/^rmt_/);
    expect(r.json.api_key).toContain(r.json.principal.id.slice(4));
  });

  it("rotates keys: a new key works, a revoked key stops at once, listing never shows secrets", async () => {
    const p = await createPrincipal();
    const created = await call("POST", "/v1/api-keys", { headers: bearer(p.apiKey), body: { label: "ci" } });
    expect(created.status, created.text).toBe(201);
    const second = created.json.api_key as string;
    expect((await call("GET", "/v1/api-keys", { headers: bearer(second) })).json.data).toHaveLength(2);
    const firstId = (await call("GET", "/v1/api-keys", { headers: bearer(second) })).json.data[0].id;
    const revoked = await call("DELETE", `/v1/api-keys/${firstId}`, { headers: bearer(second) });
    expect(revoked.json.revoked_at).not.toBeNull();
    const r = await call("GET", "/v1/api-keys", { headers: bearer(p.apiKey) });
    expect(r.status).toBe(401);
    expect(problemName(r)).toBe("unauthenticated");
    expect(JSON.stringify((await call("GET", "/v1/api-keys", { headers: bearer(second) })).json)).not.toContain(second.split("_")[3]);
  });

  it("grants a session whose token carries the bound claims", async () => {
    const p = await createPrincipal();
    const a = await grant(p.apiKey, { label: "crawler", limits: { calls: 5 } });
    const [h, payload] = a.token
      .split(".")
      .slice(0, 2)
      .map((x) => JSON.parse(atob(x.replace(/-/g, "+").replace(/_/g, "/"))));
    expect(h).toMatchObject({ alg: "EdDSA", typ: "remit-session+jwt" });
    expect(typeof h.kid).toBe("string");
    expect(payload).toMatchObject({ sub: a.session.id, tree: a.session.tree, prn: p.id });
    for (const claim of ["iss", "nbf", "exp", "iat", "jti"]) expect(payload).toHaveProperty(claim);
    expect(payload.cnf.jkt).toBe(a.session.agent_jkt);
    expect(a.session.counters.calls).toEqual({ limit: 5, used: 0, remaining: 5 });
  });

  it("publishes the current and previous service keys in the JWKS", async () => {
    const r = await call("GET", "/.well-known/jwks.json");
    expect(r.json.keys).toHaveLength(2);
    for (const k of r.json.keys) expect(k).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
  });
});

describe("principals and API keys: error", () => {
  it("refuses principal creation without the operator token", async () => {
    for (const headers of [{}, bearer("nope"), bearer(`${ADMIN_TOKEN}x`)]) {
      const r = await call("POST", "/v1/principals", { headers, body: { name: "x" } });
      expect(r.status).toBe(401);
      expect(problemName(r)).toBe("unauthenticated");
    }
  });

  it("refuses a malformed or forged API key", async () => {
    const p = await createPrincipal();
    const forged = p.apiKey.slice(0, -1) + (p.apiKey.endsWith("a") ? "b" : "a");
    for (const key of ["rmt_nope", forged]) expect(problemName(await call("GET", "/v1/api-keys", { headers: bearer(key) }))).toBe("unauthenticated");
  });

  it("refuses expires_at beyond the principal's maximum lifetime, naming the field and rule", async () => {
    const p = await createPrincipal("short", 3600);
    const r = await call("POST", "/v1/sessions", {
      headers: bearer(p.apiKey),
      body: { agent_jwk: generateAgentKey().publicJwk, scopes: ["a:b:c"], expires_at: inHours(2) },
    });
    expect(r.status).toBe(400);
    expect(problemName(r)).toBe("validation-failed");
    expect(r.json.errors).toEqual([expect.objectContaining({ field: "expires_at", rule: "max_lifetime" })]);
  });

  const invalid: [string, Record<string, unknown>, string, string][] = [
    ["a missing expires_at", { expires_at: undefined }, "expires_at", "required"],
    ["a non-RFC 3339 expires_at", { expires_at: "tomorrow" }, "expires_at", "format_datetime"],
    ["a scope with a wildcard in the middle", { scopes: ["http:GET:api.*.com"] }, "scopes.0", "scope_wildcard"],
    ["a scope with Unicode", { scopes: ["http:GET:аpi.example.com"] }, "scopes.0", "scope_charset"],
    ["no scopes", { scopes: [] }, "scopes", "too_small"],
    ["a private key as agent_jwk", { agent_jwk: { ...generateAgentKey().privateJwk } }, "agent_jwk", "agent_jwk"],
    ["an RSA agent_jwk", { agent_jwk: { kty: "RSA", n: "x", e: "AQAB" } }, "agent_jwk", "agent_jwk"],
    ["an unknown field", { colour: "red" }, "colour", "unknown_field"],
    ["a fractional budget", { limits: { budgets: [{ asset: "USD", amount: "1.5" }] } }, "limits.budgets.0.amount", "amount_format"],
    ["a negative calls limit", { limits: { calls: -1 } }, "limits.calls", "too_small"],
    [
      "a duplicate budget",
      {
        limits: {
          budgets: [
            { asset: "USD", amount: "1" },
            { asset: "USD", amount: "2" },
          ],
        },
      },
      "limits.budgets.1",
      "duplicate_budget",
    ],
    ["an unknown period", { limits: { budgets: [{ asset: "USD", amount: "1", period: "fortnight" }] } }, "limits.budgets.0.period", "invalid_value"],
  ];
  for (const [name, over, field, rule] of invalid) {
    it(`refuses ${name} with validation-failed naming ${field} and ${rule}`, async () => {
      const p = await createPrincipal();
      const body = { agent_jwk: generateAgentKey().publicJwk, scopes: ["http:GET:api.example.com/*"], expires_at: inHours(1), ...over };
      const r = await call("POST", "/v1/sessions", { headers: bearer(p.apiKey), body });
      expect(r.status, r.text).toBe(400);
      expect(r.headers.get("content-type")).toBe("application/problem+json");
      expect(problemName(r)).toBe("validation-failed");
      expect(r.json.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field, rule })]));
    });
  }

  it("refuses a body that is not JSON", async () => {
    const p = await createPrincipal();
    const r = await call("POST", "/v1/sessions", { headers: bearer(p.apiKey), body: "{not json" });
    expect(problemName(r)).toBe("validation-failed");
    expect(r.json.errors[0]).toMatchObject({ field: "body", rule: "json_syntax" });
    const t = await call("POST", "/v1/sessions", { headers: { ...bearer(p.apiKey), "content-type": "text/plain" }, body: "hi" });
    expect(t.status).toBe(415);
  });

  it("refuses an oversized body", async () => {
    const p = await createPrincipal();
    const r = await call("POST", "/v1/sessions", { headers: bearer(p.apiKey), body: { label: "x".repeat(70_000) } });
    expect(r.status).toBe(413);
    expect(problemName(r)).toBe("payload-too-large");
  });

  it("answers a known path with the wrong method with 405 and Allow", async () => {
    const r = await call("GET", "/v1/authorize");
    expect(r.status).toBe(405);
    expect(problemName(r)).toBe("method-not-allowed");
    expect(r.headers.get("allow")).toBe("POST");
    const s = await call("PUT", "/v1/sessions/ses_00000000000000000000000000");
    expect(s.headers.get("allow")).toBe("GET, HEAD");
  });

  it("has no problem pages for Object.prototype members", async () => {
    for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty"]) expect((await call("GET", `/problems/${name}`)).status).toBe(404);
  });

  it("answers CORS preflights, since credentials travel in headers only", async () => {
    const r = await call("OPTIONS", "/v1/authorize", {
      headers: { origin: "https://app.example", "access-control-request-method": "POST", "access-control-request-headers": "authorization, dpop, content-type" },
    });
    expect(r.status).toBe(204);
    expect(r.headers.get("access-control-allow-origin")).toBe("*");
    expect(r.headers.get("access-control-allow-headers")).toMatch(/dpop/);
  });

  it("answers unknown routes with a not-found problem", async () => {
    const r = await call("GET", "/v1/nothing-here");
    expect(r.status).toBe(404);
    expect(problemName(r)).toBe("not-found");
  });
});

describe("principals: security — one principal never sees another's", () => {
  it("principal A can neither read nor revoke principal B's sessions", async () => {
    const a = await createPrincipal("A");
    const b = await createPrincipal("B");
    const s = await grant(b.apiKey);
    for (const [method, path] of [
      ["GET", `/v1/sessions/${s.session.id}`],
      ["GET", `/v1/sessions/${s.session.id}/tree`],
      ["POST", `/v1/sessions/${s.session.id}/revoke`],
    ] as const) {
      const r = await call(method, path, { headers: bearer(a.apiKey) });
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(problemName(r)).toBe("not-found");
    }
    expect((await call("GET", `/v1/sessions/${s.session.id}`, { headers: bearer(b.apiKey) })).json.status).toBe("active");
  });

  it("principal A cannot revoke principal B's API keys", async () => {
    const a = await createPrincipal("A");
    const b = await createPrincipal("B");
    const bKeys = await call("GET", "/v1/api-keys", { headers: bearer(b.apiKey) });
    const r = await call("DELETE", `/v1/api-keys/${bKeys.json.data[0].id}`, { headers: bearer(a.apiKey) });
    expect(r.status).toBe(404);
    expect((await call("GET", "/v1/api-keys", { headers: bearer(b.apiKey) })).status).toBe(200);
  });

  it("an API key of one principal with another principal's id in it is refused", async () => {
    const a = await createPrincipal("A");
    const b = await createPrincipal("B");
    const [, , keyPart, secret] = a.apiKey.split("_");
    const spliced = `rmt_${b.id.slice(4)}_${keyPart}_${secret}`;
    expect(problemName(await call("GET", "/v1/api-keys", { headers: bearer(spliced) }))).toBe("unauthenticated");
  });
});
