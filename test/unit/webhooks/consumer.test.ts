/**
 * The queue consumer's decisions, driven with hand-made message batches: ack on
 * success, retry with the schedule's delay, dead-letter after the last attempt (by the
 * queue's own retry limit, or by an explicit send when the message is younger than the
 * delivery), and the dead-letter consumer's note in the log.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, createMessageBatch, getQueueResult, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { Env } from "../../../src/contract/env";
import { buildEvent } from "../../../src/core/webhooks/events";
import { handleWebhookBatch, isWebhookQueue } from "../../../src/webhooks/consumer";
import type { FetchLike } from "../../../src/webhooks/deliver";
import { WEBHOOK_DLQ, WEBHOOK_QUEUE } from "../../../src/core/webhooks/queue";
import { MAX_ATTEMPTS, RETRY_SCHEDULE } from "../../../src/core/webhooks/schedule";
import { WebhookStore } from "../../../durable-objects/principal/webhook-store";
import { createPrincipal } from "../../support/harness";
import { hook, principalStub, uniqueName } from "../../support/webhooks";

const ENV = env as unknown as Env;

/** A principal with one endpoint (on the test receiver) and one delivery that was never enqueued. */
async function setup(opts: { attempts?: number; disabled?: boolean; url?: string } = {}) {
  const p = await createPrincipal();
  const url = opts.url ?? (await hook(uniqueName()));
  const stub = principalStub(p.id);
  const ids = await runInDurableObject(stub, (_o, state) => {
    const store = new WebhookStore(state.storage.sql);
    const now = Date.now();
    const { endpoint } = store.create({ url, events: ["*"] }, now);
    const [d] = store.ingestEvent(buildEvent("principal.frozen", p.id, { frozen_at: new Date(now).toISOString() }, now), now)!;
    for (let n = 1; n <= (opts.attempts ?? 0); n++)
      store.recordAttempt(d!.id, { attempt: n, at: now, status_code: 500, latency_ms: 1, response_excerpt: "", error: null, next_attempt_at: now });
    if (opts.disabled) store.update(endpoint.id, { disabled: true }, now);
    return { endpoint: endpoint.id, delivery: d!.id };
  });
  const read = () => runInDurableObject(stub, (_o, state) => new WebhookStore(state.storage.sql).getDelivery(ids.delivery)!);
  return { principal: p.id, stub, ...ids, read };
}

/** One message through the consumer; `retried` is what `retry()` was called with (the test batch's result drops the delay). */
async function run(queue: string, body: unknown, attempts: number, fetcher?: FetchLike) {
  const batch = createMessageBatch<unknown>(queue, [{ id: "m1", timestamp: new Date(), attempts, body }]);
  const retry = vi.spyOn(batch.messages[0]!, "retry");
  const ctx = createExecutionContext();
  await handleWebhookBatch(batch, ENV, { fetcher, random: () => 0.5 });
  return { ...(await getQueueResult(batch, ctx)), retried: retry.mock.calls.map((c) => c[0] ?? null) };
}

const answering =
  (status: number, calls: { url: string; init: RequestInit }[] = []): FetchLike =>
  async (url, init) => {
    calls.push({ url, init });
    return new Response(status === 204 ? null : "hi", { status });
  };

describe("webhook queue consumer", () => {
  it("knows its queues", () => {
    expect(isWebhookQueue(WEBHOOK_QUEUE)).toBe(true);
    expect(isWebhookQueue(WEBHOOK_DLQ)).toBe(true);
    expect(isWebhookQueue("remit-settlement")).toBe(false);
  });

  it("delivers signed, records the attempt and acks", async () => {
    const s = await setup();
    const calls: { url: string; init: RequestInit }[] = [];
    const result = await run(WEBHOOK_QUEUE, { principal: s.principal, delivery: s.delivery }, 1, answering(204, calls));
    expect(result.explicitAcks).toEqual(["m1"]);
    expect(result.retryMessages).toEqual([]);
    expect(calls).toHaveLength(1);
    const headers = new Headers(calls[0]!.init.headers);
    const d = await s.read();
    expect(headers.get("webhook-id")).toBe(d.msg_id);
    expect(headers.get("webhook-signature")).toMatch(/^v1,/);
    expect(JSON.parse(String(calls[0]!.init.body))).toEqual(d.payload);
    expect(d).toMatchObject({ status: "succeeded", attempts: 1, next_attempt_at: null });
  });

  it("retries a failure with the schedule's (scaled) delay and records when the next attempt is due", async () => {
    const s = await setup({ attempts: 8 });
    const before = Date.now();
    const result = await run(WEBHOOK_QUEUE, { principal: s.principal, delivery: s.delivery }, 9, answering(500));
    // Attempt 9 failed; the wait before attempt 10 is RETRY_SCHEDULE[9] × 0.0001 (jitter at its middle).
    const expected = Math.round(RETRY_SCHEDULE[9]! * 0.0001);
    expect(result.retryMessages).toEqual([{ msgId: "m1" }]);
    expect(result.retried).toEqual([{ delaySeconds: expected }]);
    expect(result.explicitAcks).toEqual([]);
    const d = await s.read();
    expect(d).toMatchObject({ status: "retrying", attempts: 9 });
    expect(Date.parse(d.next_attempt_at!)).toBeGreaterThanOrEqual(before + expected * 1000);
    expect(d.attempt_log.at(-1)).toMatchObject({ attempt: 9, status_code: 500, response_excerpt: "hi" });
  });

  it("after the last attempt, lets the queue dead-letter the message when its own count is at the limit", async () => {
    const s = await setup({ attempts: MAX_ATTEMPTS - 1 });
    const result = await run(WEBHOOK_QUEUE, { principal: s.principal, delivery: s.delivery }, MAX_ATTEMPTS, answering(503));
    expect(result.retryMessages).toEqual([{ msgId: "m1" }]);
    expect(result.retried).toEqual([null]); // no delay: past max_retries, the queue moves it to the DLQ
    expect(result.explicitAcks).toEqual([]);
    expect(await s.read()).toMatchObject({ status: "failed", attempts: MAX_ATTEMPTS, next_attempt_at: null });
  });

  it("after the last attempt of a message the sweeper re-sent, sends it to the dead-letter queue itself", async () => {
    const s = await setup({ attempts: MAX_ATTEMPTS - 1 });
    const result = await run(WEBHOOK_QUEUE, { principal: s.principal, delivery: s.delivery }, 1, answering(503));
    expect(result.explicitAcks).toEqual(["m1"]);
    expect(result.retryMessages).toEqual([]);
    // The real dead-letter consumer notes it in the log.
    await vi.waitUntil(async () => (await s.read()).dead_lettered_at !== null, { timeout: 5000 });
    expect(await s.read()).toMatchObject({ status: "failed", attempts: MAX_ATTEMPTS });
  });

  it("acks, without sending, a delivery that is gone, already delivered, or a malformed message", async () => {
    const s = await setup();
    const calls: { url: string; init: RequestInit }[] = [];
    await run(WEBHOOK_QUEUE, { principal: s.principal, delivery: s.delivery }, 1, answering(200, calls));
    for (const body of [
      { principal: s.principal, delivery: s.delivery }, // delivered already (a duplicate message)
      { principal: s.principal, delivery: "dlv_0000000000000000000000000z" },
      { nonsense: true },
    ]) {
      const result = await run(WEBHOOK_QUEUE, body, 1, answering(200, calls));
      expect(result.explicitAcks, JSON.stringify(body)).toEqual(["m1"]);
    }
    expect(calls).toHaveLength(1);
  });

  it("ends a delivery to a disabled endpoint, or to a URL the rules now refuse, without sending or retrying", async () => {
    for (const opts of [{ disabled: true }, { url: "https://10.1.2.3/hook" }]) {
      const s = await setup(opts);
      const calls: { url: string; init: RequestInit }[] = [];
      const result = await run(WEBHOOK_QUEUE, { principal: s.principal, delivery: s.delivery }, 1, answering(200, calls));
      expect(result.explicitAcks).toEqual(["m1"]);
      expect(calls).toEqual([]);
      const d = await s.read();
      expect(d.status).toBe("failed");
      expect(d.attempt_log[0]!.error).toMatch(opts.disabled ? /disabled/ : /private network/);
    }
  });

  it("the dead-letter consumer marks the delivery dead-lettered and failed, and acks", async () => {
    const s = await setup({ attempts: 3 });
    const result = await run(WEBHOOK_DLQ, { principal: s.principal, delivery: s.delivery }, 1);
    expect(result.explicitAcks).toEqual(["m1"]);
    const d = await s.read();
    expect(d.status).toBe("failed");
    expect(d.dead_lettered_at).not.toBeNull();
    expect(d.next_attempt_at).toBeNull();
  });
});
