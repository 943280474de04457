/**
 * The weaknesses found by attacking the running service from outside (issue "Hardening"),
 * each reproduced as it was attacked and held closed.
 */
import { describe, expect, it } from "vitest";
import { generateAgentKey } from "../../sdk/src/keys";
import { hook } from "../support/webhooks";
import { ADMIN_TOKEN, type Agent, agentCall, call, createPrincipal, delegate, grant, inHours, problemName } from "../support/harness";

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

describe("hardening: tree size", () => {
  // vitest.config.ts sets the tree caps for the workers tests: 25 children per session,
  // 60 sessions per tree; the scope caps keep wrangler.toml's defaults (32 scopes, 256 characters).
  const CHILDREN_CAP = 25;
  const TREE_CAP = 60;
  const bearer = (apiKey: string) => ({ authorization: `Bearer ${apiKey}` });
  const scopes = (n: number) => Array.from({ length: n }, (_, i) => `http:GET:api.example.com/r${i}/*`);
  const longScope = (length: number) => `http:GET:api.example.com/${"a".repeat(length - "http:GET:api.example.com/".length)}`;
  const child = (parent: Agent, body: Record<string, unknown> = {}) =>
    agentCall(parent, "POST", "/v1/delegations", { agent_jwk: generateAgentKey().publicJwk, scopes: parent.session.scopes, ...body });
  /** `n` children of `parent`, one after another (each is a decision of the same tree). */
  const children = async (parent: Agent, n: number) => {
    const out: Agent[] = [];
    for (let i = 0; i < n; i++) out.push(await delegate(parent));
    return out;
  };
  const treeIds = async (apiKey: string, id: string) => {
    const t = await call("GET", `/v1/sessions/${id}/tree?limit=500`, { headers: bearer(apiKey) });
    expect(t.status, t.text).toBe(200);
    return t.json.descendants.map((s: { id: string }) => s.id) as string[];
  };

  it("refuses a session's child past children_per_session with cap-exceeded naming the cap, and changes nothing", async () => {
    const p = await createPrincipal();
    const root = await grant(p.apiKey);
    const kids = await children(root, CHILDREN_CAP);
    const res = await child(root);
    expect(res.status, res.text).toBe(422);
    expect(problemName(res)).toBe("cap-exceeded");
    expect(res.json).toMatchObject({ cap: "children_per_session", limit: CHILDREN_CAP, current: CHILDREN_CAP });
    expect(res.json.detail).toContain(`children_per_session = ${CHILDREN_CAP}`);
    expect(res.json.detail).toMatch(/delegate from a child/);
    expect(await treeIds(p.apiKey, root.session.id)).toHaveLength(CHILDREN_CAP);
    // A child still has room of its own: the cap is per session.
    expect((await child(kids[0]!)).status).toBe(201);
  }, 120_000);

  it("refuses the tree's session past sessions_per_tree with cap-exceeded, revoked sessions counted", async () => {
    const p = await createPrincipal();
    const root = await grant(p.apiKey);
    const kids = await children(root, CHILDREN_CAP); // 26 sessions
    await children(kids[0]!, CHILDREN_CAP); // 51
    await children(kids[1]!, TREE_CAP - 1 - 2 * CHILDREN_CAP); // 60: the cap
    expect(await treeIds(p.apiKey, root.session.id)).toHaveLength(TREE_CAP - 1);
    // Revoking a leaf frees nothing: the tree's rows (and their receipts) stay.
    expect((await call("POST", `/v1/sessions/${kids[24]!.session.id}/revoke`, { headers: bearer(p.apiKey), body: {} })).status).toBe(200);
    const res = await child(kids[2]!);
    expect(res.status, res.text).toBe(422);
    expect(problemName(res)).toBe("cap-exceeded");
    expect(res.json).toMatchObject({ cap: "sessions_per_tree", limit: TREE_CAP, current: TREE_CAP });
    expect(res.json.detail).toMatch(/grant a new root session/);
    // Another tree of the same principal is not affected.
    const other = await grant(p.apiKey);
    expect((await child(other)).status).toBe(201);
  }, 180_000);

  it("refuses a grant of 65 scopes, or more than the configured 32, naming `scopes`", async () => {
    const p = await createPrincipal();
    const body = (s: string[]) => ({ agent_jwk: generateAgentKey().publicJwk, scopes: s, expires_at: inHours(1) });
    const over = await call("POST", "/v1/sessions", { headers: bearer(p.apiKey), body: body(scopes(65)) });
    expect(over.status, over.text).toBe(400);
    expect(problemName(over)).toBe("validation-failed");
    expect(over.json.errors).toEqual([expect.objectContaining({ field: "scopes", message: expect.stringContaining("at most 64") })]);
    const configured = await call("POST", "/v1/sessions", { headers: bearer(p.apiKey), body: body(scopes(33)) });
    expect(configured.status, configured.text).toBe(400);
    expect(configured.json.errors).toEqual([{ field: "scopes", rule: "max_scopes", message: expect.stringContaining("at most 32 scopes") }]);
    expect((await call("POST", "/v1/sessions", { headers: bearer(p.apiKey), body: body(scopes(32)) })).status).toBe(201);
  });

  it("refuses a grant with a 257-character scope, naming `scopes.N`", async () => {
    const p = await createPrincipal();
    const body = (s: string[]) => ({ agent_jwk: generateAgentKey().publicJwk, scopes: s, expires_at: inHours(1) });
    const res = await call("POST", "/v1/sessions", { headers: bearer(p.apiKey), body: body(["llm:invoke:*", longScope(257)]) });
    expect(res.status, res.text).toBe(400);
    expect(res.json.errors).toEqual([{ field: "scopes.1", rule: "scope_length", message: expect.stringContaining("at most 256 characters") }]);
    expect((await call("POST", "/v1/sessions", { headers: bearer(p.apiKey), body: body([longScope(256)]) })).status).toBe(201);
  });

  it("refuses a delegation of 65 or 33 scopes, or of a 257-character scope, naming the field", async () => {
    const p = await createPrincipal();
    const root = await grant(p.apiKey, { scopes: ["http:GET:api.example.com/*"] });
    const over = await child(root, { scopes: scopes(65) });
    expect(over.status, over.text).toBe(400);
    expect(over.json.errors).toEqual([expect.objectContaining({ field: "scopes" })]);
    const configured = await child(root, { scopes: scopes(33) });
    expect(configured.status, configured.text).toBe(400);
    expect(problemName(configured)).toBe("validation-failed");
    expect(configured.json.errors).toEqual([{ field: "scopes", rule: "max_scopes", message: expect.stringContaining("at most 32 scopes") }]);
    const long = await child(root, { scopes: [longScope(257)] });
    expect(long.status, long.text).toBe(400);
    expect(long.json.errors).toEqual([{ field: "scopes.0", rule: "scope_length", message: expect.stringContaining("at most 256 characters") }]);
    // Within the caps (and narrower than the parent) it is delegated.
    expect((await child(root, { scopes: scopes(32) })).status).toBe(201);
    expect((await child(root, { scopes: [longScope(256)] })).status).toBe(201);
    expect(await treeIds(p.apiKey, root.session.id)).toHaveLength(2);
  });

  it("pages the tree view: has_more and next_cursor, every session exactly once, depth-first", async () => {
    const p = await createPrincipal();
    const root = await grant(p.apiKey);
    for (const kid of await children(root, 5)) await children(kid, 3); // 20 descendants over two levels
    const whole = await call("GET", `/v1/sessions/${root.session.id}/tree`, { headers: bearer(p.apiKey) });
    expect(whole.status, whole.text).toBe(200);
    expect(whole.json).toMatchObject({ session: { id: root.session.id }, has_more: false, next_cursor: null });
    expect(whole.json.descendants).toHaveLength(20);
    const order = whole.json.descendants.map((s: { id: string }) => s.id) as string[];
    // Depth-first: every session comes right after its parent or after a sibling's subtree.
    const seen = new Set([root.session.id]);
    for (const s of whole.json.descendants as { id: string; parent: string }[]) {
      expect(seen.has(s.parent)).toBe(true);
      seen.add(s.id);
    }
    expect(whole.json.descendants[1].parent).toBe(whole.json.descendants[0].id);

    const pages: { descendants: { id: string }[]; has_more: boolean; next_cursor: string | null; session: { id: string } }[] = [];
    let cursor: string | null = null;
    do {
      const r = await call("GET", `/v1/sessions/${root.session.id}/tree?limit=7${cursor ? `&starting_after=${cursor}` : ""}`, { headers: bearer(p.apiKey) });
      expect(r.status, r.text).toBe(200);
      pages.push(r.json);
      cursor = r.json.next_cursor;
    } while (cursor);
    expect(pages.map((pg) => pg.descendants.length)).toEqual([7, 7, 6]);
    expect(pages.map((pg) => pg.has_more)).toEqual([true, true, false]);
    expect(pages[0]!.next_cursor).toBe(pages[0]!.descendants[6]!.id);
    for (const pg of pages) expect(pg.session.id).toBe(root.session.id);
    const paged = pages.flatMap((pg) => pg.descendants.map((s) => s.id));
    expect(paged).toEqual(order);
    expect(new Set(paged).size).toBe(20);

    // A subtree pages the same way, and holds only what is below it.
    const kid = whole.json.descendants[0].id as string;
    const sub = await call("GET", `/v1/sessions/${kid}/tree?limit=2`, { headers: bearer(p.apiKey) });
    expect(sub.json).toMatchObject({ session: { id: kid }, has_more: true });
    expect(sub.json.descendants.every((s: { parent: string }) => s.parent === kid)).toBe(true);
  }, 120_000);

  it("refuses a cursor outside the subtree and a page over 500", async () => {
    const p = await createPrincipal();
    const root = await grant(p.apiKey);
    const [a, b] = await children(root, 2);
    const outside = await call("GET", `/v1/sessions/${a!.session.id}/tree?starting_after=${b!.session.id}`, { headers: bearer(p.apiKey) });
    expect(outside.status, outside.text).toBe(400);
    expect(outside.json.errors).toEqual([expect.objectContaining({ field: "starting_after", rule: "unknown_cursor" })]);
    const self = await call("GET", `/v1/sessions/${root.session.id}/tree?starting_after=${root.session.id}`, { headers: bearer(p.apiKey) });
    expect(self.status, self.text).toBe(400);
    const big = await call("GET", `/v1/sessions/${root.session.id}/tree?limit=501`, { headers: bearer(p.apiKey) });
    expect(big.status, big.text).toBe(400);
    expect(big.json.errors).toEqual([expect.objectContaining({ field: "limit" })]);
  });

  it("revokes a tree at its cap in one call that answers the count, after which nothing under it succeeds", async () => {
    const p = await createPrincipal();
    const root = await grant(p.apiKey);
    const kids = await children(root, CHILDREN_CAP);
    const leaves = await children(kids[0]!, CHILDREN_CAP);
    await children(kids[1]!, TREE_CAP - 1 - 2 * CHILDREN_CAP);
    const r = await call("POST", `/v1/sessions/${root.session.id}/revoke`, { headers: bearer(p.apiKey), body: {} });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual({ session: root.session.id, revoked: TREE_CAP });
    const after = await agentCall(leaves[24]!, "POST", "/v1/authorize", { scope: "http:GET:api.example.com/x" });
    expect(after.status).toBe(401);
    expect(problemName(after)).toBe("session-revoked");
    const view = await call("GET", `/v1/sessions/${root.session.id}/tree?limit=500`, { headers: bearer(p.apiKey) });
    expect(view.json.descendants.every((s: { status: string }) => s.status === "revoked")).toBe(true);
    // Again: nothing left to revoke.
    const again = await call("POST", `/v1/sessions/${root.session.id}/revoke`, { headers: bearer(p.apiKey), body: {} });
    expect(again.json.revoked).toBe(0);
  }, 180_000);
});
