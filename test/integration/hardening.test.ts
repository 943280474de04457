/**
 * The weaknesses found by attacking the running service from outside (issue "Hardening"),
 * each reproduced as it was attacked and held closed.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createProof } from "../../sdk/src/dpop";
import { generateAgentKey } from "../../sdk/src/keys";
import worker from "../../src/index";
import { API_KEY_CHECKSUM_LENGTH, apiKeyChecksumKey, hasValidChecksum, mintApiKey, parseApiKey } from "../../src/core/auth/api-keys";
import { newId, randomToken } from "../../src/core/ids";
import { treeKey } from "../../src/core/tree-ids";
import { apiKeyChecksumMaterial } from "../../src/middleware/auth";
import { hook } from "../support/webhooks";
import { ADMIN_TOKEN, BASE, agentCall, call, createPrincipal, delegate, grant, inHours, problemName, type Agent } from "../support/harness";

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
    // Its script is this worker's own asset (the installed package), never a CDN's.
    expect(a.headers.get("content-security-policy")).toMatch(/script-src 'self' 'nonce-[^']+';/);
    expect(a.headers.get("content-security-policy")).not.toMatch(/https:/);
    expect(a.text).toContain('src="/static/scalar.js"');
    const scripts = a.text.match(/<script[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
  });
});

const DEAD_SCOPE = "http:GET:api.example.com/v1/x";
const bearerOf = (apiKey: string) => ({ authorization: `Bearer ${apiKey}` });

/** The rate TAT and calls used of each session, read from the tree object itself (exact, not a time-dependent peek). */
async function liveCounters(rootId: string, ids: string[]) {
  const stub = env.SESSION_TREE.get(env.SESSION_TREE.idFromName(treeKey(rootId)));
  return runInDurableObject(stub, (_instance, state) =>
    Object.fromEntries(
      ids.map((id) => {
        const tat = state.storage.sql.exec<{ tat: number }>("SELECT tat FROM rate WHERE session_id = ?", id).toArray()[0]?.tat ?? null;
        const calls = state.storage.sql.exec<{ calls_used: number }>("SELECT calls_used FROM sessions WHERE id = ?", id).one().calls_used;
        return [id, { tat, calls }];
      }),
    ),
  );
}

async function denialsOf(apiKey: string, sessionId: string) {
  const r = await call("GET", `/v1/sessions/${sessionId}/receipts?limit=100`, { headers: bearerOf(apiKey) });
  expect(r.status, r.text).toBe(200);
  return (r.json.data as { receipt: { kind: string; reason: string | null; id: string } }[]).map((x) => x.receipt).filter((x) => x.kind === "denial");
}

/** Root and two children, each allowing 10 requests per 60 s. */
async function rateLimitedTree() {
  const p = await createPrincipal();
  const limits = { rate: { requests: 10, per_seconds: 60 }, calls: 100 };
  const root = await grant(p.apiKey, { limits });
  const dead = await delegate(root, { limits: { ...limits, calls: 50 } });
  const sibling = await delegate(root, { limits: { ...limits, calls: 50 } });
  return { p, root, dead, sibling };
}

describe("hardening: a revoked, frozen or expired session costs its tree nothing", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  describe("happy", () => {
    it("after a revoked child's burst of 12 the live root and sibling still succeed, their rate and calls untouched", async () => {
      const { p, root, dead, sibling } = await rateLimitedTree();
      expect((await call("POST", `/v1/sessions/${dead.session.id}/revoke`, { headers: bearerOf(p.apiKey) })).status).toBe(200);
      const before = await liveCounters(root.session.id, [root.session.id, sibling.session.id, dead.session.id]);
      for (let i = 0; i < 12; i++) await agentCall(dead, "POST", "/v1/authorize", { scope: DEAD_SCOPE });
      expect(await liveCounters(root.session.id, [root.session.id, sibling.session.id, dead.session.id])).toEqual(before);
      const fromRoot = await agentCall(root, "POST", "/v1/authorize", { scope: DEAD_SCOPE });
      expect(fromRoot.status, fromRoot.text).toBe(200);
      const fromSibling = await agentCall(sibling, "POST", "/v1/authorize", { scope: DEAD_SCOPE });
      expect(fromSibling.status, fromSibling.text).toBe(200);
    });

    it("after a frozen principal is unfrozen its sessions' rate and calls are as they were before the freeze", async () => {
      const { p, root, dead, sibling } = await rateLimitedTree();
      expect((await call("POST", "/v1/freeze", { headers: bearerOf(p.apiKey) })).status).toBe(200);
      const before = await liveCounters(root.session.id, [root.session.id, sibling.session.id, dead.session.id]);
      for (let i = 0; i < 12; i++) await agentCall(dead, "POST", "/v1/authorize", { scope: DEAD_SCOPE });
      expect(await liveCounters(root.session.id, [root.session.id, sibling.session.id, dead.session.id])).toEqual(before);
      expect((await call("POST", "/v1/unfreeze", { headers: bearerOf(p.apiKey) })).status).toBe(200);
      for (const a of [root, sibling, dead]) {
        const r = await agentCall(a, "POST", "/v1/authorize", { scope: DEAD_SCOPE });
        expect(r.status, r.text).toBe(200);
      }
    });

    it("an expired child's burst leaves its live root's rate untouched", async () => {
      vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
      const { root } = await rateLimitedTree();
      const shortLived = await delegate(root, {
        limits: { rate: { requests: 10, per_seconds: 60 }, calls: 50 },
        expires_at: new Date(Date.now() + 120_000).toISOString(),
      });
      vi.setSystemTime(Date.now() + 121_000);
      const before = await liveCounters(root.session.id, [root.session.id]);
      for (let i = 0; i < 12; i++) {
        const r = await agentCall(shortLived, "POST", "/v1/authorize", { scope: DEAD_SCOPE });
        expect(r.status, r.text).toBe(401);
        expect(problemName(r)).toBe("session-expired");
      }
      expect(await liveCounters(root.session.id, [root.session.id])).toEqual(before);
      expect((await agentCall(root, "POST", "/v1/authorize", { scope: DEAD_SCOPE })).status).toBe(200);
    });
  });

  describe("error", () => {
    it("answers every one of a revoked child's 12 calls session-revoked (never 429), all naming one denial receipt", async () => {
      const { p, dead } = await rateLimitedTree();
      await call("POST", `/v1/sessions/${dead.session.id}/revoke`, { headers: bearerOf(p.apiKey) });
      const answers = [];
      for (let i = 0; i < 12; i++) answers.push(await agentCall(dead, "POST", "/v1/authorize", { scope: DEAD_SCOPE }));
      expect(answers.map((r) => r.status)).toEqual(Array(12).fill(401));
      expect(answers.map(problemName)).toEqual(Array(12).fill("session-revoked"));
      const denials = await denialsOf(p.apiKey, dead.session.id);
      expect(denials).toHaveLength(1);
      expect(denials[0]).toMatchObject({ reason: "session-revoked" });
      expect(new Set(answers.map((r) => r.json.receipt))).toEqual(new Set([denials[0]!.id]));
    });

    it("answers every one of a frozen principal's agent's 12 calls principal-frozen (never 429), leaving one denial receipt", async () => {
      const { p, dead } = await rateLimitedTree();
      await call("POST", "/v1/freeze", { headers: bearerOf(p.apiKey) });
      const answers = [];
      for (let i = 0; i < 12; i++) answers.push(await agentCall(dead, "POST", "/v1/authorize", { scope: DEAD_SCOPE }));
      expect(answers.map((r) => r.status)).toEqual(Array(12).fill(403));
      expect(answers.map(problemName)).toEqual(Array(12).fill("principal-frozen"));
      const denials = await denialsOf(p.apiKey, dead.session.id);
      expect(denials.map((d) => d.reason)).toEqual(["principal-frozen"]);
    });

    it("writes one denial receipt per session and reason per 60 s window, and a new one once the window has passed", async () => {
      vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
      const { p, dead } = await rateLimitedTree();
      await call("POST", `/v1/sessions/${dead.session.id}/revoke`, { headers: bearerOf(p.apiKey) });
      for (let i = 0; i < 3; i++) await agentCall(dead, "GET", "/v1/session");
      vi.setSystemTime(Date.now() + 59_000);
      await agentCall(dead, "POST", "/v1/authorize", { scope: DEAD_SCOPE });
      expect(await denialsOf(p.apiKey, dead.session.id)).toHaveLength(1);
      vi.setSystemTime(Date.now() + 2_000);
      for (let i = 0; i < 3; i++) expect(problemName(await agentCall(dead, "POST", "/v1/authorize", { scope: DEAD_SCOPE }))).toBe("session-revoked");
      expect((await denialsOf(p.apiKey, dead.session.id)).map((d) => d.reason)).toEqual(["session-revoked", "session-revoked"]);
    });
  });

  describe("security", () => {
    it("a revoked child's replayed Idempotency-Key is refused, not handed its stored success, and charges nothing", async () => {
      const { p, root, dead } = await rateLimitedTree();
      const headers = { "idempotency-key": "before-revoke" };
      expect((await agentCall(dead, "POST", "/v1/authorize", { scope: DEAD_SCOPE }, { headers })).status).toBe(200);
      await call("POST", `/v1/sessions/${dead.session.id}/revoke`, { headers: bearerOf(p.apiKey) });
      const before = await liveCounters(root.session.id, [root.session.id, dead.session.id]);
      const replay = await agentCall(dead, "POST", "/v1/authorize", { scope: DEAD_SCOPE }, { headers });
      expect(problemName(replay)).toBe("session-revoked");
      expect(replay.headers.get("idempotent-replayed")).toBeNull();
      expect(await liveCounters(root.session.id, [root.session.id, dead.session.id])).toEqual(before);
    });

    it("a revoked child may still void its holds, but that charges only its own rate, never a live ancestor's", async () => {
      const p = await createPrincipal();
      const budgets = [{ asset: "USD", amount: "100" }];
      const root = await grant(p.apiKey, { limits: { rate: { requests: 10, per_seconds: 60 }, budgets } });
      const dead = await delegate(root, { limits: { rate: { requests: 10, per_seconds: 60 }, budgets } });
      const hold = await agentCall(dead, "POST", "/v1/holds", { scope: DEAD_SCOPE, amount: { asset: "USD", value: "5" } });
      expect(hold.status, hold.text).toBe(201);
      await call("POST", `/v1/sessions/${dead.session.id}/revoke`, { headers: bearerOf(p.apiKey) });
      const before = await liveCounters(root.session.id, [root.session.id]);
      const voided = await agentCall(dead, "POST", `/v1/holds/${hold.json.id}/void`);
      expect(voided.status, voided.text).toBe(200);
      expect(await liveCounters(root.session.id, [root.session.id])).toEqual(before);
    });

    it("a proof used by a revoked session stays used: replaying it is proof-replayed", async () => {
      const { p, dead } = await rateLimitedTree();
      await call("POST", `/v1/sessions/${dead.session.id}/revoke`, { headers: bearerOf(p.apiKey) });
      const proof = createProof(dead.key, { method: "GET", url: `${BASE}/v1/session`, accessToken: dead.token });
      expect(problemName(await agentCall(dead, "GET", "/v1/session", undefined, { proof }))).toBe("session-revoked");
      expect(problemName(await agentCall(dead, "GET", "/v1/session", undefined, { proof }))).toBe("proof-replayed");
    });
  });
});

interface Charged {
  session: string;
  asset: string;
  period: string;
  window_start: string;
}
interface CommittedReceipt {
  kind: string;
  amount: string | null;
  at: string;
  hold: string | null;
  charged_to?: Charged[];
}

/** The receipts of a session that commit an amount: authorizations with one, and captures. */
async function committedOf(apiKey: string, sessionId: string): Promise<CommittedReceipt[]> {
  const r = await call("GET", `/v1/sessions/${sessionId}/receipts?limit=100`, { headers: bearerOf(apiKey) });
  expect(r.status, r.text).toBe(200);
  return (r.json.data as { receipt: CommittedReceipt }[]).map((x) => x.receipt).filter((x) => x.amount !== null && (x.kind === "authorize" || x.kind === "capture"));
}

/** Σ of committed amounts attributed to each (session, period, window) by the receipts' `charged_to`. */
function attributed(receipts: CommittedReceipt[]): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const r of receipts)
    for (const c of r.charged_to ?? []) out[`${c.session} ${c.period} ${c.window_start}`] = (out[`${c.session} ${c.period} ${c.window_start}`] ?? 0n) + BigInt(r.amount!);
  return out;
}

describe("hardening: a hold captured after its window rolled over is charged to the window it was made in", () => {
  const H08 = "2027-03-01T08:00:00.000Z";
  const H09 = "2027-03-01T09:00:00.000Z";
  const HOURLY = [
    { asset: "USD", amount: "100", period: "hour" },
    { asset: "USD", amount: "1000" },
  ];
  const spendUsd = (a: Agent, value: string) => agentCall(a, "POST", "/v1/authorize", { scope: DEAD_SCOPE, amount: { asset: "USD", value } });

  afterEach(() => {
    vi.useRealTimers();
  });

  /** The issue's attack: at 08:59 hold 60 and spend 40; at 09:00:02 spend the full new hour and capture the 08:59 hold. */
  async function attack(a: Agent) {
    const hold = await agentCall(a, "POST", "/v1/holds", { scope: DEAD_SCOPE, amount: { asset: "USD", value: "60" } });
    expect(hold.status, hold.text).toBe(201);
    expect((await spendUsd(a, "40")).status).toBe(200);
    vi.setSystemTime(Date.parse("2027-03-01T09:00:02.000Z"));
    const spent = await spendUsd(a, "100");
    expect(spent.status, spent.text).toBe(200);
    const captured = await agentCall(a, "POST", `/v1/holds/${hold.json.id}/capture`, {});
    expect(captured.status, captured.text).toBe(200);
    return { hold: hold.json.id as string, spent, captured };
  }

  describe("happy", () => {
    it("names the 08:00 window on the capture receipt and keeps each window's attributed receipts within its 100", async () => {
      vi.useFakeTimers({ toFake: ["Date"], now: Date.parse("2027-03-01T08:59:00.000Z") });
      const p = await createPrincipal();
      const a = await grant(p.apiKey, { limits: { budgets: HOURLY } });
      const { spent, captured } = await attack(a);
      const ses = a.session.id as string;
      expect(captured.json.receipt.receipt.charged_to).toEqual([{ session: ses, asset: "USD", period: "hour", window_start: H08 }]);
      expect(spent.json.receipt.receipt.charged_to).toEqual([{ session: ses, asset: "USD", period: "hour", window_start: H09 }]);

      const receipts = await committedOf(p.apiKey, ses);
      // Every committed amount is attributed to exactly one hourly window…
      for (const r of receipts) expect(r.charged_to?.filter((c) => c.period === "hour")).toHaveLength(1);
      // …and no window holds more than its budget, although the receipts dated in the 09:00 hour total 160.
      expect(attributed(receipts)).toEqual({ [`${ses} hour ${H08}`]: 100n, [`${ses} hour ${H09}`]: 100n });
      expect(receipts.filter((r) => r.at >= H09).reduce((sum, r) => sum + BigInt(r.amount!), 0n)).toBe(160n);

      // The counters say the same: the 09:00 window spent its 100; the lifetime budget all 200.
      const view = await call("GET", `/v1/sessions/${ses}`, { headers: bearerOf(p.apiKey) });
      const budgets = view.json.counters.budgets as { period: string | null; spent: string; held: string; window_start: string | null }[];
      expect(budgets.find((b) => b.period === "hour")).toMatchObject({ spent: "100", held: "0", window_start: H09 });
      expect(budgets.find((b) => b.period === null)).toMatchObject({ spent: "200", held: "0" });
    });

    it("names every periodic window up the chain, and none for lifetime budgets", async () => {
      vi.useFakeTimers({ toFake: ["Date"], now: Date.parse("2027-03-01T08:59:00.000Z") });
      const p = await createPrincipal();
      const root = await grant(p.apiKey, { limits: { budgets: HOURLY } });
      const child = await delegate(root, { limits: { budgets: [...HOURLY, { asset: "USD", amount: "500", period: "day" }] } });
      const { spent, captured } = await attack(child);
      const [r, c] = [root.session.id as string, child.session.id as string];
      const DAY = "2027-03-01T00:00:00.000Z";
      const byKey = (x: Charged[]) => [...x].sort((a, b) => `${a.session}${a.period}`.localeCompare(`${b.session}${b.period}`));
      expect(byKey(captured.json.receipt.receipt.charged_to)).toEqual(
        byKey([
          { session: r, asset: "USD", period: "hour", window_start: H08 },
          { session: c, asset: "USD", period: "hour", window_start: H08 },
          { session: c, asset: "USD", period: "day", window_start: DAY },
        ]),
      );
      expect(byKey(spent.json.receipt.receipt.charged_to)).toEqual(
        byKey([
          { session: r, asset: "USD", period: "hour", window_start: H09 },
          { session: c, asset: "USD", period: "hour", window_start: H09 },
          { session: c, asset: "USD", period: "day", window_start: DAY },
        ]),
      );
      expect(attributed(await committedOf(p.apiKey, c))).toEqual({
        [`${r} hour ${H08}`]: 100n,
        [`${r} hour ${H09}`]: 100n,
        [`${c} hour ${H08}`]: 100n,
        [`${c} hour ${H09}`]: 100n,
        [`${c} day ${DAY}`]: 200n,
      });
    });

    it("gives a lifetime-only spend an empty charged_to, and a spend without an amount none", async () => {
      const p = await createPrincipal();
      const a = await grant(p.apiKey, { limits: { budgets: [{ asset: "USD", amount: "1000" }] } });
      expect((await spendUsd(a, "5")).json.receipt.receipt.charged_to).toEqual([]);
      expect((await agentCall(a, "POST", "/v1/authorize", { scope: DEAD_SCOPE })).json.receipt.receipt).not.toHaveProperty("charged_to");
    });
  });

  describe("error", () => {
    it("still refuses a spend past the new hour's budget after the old hour's hold is captured", async () => {
      vi.useFakeTimers({ toFake: ["Date"], now: Date.parse("2027-03-01T08:59:00.000Z") });
      const p = await createPrincipal();
      const a = await grant(p.apiKey, { limits: { budgets: HOURLY } });
      await attack(a);
      const over = await spendUsd(a, "1");
      expect(over.status).toBe(403);
      expect(problemName(over)).toBe("budget-exceeded");
      expect(over.json).toMatchObject({ period: "hour", remaining: "0" });
    });
  });

  describe("security", () => {
    it("a void or a denial commits nothing and names no window", async () => {
      vi.useFakeTimers({ toFake: ["Date"], now: Date.parse("2027-03-01T08:59:00.000Z") });
      const p = await createPrincipal();
      const a = await grant(p.apiKey, { limits: { budgets: HOURLY } });
      const hold = await agentCall(a, "POST", "/v1/holds", { scope: DEAD_SCOPE, amount: { asset: "USD", value: "60" } });
      const voided = await agentCall(a, "POST", `/v1/holds/${hold.json.id}/void`);
      expect(voided.json.receipt.receipt).not.toHaveProperty("charged_to");
      const denied = await spendUsd(a, "101");
      expect(problemName(denied)).toBe("budget-exceeded");
      const receipt = await call("GET", `/v1/receipts/${denied.json.receipt}`, { headers: bearerOf(p.apiKey) });
      expect(receipt.status, receipt.text).toBe(200);
      expect(receipt.json.receipt).not.toHaveProperty("charged_to");
    });
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
