import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { buildEvent } from "../../../src/core/webhooks/events";
import { deliverOnce, USER_AGENT, type FetchLike } from "../../../src/webhooks/deliver";
import { newSecret } from "../../../src/core/webhooks/sign";
import { PRN, SAMPLE_DATA } from "./fixtures";

const event = () => buildEvent("session.revoked", PRN, SAMPLE_DATA["session.revoked"], Date.now());

type Seen = { url: string; init: RequestInit; headers: Headers; body: string };
function recorder(respond: (seen: Seen) => Response | Promise<Response>): { fetcher: FetchLike; calls: Seen[] } {
  const calls: Seen[] = [];
  return {
    calls,
    fetcher: async (url, init) => {
      const seen = { url, init, headers: new Headers(init.headers), body: String(init.body) };
      calls.push(seen);
      return respond(seen);
    },
  };
}

const never = (_url: string, init: RequestInit) => new Promise<Response>((_, reject) => init.signal?.addEventListener("abort", () => reject(new Error("aborted"))));

describe("deliverOnce", () => {
  it("POSTs the event as JSON with Standard Webhooks headers the library verifies", async () => {
    const secret = newSecret();
    const evt = event();
    const { fetcher, calls } = recorder((seen) => {
      new Webhook(secret).verify(seen.body, Object.fromEntries(seen.headers));
      return new Response("thanks", { status: 200 });
    });
    const now = Date.now();
    const result = await deliverOnce({ url: "https://hooks.example.com/r", secrets: [secret], event: evt, msgId: "msg_1", now, fetcher });

    expect(result).toEqual({ ok: true, status_code: 200, latency_ms: expect.any(Number), response_excerpt: "thanks", error: null });
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call!.url).toBe("https://hooks.example.com/r");
    expect(call!.init.method).toBe("POST");
    expect(call!.init.redirect).toBe("manual");
    expect(call!.init.signal).toBeInstanceOf(AbortSignal);
    expect(call!.headers.get("content-type")).toBe("application/json");
    expect(call!.headers.get("user-agent")).toBe(USER_AGENT);
    expect(call!.headers.get("webhook-id")).toBe("msg_1");
    expect(call!.headers.get("webhook-timestamp")).toBe(String(Math.floor(now / 1000)));
    expect(JSON.parse(call!.body)).toEqual(evt);
  });

  it("signs with every secret during a rotation", async () => {
    const [current, previous] = [newSecret(), newSecret()];
    const { fetcher, calls } = recorder(() => new Response(null, { status: 204 }));
    const result = await deliverOnce({ url: "https://h.example.com/", secrets: [current, previous], event: event(), msgId: "msg_2", now: Date.now(), fetcher });
    expect(result.ok).toBe(true);
    const headers = Object.fromEntries(calls[0]!.headers);
    expect(headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    for (const s of [current, previous]) expect(() => new Webhook(s).verify(calls[0]!.body, headers)).not.toThrow();
  });

  it("tampering with the delivered body breaks the signature", async () => {
    const secret = newSecret();
    const { fetcher, calls } = recorder(() => new Response("ok"));
    await deliverOnce({ url: "https://h.example.com/", secrets: secret, event: event(), msgId: "msg_3", now: Date.now(), fetcher });
    const headers = Object.fromEntries(calls[0]!.headers);
    expect(() => new Webhook(secret).verify(calls[0]!.body.replace("session.revoked", "session.granted"), headers)).toThrow();
  });

  it.each([201, 202, 299])("treats %i as success", async (status) => {
    const { fetcher } = recorder(() => new Response("", { status }));
    expect((await deliverOnce({ url: "https://h.example.com/", secrets: newSecret(), event: event(), msgId: "m", now: Date.now(), fetcher })).ok).toBe(true);
  });

  it.each([400, 404, 410, 429, 500, 503])("treats %i as failure, keeping status and excerpt", async (status) => {
    const { fetcher } = recorder(() => new Response(`nope ${status}`, { status }));
    const r = await deliverOnce({ url: "https://h.example.com/", secrets: newSecret(), event: event(), msgId: "m", now: Date.now(), fetcher });
    expect(r).toMatchObject({ ok: false, status_code: status, response_excerpt: `nope ${status}`, error: null });
  });

  it("never follows a redirect and says so", async () => {
    const { fetcher, calls } = recorder(() => new Response(null, { status: 302, headers: { location: "http://169.254.169.254/" } }));
    const r = await deliverOnce({ url: "https://h.example.com/", secrets: newSecret(), event: event(), msgId: "m", now: Date.now(), fetcher });
    expect(calls).toHaveLength(1);
    expect(r).toMatchObject({ ok: false, status_code: 302, error: "redirect not followed (location: http://169.254.169.254/)" });
  });

  it("reports a network error", async () => {
    const fetcher: FetchLike = async () => {
      throw new TypeError("connection refused");
    };
    const r = await deliverOnce({ url: "https://h.example.com/", secrets: newSecret(), event: event(), msgId: "m", now: Date.now(), fetcher });
    expect(r).toMatchObject({ ok: false, status_code: null, response_excerpt: "", error: "network error: connection refused" });
  });

  it("times out, aborting the request", async () => {
    let aborted = false;
    const fetcher: FetchLike = (url, init) => {
      init.signal?.addEventListener("abort", () => (aborted = true));
      return never(url, init);
    };
    const r = await deliverOnce({ url: "https://h.example.com/", secrets: newSecret(), event: event(), msgId: "m", now: Date.now(), timeoutMs: 50, fetcher });
    expect(r).toMatchObject({ ok: false, status_code: null, error: "timed out after 50 ms" });
    expect(aborted).toBe(true);
  });

  it("times out even when the fetcher ignores the abort signal", async () => {
    const fetcher: FetchLike = () => new Promise<Response>(() => {});
    const r = await deliverOnce({ url: "https://h.example.com/", secrets: newSecret(), event: event(), msgId: "m", now: Date.now(), timeoutMs: 30, fetcher });
    expect(r.error).toBe("timed out after 30 ms");
  });

  it("reads at most 1 KiB of the response and stops reading", async () => {
    let pulls = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        controller.enqueue(new TextEncoder().encode("€".repeat(200))); // 600 bytes per chunk, endless
      },
    });
    const { fetcher } = recorder(() => new Response(stream, { status: 500 }));
    const r = await deliverOnce({ url: "https://h.example.com/", secrets: newSecret(), event: event(), msgId: "m", now: Date.now(), fetcher });
    expect(r.status_code).toBe(500);
    expect(new TextEncoder().encode(r.response_excerpt).length).toBeLessThanOrEqual(1024);
    expect(r.response_excerpt).toBe("€".repeat(341));
    expect(pulls).toBeLessThan(5);
  });

  it("keeps a 2xx a success when the body stalls past the deadline", async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("partial"));
      },
    });
    const { fetcher } = recorder(() => new Response(stream, { status: 200 }));
    const r = await deliverOnce({ url: "https://h.example.com/", secrets: newSecret(), event: event(), msgId: "m", now: Date.now(), timeoutMs: 50, fetcher });
    expect(r).toMatchObject({ ok: true, status_code: 200, response_excerpt: "partial", error: null });
  });

  it("fails without calling out when it cannot sign", async () => {
    const { fetcher, calls } = recorder(() => new Response("ok"));
    const r = await deliverOnce({ url: "https://h.example.com/", secrets: [], event: event(), msgId: "m", now: Date.now(), fetcher });
    expect(r).toMatchObject({ ok: false, status_code: null, error: "cannot sign: no signing secret" });
    expect(calls).toHaveLength(0);
  });
});
