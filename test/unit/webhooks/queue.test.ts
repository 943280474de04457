import { describe, expect, it } from "vitest";
import wrangler from "../../../wrangler.toml?raw";
import vitestConfig from "../../../vitest.config.ts?raw";
import { enqueueDeliveries, isWebhookMessage, MIN_SWEEP_GRACE_MS, SWEEP_GRACE_MS, sweepGraceMs, WEBHOOK_DLQ, WEBHOOK_QUEUE } from "../../../src/core/webhooks/queue";
import { MAX_ATTEMPTS } from "../../../src/core/webhooks/schedule";
import { newId } from "../../../src/core/ids";

/** The `[[queues.consumers]]` table for `queue`, as key → raw value. */
function consumer(toml: string, queue: string): Record<string, string> {
  for (const block of toml.split("[[queues.consumers]]").slice(1)) {
    const body = block.split(/\n\[/)[0]!;
    const entries = Object.fromEntries([...body.matchAll(/^(\w+)\s*=\s*(.+)$/gm)].map((m) => [m[1]!, m[2]!.trim().replace(/^"|"$/g, "")]));
    if (entries.queue === queue) return entries;
  }
  return {};
}

describe("queue configuration", () => {
  it("lets the queue retry exactly as often as the schedule, then dead-letter", () => {
    const main = consumer(wrangler, WEBHOOK_QUEUE);
    expect(Number(main.max_retries)).toBe(MAX_ATTEMPTS - 1);
    expect(main.dead_letter_queue).toBe(WEBHOOK_DLQ);
    expect(consumer(wrangler, WEBHOOK_DLQ).queue).toBe(WEBHOOK_DLQ);
    expect(wrangler).toMatch(new RegExp(`binding = "WEBHOOKS"\\s*\\nqueue = "${WEBHOOK_QUEUE}"`));
    expect(wrangler).toMatch(new RegExp(`binding = "WEBHOOKS_DLQ"\\s*\\nqueue = "${WEBHOOK_DLQ}"`));
  });

  it("the test override of the consumers keeps the same retries and dead-letter queue", () => {
    expect(vitestConfig).toContain(`"${WEBHOOK_QUEUE}": { maxBatchSize: 10, maxBatchTimeout: 0.05, maxRetries: ${MAX_ATTEMPTS - 1}, deadLetterQueue: "${WEBHOOK_DLQ}" }`);
  });
});

describe("queue messages", () => {
  it("name a principal and a delivery, nothing else", () => {
    const m = { principal: newId("prn"), delivery: newId("dlv") };
    expect(isWebhookMessage(m)).toBe(true);
    expect(isWebhookMessage({ ...m, principal: "prn_x" })).toBe(false);
    expect(isWebhookMessage({ principal: m.principal })).toBe(false);
    expect(isWebhookMessage("dlv_x")).toBe(false);
    expect(isWebhookMessage(null)).toBe(false);
  });

  it("are sent in batches of at most 100, and a failed send reports false without throwing", async () => {
    const sent: unknown[][] = [];
    const queue = { sendBatch: async (batch: unknown[]) => void sent.push(batch) } as unknown as Queue<never>;
    const principal = newId("prn");
    const ids = Array.from({ length: 230 }, () => newId("dlv"));
    expect(await enqueueDeliveries(queue, principal, ids)).toBe(true);
    expect(sent.map((b) => b.length)).toEqual([100, 100, 30]);
    expect(sent[0]![0]).toEqual({ body: { principal, delivery: ids[0] }, contentType: "json" });

    const broken = { sendBatch: async () => Promise.reject(new Error("down")) } as unknown as Queue<never>;
    expect(await enqueueDeliveries(broken, principal, ids)).toBe(false);
    expect(await enqueueDeliveries(undefined, principal, ids)).toBe(false);
    expect(await enqueueDeliveries(undefined, principal, [])).toBe(true);
  });

  it("are swept again after 10 minutes, or a scaled grace no shorter than 5 s", () => {
    expect(sweepGraceMs(undefined)).toBe(SWEEP_GRACE_MS);
    expect(sweepGraceMs("0.5")).toBe(SWEEP_GRACE_MS / 2);
    expect(sweepGraceMs("0.0001")).toBe(MIN_SWEEP_GRACE_MS);
    expect(sweepGraceMs("nonsense")).toBe(SWEEP_GRACE_MS);
  });
});
