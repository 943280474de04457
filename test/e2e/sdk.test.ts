/**
 * The SDK against the real worker (wrangler dev, workerd, real Durable Objects).
 */
import { describe, expect, it } from "vitest";
import { PROBLEMS } from "../../src/core/errors";
import {
  BudgetExceededError,
  CallsExhaustedError,
  DelegationWidensError,
  DepthExceededError,
  errorFromProblem,
  generateAgentKey,
  HoldClosedError,
  IdempotencyKeyReusedError,
  InvalidProofError,
  InvalidTokenError,
  isRemitError,
  NotFoundError,
  PrincipalFrozenError,
  PROBLEM_CLASSES,
  ProofReplayedError,
  RateLimitedError,
  RemitAgent,
  RemitError,
  RemitNetworkError,
  RemitPrincipal,
  ScopeDeniedError,
  SessionExpiredError,
  SessionNotYetValidError,
  SessionRevokedError,
  UnauthenticatedError,
  ValidationFailedError,
  type FetchLike,
  type RetryInfo,
} from "@remit/sdk";
import { useStack } from "../support/stack";

const stack = useStack({ withChain: false });

const SCOPE = "http:GET:api.example.com/*";

async function principal(name = "Acme") {
  const p = await stack().createPrincipal(name);
  return new RemitPrincipal({ baseUrl: stack().url, apiKey: p.apiKey });
}

/** A principal and a root agent with a USD budget. */
async function rootAgent(overrides: Partial<Parameters<RemitPrincipal["grant"]>[0]> = {}, agentOptions: Partial<{ maxRetries: number; fetch: FetchLike }> = {}) {
  const p = await principal();
  const key = generateAgentKey();
  const grant = await p.grant({
    agentKey: key,
    scopes: [SCOPE],
    expiresIn: 3600,
    limits: { budgets: [{ asset: "USD", amount: "1000" }] },
    ...overrides,
  });
  const agent = new RemitAgent({ baseUrl: stack().url, token: grant.token, key, ...agentOptions });
  return { principal: p, agent, grant };
}

async function refusal(promise: Promise<unknown>): Promise<RemitError> {
  try {
    await promise;
  } catch (err) {
    if (isRemitError(err)) return err;
    throw err;
  }
  throw new Error("expected a refusal, got success");
}

describe("agent flow", () => {
  it("grant → authorize → delegate → child authorizes → introspect → hold → revoke → child refused", async () => {
    const p = await principal();
    const {
      session: root,
      token,
      agent,
    } = await p.grant({
      agentKey: generateAgentKey(),
      scopes: [SCOPE],
      expiresIn: 3600,
      limits: { calls: 20, budgets: [{ asset: "USD", amount: "1000", period: "day" }] },
      maxDepth: 2,
      label: "researcher",
    });
    expect(token).toMatch(/^ey/);
    expect(root).toMatchObject({ object: "session", depth: 0, max_depth: 2, label: "researcher", status: "active" });
    expect(agent).toBeInstanceOf(RemitAgent);
    expect(agent!.sessionId).toBe(root.id);

    const first = await agent!.authorize("http:GET:api.example.com/v1/quotes", { amount: { asset: "USD", value: 300 } });
    expect(first.receipt.receipt).toMatchObject({ kind: "authorize", amount: "300", asset: "USD", session: root.id });
    expect(first.session.counters.budgets[0]).toMatchObject({ spent: "300", remaining: "700" });

    const child = await agent!.delegate({
      scopes: ["http:GET:api.example.com/v1/*"],
      limits: { calls: 5, budgets: [{ asset: "USD", amount: "200", period: "day" }] },
      label: "sub-agent",
    });
    expect(child.session).toMatchObject({ parent: root.id, depth: 1, label: "sub-agent" });
    expect(child.agent).toBeInstanceOf(RemitAgent);

    const spent = await child.agent!.authorize("http:GET:api.example.com/v1/prices", { amount: { asset: "USD", value: 50n } });
    expect(spent.receipt.receipt.path).toEqual([root.id, child.session.id]);

    const own = await child.agent!.session();
    expect(own.id).toBe(child.session.id);
    expect(own.counters.budgets[0]).toMatchObject({ spent: "50", remaining: "150" });
    expect(own.counters.calls).toMatchObject({ used: 1, remaining: 4 });

    // Debited up the tree: the root saw both spends.
    const rootNow = await p.session(root.id);
    expect(rootNow.counters.budgets[0]).toMatchObject({ spent: "350", remaining: "650" });
    const tree = await p.tree(root.id);
    expect(tree.session.id).toBe(root.id);
    expect(tree.descendants.map((s) => s.id)).toEqual([child.session.id]);

    // Receipts: the principal and the agents in the path can read them.
    const r = await p.receipt(spent.receipt.receipt.id);
    expect(r.leaf_hash).toBe(spent.receipt.leaf_hash);
    expect((await agent!.receipt(spent.receipt.receipt.id)).bytes).toBe(spent.receipt.bytes);

    // Holds: reserve, capture part, void another.
    const hold = await child.agent!.hold("http:GET:api.example.com/v1/orders", { asset: "USD", value: "100" }, { expiresIn: 120 });
    expect(hold).toMatchObject({ object: "hold", status: "open", amount: "100" });
    expect((await child.agent!.session()).counters.budgets[0]).toMatchObject({ held: "100", remaining: "50" });
    const captured = await child.agent!.capture(hold.id, 60);
    expect(captured.hold).toMatchObject({ status: "captured", captured: "60" });
    expect(captured.receipt.receipt).toMatchObject({ kind: "capture", amount: "60", hold: hold.id });
    const again = await refusal(child.agent!.capture(hold.id));
    expect(again).toBeInstanceOf(HoldClosedError);
    const other = await child.agent!.hold("http:GET:api.example.com/v1/orders", { asset: "USD", value: "10" });
    expect((await child.agent!.void(other.id)).hold.status).toBe("voided");
    expect((await child.agent!.session()).counters.budgets[0]).toMatchObject({ spent: "110", held: "0", remaining: "90" });

    // Revoking the root reaches the child.
    expect(await p.revoke(root.id)).toEqual({ session: root.id, revoked: 2 });
    const refused = await refusal(child.agent!.authorize("http:GET:api.example.com/v1/prices"));
    expect(refused).toBeInstanceOf(SessionRevokedError);
    expect(refused.status).toBe(401);
    expect(refused.code).toBe("session-revoked");
    expect(refused.receiptId).toMatch(/^rcp_/);
    expect((await p.session(child.session.id)).status).toBe("revoked");
  });

  it("places a hot subtree in an object of its own: the child spends under a budget lease, and the root's view records it", async () => {
    const p = await principal();
    const { session: root, agent } = await p.grant({
      agentKey: generateAgentKey(),
      scopes: [SCOPE],
      expiresIn: 3600,
      limits: { budgets: [{ asset: "USD", amount: "1000" }] },
      childPlacement: "own_object",
    });
    const hot = await agent.delegate({ scopes: [SCOPE] });
    const near = await agent.delegate({ scopes: [SCOPE], placement: "same_object" });
    expect(hot.session.id.slice(4, 17)).not.toBe(root.id.slice(4, 17));
    expect(near.session.id.slice(4, 17)).toBe(root.id.slice(4, 17));
    await hot.agent!.authorize(SCOPE, { amount: { asset: "USD", value: "900" } });
    expect(await refusal(near.agent!.authorize(SCOPE, { amount: { asset: "USD", value: "101" } }))).toBeInstanceOf(BudgetExceededError);
    const tree = await p.tree(root.id);
    const leased = tree.descendants.find((s) => s.id === hot.session.id)!;
    expect(leased.lease).toMatchObject({ object: "lease", state: "open" });
    expect(BigInt(leased.lease!.slices[0]!.granted)).toBeGreaterThanOrEqual(900n);
  });

  it("delegates to a public key only (no child agent) and manages API keys", async () => {
    const { agent, principal: p } = await rootAgent();
    const outside = generateAgentKey();
    const d = await agent.delegate({ publicJwk: outside.publicJwk, scopes: [SCOPE] });
    expect(d.agent).toBeUndefined();
    const later = new RemitAgent({ baseUrl: stack().url, token: d.token, key: outside.privateJwk });
    expect((await later.session()).id).toBe(d.session.id);

    const created = await p.apiKeys.create({ label: "ci" });
    expect(created.api_key).toMatch(/^rmt_/);
    const listed = await p.apiKeys.list();
    expect(listed.map((k) => k.id)).toContain(created.id);
    const second = new RemitPrincipal({ baseUrl: stack().url, apiKey: created.api_key! });
    expect((await second.apiKeys.list()).length).toBe(2);
    expect((await p.apiKeys.revoke(created.id)).revoked_at).not.toBeNull();
    expect(await refusal(second.apiKeys.list())).toBeInstanceOf(UnauthenticatedError);
  });

  it("pages a tree: tree() one page with its cursor, treePages() every page, wholeTree() every session once", async () => {
    const { agent, principal: p } = await rootAgent();
    const kids = [];
    for (let i = 0; i < 5; i++) kids.push((await agent.delegate({ publicJwk: generateAgentKey().publicJwk, scopes: [SCOPE] })).session.id);
    const first = await p.tree(agent.sessionId, { limit: 2 });
    expect(first).toMatchObject({ has_more: true, next_cursor: kids[1] });
    expect(first.descendants.map((s) => s.id)).toEqual(kids.slice(0, 2));
    const second = await p.tree(agent.sessionId, { limit: 2, startingAfter: first.next_cursor! });
    expect(second.descendants.map((s) => s.id)).toEqual(kids.slice(2, 4));
    const pages = [];
    for await (const page of p.treePages(agent.sessionId, { limit: 2 })) pages.push(page.descendants.map((s) => s.id));
    expect(pages).toEqual([kids.slice(0, 2), kids.slice(2, 4), kids.slice(4)]);
    const whole = await p.wholeTree(agent.sessionId, { limit: 2 });
    expect(whole.descendants.map((s) => s.id)).toEqual(kids);
    expect(whole).toMatchObject({ session: { id: agent.sessionId }, has_more: false, next_cursor: null });
  });
});

describe("retries", () => {
  it("a response lost after the server processed it is retried with the same Idempotency-Key and charged once", async () => {
    const seen: { key: string | null; proof: string | null }[] = [];
    let dropped = false;
    const lossy: FetchLike = async (input, init) => {
      const response = await fetch(input, init);
      const url = String(input);
      if (url.endsWith("/v1/authorize")) {
        const headers = new Headers(init?.headers);
        seen.push({ key: headers.get("idempotency-key"), proof: headers.get("dpop") });
        if (!dropped) {
          dropped = true;
          await response.text(); // the server has done the work…
          throw new TypeError("fetch failed: connection reset (simulated)"); // …and the answer is lost
        }
      }
      return response;
    };
    const retries: RetryInfo[] = [];
    const { agent, grant, principal: p } = await rootAgent({}, { fetch: lossy });
    const retrying = new RemitAgent({ baseUrl: stack().url, token: agent.token, key: agent.key, fetch: lossy, retryBaseDelayMs: 10, onRetry: (i) => retries.push(i) });

    const result = await retrying.authorize("http:GET:api.example.com/v1/x", { amount: { asset: "USD", value: "250" } });
    expect(result.session.counters.budgets[0]).toMatchObject({ spent: "250", remaining: "750" });
    expect(seen).toHaveLength(2);
    expect(seen[0]!.key).toBeTruthy();
    expect(seen[1]!.key).toBe(seen[0]!.key);
    expect(seen[1]!.proof).not.toBe(seen[0]!.proof);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ attempt: 1, path: "/v1/authorize", idempotencyKey: seen[0]!.key });

    const after = await p.session(grant.session.id);
    expect(after.counters.budgets[0]).toMatchObject({ spent: "250", remaining: "750" });
    expect(after.counters.calls).toBeNull();
  });

  it("retries 503 and honours Retry-After; gives up after maxRetries with the typed error", async () => {
    let calls = 0;
    const flaky: FetchLike = async (input, init) => {
      calls++;
      if (calls === 1)
        return new Response(JSON.stringify({ type: "https://x/problems/service-unavailable", title: "The service is unavailable", status: 503, detail: "try later" }), {
          status: 503,
          headers: { "content-type": "application/problem+json", "retry-after": "0" },
        });
      return fetch(input, init);
    };
    const { agent } = await rootAgent();
    const a = new RemitAgent({ baseUrl: stack().url, token: agent.token, key: agent.key, fetch: flaky, retryBaseDelayMs: 5 });
    expect((await a.session()).status).toBe("active");
    expect(calls).toBe(2);

    const down: FetchLike = async () => {
      throw new TypeError("fetch failed: ECONNREFUSED (simulated)");
    };
    const b = new RemitAgent({ baseUrl: stack().url, token: agent.token, key: agent.key, fetch: down, maxRetries: 2, retryBaseDelayMs: 5 });
    const err = await b.session().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemitNetworkError);
    expect((err as RemitNetworkError).attempts).toBe(3);
    expect(isRemitError(err)).toBe(false);
  });
});

describe("every problem the API gives surfaces as its error class", () => {
  it("has a class for each problem type of the service", () => {
    for (const name of Object.keys(PROBLEMS)) {
      const Class = PROBLEM_CLASSES[name];
      expect(Class, name).toBeDefined();
      const e = errorFromProblem({ type: `http://h/problems/${name}`, title: "t", status: 400, detail: "d" });
      expect(e).toBeInstanceOf(Class!);
      expect(e.code).toBe(name);
    }
    expect(errorFromProblem({ type: "about:blank", title: "Bad Gateway", status: 502, detail: "" }).constructor).toBe(RemitError);
  });

  it("validation-failed, with errors[] naming the field", async () => {
    const p = await principal();
    const e = await refusal(p.grant({ agentJwk: generateAgentKey().publicJwk, scopes: ["not a scope"], expiresIn: 600 }));
    expect(e).toBeInstanceOf(ValidationFailedError);
    expect(e.status).toBe(400);
    expect(e.errors.map((f) => f.field)).toContain("scopes.0");
  });

  it("unauthenticated", async () => {
    const p = new RemitPrincipal({ baseUrl: stack().url, apiKey: "rmt_not_a_key" });
    expect(await refusal(p.apiKeys.list())).toBeInstanceOf(UnauthenticatedError);
  });

  it("invalid-token", async () => {
    const a = new RemitAgent({ baseUrl: stack().url, token: "bm90.YSB0b2tlbg.c2ln", key: generateAgentKey() });
    const e = await refusal(a.session());
    expect(e).toBeInstanceOf(InvalidTokenError);
    expect(e.headers.get("www-authenticate")).toMatch(/^DPoP/);
  });

  it("invalid-proof (a proof by another key than the session's)", async () => {
    const { agent } = await rootAgent();
    const thief = new RemitAgent({ baseUrl: stack().url, token: agent.token, key: generateAgentKey() });
    const e = await refusal(thief.authorize("http:GET:api.example.com/v1/x"));
    expect(e).toBeInstanceOf(InvalidProofError);
    expect(e.headers.get("www-authenticate")).toContain('error="invalid_dpop_proof"');
  });

  it("proof-replayed (a proof sent twice)", async () => {
    let first: string | null = null;
    const replaying: FetchLike = async (input, init) => {
      const headers = new Headers(init?.headers);
      if (first === null) first = headers.get("dpop");
      else headers.set("dpop", first);
      return fetch(input, { ...init, headers });
    };
    const { agent } = await rootAgent();
    const a = new RemitAgent({ baseUrl: stack().url, token: agent.token, key: agent.key, fetch: replaying, maxRetries: 0 });
    await a.session();
    expect(await refusal(a.session())).toBeInstanceOf(ProofReplayedError);
  });

  it("session-expired (a short session)", async () => {
    const { agent } = await rootAgent({ expiresIn: undefined, expiresAt: new Date(Date.now() + 2_000) });
    await agent.session();
    await new Promise((r) => setTimeout(r, 2_600));
    const e = await refusal(agent.authorize("http:GET:api.example.com/v1/x"));
    expect(e).toBeInstanceOf(SessionExpiredError);
  });

  it("session-not-yet-valid", async () => {
    const { agent } = await rootAgent({ notBefore: new Date(Date.now() + 600_000) });
    expect(await refusal(agent.session())).toBeInstanceOf(SessionNotYetValidError);
  });

  it("principal-frozen, for agents and for grants, until unfrozen", async () => {
    const { agent, principal: p } = await rootAgent();
    const frozen = await p.freeze();
    expect(frozen).toMatchObject({ frozen: true, trees: 1 });
    expect(await refusal(agent.authorize("http:GET:api.example.com/v1/x"))).toBeInstanceOf(PrincipalFrozenError);
    const e = await refusal(p.grant({ agentJwk: generateAgentKey().publicJwk, scopes: [SCOPE], expiresIn: 600 }));
    expect(e).toBeInstanceOf(PrincipalFrozenError);
    expect(e.status).toBe(403);
    await p.unfreeze();
    await agent.authorize("http:GET:api.example.com/v1/x");
  });

  it("scope-denied", async () => {
    const { agent } = await rootAgent();
    const e = await refusal(agent.authorize("http:POST:api.example.com/v1/x"));
    expect(e).toBeInstanceOf(ScopeDeniedError);
    expect(e.member("scope")).toBe("http:POST:api.example.com/v1/x");
  });

  it("budget-exceeded, with what remains", async () => {
    const { agent } = await rootAgent();
    await agent.authorize("http:GET:api.example.com/v1/x", { amount: { asset: "USD", value: "900" } });
    const e = await refusal(agent.authorize("http:GET:api.example.com/v1/x", { amount: { asset: "USD", value: "101" } }));
    expect(e).toBeInstanceOf(BudgetExceededError);
    expect((e as BudgetExceededError).remaining).toBe("100");
    expect((e as BudgetExceededError).asset).toBe("USD");
  });

  it("calls-exhausted", async () => {
    const { agent } = await rootAgent({ limits: { calls: 1 } });
    await agent.authorize("http:GET:api.example.com/v1/x");
    expect(await refusal(agent.authorize("http:GET:api.example.com/v1/x"))).toBeInstanceOf(CallsExhaustedError);
  });

  it("rate-limited (maxRetries 0), with Retry-After", async () => {
    const { agent } = await rootAgent({ limits: { rate: { requests: 1, per_seconds: 60 } } }, { maxRetries: 0 });
    await agent.authorize("http:GET:api.example.com/v1/x");
    const e = await refusal(agent.authorize("http:GET:api.example.com/v1/x"));
    expect(e).toBeInstanceOf(RateLimitedError);
    expect(e.status).toBe(429);
    expect(e.retryAfter).toBeGreaterThan(0);
  });

  it("rate-limited with retries on: a Retry-After longer than the cap is not waited for", async () => {
    const { agent } = await rootAgent({ limits: { rate: { requests: 1, per_seconds: 60 } } });
    const retries: RetryInfo[] = [];
    const a = new RemitAgent({ baseUrl: stack().url, token: agent.token, key: agent.key, maxRetryDelayMs: 1_000, onRetry: (i) => retries.push(i) });
    await a.authorize("http:GET:api.example.com/v1/x");
    const started = Date.now();
    expect(await refusal(a.authorize("http:GET:api.example.com/v1/x"))).toBeInstanceOf(RateLimitedError);
    expect(retries).toHaveLength(0);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("delegation-widens, naming what would widen", async () => {
    const { agent } = await rootAgent();
    const e = await refusal(agent.delegate({ scopes: ["http:POST:api.example.com/*"], limits: { budgets: [{ asset: "USD", amount: "5000" }] } }));
    expect(e).toBeInstanceOf(DelegationWidensError);
    expect(e.status).toBe(422);
    expect(e.errors.length).toBeGreaterThan(0);
  });

  it("depth-exceeded", async () => {
    const { agent } = await rootAgent({ maxDepth: 0 });
    expect(await refusal(agent.delegate({ scopes: [SCOPE] }))).toBeInstanceOf(DepthExceededError);
  });

  it("idempotency-key-reused", async () => {
    const { agent } = await rootAgent();
    await agent.authorize("http:GET:api.example.com/v1/x", { amount: { asset: "USD", value: "1" }, idempotencyKey: "order-42" });
    // The same key and request again: the first result, not a second charge.
    const replay = await agent.authorize("http:GET:api.example.com/v1/x", { amount: { asset: "USD", value: "1" }, idempotencyKey: "order-42" });
    expect(replay.session.counters.budgets[0]!.spent).toBe("1");
    const e = await refusal(agent.authorize("http:GET:api.example.com/v1/x", { amount: { asset: "USD", value: "2" }, idempotencyKey: "order-42" }));
    expect(e).toBeInstanceOf(IdempotencyKeyReusedError);
    expect((await agent.session()).counters.budgets[0]!.spent).toBe("1");
  });

  it("not-found", async () => {
    const p = await principal();
    const e = await refusal(p.session("ses_00000000000000000000000000"));
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e.status).toBe(404);
    expect(await refusal(p.receipt("rcp_00000000000000000000000000"))).toBeInstanceOf(NotFoundError);
  });
});

describe("webhook endpoints", () => {
  it("create, list, get, update, rotate the secret, list deliveries, delete", async () => {
    const p = await principal();
    const created = await p.webhookEndpoints.create({ url: "http://127.0.0.1:9/hook", events: ["session.revoked"], description: "ops" });
    expect(created).toMatchObject({ object: "webhook_endpoint", url: "http://127.0.0.1:9/hook", events: ["session.revoked"], disabled: false });
    expect(created.secret).toMatch(/^whsec_/);
    expect((await p.webhookEndpoints.list()).map((e) => e.id)).toEqual([created.id]);
    expect(await p.webhookEndpoints.get(created.id)).not.toHaveProperty("secret");

    const updated = await p.webhookEndpoints.update(created.id, { events: ["*"], disabled: true });
    expect(updated).toMatchObject({ events: ["*"], disabled: true });
    const rotated = await p.webhookEndpoints.rotateSecret(created.id);
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(created.secret);

    const page = await p.webhookEndpoints.deliveries(created.id, { limit: 5 });
    expect(Array.isArray(page.data)).toBe(true);
    expect(await refusal(p.redeliver("dlv_00000000000000000000000000"))).toBeInstanceOf(NotFoundError);

    const invalid = await refusal(p.webhookEndpoints.create({ url: "http://127.0.0.1:9/hook", events: ["no.such.event"] }));
    expect(invalid).toBeInstanceOf(ValidationFailedError);
    expect(invalid.errors[0]!.field).toBe("events.0");

    expect(await p.webhookEndpoints.delete(created.id)).toEqual({ id: created.id, object: "webhook_endpoint", deleted: true });
    expect(await refusal(p.webhookEndpoints.get(created.id))).toBeInstanceOf(NotFoundError);
  });
});
