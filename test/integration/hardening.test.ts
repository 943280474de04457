/**
 * The weaknesses found by attacking the running service from outside (issue "Hardening"),
 * each reproduced as it was attacked and held closed.
 */
import { createExecutionContext, env, listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { generateAgentKey } from "../../sdk/src/keys";
import worker from "../../src/index";
import { API_KEY_CHECKSUM_LENGTH, apiKeyChecksumKey, hasValidChecksum, mintApiKey, parseApiKey } from "../../src/core/auth/api-keys";
import { apiKeyChecksumMaterial } from "../../src/middleware/auth";
import { newId, randomToken } from "../../src/core/ids";
import { hook } from "../support/webhooks";
import { ADMIN_TOKEN, agentCall, BASE, call, createPrincipal, grant, inHours, problemName } from "../support/harness";

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

/** How many objects of a namespace have storage (miniflare lists those with a SQLite file). */
const stored = async (ns: DurableObjectNamespace) => (await listDurableObjectIds(ns)).length;
/** `n` characters of Crockford base32, the alphabet of keys and ids. */
const base32 = (n: number) => randomToken(n).slice(0, n);
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe("hardening: unauthenticated requests create no stored objects (finding 6)", () => {
  it("refuses 20 random well-formed API keys, and no Principal object comes to exist", async () => {
    await createPrincipal(); // the namespace has objects before, as in production
    const before = await stored(env.PRINCIPAL);
    for (let i = 0; i < 20; i++) {
      // Half in the shape of keys minted before the checksum (refused: pre-1.0, none is deployed), half in the current shape.
      const last = i % 2 === 0 ? base32(52) : base32(52 + API_KEY_CHECKSUM_LENGTH);
      const r = await call("GET", "/v1/api-keys", { headers: bearer(`rmt_${base32(26)}_${base32(26)}_${last}`) });
      expect(r.status, r.text).toBe(401);
      expect(problemName(r)).toBe("unauthenticated");
    }
    expect(await stored(env.PRINCIPAL)).toBe(before);
  });

  it("refuses a real key whose checksum is wrong at the edge: the Principal namespace is never touched", async () => {
    const p = await createPrincipal();
    const forged = p.apiKey.slice(0, -1) + (p.apiKey.endsWith("a") ? "b" : "a");
    const touched: string[] = [];
    const trap = new Proxy(env.PRINCIPAL, {
      get(target, prop) {
        touched.push(String(prop));
        return Reflect.get(target, prop).bind(target);
      },
    });
    const before = await stored(env.PRINCIPAL);
    const res = await worker.fetch(new Request(`${BASE}/v1/api-keys`, { headers: bearer(forged) }), { ...env, PRINCIPAL: trap }, createExecutionContext());
    expect(res.status).toBe(401);
    expect(((await res.json()) as { type: string }).type).toMatch(/\/problems\/unauthenticated$/);
    expect(touched).toEqual([]);
    expect(await stored(env.PRINCIPAL)).toBe(before);
    // The same request with the real key goes through.
    const real = await worker.fetch(new Request(`${BASE}/v1/api-keys`, { headers: bearer(p.apiKey) }), { ...env, PRINCIPAL: trap }, createExecutionContext());
    expect(real.status).toBe(200);
    expect(touched).toContain("get");
  });

  it("keys the checksum by REMIT_API_KEY_SECRET, else by the operator token (rotating it then invalidates every key), else refuses every key", async () => {
    expect(apiKeyChecksumMaterial({ REMIT_API_KEY_SECRET: "s", REMIT_ADMIN_TOKEN: "t" })).toBe("s");
    expect(apiKeyChecksumMaterial({ REMIT_ADMIN_TOKEN: "t" })).toBe("t");
    expect(apiKeyChecksumMaterial({ REMIT_API_KEY_SECRET: "", REMIT_ADMIN_TOKEN: "" })).toBeNull();
    const minted = await mintApiKey(await apiKeyChecksumKey("t"), newId("prn"), newId("key"));
    const parsed = parseApiKey(minted.key)!;
    expect(await hasValidChecksum(await apiKeyChecksumKey("t"), parsed)).toBe(true);
    expect(await hasValidChecksum(await apiKeyChecksumKey("t2"), parsed)).toBe(false);
  });

  // Locally (workerd), merely starting an object gives it a .sqlite file, so listDurableObjectIds
  // cannot tell a read from a write once an object is reached; that nothing was written shows as no tables.
  it("a Principal or SessionTree object without storage answers reads without writing anything (no tables afterwards)", async () => {
    const tablesOf = (stub: DurableObjectStub) =>
      runInDurableObject(stub, (_instance, state) => state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master").toArray());
    const principalId = newId("prn");
    const principal = env.PRINCIPAL.get(env.PRINCIPAL.idFromName(principalId));
    const proof = { keyId: newId("key"), secretHash: "00".repeat(32) };
    // A key the service minted (its checksum is good) for a principal that was never created reaches the object.
    const { key } = await mintApiKey(await apiKeyChecksumKey("test-api-key-checksum-secret"), principalId, proof.keyId);
    const r = await call("GET", "/v1/api-keys", { headers: bearer(key) });
    expect(r.status, r.text).toBe(401);
    expect(problemName(r)).toBe("unauthenticated");
    expect(await principal.authenticate(proof)).toMatchObject({ ok: false, problem: { name: "unauthenticated" } });
    expect((await principal.listApiKeys(proof)).outcome).toMatchObject({ ok: false, problem: { name: "unauthenticated" } });
    expect((await principal.getSession(proof, newId("ses"))).outcome).toMatchObject({ ok: false, problem: { name: "unauthenticated" } });
    expect(await principal.webhookJob(newId("dlv"))).toBeNull();
    expect(await principal.webhookDeadLettered(newId("dlv"))).toBeNull();
    expect(await principal.emitEvent("principal.frozen", { frozen_at: new Date().toISOString() })).toMatchObject({ ok: false, problem: { name: "not-found" } });
    expect(await tablesOf(principal)).toEqual([]);

    const tree = env.SESSION_TREE.get(env.SESSION_TREE.idFromName(base32(13)));
    const [ses, rcp] = [newId("ses"), newId("rcp")];
    expect(await tree.getSession("prn_x", ses)).toMatchObject({ ok: false, problem: { name: "not-found" } });
    expect(await tree.getTree("prn_x", ses)).toMatchObject({ ok: false, problem: { name: "not-found" } });
    expect(await tree.listReceipts("prn_x", ses, { limit: 10 })).toMatchObject({ ok: false, problem: { name: "not-found" } });
    expect(await tree.receipt({ principal: "prn_x" }, rcp)).toMatchObject({ ok: false, problem: { name: "not-found" } });
    expect(await tree.receiptInOutbox({ principal: "prn_x" }, rcp)).toMatchObject({ ok: false, problem: { name: "not-found" } });
    expect(await tree.revoke("prn_x", ses)).toMatchObject({ ok: false, problem: { name: "not-found" } });
    expect(await tablesOf(tree)).toEqual([]);
  });

  it("a principal's reads of sessions and receipts outside its own trees are 404 and reach no tree object", async () => {
    const p = await createPrincipal();
    const other = await createPrincipal("Other");
    const mine = await grant(p.apiKey);
    const theirs = await grant(other.apiKey);
    const before = await stored(env.SESSION_TREE);
    const [ses, rcp] = [newId("ses"), newId("rcp")];
    for (const path of [
      `/v1/sessions/${ses}`,
      `/v1/sessions/${ses}/tree`,
      `/v1/sessions/${ses}/receipts`,
      `/v1/receipts/${rcp}`,
      `/v1/receipts/${rcp}/proof`,
      `/v1/sessions/${theirs.session.id}`,
      `/v1/sessions/${theirs.session.id}/tree`,
    ]) {
      const r = await call("GET", path, { headers: bearer(p.apiKey) });
      expect(r.status, `${path}: ${r.text}`).toBe(404);
      expect(problemName(r)).toBe("not-found");
    }
    const revoke = await call("POST", `/v1/sessions/${ses}/revoke`, { headers: bearer(p.apiKey), body: {} });
    expect(revoke.status, revoke.text).toBe(404);
    expect(await stored(env.SESSION_TREE)).toBe(before);
    // The principal's own session still reads.
    const own = await call("GET", `/v1/sessions/${mine.session.id}`, { headers: bearer(p.apiKey) });
    expect(own.status, own.text).toBe(200);
    expect(own.json.id).toBe(mine.session.id);
  });
});

describe("hardening: each freeze and unfreeze answers the state it left (finding 7b)", () => {
  it("20 concurrent freeze/unfreeze pairs: freeze answers frozen, unfreeze unfrozen, and the principal and its trees agree afterwards", async () => {
    const p = await createPrincipal();
    const agents = [await grant(p.apiKey), await grant(p.apiKey), await grant(p.apiKey)];
    for (let round = 0; round < 20; round++) {
      const [freeze, unfreeze] = await Promise.all([
        call("POST", "/v1/freeze", { headers: { ...bearer(p.apiKey), "idempotency-key": `freeze-${round}` }, body: {} }),
        call("POST", "/v1/unfreeze", { headers: { ...bearer(p.apiKey), "idempotency-key": `unfreeze-${round}` }, body: {} }),
      ]);
      expect(freeze.status, freeze.text).toBe(200);
      expect(unfreeze.status, unfreeze.text).toBe(200);
      expect(freeze.json.frozen, `round ${round}: freeze`).toBe(true);
      expect(unfreeze.json.frozen, `round ${round}: unfreeze`).toBe(false);
      // Whichever was serialized last holds everywhere: the principal (a grant) and every tree (an agent's next request).
      const granted = await call("POST", "/v1/sessions", {
        headers: bearer(p.apiKey),
        body: { agent_jwk: generateAgentKey().publicJwk, scopes: ["http:GET:api.example.com/*"], expires_at: inHours(1) },
      });
      const principal = granted.status === 201 ? "live" : problemName(granted);
      expect(["live", "principal-frozen"]).toContain(principal);
      const views = await Promise.all(agents.map((a) => agentCall(a, "GET", "/v1/session")));
      expect(
        views.map((v) => (v.status === 200 ? "live" : problemName(v))),
        `round ${round}: the principal is ${principal}`,
      ).toEqual(agents.map(() => principal));
    }
  });
});
