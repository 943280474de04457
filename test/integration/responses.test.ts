/**
 * Every route the app serves answers 2xx with a body that matches the response schema the
 * served /openapi.json gives it: one walk through the API with a real principal, agent keys
 * and DPoP proofs, each body checked against the document (test/support/json-schema.ts).
 * A route the walk misses, or one the document gives no 2xx schema, fails the test.
 */
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { generateAgentKey } from "../../sdk/src/keys";
import { createApp } from "../../src/app";
import { isDashboardPath } from "../../src/dashboard/routes";
import { FakeChain } from "../support/fake-chain";
import { ADMIN_TOKEN, agentCall, BASE, call, delegate, inHours } from "../support/harness";
import { validate } from "../support/json-schema";
import { admin, drained, settleOn } from "../support/settlement";
import { bearer, configureHook, deliveriesOf, hook, uniqueName } from "../support/webhooks";

type Doc = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: unknown }> }> }>> };
type Answer = Awaited<ReturnType<typeof call>>;

// Served without an OpenAPI entry, and not JSON: the document itself, its HTML viewer, problem pages
// (and the dashboard's pages, isDashboardPath).
const UNDOCUMENTED = ["/openapi.json", "/docs", "/problems", "/problems/:name"];
// Documented, but their 2xx is a stream, not JSON.
const STREAMS: Record<string, string> = { "GET /v1/events/stream": "text/event-stream" };

let doc: Doc;
const covered = new Set<string>();

/** The 2xx schema the document gives `method path` for `status`. */
function schemaOf(method: string, path: string, status: number): unknown {
  return doc.paths[path]?.[method.toLowerCase()]?.responses[String(status)]?.content?.["application/json"]?.schema;
}

/** Asserts the status, and that the body matches the document's schema for it. */
function conforms(method: string, path: string, r: Answer, status: number): Answer {
  expect(r.status, `${method} ${path}: ${r.text}`).toBe(status);
  const schema = schemaOf(method, path, status);
  expect(schema, `${method} ${path} ${status} has no response schema`).toBeDefined();
  expect(validate(doc as never, schema as never, JSON.parse(r.text)), `${method} ${path}`).toEqual([]);
  covered.add(`${method} ${path}`);
  return r;
}

beforeAll(async () => {
  const r = await call("GET", "/openapi.json");
  expect(r.status).toBe(200);
  doc = r.json;
});

describe("response bodies match the served OpenAPI document", () => {
  it("the validator refuses what the schemas do not allow", () => {
    const schema = { $ref: "#/components/schemas/Hold" };
    const hold = {
      id: "hld_1",
      object: "hold",
      session: "ses_1",
      scope: "s",
      asset: "USD",
      amount: "1",
      captured: null,
      status: "open",
      expires_at: "t",
      created_at: "t",
    };
    expect(validate(doc as never, schema, hold)).toEqual([]);
    expect(validate(doc as never, schema, { ...hold, status: "gone" })).not.toEqual([]);
    expect(validate(doc as never, schema, { ...hold, amount: 1 })).not.toEqual([]);
    expect(validate(doc as never, schema, { ...hold, extra: true })).not.toEqual([]);
    const { captured: _, ...missing } = hold;
    expect(validate(doc as never, schema, missing)).not.toEqual([]);
    // allOf (an extended schema): the union of its branches' fields, and nothing more.
    const frozen = { id: "prn_1", object: "principal", name: "n", max_session_seconds: 60, frozen: true, created_at: "t", trees: 1 };
    expect(validate(doc as never, { $ref: "#/components/schemas/FreezeResult" }, frozen)).toEqual([]);
    expect(validate(doc as never, { $ref: "#/components/schemas/FreezeResult" }, { ...frozen, more: 1 })).not.toEqual([]);
  });

  it("every route, every 2xx", { timeout: 60_000 }, async () => {
    conforms("GET", "/healthz", await call("GET", "/healthz"), 200);
    conforms("GET", "/.well-known/jwks.json", await call("GET", "/.well-known/jwks.json"), 200);
    conforms("GET", "/.well-known/receipt-keys.json", await call("GET", "/.well-known/receipt-keys.json"), 200);
    const assets = JSON.parse(conforms("GET", "/v1/assets", await call("GET", "/v1/assets"), 200).text) as { data: unknown[] };
    expect(assets.data).toContainEqual({ asset: "USD", decimals: 2, symbol: "$" });
    expect(assets.data).toContainEqual({ asset: "USDC", decimals: 6 });

    // Principal and API keys.
    const made = conforms(
      "POST",
      "/v1/principals",
      await call("POST", "/v1/principals", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body: { name: "Responses" } }),
      201,
    );
    const apiKey: string = made.json.api_key;
    const key = bearer(apiKey);
    const newKey = conforms("POST", "/v1/api-keys", await call("POST", "/v1/api-keys", { headers: key, body: { label: "second" } }), 201);
    // An idempotent replay answers without the secret, and still matches.
    const keyReq = { headers: { ...key, "idempotency-key": "responses-key" }, body: { label: "third" } };
    conforms("POST", "/v1/api-keys", await call("POST", "/v1/api-keys", keyReq), 201);
    expect(conforms("POST", "/v1/api-keys", await call("POST", "/v1/api-keys", keyReq), 201).json).not.toHaveProperty("api_key");
    conforms("GET", "/v1/api-keys", await call("GET", "/v1/api-keys", { headers: key }), 200);
    conforms("DELETE", "/v1/api-keys/{id}", await call("DELETE", `/v1/api-keys/${newKey.json.id}`, { headers: key }), 200);

    // A webhook endpoint first, so the session events below are delivered to it.
    const name = uniqueName();
    const url = await hook(name);
    const endpoint = conforms("POST", "/v1/webhook-endpoints", await call("POST", "/v1/webhook-endpoints", { headers: key, body: { url, events: ["*"] } }), 201);
    const whe: string = endpoint.json.id;
    await configureHook(name, { secrets: [endpoint.json.secret] });
    conforms("GET", "/v1/webhook-endpoints", await call("GET", "/v1/webhook-endpoints", { headers: key }), 200);
    conforms("GET", "/v1/webhook-endpoints/{id}", await call("GET", `/v1/webhook-endpoints/${whe}`, { headers: key }), 200);
    conforms("PATCH", "/v1/webhook-endpoints/{id}", await call("PATCH", `/v1/webhook-endpoints/${whe}`, { headers: key, body: { description: "every event" } }), 200);
    const rotated = conforms(
      "POST",
      "/v1/webhook-endpoints/{id}/rotate-secret",
      await call("POST", `/v1/webhook-endpoints/${whe}/rotate-secret`, { headers: key, body: {} }),
      200,
    );
    await configureHook(name, { secrets: [rotated.json.secret, endpoint.json.secret] });

    // A root session (via the principal) and an agent under it.
    const limits = {
      calls: 1000,
      rate: { requests: 1000, per_seconds: 60 },
      budgets: [
        { asset: "USD", amount: "1000000" },
        { asset: "USD", amount: "5000", period: "day" },
      ],
    };
    const agentKey = generateAgentKey();
    const granted = conforms(
      "POST",
      "/v1/sessions",
      await call("POST", "/v1/sessions", {
        headers: key,
        body: { agent_jwk: agentKey.publicJwk, scopes: ["http:GET:api.example.com/*"], expires_at: inHours(1), max_depth: 3, limits, label: "root" },
      }),
      201,
    );
    const agent = { key: agentKey, token: granted.json.token as string, session: granted.json.session };
    const ses: string = agent.session.id;
    conforms("GET", "/v1/sessions/{id}", await call("GET", `/v1/sessions/${ses}`, { headers: key }), 200);

    // The agent: itself, a delegation, spends, holds.
    conforms("GET", "/v1/session", await agentCall(agent, "GET", "/v1/session"), 200);
    const childBody = { agent_jwk: generateAgentKey().publicJwk, scopes: agent.session.scopes, label: "child" };
    const child = conforms("POST", "/v1/delegations", await agentCall(agent, "POST", "/v1/delegations", childBody), 201);
    const grandchild = await delegate(agent);
    const spent = conforms(
      "POST",
      "/v1/authorize",
      await agentCall(agent, "POST", "/v1/authorize", { scope: "http:GET:api.example.com/x", amount: { asset: "USD", value: "7" } }),
      200,
    );
    const held = conforms(
      "POST",
      "/v1/holds",
      await agentCall(agent, "POST", "/v1/holds", { scope: "http:GET:api.example.com/y", amount: { asset: "USD", value: "10" } }),
      201,
    );
    const captured = conforms("POST", "/v1/holds/{id}/capture", await agentCall(agent, "POST", `/v1/holds/${held.json.id}/capture`, { amount: "4" }), 200);
    const held2 = await agentCall(agent, "POST", "/v1/holds", { scope: "http:GET:api.example.com/z", amount: { asset: "USD", value: "3" } });
    const voided = conforms("POST", "/v1/holds/{id}/void", await agentCall(agent, "POST", `/v1/holds/${held2.json.id}/void`, {}), 200);
    conforms("GET", "/v1/sessions/{id}/tree", await call("GET", `/v1/sessions/${ses}/tree`, { headers: key }), 200);

    // Receipts: listed and read by the principal, read by the agent, and their proof.
    const receipts = conforms("GET", "/v1/sessions/{id}/receipts", await call("GET", `/v1/sessions/${ses}/receipts?limit=2`, { headers: key }), 200);
    expect(receipts.json.has_more).toBe(true);
    const rcp: string = spent.json.receipt.receipt.id;
    conforms("GET", "/v1/receipts/{id}", await call("GET", `/v1/receipts/${rcp}`, { headers: key }), 200);
    conforms("GET", "/v1/receipts/{id}", await agentCall(agent, "GET", `/v1/receipts/${rcp}`), 200);
    conforms("GET", "/v1/receipts/{id}/proof", await call("GET", `/v1/receipts/${rcp}/proof`, { headers: key }), 200);

    // Governance: listings across trees, exposure, a bulk dry run, a session's switch, the panic button.
    conforms("GET", "/v1/sessions", await call("GET", "/v1/sessions?limit=2", { headers: key }), 200);
    conforms("GET", "/v1/receipts", await call("GET", "/v1/receipts?limit=2", { headers: key }), 200);
    conforms("GET", "/v1/exposure", await call("GET", "/v1/exposure", { headers: key }), 200);
    conforms("POST", "/v1/sessions/revoke", await call("POST", "/v1/sessions/revoke", { headers: key, body: { filter: { label: "root" }, dry_run: true } }), 200);
    conforms("POST", "/v1/sessions/{id}/freeze", await call("POST", `/v1/sessions/${grandchild.session.id}/freeze`, { headers: key, body: {} }), 200);
    conforms("POST", "/v1/sessions/{id}/unfreeze", await call("POST", `/v1/sessions/${grandchild.session.id}/unfreeze`, { headers: key, body: {} }), 200);
    conforms("POST", "/v1/session/revoke", await agentCall(grandchild, "POST", "/v1/session/revoke", {}), 200);

    // Deliveries of the session events, and a redelivery.
    const delivered = await deliveriesOf(apiKey, whe, "session.granted", { trees: [agent.session.tree] });
    conforms("GET", "/v1/webhook-endpoints/{id}/deliveries", await call("GET", `/v1/webhook-endpoints/${whe}/deliveries?limit=100`, { headers: key }), 200);
    conforms("POST", "/v1/webhook-deliveries/{id}/redeliver", await call("POST", `/v1/webhook-deliveries/${delivered[0].id}/redeliver`, { headers: key, body: {} }), 200);

    // Settlement: the receipts reach the ledger, a run anchors them, the anchor and the anchored proof.
    const ids = [rcp, captured.json.receipt.receipt.id, voided.json.receipt.receipt.id];
    await drained(apiKey, ids);
    const run = conforms("POST", "/v1/admin/settle", await settleOn(new FakeChain()), 200);
    expect(run.json.anchor).not.toBeNull();
    conforms("GET", "/v1/anchors", await call("GET", "/v1/anchors"), 200);
    conforms("GET", "/v1/anchors/{period}", await call("GET", `/v1/anchors/${run.json.anchor.period}`), 200);
    const proof = conforms("GET", "/v1/receipts/{id}/proof", await agentCall(agent, "GET", `/v1/receipts/${rcp}/proof`), 200);
    expect(proof.json.proof).not.toBeNull();
    conforms("GET", "/v1/admin/settlement", await call("GET", "/v1/admin/settlement", { headers: admin }), 200);

    // Approvals: a session with a line; spends and holds over it wait (202), the queue, a wait, decisions, a cancel.
    const approverKey = generateAgentKey();
    const gated = await call("POST", "/v1/sessions", {
      headers: key,
      body: {
        agent_jwk: approverKey.publicJwk,
        scopes: ["http:POST:payments.example.com/*"],
        expires_at: inHours(1),
        label: "gated",
        limits: { budgets: [{ asset: "USD", amount: "100000" }], approval: { over: [{ asset: "USD", amount: "100" }], approvers: 1 } },
      },
    });
    const payer = { key: approverKey, token: gated.json.token as string, session: gated.json.session };
    const payBody = (value: string) => ({ scope: "http:POST:payments.example.com/charge", amount: { asset: "USD", value } });
    const waiting = conforms("POST", "/v1/authorize", await agentCall(payer, "POST", "/v1/authorize", payBody("500")), 202);
    const apr: string = waiting.json.approval.id;
    const heldApproval = conforms("POST", "/v1/holds", await agentCall(payer, "POST", "/v1/holds", payBody("600")), 202);
    const third = (await agentCall(payer, "POST", "/v1/authorize", payBody("700"))).json.approval.id;
    conforms("GET", "/v1/approvals", await call("GET", "/v1/approvals?status=pending", { headers: key }), 200);
    conforms("GET", "/v1/approvals/{id}", await call("GET", `/v1/approvals/${apr}`, { headers: key }), 200);
    conforms("GET", "/v1/approvals/{id}", await agentCall(payer, "GET", `/v1/approvals/${apr}?wait=0`), 200);
    conforms("POST", "/v1/approvals/{id}/approve", await call("POST", `/v1/approvals/${apr}/approve`, { headers: key, body: { note: "fine" } }), 200);
    conforms("POST", "/v1/approvals/{id}/deny", await call("POST", `/v1/approvals/${heldApproval.json.approval.id}/deny`, { headers: key, body: {} }), 200);
    conforms("POST", "/v1/approvals/{id}/cancel", await agentCall(payer, "POST", `/v1/approvals/${third}/cancel`, {}), 200);
    // Trip-wires: a rule on every tree, listed, read, changed, reset and deleted.
    const rule = { metric: "count", window: 60, threshold: "1000", per: "session", action: "deny", mode: "shadow" };
    const tw = conforms("POST", "/v1/tripwires", await call("POST", "/v1/tripwires", { headers: key, body: rule }), 201);
    const trw: string = tw.json.tripwire.id;
    expect(tw.json.pending_trees).toEqual([]);
    conforms("GET", "/v1/tripwires", await call("GET", "/v1/tripwires", { headers: key }), 200);
    conforms("GET", "/v1/tripwires/{id}", await call("GET", `/v1/tripwires/${trw}`, { headers: key }), 200);
    conforms("PATCH", "/v1/tripwires/{id}", await call("PATCH", `/v1/tripwires/${trw}`, { headers: key, body: { threshold: "2000" } }), 200);
    conforms("POST", "/v1/tripwires/{id}/reset", await call("POST", `/v1/tripwires/${trw}/reset`, { headers: key, body: {} }), 200);
    conforms("DELETE", "/v1/tripwires/{id}", await call("DELETE", `/v1/tripwires/${trw}`, { headers: key }), 200);

    // Endings: revoke a subtree, freeze and unfreeze, delete the endpoint.
    const revoked = conforms("POST", "/v1/sessions/{id}/revoke", await call("POST", `/v1/sessions/${child.json.session.id}/revoke`, { headers: key, body: {} }), 200);
    expect(revoked.json.revoked).toBe(1);
    expect(grandchild.session.parent).toBe(ses);
    conforms("POST", "/v1/freeze", await call("POST", "/v1/freeze", { headers: key, body: {} }), 200);
    conforms("POST", "/v1/unfreeze", await call("POST", "/v1/unfreeze", { headers: key, body: {} }), 200);
    conforms("DELETE", "/v1/webhook-endpoints/{id}", await call("DELETE", `/v1/webhook-endpoints/${whe}`, { headers: key }), 200);

    // The event log, one event, and the stream (text/event-stream: its first message, then closed).
    const listed = conforms("GET", "/v1/events", await call("GET", "/v1/events?limit=5", { headers: key }), 200);
    expect(listed.json.data.length).toBeGreaterThan(0);
    conforms("GET", "/v1/events/{id}", await call("GET", `/v1/events/${listed.json.data[0].id}`, { headers: key }), 200);
    const stream = await (exports as unknown as { default: Fetcher }).default.fetch(new Request(`${BASE}/v1/events/stream?type=principal.frozen`, { headers: key }));
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(schemaOf("GET", "/v1/events/stream", 200)).toBeUndefined();
    const reader = stream.body!.getReader();
    await call("POST", "/v1/freeze", { headers: key, body: {} });
    let text = "";
    while (!text.includes("event: principal.frozen\n")) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    covered.add("GET /v1/events/stream");
  });

  it("the walk covered every documented operation, and each has a 2xx JSON schema", () => {
    const documented = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops)) {
        const key = `${method.toUpperCase()} ${path}`;
        documented.add(key);
        const ok = Object.entries(op.responses).filter(([status]) => /^2\d\d$/.test(status));
        expect(ok.length, `${key} documents no 2xx`).toBeGreaterThan(0);
        for (const [status, r] of ok) expect(r.content?.[STREAMS[key] ?? "application/json"]?.schema, `${key} ${status} has no schema`).toBeDefined();
      }
    expect(
      [...documented].filter((k) => !covered.has(k)),
      "documented but not walked",
    ).toEqual([]);
    // And every route the app serves is documented (so walked), bar the few that are not JSON.
    const served = createApp()
      .routes.filter((r) => r.method !== "ALL" && !UNDOCUMENTED.includes(r.path) && !isDashboardPath(r.path))
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`);
    expect(
      [...new Set(served)].filter((k) => !covered.has(k)),
      "served but not walked",
    ).toEqual([]);
  });
});
