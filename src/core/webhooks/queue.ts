/**
 * The webhook queue's messages and how they are produced. A message names a delivery
 * and nothing else: the consumer asks the principal's object for the rest (URL, the
 * secrets valid now, the event), so no secret ever sits in a queue.
 *
 * Queues are at-least-once and a send can fail, so the principal's object is the
 * source of truth: a delivery waiting longer than `sweepGraceMs` past its due time is
 * enqueued again by the object's alarm (see `PrincipalWebhooks.sweep`).
 */
import { retryScale } from "./schedule";

/** Queue names, as in wrangler.toml. */
export const WEBHOOK_QUEUE = "remit-webhooks";
export const WEBHOOK_DLQ = "remit-webhooks-dlq";

export interface WebhookMessage {
  principal: string;
  delivery: string;
}

/** Queues take at most 100 messages per `sendBatch`. */
export const SEND_BATCH = 100;

/** How long past its due time a delivery may wait for its queue message before the sweeper sends another. */
export const SWEEP_GRACE_MS = 10 * 60 * 1000;
/** The grace never shrinks below this, whatever the test scale: a queue takes a moment to deliver. */
export const MIN_SWEEP_GRACE_MS = 5_000;

export function sweepGraceMs(scaleSetting: string | undefined): number {
  return Math.max(MIN_SWEEP_GRACE_MS, Math.round(SWEEP_GRACE_MS * retryScale(scaleSetting)));
}

export function isWebhookMessage(value: unknown): value is WebhookMessage {
  if (typeof value !== "object" || value === null) return false;
  const m = value as Record<string, unknown>;
  return typeof m.principal === "string" && /^prn_[0-9a-z]{26}$/.test(m.principal) && typeof m.delivery === "string" && /^dlv_[0-9a-z]{26}$/.test(m.delivery);
}

/**
 * One message per delivery. Returns false when there is no queue or a send failed;
 * the deliveries stay due in the store, so the sweeper sends them later.
 */
/** What this module needs of a Cloudflare Queue binding (structural, so the core stays free of Workers types). */
export interface DeliveryQueue {
  sendBatch(messages: Iterable<{ body: WebhookMessage }>): Promise<unknown>;
}

export async function enqueueDeliveries(queue: DeliveryQueue | undefined, principal: string, deliveries: readonly string[]): Promise<boolean> {
  if (deliveries.length === 0) return true;
  if (!queue) {
    console.warn("webhooks: no WEBHOOKS queue binding; deliveries wait for the sweeper");
    return false;
  }
  let ok = true;
  for (let i = 0; i < deliveries.length; i += SEND_BATCH) {
    const chunk = deliveries.slice(i, i + SEND_BATCH).map((delivery) => ({ body: { principal, delivery }, contentType: "json" as const }));
    try {
      await queue.sendBatch(chunk);
    } catch (e) {
      ok = false;
      console.error("webhooks: enqueue failed; the sweeper will retry", e);
    }
  }
  return ok;
}

export function isWebhookQueue(name: string): boolean {
  return name === WEBHOOK_QUEUE || name === WEBHOOK_DLQ || name.startsWith(`${WEBHOOK_QUEUE}-`);
}
