/**
 * The principal's events: the log (`GET /v1/events`, `/v1/events/{id}`) and its live
 * stream (`GET /v1/events/stream`, server-sent events), with the real objects: events
 * come from the trees' outboxes and the principal's own emits, no webhook endpoint needed.
 */
import { exports } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { EVENT_RETENTION_MS } from "../../src/contract/events";
import { HEARTBEAT_MS } from "../../src/routes/events";
import { SseParser, type SseMessage } from "../../src/core/sse";
import { buildEvent, EVENT_TYPES, webhookEventSchema } from "../../src/core/webhooks/events";
import { BASE, call, createPrincipal, grant, problemName } from "../support/harness";
import { bearer, eventually, principalStub, runTreeAlarm } from "../support/webhooks";

type Principal = { id: string; apiKey: string };

async function listEvents(p: Principal, query = ""): Promise<any> {
  const r = await call("GET", `/v1/events${query}`, { headers: bearer(p.apiKey) });
  expect(r.status, r.text).toBe(200);
  return r.json;
}

/** Waits until the log holds `count` events (running the trees' alarms so their outboxes drain). */
async function eventsOf(p: Principal, count: number, trees: string[], query = "?limit=100"): Promise<any[]> {
  return eventually(
    async () => {
      const page = await listEvents(p, query);
      return page.data.length >= count ? page.data : null;
    },
    { trees },
  );
}

/** A granted then revoked session: session.granted and session.revoked, from the tree's outbox. */
async function grantAndRevoke(p: Principal): Promise<{ session: string; tree: string }> {
  const a = await grant(p.apiKey);
  const r = await call("POST", `/v1/sessions/${a.session.id}/revoke`, { headers: bearer(p.apiKey), body: {} });
  expect(r.status, r.text).toBe(200);
  return { session: a.session.id, tree: a.session.tree };
}

/** An open event stream, read message by message. */
async function openStream(p: Principal, opts: { lastEventId?: string; query?: string } = {}) {
  const headers: Record<string, string> = { ...bearer(p.apiKey), accept: "text/event-stream" };
  if (opts.lastEventId) headers["last-event-id"] = opts.lastEventId;
  const res = await (exports as unknown as { default: Fetcher }).default.fetch(new Request(`${BASE}/v1/events/stream${opts.query ?? ""}`, { headers }));
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  const queue: SseMessage[] = [];
  let raw = "";
  let ended = false;
  const more = async (): Promise<boolean> => {
    const { value, done } = await reader.read();
    if (done) {
      ended = true;
      return false;
    }
    const text = decoder.decode(value, { stream: true });
    raw += text;
    queue.push(...parser.push(text));
    return true;
  };
  return {
    res,
    get raw() {
      return raw;
    },
    /** The next message that is an event (or an error), skipping the retry-only block. */
    async next(): Promise<SseMessage> {
      for (;;) {
        const m = queue.shift();
        if (m && m.data !== "") return m;
        if (!m && !(await more())) throw new Error(`the stream ended; it sent ${raw}`);
      }
    },
    /** Reads until the raw text so far contains `text`. */
    async until(text: string): Promise<void> {
      while (!raw.includes(text)) if (!(await more())) throw new Error(`the stream ended before ${JSON.stringify(text)}; it sent ${raw}`);
    },
    /** Reads until the stream ends. */
    async end(): Promise<string> {
      while (!ended && (await more()));
      return raw;
    },
    close: () => reader.cancel(),
  };
}

describe("GET /v1/events: the principal's events", () => {
  describe("happy", () => {
    it("lists every event, newest first, with no webhook endpoint at all", async () => {
      const p = await createPrincipal();
      const { session, tree } = await grantAndRevoke(p);
      const frozen = await call("POST", "/v1/freeze", { headers: bearer(p.apiKey), body: {} });
      expect(frozen.status).toBe(200);
      const data = await eventsOf(p, 3, [tree]);
      expect(data.map((e) => e.type)).toEqual(["principal.frozen", "session.revoked", "session.granted"]);
      expect(data[1].data).toMatchObject({ session, tree, revoked_root: session });
      for (const e of data) {
        expect(webhookEventSchema.safeParse(e).success).toBe(true);
        expect(e.principal).toBe(p.id);
      }
    });

    it("reads one event by id: the envelope webhooks deliver", async () => {
      const p = await createPrincipal();
      const { tree } = await grantAndRevoke(p);
      const [newest] = await eventsOf(p, 2, [tree]);
      const r = await call("GET", `/v1/events/${newest.id}`, { headers: bearer(p.apiKey) });
      expect(r.status, r.text).toBe(200);
      expect(r.json).toEqual(newest);
      expect(Object.keys(r.json).sort()).toEqual(["created_at", "data", "id", "principal", "type"]);
    });

    it("filters by type, comma-separated or repeated", async () => {
      const p = await createPrincipal();
      const { tree } = await grantAndRevoke(p);
      await call("POST", "/v1/freeze", { headers: bearer(p.apiKey), body: {} });
      await eventsOf(p, 3, [tree]);
      const one = await listEvents(p, "?type=session.revoked");
      expect(one.data.map((e: any) => e.type)).toEqual(["session.revoked"]);
      const comma = await listEvents(p, "?type=session.granted,principal.frozen");
      expect(comma.data.map((e: any) => e.type)).toEqual(["principal.frozen", "session.granted"]);
      const repeated = await listEvents(p, "?type=session.granted&type=principal.frozen");
      expect(repeated.data).toEqual(comma.data);
    });

    it("filters by created_after and created_before, both exclusive", async () => {
      const p = await createPrincipal();
      const { tree } = await grantAndRevoke(p);
      const [revoked, granted] = await eventsOf(p, 2, [tree]);
      const after = await listEvents(p, `?created_after=${encodeURIComponent(granted.created_at)}`);
      expect(after.data.map((e: any) => e.id)).toEqual(revoked.created_at > granted.created_at ? [revoked.id] : []);
      const before = await listEvents(p, `?created_before=${encodeURIComponent(revoked.created_at)}`);
      expect(before.data.map((e: any) => e.id)).toEqual(revoked.created_at > granted.created_at ? [granted.id] : []);
      const window = await listEvents(p, `?created_after=2000-01-01T00:00:00Z&created_before=2000-01-02T00:00:00%2B01:00`);
      expect(window.data).toEqual([]);
    });

    it("pages with limit and starting_after until has_more is false", async () => {
      const p = await createPrincipal();
      const { tree } = await grantAndRevoke(p);
      await call("POST", "/v1/freeze", { headers: bearer(p.apiKey), body: {} });
      const all = await eventsOf(p, 3, [tree]);
      const first = await listEvents(p, "?limit=2");
      expect(first.data).toEqual(all.slice(0, 2));
      expect(first.has_more).toBe(true);
      const second = await listEvents(p, `?limit=2&starting_after=${first.data[1].id}`);
      expect(second.data).toEqual(all.slice(2));
      expect(second.has_more).toBe(false);
    });

    it("records an event re-sent by an outbox once", async () => {
      const p = await createPrincipal();
      const event = buildEvent("principal.unfrozen", p.id, { unfrozen_at: new Date().toISOString() }, Date.now());
      const stub = principalStub(p.id) as any;
      expect((await stub.ingestEvents([event])).accepted).toBe(1);
      expect((await stub.ingestEvents([event])).duplicates).toBe(1);
      expect((await listEvents(p)).data).toEqual([event]);
    });

    it("keeps events 30 days: older ones are pruned on the next write and by the alarm, idempotently", async () => {
      const p = await createPrincipal();
      const stub = principalStub(p.id) as any;
      const old = buildEvent("principal.unfrozen", p.id, { unfrozen_at: new Date().toISOString() }, Date.now() - EVENT_RETENTION_MS - 60_000);
      const fresh = buildEvent("principal.frozen", p.id, { frozen_at: new Date().toISOString() }, Date.now());
      await stub.ingestEvents([old, fresh]);
      expect((await listEvents(p)).data).toEqual([fresh]);
      // A row left from before pruning existed: the listing hides it, the alarm removes it, twice over.
      const stale = buildEvent("principal.unfrozen", p.id, { unfrozen_at: new Date().toISOString() }, Date.now() - EVENT_RETENTION_MS - 1000);
      const object: DurableObjectStub = principalStub(p.id);
      const rows = await runInDurableObject(object, async (instance: DurableObject, state) => {
        state.storage.sql.exec(
          "INSERT INTO events (id, type, created_at, payload) VALUES (?, ?, ?, ?)",
          stale.id,
          stale.type,
          Date.parse(stale.created_at),
          JSON.stringify(stale),
        );
        await instance.alarm?.();
        await instance.alarm?.();
        return state.storage.sql.exec("SELECT id FROM events").toArray() as { id: string }[];
      });
      expect(rows.map((r) => r.id)).toEqual([fresh.id]);
      expect((await call("GET", `/v1/events/${stale.id}`, { headers: bearer(p.apiKey) })).status).toBe(404);
    });
  });

  describe("error", () => {
    it("refuses an unknown type, naming the allowed ones", async () => {
      const p = await createPrincipal();
      const r = await call("GET", "/v1/events?type=session.granted,session.exploded", { headers: bearer(p.apiKey) });
      expect(r.status).toBe(400);
      expect(problemName(r)).toBe("validation-failed");
      expect(r.json.errors).toEqual([expect.objectContaining({ field: "type", rule: "unknown_event_type" })]);
      for (const t of EVENT_TYPES) expect(r.json.errors[0].message).toContain(t);
    });

    it("refuses a created_after that is not a date-time, and a starting_after no event has", async () => {
      const p = await createPrincipal();
      const bad = await call("GET", "/v1/events?created_after=yesterday", { headers: bearer(p.apiKey) });
      expect(bad.status).toBe(400);
      expect(bad.json.errors[0].field).toBe("created_after");
      const cursor = await call("GET", `/v1/events?starting_after=evt_${"0".repeat(26)}`, { headers: bearer(p.apiKey) });
      expect(cursor.status).toBe(400);
      expect(cursor.json.errors[0]).toMatchObject({ field: "starting_after", rule: "unknown_cursor" });
    });

    it("answers not-found for an event id it does not have", async () => {
      const p = await createPrincipal();
      const r = await call("GET", `/v1/events/evt_${"0".repeat(26)}`, { headers: bearer(p.apiKey) });
      expect(r.status).toBe(404);
    });
  });

  describe("security", () => {
    it("needs an API key", async () => {
      expect((await call("GET", "/v1/events")).status).toBe(401);
      expect((await call("GET", `/v1/events/evt_${"0".repeat(26)}`)).status).toBe(401);
    });

    it("shows a principal only its own events", async () => {
      const p = await createPrincipal();
      const other = await createPrincipal("Other");
      const { tree } = await grantAndRevoke(p);
      const [mine] = await eventsOf(p, 2, [tree]);
      expect((await listEvents(other)).data).toEqual([]);
      expect((await call("GET", `/v1/events/${mine.id}`, { headers: bearer(other.apiKey) })).status).toBe(404);
    });
  });
});

describe("GET /v1/events/stream: server-sent events", () => {
  describe("happy", () => {
    it("sends each new event as id, event and data", { timeout: 20_000 }, async () => {
      const p = await createPrincipal();
      const stream = await openStream(p);
      expect(stream.res.status).toBe(200);
      expect(stream.res.headers.get("content-type")).toMatch(/^text\/event-stream/);
      const a = await grant(p.apiKey);
      // The tree drains its outbox on its alarm (which fires by itself too).
      await runTreeAlarm(a.session.tree);
      const m = await stream.next();
      const event = JSON.parse(m.data);
      expect(m.event).toBe("session.granted");
      expect(m.id).toBe(event.id);
      expect(event.data.session).toBe(a.session.id);
      expect(stream.raw).toMatch(/^retry: \d+\n/);
      await stream.close();
    });

    it("replays what was missed after Last-Event-ID, then goes on live", { timeout: 20_000 }, async () => {
      const p = await createPrincipal();
      const { tree } = await grantAndRevoke(p);
      const [, granted] = await eventsOf(p, 2, [tree]);
      const stream = await openStream(p, { lastEventId: granted.id });
      const replayed = await stream.next();
      expect(replayed.event).toBe("session.revoked");
      await call("POST", "/v1/freeze", { headers: bearer(p.apiKey), body: {} });
      const live = await stream.next();
      expect(live.event).toBe("principal.frozen");
      await stream.close();
    });

    it("sends only the types asked for", { timeout: 20_000 }, async () => {
      const p = await createPrincipal();
      const stream = await openStream(p, { query: "?type=principal.unfrozen" });
      await call("POST", "/v1/freeze", { headers: bearer(p.apiKey), body: {} });
      await call("POST", "/v1/unfreeze", { headers: bearer(p.apiKey), body: {} });
      expect((await stream.next()).event).toBe("principal.unfrozen");
      expect(stream.raw).not.toContain("principal.frozen");
      await stream.close();
    });

    it("starts at now when Last-Event-ID names an event it does not keep, and says so", { timeout: 20_000 }, async () => {
      const p = await createPrincipal();
      await call("POST", "/v1/freeze", { headers: bearer(p.apiKey), body: {} });
      const stream = await openStream(p, { lastEventId: `evt_${"0".repeat(26)}` });
      await call("POST", "/v1/unfreeze", { headers: bearer(p.apiKey), body: {} });
      expect((await stream.next()).event).toBe("principal.unfrozen");
      expect(stream.raw).toContain("is not among the events kept");
      await stream.close();
    });

    it("sends a comment heartbeat while nothing happens, so proxies keep it open", { timeout: 30_000 }, async () => {
      const p = await createPrincipal();
      const stream = await openStream(p);
      const started = Date.now();
      await stream.until(": heartbeat\n\n");
      expect(Date.now() - started).toBeLessThan(HEARTBEAT_MS + 5000);
      await stream.close();
    });
  });

  describe("error", () => {
    it("refuses an unknown type before streaming", async () => {
      const p = await createPrincipal();
      const r = await call("GET", "/v1/events/stream?type=nope", { headers: bearer(p.apiKey) });
      expect(r.status).toBe(400);
      expect(r.headers.get("content-type")).toMatch(/problem\+json/);
      expect(r.json.errors[0].message).toContain("session.granted");
    });

    it("refuses a Last-Event-ID that is not an event id", async () => {
      const p = await createPrincipal();
      const r = await call("GET", "/v1/events/stream", { headers: { ...bearer(p.apiKey), "last-event-id": "42" } });
      expect(r.status).toBe(400);
      expect(r.json.errors[0].field).toBe("last-event-id");
    });
  });

  describe("security", () => {
    it("answers a bad key with a problem, not a stream", async () => {
      const r = await call("GET", "/v1/events/stream", { headers: { authorization: "Bearer rmt_nope" } });
      expect(r.status).toBe(401);
      expect(r.headers.get("content-type")).toMatch(/problem\+json/);
    });

    it("ends the stream with an error event once its API key is revoked", { timeout: 20_000 }, async () => {
      const p = await createPrincipal();
      const second = await call("POST", "/v1/api-keys", { headers: bearer(p.apiKey), body: { label: "listener" } });
      const listener = { id: p.id, apiKey: second.json.api_key as string };
      const stream = await openStream(listener);
      expect((await call("DELETE", `/v1/api-keys/${second.json.id}`, { headers: bearer(p.apiKey) })).status).toBe(200);
      const m = await stream.next();
      expect(m.event).toBe("error");
      expect(JSON.parse(m.data)).toMatchObject({ status: 401 });
      await stream.end();
    });
  });
});
