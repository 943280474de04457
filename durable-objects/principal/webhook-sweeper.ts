/**
 * Getting deliveries onto the queue, and the sweeper behind it: the sweep is planned
 * before a send, so a send lost on the way is found by the principal's alarm, which
 * enqueues every delivery that has waited past its grace and prunes old records.
 * The alarm may serve more than webhooks, so it is only ever moved earlier here.
 */
import type { Env } from "../../src/contract/env";
import { enqueueDeliveries, sweepGraceMs } from "../../src/core/webhooks/queue";
import { EVENT_DEDUPE_TTL_MS, MAX_PAGE_SIZE, type WebhookStore } from "./webhook-store";

/** Deliveries older than this leave the log. */
export const DELIVERY_RETENTION_MS = 30 * 24 * 3600 * 1000;

export interface SweeperContext {
  readonly ctx: DurableObjectState;
  readonly env: Env;
  readonly store: WebhookStore;
  /** The principal's id, or null before it is created. */
  readonly principalId: () => string | null;
}

/** Enqueue every delivery that waited past its grace; prune old records; plan the next sweep. */
export async function sweep(s: SweeperContext, now: number): Promise<void> {
  const grace = graceMs(s.env);
  const principal = s.principalId();
  const due = principal ? s.store.due(now - grace, MAX_PAGE_SIZE) : [];
  if (principal && due.length > 0) {
    const ids = due.map((d) => d.id);
    s.store.markEnqueued(ids, now);
    await enqueueDeliveries(s.env.WEBHOOKS, principal, ids);
  }
  s.store.pruneSeen(now - EVENT_DEDUPE_TTL_MS);
  s.store.pruneEvents(now);
  s.store.pruneDeliveries(now - DELIVERY_RETENTION_MS);
  if (due.length === MAX_PAGE_SIZE) await setAlarmBy(s.ctx, now + 1000);
  else await scheduleSweep(s, now);
}

/** Make sure the alarm fires by the time the earliest waiting delivery is past its grace. */
export async function scheduleSweep(s: SweeperContext, now: number): Promise<void> {
  const next = s.store.nextDueAt();
  if (next === null) return;
  await setAlarmBy(s.ctx, Math.max(next + graceMs(s.env), now + 1000));
}

/** Hands freshly recorded deliveries to the queue. */
export async function send(s: SweeperContext, deliveries: string[], now: number): Promise<void> {
  const principal = s.principalId();
  if (deliveries.length === 0 || !principal) return;
  // Plan the sweep first: if the send is lost, the deliveries are still found.
  await scheduleSweep(s, now);
  await enqueueDeliveries(s.env.WEBHOOKS, principal, deliveries);
}

function graceMs(env: Env): number {
  return sweepGraceMs(env.WEBHOOK_RETRY_SCALE);
}

/** Sets the alarm to `at` unless one is already set earlier (the object may use its alarm for more than webhooks). */
async function setAlarmBy(ctx: DurableObjectState, at: number): Promise<void> {
  const current = await ctx.storage.getAlarm();
  if (current === null || current > at) await ctx.storage.setAlarm(at);
}
