/**
 * The queue consumers. `remit-webhooks`: one attempt per message — ask the principal's
 * object for the job, POST it signed, record the attempt, then ack (delivered, or
 * nothing left to do), retry with the schedule's delay, or — after the last attempt —
 * hand the message to the dead-letter queue with the delivery marked failed.
 * `remit-webhooks-dlq`: note on the delivery that it was dead-lettered, and ack.
 *
 * The delivery's attempt count lives in the principal's object, not in the queue: a
 * message the sweeper enqueued again starts the queue's count afresh but continues the
 * delivery's schedule. So the last attempt dead-letters by `retry()` when the queue's
 * count is at its limit too (the queue moves it), and by an explicit send otherwise.
 */
import type { Env } from "../contract/env";
import { principalStub } from "../contract/stubs";
import type { DeliveryResult, FetchLike } from "./deliver";
import { deliverOnce } from "./deliver";
import { isWebhookMessage, WEBHOOK_DLQ, type WebhookMessage } from "../core/webhooks/queue";
export { isWebhookQueue } from "../core/webhooks/queue";
import { MAX_ATTEMPTS, nextDelaySeconds, retryScale } from "../core/webhooks/schedule";
import { checkWebhookUrl } from "../core/webhooks/ssrf";

export interface ConsumerDeps {
  fetcher?: FetchLike;
  random?: () => number;
  now?: () => number;
}

/** The worker's `queue()` handler for both webhook queues (the dead-letter one ends in `-dlq`). */
export async function handleWebhookBatch(batch: MessageBatch<unknown>, env: Env, deps: ConsumerDeps = {}): Promise<void> {
  const dlq = batch.queue === WEBHOOK_DLQ || batch.queue.endsWith("-dlq");
  await Promise.all(batch.messages.map((m) => (dlq ? deadLetter(m, env) : attempt(m, env, deps))));
}

async function attempt(message: Message<unknown>, env: Env, deps: ConsumerDeps): Promise<void> {
  const body = message.body;
  if (!isWebhookMessage(body)) {
    console.error("webhooks: malformed queue message dropped", message.id);
    message.ack();
    return;
  }
  const scale = retryScale(env.WEBHOOK_RETRY_SCALE);
  const random = deps.random ?? Math.random;
  try {
    const stub = principalStub(env, body.principal);
    const now = (deps.now ?? Date.now)();
    const job = await stub.webhookJob(body.delivery, now);
    // Gone, delivered, or already given up on (a duplicate message): nothing to do.
    if (!job || (job.status !== "pending" && job.status !== "retrying")) {
      message.ack();
      return;
    }

    // Refusals that no retry can cure end the delivery at once (a redelivery can start it again).
    const refusal = job.endpoint_disabled
      ? "the endpoint is disabled; not sent"
      : checkWebhookUrl(job.url, { allowLoopback: env.REMIT_ENV === "development" })
          .map((e) => e.message)
          .join("; ") || null;
    const result: DeliveryResult = refusal
      ? { ok: false, status_code: null, latency_ms: 0, response_excerpt: "", error: refusal }
      : await deliverOnce({ url: job.url, secrets: job.secrets, event: job.event, msgId: job.msg_id, now, fetcher: deps.fetcher });

    const delay = result.ok || refusal ? null : nextDelaySeconds(job.round_attempts + 1, random, scale);
    await stub.recordWebhookAttempt(body.delivery, {
      attempt: job.attempts + 1,
      at: now,
      status_code: result.status_code,
      latency_ms: result.latency_ms,
      response_excerpt: result.response_excerpt,
      error: result.error,
      next_attempt_at: delay === null ? null : now + delay * 1000,
    });

    if (result.ok || refusal) message.ack();
    else if (delay !== null) message.retry({ delaySeconds: delay });
    else await toDeadLetterQueue(message, body, env);
  } catch (e) {
    // The object could not be reached, or recording failed: try the message again later.
    // Nothing was recorded, so the delivery's schedule is unchanged; the queue's own
    // limit dead-letters a message that keeps failing here.
    console.error("webhooks: consumer failed; retrying the message", e);
    const backoff = nextDelaySeconds(Math.min(Math.max(message.attempts, 1), MAX_ATTEMPTS - 1), random, scale) ?? 0;
    message.retry({ delaySeconds: backoff });
  }
}

async function toDeadLetterQueue(message: Message<unknown>, body: WebhookMessage, env: Env): Promise<void> {
  // With max_retries = MAX_ATTEMPTS - 1, this retry is past the queue's limit: it moves the message.
  if (message.attempts >= MAX_ATTEMPTS || !env.WEBHOOKS_DLQ) {
    message.retry();
    return;
  }
  await env.WEBHOOKS_DLQ.send(body, { contentType: "json" });
  message.ack();
}

async function deadLetter(message: Message<unknown>, env: Env): Promise<void> {
  const body = message.body;
  if (!isWebhookMessage(body)) {
    console.error("webhooks: malformed dead-letter message dropped", message.id);
    message.ack();
    return;
  }
  try {
    await principalStub(env, body.principal).webhookDeadLettered(body.delivery);
    message.ack();
  } catch (e) {
    console.error("webhooks: could not record a dead letter; retrying", e);
    message.retry({ delaySeconds: 1 });
  }
}
