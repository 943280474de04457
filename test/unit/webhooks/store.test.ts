import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { RemitError } from "../../../src/core/errors";
import { isId, newId } from "../../../src/core/ids";
import { buildEvent } from "../../../src/core/webhooks/events";
import { PREVIOUS_SECRET_TTL_MS, WebhookStore } from "../../../durable-objects/principal/webhook-store";
import { NOW, PRN, SAMPLE_DATA } from "./fixtures";

/** Run `fn` against a WebhookStore in a fresh Principal Durable Object. */
function withStore<T>(fn: (store: WebhookStore, sql: SqlStorage) => T | Promise<T>): Promise<T> {
  const ns = (env as unknown as { PRINCIPAL: DurableObjectNamespace }).PRINCIPAL;
  const stub = ns.get(ns.idFromName(crypto.randomUUID()));
  return runInDurableObject(stub, (_instance, state) => fn(new WebhookStore(state.storage.sql), state.storage.sql));
}

const revoked = () => buildEvent("session.revoked", PRN, SAMPLE_DATA["session.revoked"], NOW);
const frozen = () => buildEvent("principal.frozen", PRN, SAMPLE_DATA["principal.frozen"], NOW);
const HOUR = 3600_000;

describe("WebhookStore endpoints", () => {
  it("creates an endpoint and returns its secret once", () =>
    withStore((store, sql) => {
      const { endpoint, secret } = store.create({ url: "https://hooks.example.com/a", events: ["session.revoked"], description: "ops" }, NOW);
      expect(isId(endpoint.id, "whe")).toBe(true);
      expect(secret).toMatch(/^whsec_/);
      expect(endpoint).toEqual({
        id: endpoint.id,
        url: "https://hooks.example.com/a",
        events: ["session.revoked"],
        description: "ops",
        disabled: false,
        created_at: new Date(NOW).toISOString(),
        updated_at: new Date(NOW).toISOString(),
      });
      expect(store.get(endpoint.id)).toEqual(endpoint);
      expect(JSON.stringify(store.get(endpoint.id))).not.toContain(secret);
      expect(JSON.stringify(store.list())).not.toContain(secret);
      expect(store.signingSecrets(endpoint.id, NOW)).toEqual([secret]);
      // the tables survive a second migrate()
      new WebhookStore(sql).migrate();
      expect(store.list()).toEqual([endpoint]);
    }));

  it("defaults the description to null and de-duplicates events", () =>
    withStore((store) => {
      const { endpoint } = store.create({ url: "https://x.example.com/", events: ["hold.expired", "hold.expired"] }, NOW);
      expect(endpoint.description).toBeNull();
      expect(endpoint.events).toEqual(["hold.expired"]);
    }));

  it("refuses bad input with field errors", () =>
    withStore((store) => {
      const attempt = (input: Parameters<WebhookStore["create"]>[0]) => {
        try {
          store.create(input, NOW);
        } catch (e) {
          expect(e).toBeInstanceOf(RemitError);
          return (e as RemitError).problem.extra?.errors as { field: string; rule: string }[];
        }
        throw new Error("accepted");
      };
      expect(attempt({ url: "https://x.example.com/", events: [] as never })).toEqual([expect.objectContaining({ field: "events", rule: "too_small" })]);
      expect(attempt({ url: "https://x.example.com/", events: ["*", "hold.expired"] as never })).toEqual([expect.objectContaining({ rule: "wildcard_alone" })]);
      expect(attempt({ url: "https://x.example.com/", events: ["hold.expired", "nope"] as never })).toEqual([
        expect.objectContaining({ field: "events.1", rule: "unknown_event_type" }),
      ]);
      expect(attempt({ url: "", events: ["*"], description: "d".repeat(501) }).map((e) => e.field)).toEqual(["url", "description"]);
      expect(store.list()).toEqual([]);
    }));

  it("lists oldest first, updates and deletes", () =>
    withStore((store) => {
      const a = store.create({ url: "https://a.example.com/", events: ["*"] }, NOW).endpoint;
      const b = store.create({ url: "https://b.example.com/", events: ["session.revoked"] }, NOW + 1).endpoint;
      expect(store.list().map((e) => e.id)).toEqual([a.id, b.id]);

      const updated = store.update(a.id, { url: "https://a2.example.com/", disabled: true, description: "x" }, NOW + 5)!;
      expect(updated).toMatchObject({ url: "https://a2.example.com/", events: ["*"], disabled: true, description: "x" });
      expect(updated.created_at).toBe(a.created_at);
      expect(updated.updated_at).toBe(new Date(NOW + 5).toISOString());
      expect(store.update(a.id, { description: null, disabled: false }, NOW + 6)).toMatchObject({ description: null, disabled: false });
      expect(store.update(a.id, { events: ["budget.threshold"] }, NOW + 7)!.events).toEqual(["budget.threshold"]);
      expect(() => store.update(a.id, { events: ["bogus"] as never })).toThrow(RemitError);
      expect(store.update("whe_missing", { disabled: true })).toBeNull();

      expect(store.delete(a.id)).toBe(true);
      expect(store.delete(a.id)).toBe(false);
      expect(store.get(a.id)).toBeNull();
      expect(store.signingSecrets(a.id, NOW)).toEqual([]);
      expect(store.list().map((e) => e.id)).toEqual([b.id]);
    }));

  it("finds the enabled endpoints subscribed to an event type", () =>
    withStore((store) => {
      const all = store.create({ url: "https://all.example.com/", events: ["*"] }, NOW).endpoint;
      const rev = store.create({ url: "https://rev.example.com/", events: ["session.revoked", "hold.expired"] }, NOW + 1).endpoint;
      const off = store.create({ url: "https://off.example.com/", events: ["session.revoked"] }, NOW + 2).endpoint;
      store.update(off.id, { disabled: true });
      expect(store.endpointsFor("session.revoked").map((e) => e.id)).toEqual([all.id, rev.id]);
      expect(store.endpointsFor("hold.expired").map((e) => e.id)).toEqual([all.id, rev.id]);
      expect(store.endpointsFor("settlement.failed").map((e) => e.id)).toEqual([all.id]);
    }));
});

describe("WebhookStore secret rotation", () => {
  it("keeps the previous secret signing for 24 h", () =>
    withStore((store) => {
      const { endpoint, secret: first } = store.create({ url: "https://x.example.com/", events: ["*"] }, NOW);
      const { secret: second } = store.rotateSecret(endpoint.id, NOW + HOUR)!;
      expect(second).not.toBe(first);
      expect(store.signingSecrets(endpoint.id, NOW + HOUR)).toEqual([second, first]);
      expect(store.signingSecrets(endpoint.id, NOW + HOUR + PREVIOUS_SECRET_TTL_MS - 1)).toEqual([second, first]);
      expect(store.signingSecrets(endpoint.id, NOW + HOUR + PREVIOUS_SECRET_TTL_MS)).toEqual([second]);
      expect(JSON.stringify(store.get(endpoint.id))).not.toContain(second);
    }));

  it("drops the oldest secret on a second rotation", () =>
    withStore((store) => {
      const { endpoint, secret: first } = store.create({ url: "https://x.example.com/", events: ["*"] }, NOW);
      const { secret: second } = store.rotateSecret(endpoint.id, NOW)!;
      const { secret: third } = store.rotateSecret(endpoint.id, NOW + 1)!;
      expect(store.signingSecrets(endpoint.id, NOW + 2)).toEqual([third, second]);
      expect(store.signingSecrets(endpoint.id, NOW + 2)).not.toContain(first);
      expect(store.rotateSecret("whe_missing", NOW)).toBeNull();
    }));
});

describe("WebhookStore delivery log", () => {
  it("records a delivery per subscribed endpoint for an event", () =>
    withStore((store) => {
      const a = store.create({ url: "https://a.example.com/", events: ["*"] }, NOW).endpoint;
      store.create({ url: "https://b.example.com/", events: ["hold.expired"] }, NOW);
      const event = revoked();
      const deliveries = store.recordEvent(event, NOW);
      expect(deliveries).toHaveLength(1);
      const d = deliveries[0]!;
      expect(isId(d.id, "dlv")).toBe(true);
      expect(isId(d.msg_id, "msg")).toBe(true);
      expect(d).toMatchObject({
        endpoint: a.id,
        event_id: event.id,
        event_type: "session.revoked",
        payload: event,
        status: "pending",
        attempts: 0,
        next_attempt_at: new Date(NOW).toISOString(),
        attempt_log: [],
      });
    }));

  it("is idempotent by delivery id and refuses unknown endpoints", () =>
    withStore((store) => {
      const a = store.create({ url: "https://a.example.com/", events: ["*"] }, NOW).endpoint;
      const event = frozen();
      const input = { id: newId("dlv"), endpoint: a.id, event_id: event.id, event_type: event.type, payload: event, status: "pending", attempts: 0 } as const;
      const first = store.recordDelivery(input, NOW)!;
      const again = store.recordDelivery({ ...input, status: "failed" }, NOW + 9)!;
      expect(again).toEqual(first);
      expect(store.recordDelivery({ ...input, id: newId("dlv"), endpoint: "whe_missing" })).toBeNull();
    }));

  it("derives the status from each attempt", () =>
    withStore((store) => {
      store.create({ url: "https://a.example.com/", events: ["*"] }, NOW);
      const d = store.recordEvent(revoked(), NOW)[0]!;
      const failed = store.recordAttempt(d.id, {
        at: NOW + 10,
        status_code: 503,
        latency_ms: 120,
        response_excerpt: "busy",
        error: null,
        next_attempt_at: NOW + 5000,
      })!;
      expect(failed).toMatchObject({ status: "retrying", attempts: 1, next_attempt_at: new Date(NOW + 5000).toISOString() });
      expect(failed.attempt_log).toEqual([
        {
          attempt: 1,
          at: new Date(NOW + 10).toISOString(),
          status_code: 503,
          latency_ms: 120,
          response_excerpt: "busy",
          error: null,
          next_attempt_at: new Date(NOW + 5000).toISOString(),
        },
      ]);
      const ok = store.recordAttempt(d.id, { at: NOW + 5000, status_code: 204, latency_ms: 30, response_excerpt: "", error: null, next_attempt_at: null })!;
      expect(ok).toMatchObject({ status: "succeeded", attempts: 2, next_attempt_at: null });
      expect(ok.attempt_log.map((a) => a.attempt)).toEqual([1, 2]);
      expect(store.recordAttempt("dlv_missing", { at: NOW, status_code: 200, latency_ms: 1, response_excerpt: "", error: null, next_attempt_at: null })).toBeNull();
    }));

  it("marks a delivery failed when no further attempt is due, and counts errors and redirects as failures", () =>
    withStore((store) => {
      store.create({ url: "https://a.example.com/", events: ["*"] }, NOW);
      const [d1, d2] = [store.recordEvent(revoked(), NOW)[0]!, store.recordEvent(revoked(), NOW)[0]!];
      expect(store.recordAttempt(d1.id, { at: NOW, status_code: null, latency_ms: 10000, response_excerpt: "", error: "timed out", next_attempt_at: null })!.status).toBe(
        "failed",
      );
      expect(store.recordAttempt(d2.id, { at: NOW, status_code: 200, latency_ms: 1, response_excerpt: "", error: "odd", next_attempt_at: NOW + 1 })!.status).toBe(
        "retrying",
      );
      expect(store.recordAttempt(d2.id, { at: NOW, status_code: 302, latency_ms: 1, response_excerpt: "", error: null, next_attempt_at: null })!.status).toBe("failed");
    }));

  it("ignores a repeated report of the same attempt number, and stale ones", () =>
    withStore((store) => {
      store.create({ url: "https://a.example.com/", events: ["*"] }, NOW);
      const d = store.recordEvent(revoked(), NOW)[0]!;
      const attempt = (n: number, status_code: number, next: number | null) =>
        store.recordAttempt(d.id, { attempt: n, at: NOW + n, status_code, latency_ms: 1, response_excerpt: "", error: null, next_attempt_at: next })!;
      attempt(1, 500, NOW + 100);
      attempt(2, 200, null);
      const dup = attempt(2, 500, NOW + 200);
      expect(dup).toMatchObject({ status: "succeeded", attempts: 2 });
      expect(dup.attempt_log.map((a) => a.status_code)).toEqual([500, 200]);
      const stale = attempt(1, 500, NOW + 300);
      expect(stale.status).toBe("succeeded");
      expect(() => attempt(0, 200, null)).toThrow(RangeError);
    }));

  it("truncates response excerpts to 1 KiB of UTF-8", () =>
    withStore((store) => {
      store.create({ url: "https://a.example.com/", events: ["*"] }, NOW);
      const d = store.recordEvent(revoked(), NOW)[0]!;
      const long = "é".repeat(2000);
      const r = store.recordAttempt(d.id, { at: NOW, status_code: 500, latency_ms: 1, response_excerpt: long, error: "x".repeat(5000), next_attempt_at: null })!;
      const excerpt = r.attempt_log[0]!.response_excerpt;
      expect(new TextEncoder().encode(excerpt).length).toBeLessThanOrEqual(1024);
      expect(excerpt).toBe("é".repeat(512));
      expect(r.attempt_log[0]!.error!.length).toBe(1024);
    }));

  it("pages through deliveries newest first with their attempts", () =>
    withStore((store) => {
      const a = store.create({ url: "https://a.example.com/", events: ["*"] }, NOW).endpoint;
      const b = store.create({ url: "https://b.example.com/", events: ["*"] }, NOW).endpoint;
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        for (const d of store.recordEvent(frozen(), NOW + i)) {
          if (d.endpoint === a.id) ids.push(d.id);
          store.recordAttempt(d.id, { at: NOW + i, status_code: 500, latency_ms: i, response_excerpt: `r${i}`, error: null, next_attempt_at: NOW + i + 1 });
        }
      }
      const newestFirst = [...ids].reverse();
      const p1 = store.listDeliveries(a.id, { limit: 3 });
      expect(p1.data.map((d) => d.id)).toEqual(newestFirst.slice(0, 3));
      expect(p1.has_more).toBe(true);
      expect(p1.data.every((d) => d.endpoint === a.id && d.attempt_log.length === 1)).toBe(true);
      expect(p1.data[0]!.attempt_log[0]!.response_excerpt).toBe("r6");
      const p2 = store.listDeliveries(a.id, { limit: 3, starting_after: p1.data[2]!.id });
      expect(p2.data.map((d) => d.id)).toEqual(newestFirst.slice(3, 6));
      const p3 = store.listDeliveries(a.id, { limit: 3, starting_after: p2.data[2]!.id });
      expect(p3.data.map((d) => d.id)).toEqual(newestFirst.slice(6));
      expect(p3.has_more).toBe(false);
      expect(store.listDeliveries(a.id).data).toHaveLength(7);
      expect(store.listDeliveries(a.id, { limit: 0 }).data).toHaveLength(1);
      expect(store.listDeliveries(a.id, { limit: 1000 }).data).toHaveLength(7);
      expect(store.listDeliveries(a.id, { limit: Number.NaN }).data).toHaveLength(7);
      // a cursor from another endpoint, or an unknown one, yields nothing
      const other = store.listDeliveries(b.id, { limit: 1 }).data[0]!.id;
      expect(store.listDeliveries(a.id, { starting_after: other })).toEqual({ data: [], has_more: false });
      expect(store.listDeliveries(a.id, { starting_after: "dlv_missing" })).toEqual({ data: [], has_more: false });
      expect(store.listDeliveries("whe_missing")).toEqual({ data: [], has_more: false });
    }));

  it("hands the consumer a job with the secrets valid now, and requeues for redelivery", () =>
    withStore((store) => {
      const { endpoint, secret } = store.create({ url: "https://a.example.com/", events: ["*"] }, NOW);
      const event = revoked();
      const d = store.recordEvent(event, NOW)[0]!;
      expect(store.deliveryJob(d.id, NOW)).toEqual({
        delivery: d.id,
        msg_id: d.msg_id,
        url: "https://a.example.com/",
        secrets: [secret],
        event,
        status: "pending",
        attempts: 0,
        round_attempts: 0,
        endpoint_disabled: false,
      });
      store.recordAttempt(d.id, { at: NOW, status_code: 500, latency_ms: 1, response_excerpt: "", error: null, next_attempt_at: null });
      const { secret: next } = store.rotateSecret(endpoint.id, NOW)!;
      store.update(endpoint.id, { disabled: true });
      expect(store.deliveryJob(d.id, NOW)).toMatchObject({ secrets: [next, secret], attempts: 1, endpoint_disabled: true });

      const requeued = store.requeue(d.id, NOW + 50)!;
      expect(requeued).toMatchObject({ status: "pending", attempts: 1, next_attempt_at: new Date(NOW + 50).toISOString() });
      expect(requeued.attempt_log).toHaveLength(1);
      const done = store.recordAttempt(d.id, { at: NOW + 60, status_code: 200, latency_ms: 1, response_excerpt: "", error: null, next_attempt_at: null })!;
      expect(done).toMatchObject({ status: "succeeded", attempts: 2, msg_id: d.msg_id });
      expect(store.deliveryJob(d.id, NOW)).toBeNull();
      expect(store.deliveryJob("dlv_missing", NOW)).toBeNull();
      expect(store.requeue("dlv_missing", NOW)).toBeNull();
    }));

  it("finds deliveries that are due, for a sweeper", () =>
    withStore((store) => {
      store.create({ url: "https://a.example.com/", events: ["*"] }, NOW);
      const pending = store.recordEvent(frozen(), NOW)[0]!;
      const retrying = store.recordEvent(frozen(), NOW)[0]!;
      store.recordAttempt(retrying.id, { at: NOW, status_code: 500, latency_ms: 1, response_excerpt: "", error: null, next_attempt_at: NOW + HOUR });
      const done = store.recordEvent(frozen(), NOW)[0]!;
      store.recordAttempt(done.id, { at: NOW, status_code: 200, latency_ms: 1, response_excerpt: "", error: null, next_attempt_at: null });
      const failed = store.recordEvent(frozen(), NOW)[0]!;
      store.recordAttempt(failed.id, { at: NOW, status_code: 500, latency_ms: 1, response_excerpt: "", error: null, next_attempt_at: null });
      store.recordEvent(frozen(), NOW + 2 * HOUR);

      expect(store.due(NOW - 1).map((d) => d.id)).toEqual([]);
      expect(store.due(NOW).map((d) => d.id)).toEqual([pending.id]);
      expect(store.due(NOW + HOUR).map((d) => d.id)).toEqual([pending.id, retrying.id]);
      expect(store.due(NOW + HOUR, 1).map((d) => d.id)).toEqual([pending.id]);
      expect(store.due(NOW + HOUR)[1]!.attempt_log).toHaveLength(1);
    }));

  it("deletes an endpoint's log with it, and prunes old deliveries", () =>
    withStore((store, sql) => {
      const a = store.create({ url: "https://a.example.com/", events: ["*"] }, NOW).endpoint;
      const b = store.create({ url: "https://b.example.com/", events: ["*"] }, NOW).endpoint;
      for (const d of store.recordEvent(frozen(), NOW)) {
        store.recordAttempt(d.id, { at: NOW, status_code: 500, latency_ms: 1, response_excerpt: "", error: null, next_attempt_at: null });
      }
      const old = store.recordEvent(frozen(), NOW + 1)[1]!; // b's
      store.recordEvent(frozen(), NOW + 10 * HOUR);
      const count = (table: string) => sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ${table}`).one().n;
      expect(count("webhook_deliveries")).toBe(6);
      expect(count("webhook_attempts")).toBe(2);

      store.delete(a.id);
      expect(count("webhook_deliveries")).toBe(3);
      expect(count("webhook_attempts")).toBe(1);
      expect(store.deliveryJob(store.listDeliveries(b.id).data[0]!.id, NOW)).not.toBeNull();

      expect(store.pruneDeliveries(NOW + HOUR)).toBe(2);
      expect(store.getDelivery(old.id)).toBeNull();
      expect(count("webhook_attempts")).toBe(0);
      expect(store.listDeliveries(b.id).data).toHaveLength(1);
    }));
});
