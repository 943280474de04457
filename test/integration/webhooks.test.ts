/**
 * Webhooks through the real worker in workerd: endpoint management, SSRF refusals at
 * the route, isolation between principals, and every event type produced by the
 * action that causes it — read back from the principal's delivery log. Deliveries go
 * to a real local receiver (test/support/webhook-receiver.mjs); the end-to-end
 * behaviour of delivery itself is in webhooks-e2e.test.ts.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { EVENT_TYPES, eventSchemas, type EventType } from "../../src/core/webhooks/events";
import { WebhookStore } from "../../durable-objects/principal/webhook-store";
import { buildEvent } from "../../src/core/webhooks/events";
import { agentCall, call, createPrincipal, delegate, grant, problemName } from "../support/harness";
import { bearer, deliveries, deliveriesOf, endpointOnReceiver, eventually, principalStub, received, runTreeAlarm, treeStub } from "../support/webhooks";

const HOOK = "https://hooks.example.com/remit";

async function createEndpoint(apiKey: string, body: unknown, headers: Record<string, string> = {}) {
  return call("POST", "/v1/webhook-endpoints", { headers: { ...bearer(apiKey), ...headers }, body });
}

/** Each payload is exactly the catalogue's envelope for its type, for this principal. */
function expectCatalogued(delivery: any, type: EventType, principal: string) {
  expect(delivery.event_type).toBe(type);
  const parsed = eventSchemas[type].safeParse(delivery.payload);
  expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  expect(parsed.data).toEqual(delivery.payload); // nothing outside the schema
  expect(delivery.payload.principal).toBe(principal);
  return delivery.payload.data;
}

describe("webhook endpoints", () => {
  it("creates an endpoint and shows its secret once, then reads, lists, updates, rotates and deletes it", async () => {
    const p = await createPrincipal();
    const created = await createEndpoint(p.apiKey, { url: HOOK, events: ["session.revoked", "budget.threshold"], description: "ops" });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({
      object: "webhook_endpoint",
      url: HOOK,
      events: ["session.revoked", "budget.threshold"],
      description: "ops",
      disabled: false,
    });
    expect(created.json.id).toMatch(/^whe_[0-9a-z]{26}$/);
    expect(created.json.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const id = created.json.id;

    const got = await call("GET", `/v1/webhook-endpoints/${id}`, { headers: bearer(p.apiKey) });
    expect(got.status).toBe(200);
    expect(got.json).not.toHaveProperty("secret");
    expect(got.json).toEqual(Object.fromEntries(Object.entries(created.json).filter(([k]) => k !== "secret")));

    const listed = await call("GET", "/v1/webhook-endpoints", { headers: bearer(p.apiKey) });
    expect(listed.json.data.map((e: any) => e.id)).toEqual([id]);
    expect(listed.json.data[0]).not.toHaveProperty("secret");

    const patched = await call("PATCH", `/v1/webhook-endpoints/${id}`, {
      headers: bearer(p.apiKey),
      body: { events: ["*"], description: null, disabled: true },
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json).toMatchObject({ events: ["*"], description: null, disabled: true, url: HOOK });

    const rotated = await call("POST", `/v1/webhook-endpoints/${id}/rotate-secret`, { headers: bearer(p.apiKey) });
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.json.secret).toMatch(/^whsec_/);
    expect(rotated.json.secret).not.toBe(created.json.secret);

    const deleted = await call("DELETE", `/v1/webhook-endpoints/${id}`, { headers: bearer(p.apiKey) });
    expect(deleted.status).toBe(200);
    expect(deleted.json).toEqual({ id, object: "webhook_endpoint", deleted: true });
    expect((await call("GET", `/v1/webhook-endpoints/${id}`, { headers: bearer(p.apiKey) })).status).toBe(404);
    expect((await call("DELETE", `/v1/webhook-endpoints/${id}`, { headers: bearer(p.apiKey) })).status).toBe(404);
    expect((await call("GET", "/v1/webhook-endpoints", { headers: bearer(p.apiKey) })).json.data).toEqual([]);
  });

  it("honours Idempotency-Key on create: the same body replays, another body is refused", async () => {
    const p = await createPrincipal();
    const headers = { "idempotency-key": "create-hook-1" };
    const first = await createEndpoint(p.apiKey, { url: HOOK, events: ["*"] }, headers);
    const again = await createEndpoint(p.apiKey, { url: HOOK, events: ["*"] }, headers);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.json).toEqual(first.json);
    const other = await createEndpoint(p.apiKey, { url: `${HOOK}/2`, events: ["*"] }, headers);
    expect(other.status).toBe(422);
    expect(problemName(other)).toBe("idempotency-key-reused");
    expect((await call("GET", "/v1/webhook-endpoints", { headers: bearer(p.apiKey) })).json.data).toHaveLength(1);
  });

  it("validates the body, naming each field and rule", async () => {
    const p = await createPrincipal();
    const cases: [unknown, string, string][] = [
      [{ url: HOOK, events: ["session.revoked", "nope"] }, "events.1", "unknown_event_type"],
      [{ url: HOOK, events: ["*", "hold.expired"] }, "events", "wildcard_alone"],
      [{ url: HOOK, events: [] }, "events", "too_small"],
      [{ events: ["*"] }, "url", "required"],
      [{ url: HOOK, events: ["*"], secret: "mine" }, "secret", "unknown_field"],
      [{ url: "not a url", events: ["*"] }, "url", "invalid_url"],
    ];
    for (const [body, field, rule] of cases) {
      const r = await createEndpoint(p.apiKey, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(problemName(r)).toBe("validation-failed");
      expect(r.json.errors, JSON.stringify(body)).toContainEqual(expect.objectContaining({ field, rule }));
    }
    expect((await call("GET", "/v1/webhook-endpoints", { headers: bearer(p.apiKey) })).json.data).toEqual([]);
  });

  it("is in the OpenAPI document: the routes, and every event type under webhooks", async () => {
    const doc = (await call("GET", "/openapi.json")).json;
    for (const path of [
      "/v1/webhook-endpoints",
      "/v1/webhook-endpoints/{id}",
      "/v1/webhook-endpoints/{id}/rotate-secret",
      "/v1/webhook-endpoints/{id}/deliveries",
      "/v1/webhook-deliveries/{id}/redeliver",
    ])
      expect(doc.paths, path).toHaveProperty([path]);
    expect(Object.keys(doc.paths["/v1/webhook-endpoints/{id}"]).sort()).toEqual(["delete", "get", "patch"]);
    expect(Object.keys(doc.webhooks).sort()).toEqual([...EVENT_TYPES].sort());
    for (const type of EVENT_TYPES) {
      const ref = doc.webhooks[type].post.requestBody.content["application/json"].schema.$ref;
      expect(ref).toBe(`#/components/schemas/WebhookEvent_${type.replace(/\./g, "_")}`);
    }
  });

  it("needs the principal's API key", async () => {
    expect((await call("GET", "/v1/webhook-endpoints")).status).toBe(401);
    const r = await call("POST", "/v1/webhook-endpoints", { body: { url: HOOK, events: ["*"] } });
    expect(problemName(r)).toBe("unauthenticated");
  });
});

describe("SSRF refusals at the route", () => {
  const refused: [string, string][] = [
    ["https://10.0.0.8/hook", "private_address"],
    ["https://192.168.1.20/hook", "private_address"],
    ["https://172.16.5.4/hook", "private_address"],
    ["https://[fc00::1]/hook", "private_address"],
    ["https://169.254.10.1/hook", "link_local_address"],
    ["https://[fe80::1]/hook", "link_local_address"],
    ["https://169.254.169.254/latest/meta-data/", "link_local_address"],
    ["https://2852039166/latest/meta-data/", "link_local_address"], // 169.254.169.254 spelled as one number
    ["https://0xa9.0xfe.0xa9.0xfe/", "link_local_address"],
    ["https://[::ffff:169.254.169.254]/", "ipv4_mapped_address"],
    ["http://hooks.example.com/remit", "https_required"],
    ["ftp://hooks.example.com/remit", "https_required"],
    ["https://metadata.google.internal/computeMetadata/v1/", "internal_hostname"],
    ["https://user:pw@hooks.example.com/", "userinfo"],
  ];

  for (const [url, rule] of refused) {
    it(`refuses ${url} (${rule})`, async () => {
      const p = await createPrincipal();
      const r = await createEndpoint(p.apiKey, { url, events: ["*"] });
      expect(r.status, r.text).toBe(400);
      expect(problemName(r)).toBe("validation-failed");
      expect(r.json.errors).toContainEqual(expect.objectContaining({ field: "url", rule }));
    });
  }

  it("refuses the same addresses on update, leaving the endpoint as it was", async () => {
    const p = await createPrincipal();
    const id = (await createEndpoint(p.apiKey, { url: HOOK, events: ["*"] })).json.id;
    const r = await call("PATCH", `/v1/webhook-endpoints/${id}`, { headers: bearer(p.apiKey), body: { url: "https://169.254.169.254/" } });
    expect(r.status).toBe(400);
    expect(r.json.errors).toContainEqual(expect.objectContaining({ field: "url", rule: "link_local_address" }));
    expect((await call("GET", `/v1/webhook-endpoints/${id}`, { headers: bearer(p.apiKey) })).json.url).toBe(HOOK);
  });

  it("allows http to loopback in development only (REMIT_ENV=development here)", async () => {
    const p = await createPrincipal();
    const r = await createEndpoint(p.apiKey, { url: "http://127.0.0.1:9/hook", events: ["*"] });
    expect(r.status, r.text).toBe(201);
  });
});

describe("isolation between principals", () => {
  it("a principal sees, changes and redelivers only its own endpoints and deliveries", async () => {
    const a = await createPrincipal("A");
    const b = await createPrincipal("B");
    const ea = await endpointOnReceiver(a.apiKey, ["principal.frozen"]);
    const eb = await endpointOnReceiver(b.apiKey, ["principal.frozen"]);
    await call("POST", "/v1/freeze", { headers: bearer(a.apiKey) });
    const [delivery] = await deliveriesOf(a.apiKey, ea.id, "principal.frozen");

    const asB = bearer(b.apiKey);
    expect((await call("GET", `/v1/webhook-endpoints/${ea.id}`, { headers: asB })).status).toBe(404);
    expect((await call("PATCH", `/v1/webhook-endpoints/${ea.id}`, { headers: asB, body: { disabled: true } })).status).toBe(404);
    expect((await call("POST", `/v1/webhook-endpoints/${ea.id}/rotate-secret`, { headers: asB })).status).toBe(404);
    expect((await call("GET", `/v1/webhook-endpoints/${ea.id}/deliveries`, { headers: asB })).status).toBe(404);
    expect((await call("POST", `/v1/webhook-deliveries/${delivery.id}/redeliver`, { headers: asB })).status).toBe(404);
    expect((await call("DELETE", `/v1/webhook-endpoints/${ea.id}`, { headers: asB })).status).toBe(404);
    const listB = await call("GET", "/v1/webhook-endpoints", { headers: asB });
    expect(listB.json.data.map((e: any) => e.id)).toEqual([eb.id]);

    // A's event reached A's endpoint only.
    expect(await deliveries(b.apiKey, eb.id)).toEqual([]);
    expect((await call("GET", `/v1/webhook-endpoints/${ea.id}`, { headers: bearer(a.apiKey) })).json.disabled).toBe(false);
  });
});

describe("each event type, produced by the action that causes it", () => {
  it("session.granted when a principal grants a root session", async () => {
    const p = await createPrincipal();
    const e = await endpointOnReceiver(p.apiKey, ["session.granted"]);
    const a = await grant(p.apiKey);
    const [d] = await deliveriesOf(p.apiKey, e.id, "session.granted", { trees: [a.session.id] });
    expect(expectCatalogued(d, "session.granted", p.id)).toEqual({
      session: a.session.id,
      tree: a.session.tree,
      agent_jkt: a.session.agent_jkt,
      scopes: a.session.scopes,
      not_before: a.session.not_before,
      expires_at: a.session.expires_at,
      parent: null,
    });
  });

  it("session.delegated when an agent delegates", async () => {
    const p = await createPrincipal();
    const e = await endpointOnReceiver(p.apiKey, ["session.delegated"]);
    const a = await grant(p.apiKey);
    const b = await delegate(a, { scopes: ["http:GET:api.example.com/v1/*"] });
    const [d] = await deliveriesOf(p.apiKey, e.id, "session.delegated", { trees: [a.session.id] });
    expect(expectCatalogued(d, "session.delegated", p.id)).toEqual({
      session: b.session.id,
      tree: a.session.tree,
      agent_jkt: b.session.agent_jkt,
      scopes: ["http:GET:api.example.com/v1/*"],
      not_before: b.session.not_before,
      expires_at: b.session.expires_at,
      parent: a.session.id,
      depth: 1,
    });
  });

  it("session.revoked once for every session in the revoked subtree, naming the revoked root", async () => {
    const p = await createPrincipal();
    const e = await endpointOnReceiver(p.apiKey, ["session.revoked"]);
    const a = await grant(p.apiKey);
    const b = await delegate(a);
    const c = await delegate(b);
    const r = await call("POST", `/v1/sessions/${b.session.id}/revoke`, { headers: bearer(p.apiKey) });
    expect(r.json.revoked).toBe(2);
    const ds = await deliveriesOf(p.apiKey, e.id, "session.revoked", { trees: [a.session.id], count: 2 });
    const data = ds.map((d) => expectCatalogued(d, "session.revoked", p.id));
    expect(data.map((x) => x.session).sort()).toEqual([b.session.id, c.session.id].sort());
    for (const x of data) {
      expect(x.revoked_root).toBe(b.session.id);
      expect(x.tree).toBe(a.session.tree);
      expect(Date.parse(x.revoked_at)).toBeLessThanOrEqual(Date.now());
    }
  });

  it("session.expiring, then session.expired, as the tree's alarms pass the session's end", async () => {
    const p = await createPrincipal();
    const e = await endpointOnReceiver(p.apiKey, ["session.expiring", "session.expired"]);
    const expiresAt = new Date(Date.now() + 2000).toISOString();
    const a = await grant(p.apiKey, { expires_at: expiresAt });
    const [expiring] = await deliveriesOf(p.apiKey, e.id, "session.expiring", { trees: [a.session.id] });
    const early = expectCatalogued(expiring, "session.expiring", p.id);
    expect(early).toMatchObject({ session: a.session.id, tree: a.session.tree, expires_at: a.session.expires_at });
    expect(early.lead_seconds).toBeGreaterThanOrEqual(0);
    expect(early.lead_seconds).toBeLessThanOrEqual(2);

    const [expired] = await deliveriesOf(p.apiKey, e.id, "session.expired", { trees: [a.session.id], timeout: 8000 });
    expect(expectCatalogued(expired, "session.expired", p.id)).toEqual({ session: a.session.id, tree: a.session.tree, expired_at: a.session.expires_at });
    // Once each.
    await runTreeAlarm(a.session.id);
    const all = await deliveries(p.apiKey, e.id);
    expect(all.map((d) => d.event_type).sort()).toEqual(["session.expired", "session.expiring"]);
  });

  it("budget.threshold at 50, 80 and 100 % of a lifetime budget, once each", async () => {
    const p = await createPrincipal();
    const e = await endpointOnReceiver(p.apiKey, ["budget.threshold"]);
    const a = await grant(p.apiKey, { limits: { budgets: [{ asset: "USD", amount: "1000" }] } });
    for (const value of ["400", "100", "300", "100", "100"]) {
      const r = await agentCall(a, "POST", "/v1/authorize", { scope: "http:GET:api.example.com/v1/x", amount: { asset: "USD", value } });
      expect(r.status, r.text).toBe(200);
    }
    const ds = await deliveriesOf(p.apiKey, e.id, "budget.threshold", { trees: [a.session.id], count: 3 });
    const data = ds.map((d) => expectCatalogued(d, "budget.threshold", p.id)).sort((x, y) => x.threshold - y.threshold);
    expect(data).toEqual([
      { session: a.session.id, tree: a.session.tree, asset: "USD", period: null, threshold: 50, limit: "1000", spent: "500", held: "0", window_start: null },
      { session: a.session.id, tree: a.session.tree, asset: "USD", period: null, threshold: 80, limit: "1000", spent: "800", held: "0", window_start: null },
      { session: a.session.id, tree: a.session.tree, asset: "USD", period: null, threshold: 100, limit: "1000", spent: "1000", held: "0", window_start: null },
    ]);
  });

  it("budget.threshold for a periodic budget names its window, and counts holds", async () => {
    const p = await createPrincipal();
    const e = await endpointOnReceiver(p.apiKey, ["budget.threshold"]);
    const a = await grant(p.apiKey, { limits: { budgets: [{ asset: "EUR", amount: "100", period: "day" }] } });
    const r = await agentCall(a, "POST", "/v1/holds", { scope: "http:GET:api.example.com/v1/x", amount: { asset: "EUR", value: "60" } });
    expect(r.status, r.text).toBe(201);
    const [d] = await deliveriesOf(p.apiKey, e.id, "budget.threshold", { trees: [a.session.id] });
    const data = expectCatalogued(d, "budget.threshold", p.id);
    const dayStart = new Date(new Date().toISOString().slice(0, 10)).toISOString();
    expect(data).toEqual({
      session: a.session.id,
      tree: a.session.tree,
      asset: "EUR",
      period: "day",
      threshold: 50,
      limit: "100",
      spent: "0",
      held: "60",
      window_start: dayStart,
    });
  });

  it("hold.expired when a hold is neither captured nor voided in time", async () => {
    const p = await createPrincipal();
    const e = await endpointOnReceiver(p.apiKey, ["hold.expired"]);
    const a = await grant(p.apiKey, { limits: { budgets: [{ asset: "USD", amount: "1000" }] } });
    const h = await agentCall(a, "POST", "/v1/holds", { scope: "http:GET:api.example.com/v1/x", amount: { asset: "USD", value: "250" }, expires_in: 1 });
    expect(h.status, h.text).toBe(201);
    await new Promise((r) => setTimeout(r, 1100));
    await runTreeAlarm(a.session.id);
    const [d] = await deliveriesOf(p.apiKey, e.id, "hold.expired", { trees: [a.session.id] });
    expect(expectCatalogued(d, "hold.expired", p.id)).toEqual({
      hold: h.json.id,
      session: a.session.id,
      tree: a.session.tree,
      asset: "USD",
      amount: "250",
      expired_at: h.json.expires_at,
    });
  });

  it("principal.frozen and principal.unfrozen from the kill switch, once per change", async () => {
    const p = await createPrincipal();
    const e = await endpointOnReceiver(p.apiKey, ["principal.frozen", "principal.unfrozen"]);
    await grant(p.apiKey);
    expect((await call("POST", "/v1/freeze", { headers: bearer(p.apiKey) })).status).toBe(200);
    expect((await call("POST", "/v1/freeze", { headers: bearer(p.apiKey) })).status).toBe(200); // already frozen: no event
    expect((await call("POST", "/v1/unfreeze", { headers: bearer(p.apiKey) })).status).toBe(200);
    const [frozen] = await deliveriesOf(p.apiKey, e.id, "principal.frozen");
    const [unfrozen] = await deliveriesOf(p.apiKey, e.id, "principal.unfrozen");
    const f = expectCatalogued(frozen, "principal.frozen", p.id);
    const u = expectCatalogued(unfrozen, "principal.unfrozen", p.id);
    expect(Date.parse(f.frozen_at)).toBeLessThanOrEqual(Date.parse(u.unfrozen_at));
    expect((await deliveries(p.apiKey, e.id)).filter((d) => d.event_type === "principal.frozen")).toHaveLength(1);
  });

  it("settlement.anchored and settlement.failed through the principal's emitEvent, once per dedupe key", async () => {
    const p = await createPrincipal();
    const e = await endpointOnReceiver(p.apiKey, ["settlement.anchored", "settlement.failed"]);
    const stub = principalStub(p.id) as any;
    const anchored = {
      period: "2026-11-17T10",
      root: `0x${"ab".repeat(32)}`,
      count: 3,
      tx_hash: `0x${"cd".repeat(32)}`,
      chain_id: 31337,
      contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    };
    const first = await stub.emitEvent("settlement.anchored", anchored, "2026-11-17T10");
    expect(first).toMatchObject({ ok: true, value: { deliveries: 1, duplicate: false } });
    const again = await stub.emitEvent("settlement.anchored", anchored, "2026-11-17T10");
    expect(again).toMatchObject({ ok: true, value: { deliveries: 0, duplicate: true } });
    const failed = await stub.emitEvent("settlement.failed", { period: "2026-11-17T11", reason: "rpc unavailable" }, "2026-11-17T11");
    expect(failed.ok).toBe(true);
    const bad = await stub.emitEvent("settlement.anchored", { period: "x" });
    expect(bad).toMatchObject({ ok: false, problem: { name: "validation-failed" } });

    const [a] = await deliveriesOf(p.apiKey, e.id, "settlement.anchored");
    expect(expectCatalogued(a, "settlement.anchored", p.id)).toEqual(anchored);
    const [f] = await deliveriesOf(p.apiKey, e.id, "settlement.failed");
    expect(expectCatalogued(f, "settlement.failed", p.id)).toEqual({ period: "2026-11-17T11", reason: "rpc unavailable" });
    expect(await deliveries(p.apiKey, e.id)).toHaveLength(2);
  });

  it("sends an endpoint only the types it subscribed to, and nothing once disabled", async () => {
    const p = await createPrincipal();
    const revokes = await endpointOnReceiver(p.apiKey, ["session.revoked"]);
    const all = await endpointOnReceiver(p.apiKey, ["*"]);
    const a = await grant(p.apiKey);
    await deliveriesOf(p.apiKey, all.id, "session.granted", { trees: [a.session.id] });
    expect(await deliveries(p.apiKey, revokes.id)).toEqual([]);

    await call("PATCH", `/v1/webhook-endpoints/${all.id}`, { headers: bearer(p.apiKey), body: { disabled: true } });
    await call("POST", `/v1/sessions/${a.session.id}/revoke`, { headers: bearer(p.apiKey) });
    await deliveriesOf(p.apiKey, revokes.id, "session.revoked", { trees: [a.session.id] });
    expect((await deliveries(p.apiKey, all.id)).map((d) => d.event_type)).toEqual(["session.granted"]);
  });
});

describe("the event flow never loses or doubles an event", () => {
  it("an outbox drained again after a crash (events not marked sent) delivers nothing twice", async () => {
    const p = await createPrincipal();
    const e = await endpointOnReceiver(p.apiKey, ["*"]);
    const a = await grant(p.apiKey);
    await delegate(a);
    await deliveriesOf(p.apiKey, e.id, "session.delegated", { trees: [a.session.id] });
    const before = await deliveries(p.apiKey, e.id);
    expect(before.map((d) => d.event_type).sort()).toEqual(["session.delegated", "session.granted"]);

    // As if the tree died after ingestEvents returned but before it marked the events sent.
    const tree = treeStub(a.session.id);
    await runInDurableObject(tree, (_o, state) => {
      state.storage.sql.exec("UPDATE events SET sent = 0");
      return state.storage.setAlarm(Date.now());
    });
    const unsent = () => runInDurableObject(tree, (_o, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM events WHERE sent = 0").one().n);
    expect(await unsent()).toBe(2);
    await eventually(async () => (await unsent()) === 0, { trees: [a.session.id] });
    expect((await deliveries(p.apiKey, e.id)).map((d) => d.id).sort()).toEqual(before.map((d) => d.id).sort());
  });

  it("a delivery whose queue message was lost is enqueued again by the principal's alarm", async () => {
    const p = await createPrincipal();
    const e = await endpointOnReceiver(p.apiKey, ["*"]);
    const stub = principalStub(p.id);
    // Record a delivery as if its queue send had failed 10 minutes ago: in the log, never enqueued.
    const lostAt = Date.now() - 10 * 60_000;
    const id = await runInDurableObject(stub, async (_o, state) => {
      const store = new WebhookStore(state.storage.sql);
      const event = buildEvent("principal.unfrozen", p.id, { unfrozen_at: new Date(lostAt).toISOString() }, lostAt);
      const [d] = store.ingestEvent(event, lostAt)!;
      await state.storage.setAlarm(Date.now());
      return d!.id;
    });
    expect((await deliveries(p.apiKey, e.id))[0]).toMatchObject({ id, status: "pending", attempts: 0 });
    await runDurableObjectAlarm(stub);
    const done = await eventually(async () => (await deliveries(p.apiKey, e.id)).find((d) => d.id === id && d.status === "succeeded"));
    expect(done.attempts).toBe(1);
    const got = await received(e.name);
    expect(got).toHaveLength(1);
    expect(got[0]!.verified).toBe(true);
  });

  it("pages through the delivery log, newest first", async () => {
    const p = await createPrincipal();
    const e = await endpointOnReceiver(p.apiKey, ["principal.frozen", "principal.unfrozen"]);
    for (let i = 0; i < 3; i++) {
      await call("POST", "/v1/freeze", { headers: bearer(p.apiKey) });
      await call("POST", "/v1/unfreeze", { headers: bearer(p.apiKey) });
    }
    const all = await eventually(async () => {
      const ds = await deliveries(p.apiKey, e.id);
      return ds.length === 6 ? ds : null;
    });
    expect(all.map((d) => d.event_type)).toEqual([
      "principal.unfrozen",
      "principal.frozen",
      "principal.unfrozen",
      "principal.frozen",
      "principal.unfrozen",
      "principal.frozen",
    ]);
    const page1 = await call("GET", `/v1/webhook-endpoints/${e.id}/deliveries?limit=4`, { headers: bearer(p.apiKey) });
    expect(page1.json.has_more).toBe(true);
    expect(page1.json.data.map((d: any) => d.id)).toEqual(all.slice(0, 4).map((d) => d.id));
    const page2 = await call("GET", `/v1/webhook-endpoints/${e.id}/deliveries?limit=4&starting_after=${page1.json.data[3].id}`, { headers: bearer(p.apiKey) });
    expect(page2.json.has_more).toBe(false);
    expect(page2.json.data.map((d: any) => d.id)).toEqual(all.slice(4).map((d) => d.id));
    expect(page2.json.data[0]).toMatchObject({ object: "webhook_delivery", endpoint: e.id });
    const bad = await call("GET", `/v1/webhook-endpoints/${e.id}/deliveries?limit=500`, { headers: bearer(p.apiKey) });
    expect(bad.status).toBe(400);
    expect(bad.json.errors[0].field).toBe("limit");
  });
});
