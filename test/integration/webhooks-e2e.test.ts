/**
 * End to end: real events, the real queue (miniflare) and its consumer, real HTTP to a
 * local receiver (test/support/webhook-receiver.mjs, Node) that verifies every delivery
 * with the `standardwebhooks` library. The retry schedule runs at
 * WEBHOOK_RETRY_SCALE=0.0001 (vitest.config.ts), so its ~24 h pass in seconds.
 */
import { describe, expect, it } from "vitest";
import { EVENT_TYPES, eventSchemas, type EventType } from "../../src/core/webhooks/events";
import { USER_AGENT } from "../../src/webhooks/deliver";
import { MAX_ATTEMPTS } from "../../src/core/webhooks/schedule";
import { agentCall, call, createPrincipal, delegate, grant } from "../support/harness";
import { bearer, configureHook, deliveries, endpointOnReceiver, eventually, principalStub, received, verifyOnReceiver, type Received } from "../support/webhooks";

const SLOW = 60_000;

/** Receipts of each distinct delivery (by webhook-id) that the receiver accepted, verified. */
function accepted(got: Received[]): Map<string, Received> {
  const out = new Map<string, Received>();
  for (const r of got) if (r.status === 200 && r.verified) out.set(r.headers["webhook-id"], r);
  return out;
}

const typeOf = (r: Received) => (JSON.parse(r.body) as { type: EventType }).type;

/** Makes every event type happen once for principal `p`; returns the trees whose alarms drain them. */
async function everyEvent(p: { id: string; apiKey: string }): Promise<string[]> {
  // session.granted (+ session.expiring, session.expired: it ends in 2 s)
  const short = await grant(p.apiKey, { expires_at: new Date(Date.now() + 2000).toISOString() });
  // session.delegated, budget.threshold, hold.expired, session.revoked
  const a = await grant(p.apiKey, { limits: { budgets: [{ asset: "USD", amount: "100" }] } });
  await delegate(a);
  const spend = await agentCall(a, "POST", "/v1/authorize", { scope: "http:GET:api.example.com/v1/x", amount: { asset: "USD", value: "50" } });
  expect(spend.status, spend.text).toBe(200);
  const hold = await agentCall(a, "POST", "/v1/holds", { scope: "http:GET:api.example.com/v1/x", amount: { asset: "USD", value: "10" }, expires_in: 1 });
  expect(hold.status, hold.text).toBe(201);
  await call("POST", `/v1/sessions/${a.session.id}/revoke`, { headers: bearer(p.apiKey) });
  // principal.frozen, principal.unfrozen
  await call("POST", "/v1/freeze", { headers: bearer(p.apiKey) });
  await call("POST", "/v1/unfreeze", { headers: bearer(p.apiKey) });
  // settlement.anchored, settlement.failed, settlement.delayed: what the settlement engine hands each principal
  const stub = principalStub(p.id) as any;
  const anchored = await stub.emitEvent("settlement.anchored", {
    period: "2026-11-17T10",
    root: `0x${"ab".repeat(32)}`,
    count: 1,
    tx_hash: `0x${"cd".repeat(32)}`,
    chain_id: 31337,
    contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  });
  expect(anchored.ok).toBe(true);
  expect((await stub.emitEvent("settlement.failed", { period: "2026-11-17T11", reason: "rpc unavailable" })).ok).toBe(true);
  expect((await stub.emitEvent("settlement.delayed", { period: "2026-11-17T12", late_seconds: 320, expected_by: "2026-11-17T12:05:00.000Z", stage: "sent" })).ok).toBe(
    true,
  );
  // approval.requested, .approved, .denied, .canceled; .expired when the short session's approval runs out
  const gate = { budgets: [{ asset: "USD", amount: "1000" }], approval: { over: [{ asset: "USD", amount: "10" }] } };
  const pay = { scope: "http:GET:api.example.com/v1/pay", amount: { asset: "USD", value: "20" } };
  const gated = await grant(p.apiKey, { limits: gate });
  const brief = await grant(p.apiKey, { limits: gate, expires_at: new Date(Date.now() + 2000).toISOString() });
  const ids: string[] = [];
  for (const agent of [gated, gated, gated, brief]) {
    const r = await agentCall(agent, "POST", "/v1/authorize", pay);
    expect(r.status, r.text).toBe(202);
    ids.push(r.json.approval.id);
  }
  expect((await call("POST", `/v1/approvals/${ids[0]}/approve`, { headers: bearer(p.apiKey), body: {} })).status).toBe(200);
  expect((await call("POST", `/v1/approvals/${ids[1]}/deny`, { headers: bearer(p.apiKey), body: {} })).status).toBe(200);
  expect((await agentCall(gated, "POST", `/v1/approvals/${ids[2]}/cancel`, {})).status).toBe(200);
  // tripwire.shadow, tripwire.tripped: a shadow rule and an enforced one, both over after one action
  const rule = { metric: "count", window: 60, threshold: "1", per: "session", action: "deny" };
  for (const mode of ["shadow", "enforce"]) expect((await call("POST", "/v1/tripwires", { headers: bearer(p.apiKey), body: { ...rule, mode } })).status).toBe(201);
  const t = await grant(p.apiKey);
  expect((await agentCall(t, "POST", "/v1/authorize", { scope: "http:GET:api.example.com/v1/x" })).status).toBe(200);
  expect((await agentCall(t, "POST", "/v1/authorize", { scope: "http:GET:api.example.com/v1/x" })).status).toBe(403);
  return [short.session.id, a.session.id, gated.session.id, brief.session.id, t.session.id];
}

describe("webhooks end to end, verified by a real receiver", () => {
  it(
    "delivers every event type, each signed so that standardwebhooks verifies it",
    async () => {
      const p = await createPrincipal();
      const e = await endpointOnReceiver(p.apiKey, ["*"]);
      const trees = await everyEvent(p);
      const got = await eventually(
        async () => {
          const ok = accepted(await received(e.name));
          const types = new Set([...ok.values()].map(typeOf));
          return EVENT_TYPES.every((t) => types.has(t)) ? ok : null;
        },
        { trees, timeout: 20_000 },
      );
      const all = await received(e.name);
      expect(
        all.every((r) => r.verified && r.status === 200),
        JSON.stringify(all.filter((r) => !r.verified)),
      ).toBe(true);
      for (const r of got.values()) {
        const event = JSON.parse(r.body);
        expect(eventSchemas[event.type as EventType].safeParse(event).success, r.body).toBe(true);
        expect(event.principal).toBe(p.id);
        expect(r.headers["user-agent"]).toBe(USER_AGENT);
        expect(Math.abs(Number(r.headers["webhook-timestamp"]) - r.at / 1000)).toBeLessThan(30);
      }
      // The log agrees: every delivery succeeded at its first attempt.
      const log = await eventually(async () => {
        const ds = await deliveries(p.apiKey, e.id);
        return ds.length === got.size && ds.every((d) => d.status === "succeeded") ? ds : null;
      });
      for (const d of log) expect(d.attempt_log.map((a: any) => a.status_code)).toEqual([200]);
    },
    SLOW,
  );

  it(
    "an endpoint that fails for a while, then recovers, gets every event, each under one webhook-id",
    async () => {
      const p = await createPrincipal();
      const e = await endpointOnReceiver(p.apiKey, ["*"], { fail_first: 5 });
      const a = await grant(p.apiKey);
      await delegate(a);
      await call("POST", "/v1/freeze", { headers: bearer(p.apiKey) });
      await call("POST", "/v1/unfreeze", { headers: bearer(p.apiKey) });
      const log = await eventually(
        async () => {
          const ds = await deliveries(p.apiKey, e.id);
          return ds.length === 4 && ds.every((d) => d.status === "succeeded") ? ds : null;
        },
        { trees: [a.session.id], timeout: 30_000 },
      );
      const got = await received(e.name);
      const ok = accepted(got);
      expect([...ok.values()].map(typeOf).sort()).toEqual(["principal.frozen", "principal.unfrozen", "session.delegated", "session.granted"]);
      expect(got.filter((r) => r.status === 500)).toHaveLength(5);
      // Retries reuse the delivery's webhook-id, so a receiver can drop duplicates.
      expect(new Set(got.map((r) => r.headers["webhook-id"])).size).toBe(4);
      for (const d of log) expect(ok.has(d.msg_id)).toBe(true);
      const attempts = log.reduce((n, d) => n + d.attempts, 0);
      expect(attempts).toBe(4 + 5);
      const retried = log.filter((d) => d.attempts > 1);
      expect(retried.length).toBeGreaterThan(0);
      for (const d of retried) {
        expect(d.attempt_log.at(-1).status_code).toBe(200);
        expect(d.attempt_log.slice(0, -1).every((x: any) => x.status_code === 500 && x.next_attempt_at !== null)).toBe(true);
      }
    },
    SLOW,
  );

  it(
    "an endpoint down for every attempt ends in the dead-letter queue and the log as failed, and redelivers on request",
    async () => {
      const p = await createPrincipal();
      const e = await endpointOnReceiver(p.apiKey, ["principal.frozen"], { down: true });
      await call("POST", "/v1/freeze", { headers: bearer(p.apiKey) });
      const failed = await eventually(
        async () => {
          const [d] = await deliveries(p.apiKey, e.id);
          return d && d.status === "failed" && d.dead_lettered_at !== null ? d : null;
        },
        { timeout: 45_000 },
      );
      expect(failed.attempts).toBe(MAX_ATTEMPTS);
      expect(failed.attempt_log.map((a: any) => a.status_code)).toEqual(Array(MAX_ATTEMPTS).fill(503));
      expect(failed.attempt_log.at(-1).next_attempt_at).toBeNull();
      expect(failed.next_attempt_at).toBeNull();
      const down = await received(e.name);
      expect(down).toHaveLength(MAX_ATTEMPTS);
      expect(new Set(down.map((r) => r.headers["webhook-id"]))).toEqual(new Set([failed.msg_id]));
      expect(down.every((r) => r.verified)).toBe(true); // signed right, just not taken

      // The receiver is back; the principal asks for the delivery again.
      await configureHook(e.name, { down: false });
      const again = await call("POST", `/v1/webhook-deliveries/${failed.id}/redeliver`, { headers: { ...bearer(p.apiKey), "idempotency-key": "redeliver-1" } });
      expect(again.status, again.text).toBe(200);
      expect(again.json).toMatchObject({ id: failed.id, status: "pending", dead_lettered_at: null });
      const done = await eventually(async () => {
        const [d] = await deliveries(p.apiKey, e.id);
        return d?.status === "succeeded" ? d : null;
      });
      expect(done.attempts).toBe(MAX_ATTEMPTS + 1);
      expect(done.attempt_log.at(-1)).toMatchObject({ attempt: MAX_ATTEMPTS + 1, status_code: 200 });
      const last = (await received(e.name)).at(-1)!;
      expect(last).toMatchObject({ status: 200, verified: true });
      expect(last.headers["webhook-id"]).toBe(failed.msg_id);
      // The same Idempotency-Key replays rather than sending a third round.
      const replay = await call("POST", `/v1/webhook-deliveries/${failed.id}/redeliver`, { headers: { ...bearer(p.apiKey), "idempotency-key": "redeliver-1" } });
      expect(replay.headers.get("idempotent-replayed")).toBe("true");
    },
    SLOW,
  );

  it("a tampered body, timestamp or signature, or the wrong secret, fails verification", async () => {
    const p = await createPrincipal();
    const e = await endpointOnReceiver(p.apiKey, ["principal.frozen"]);
    await call("POST", "/v1/freeze", { headers: bearer(p.apiKey) });
    const [r] = await eventually(async () => {
      const got = await received(e.name);
      return got.length > 0 ? got : null;
    });
    const { "user-agent": _ua, ...headers } = r!.headers;
    expect(await verifyOnReceiver(e.secret, headers, r!.body)).toEqual({ ok: true, error: null });

    const tampered = r!.body.replace(/"frozen_at":"[^"]+"/, `"frozen_at":"2000-01-01T00:00:00.000Z"`);
    expect(tampered).not.toBe(r!.body);
    expect((await verifyOnReceiver(e.secret, headers, tampered)).ok).toBe(false);
    expect((await verifyOnReceiver(e.secret, headers, `${r!.body} `)).ok).toBe(false);
    expect((await verifyOnReceiver(e.secret, { ...headers, "webhook-timestamp": String(Number(headers["webhook-timestamp"]) + 1) }, r!.body)).ok).toBe(false);
    expect((await verifyOnReceiver(e.secret, { ...headers, "webhook-id": `${headers["webhook-id"]}x` }, r!.body)).ok).toBe(false);
    const sig = headers["webhook-signature"];
    const flipped = sig.slice(0, 5) + (sig[5] === "A" ? "B" : "A") + sig.slice(6);
    expect((await verifyOnReceiver(e.secret, { ...headers, "webhook-signature": flipped }, r!.body)).ok).toBe(false);
    const other = await endpointOnReceiver(p.apiKey, ["hold.expired"]);
    expect((await verifyOnReceiver(other.secret, headers, r!.body)).ok).toBe(false);
  });

  it("after a secret rotation, deliveries verify with the new secret and, for a day, with the old one", async () => {
    const p = await createPrincipal();
    const e = await endpointOnReceiver(p.apiKey, ["principal.unfrozen"]);
    const rotated = await call("POST", `/v1/webhook-endpoints/${e.id}/rotate-secret`, { headers: bearer(p.apiKey) });
    const secret = rotated.json.secret as string;
    await configureHook(e.name, { secrets: [secret] });
    await call("POST", "/v1/freeze", { headers: bearer(p.apiKey) });
    await call("POST", "/v1/unfreeze", { headers: bearer(p.apiKey) });
    const [r] = await eventually(async () => {
      const got = await received(e.name);
      return got.length > 0 ? got : null;
    });
    expect(r).toMatchObject({ status: 200, verified: true });
    expect(r!.headers["webhook-signature"].split(" ")).toHaveLength(2);
    const { "user-agent": _ua, ...headers } = r!.headers;
    expect((await verifyOnReceiver(secret, headers, r!.body)).ok).toBe(true);
    expect((await verifyOnReceiver(e.secret, headers, r!.body)).ok).toBe(true);
  });
});
